"""``status``: what an officer looks at first: paused or not, what is coming, what just happened,
which accounts need re-authorising, and how many deliveries are in each state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from publisher.core.states import State

#: deliveries still to go out (or going out now)
UPCOMING = (
    State.SCHEDULED,
    State.AWAITING_APPROVAL,
    State.RETRY_WAIT,
    State.CLAIMED,
    State.PUBLISHING,
    State.PAUSED,
    State.HANDED_OFF,
)
#: deliveries whose outcome is known, or needs the officer
RECENT = (State.PUBLISHED, State.FAILED, State.MISSED, State.NEEDS_REAUTH, State.UNCONFIRMED)


@dataclass
class Overview:
    pause: dict[str, Any] | None  # reason, by, at (ISO text) while paused
    upcoming: list[Any]  # the next 20, soonest first
    recent: list[Any]  # the last 10 changed
    reauth: list[Any]  # accounts needing re-authorisation
    counts: dict[str, int]  # state -> deliveries


def overview(store: Any) -> Overview:
    upcoming = store.deliveries(states=[s.value for s in UPCOMING], limit=20)
    recent = sorted(
        store.deliveries(states=[s.value for s in RECENT]), key=lambda r: r.updated_at, reverse=True
    )
    return Overview(
        pause=store.pause_info(),
        upcoming=upcoming,
        recent=recent[:10],
        reauth=[a for a in store.accounts() if a.status == "needs_reauth"],
        counts=store.counts(),
    )


__all__ = ["RECENT", "UPCOMING", "Overview", "overview"]
