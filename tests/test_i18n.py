"""Messages show times in the office's local time, never as UTC ISO text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from publisher.i18n import msg, register, set_display_zone, set_language, t
from publisher.platforms.youtube.errors import classify

register({"test.at": ("Hoãn đến {until}.", "Postponed to {until}.")})


@pytest.fixture(autouse=True)
def _zone() -> Iterator[None]:
    set_display_zone("Asia/Ho_Chi_Minh")
    yield
    set_display_zone("Asia/Ho_Chi_Minh")


def test_an_aware_time_is_shown_in_local_time() -> None:
    when = datetime(2026, 4, 29, 23, 30, tzinfo=UTC)
    assert t("test.at", until=when) == "Hoãn đến 30/04/2026 06:30."
    set_language("en")
    assert str(msg("test.at", until=when)) == "Postponed to 30/04/2026 06:30."
    set_display_zone("Europe/Paris")
    assert t("test.at", until=when) == "Postponed to 30/04/2026 01:30."


def test_youtube_postponement_reason_names_the_local_time() -> None:
    body = {"error": {"code": 403, "errors": [{"reason": "quotaExceeded", "domain": "youtube.quota"}]}}
    response = requests.Response()
    response.status_code = 403
    now = datetime(2026, 4, 30, 1, 0, tzinfo=UTC)
    reset = datetime(2026, 4, 30, 7, 0, tzinfo=UTC)  # midnight Pacific (PDT)
    result = classify(response, body, creating=True, now=now, on_daily_quota=lambda _now: reset)
    assert result.postpone_until == reset
    assert str(result.reason).endswith("hoãn đến 30/04/2026 14:00."), result.reason
