"""``cancel``: stop posts or single deliveries that have not been sent.

What has not started is cancelled at once. What may already be on the platform (``unconfirmed``)
gets a cancel *request*: the next look-up cancels it if the platform does not have it, or records
it as published (with its link) if it does. A delivery being sent, or one the platform holds
scheduled, cannot be cancelled here; the request is not settled until the officer acts again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from publisher.core.states import State
from publisher.settings import Settings

#: skipped in these states, a cancel is not settled: the post is being sent, or the platform holds it
UNSETTLED = frozenset({State.PUBLISHING.value, State.HANDED_OFF.value})


@dataclass
class CancelResult:
    done: list[tuple[str, str]] = field(default_factory=list)  # ref, the state it was cancelled from
    pending: list[tuple[str, str]] = field(
        default_factory=list
    )  # ref, state: a cancel request, being checked
    skipped: list[tuple[str, str]] = field(default_factory=list)  # ref, state: not cancelled

    def codes(self) -> list[str]:
        """What happened, as the codes the web page and the API report (``cancel_none``: nothing)."""
        skipped = {state for _ref, state in self.skipped}
        codes = ["cancelled"] if self.done else []
        codes += ["cancel_requested"] if self.pending else []
        codes += ["cancel_sending"] if State.PUBLISHING.value in skipped else []
        codes += ["cancel_held"] if State.HANDED_OFF.value in skipped else []
        return codes or ["cancel_none"]

    @property
    def unsettled(self) -> bool:
        """Part of what was asked is not settled yet (``publisher cancel`` exits 3)."""
        return bool(self.pending) or any(state in UNSETTLED for _, state in self.skipped)


def cancel_deliveries(
    store: Any, settings: Settings, refs: Sequence[str], by: str | None = None
) -> CancelResult:
    """Cancel ``refs`` (post ids, or ``post:platform/name`` deliveries) as ``by`` (the signed-in user
    of the web app), else as ``PUBLISHER_USER``."""
    report = store.cancel(list(refs), by or settings.actor())
    return CancelResult(list(report.done), list(report.pending), list(report.skipped))


__all__ = ["UNSETTLED", "CancelResult", "cancel_deliveries"]
