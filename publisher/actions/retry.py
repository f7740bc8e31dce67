"""``retry``: send again, now, what failed, was missed or waits for a retry.

Our own pacing (the shared rate limiter) is lifted for what the officer retries; a wait the
platform itself asked for stays, and the delivery is reported as held until then. When the limiter
cannot be reached (Redis down) the retry still happens and the result says the pace may apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from publisher.core.models import Target
from publisher.core.states import State
from publisher.ratelimit import limiter_for
from publisher.settings import Settings
from publisher.store.deliveries import RetryReport


@dataclass
class RetryResult:
    report: RetryReport
    limiter_errors: list[str] = field(default_factory=list)  # one per release the limiter could not do

    def codes(self) -> list[str]:
        """What happened, as the codes the web page and the API report (``retry_none``: nothing)."""
        report = self.report
        states = {state for _ref, state in report.done}
        codes = ["retried"] if states - {State.AWAITING_APPROVAL.value} else []
        codes += ["retry_approval"] if State.AWAITING_APPROVAL.value in states else []
        codes += ["retry_held"] if report.held else []
        codes += ["retry_reauth"] if report.reauth else []
        codes += ["retry_disabled"] if report.disabled else []
        codes += ["retry_pace"] if self.limiter_errors else []
        return codes or ["retry_none"]


def retry_deliveries(
    store: Any, settings: Settings, refs: Sequence[str], by: str | None = None
) -> RetryResult:
    """Retry ``refs`` (post ids, or ``post:platform/name`` deliveries) as ``by`` (the signed-in user
    of the web app), else as ``PUBLISHER_USER``."""
    limiter = limiter_for(settings, store.db)
    errors: list[str] = []

    def release(target: Target, sends: int) -> float:
        try:
            return float(limiter.release(target, sends))
        except Exception as exc:  # the limiter's store is down: retry anyway, and say the pace may apply
            errors.append(type(exc).__name__)
            return 0.0

    report = store.retry(list(refs), by or settings.actor(), release=release)
    return RetryResult(report, errors)


__all__ = ["RetryResult", "retry_deliveries"]
