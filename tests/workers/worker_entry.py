"""Start a real ``celery worker`` for the tests (``python tests/workers/worker_entry.py worker ...``).

The same app and tasks as ``celery -A workers worker``, plus what a test needs to set up:
- registers the Facebook adapter if the registry does not list it yet;
- ``PUBLISHER_TEST_NO_RATE=1`` switches the local token buckets off (the soak sends 100 posts per
  account per minute);
- ``PUBLISHER_TEST_HOLD_AFTER_CLAIM=<file>``: the first task that picks up a claimed delivery
  writes ``<file>`` and stalls, so the test can SIGKILL the worker "after claim".
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    from publisher.core.models import Platform
    from publisher.platforms import registry

    if Platform.FACEBOOK not in registry.ADAPTERS:
        from publisher.platforms.facebook import FacebookPageAdapter

        registry.ADAPTERS[Platform.FACEBOOK] = FacebookPageAdapter
    if os.environ.get("PUBLISHER_TEST_NO_RATE") == "1":
        from publisher import ratelimit

        for table in (ratelimit.ACCOUNT_RATES, ratelimit.APP_RATES):
            for key in list(table):
                table[key] = None
        for platform in ("FACEBOOK", "YOUTUBE", "ZALO"):
            os.environ[f"PUBLISHER_{platform}__POSTS_PER_MINUTE"] = "0"
    hold = os.environ.get("PUBLISHER_TEST_HOLD_AFTER_CLAIM")
    if hold:
        from publisher.actions.publish import Publisher

        original = Publisher.publish

        def held(self: Publisher, delivery_id: int) -> object:
            marker = Path(hold)
            if not marker.exists():
                marker.write_text(str(os.getpid()))
                time.sleep(600)
            return original(self, delivery_id)

        Publisher.publish = held  # type: ignore[assignment,method-assign]

    from workers.app import get_app

    get_app().worker_main(sys.argv[1:])


if __name__ == "__main__":
    main()
