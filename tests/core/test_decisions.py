"""``publisher.core.decisions``: the pure tables "after an attempt / a reconcile → transition"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from publisher.core.decisions import (
    VERIFY_DELAY,
    Doubt,
    RetryPolicy,
    after_attempt,
    after_reconcile,
    backoff,
    settle_cancel,
)
from publisher.core.states import State
from publisher.platforms.base import Outcome, Result

NOW = datetime(2026, 4, 30, 1, 0, tzinfo=UTC)
POLICY = RetryPolicy(base=30.0, cap=600.0, max_attempts=3, rng=lambda: 1.0)


def attempt(result: Result, *, kind: str = "publish", attempts: int = 1, resume: dict | None = None):  # type: ignore[no-untyped-def, type-arg]
    return after_attempt(
        result,
        kind=kind,
        attempts=attempts,
        due_at=NOW,
        resume_state=resume,
        code=result.code,
        reason=None,
        policy=POLICY,
        now=NOW,
    )


def doubt(
    state: State = State.UNCONFIRMED, attempts: int = 1, deadline: datetime = NOW + timedelta(hours=1)
) -> Doubt:
    return Doubt(
        state, attempts, deadline, NOW, "old-id", "https://old", {"upload": "u1"}, "timeout", "timed out"
    )


def reconciled(result: Result, d: Doubt | None = None) -> tuple[State, dict]:  # type: ignore[type-arg]
    again = NOW + timedelta(minutes=5)
    return after_reconcile(
        result, d or doubt(), code=result.code, reason=None, policy=POLICY, again=again, now=NOW
    )


def test_published_is_written_the_same_way_after_a_send_and_after_a_look_up() -> None:
    dst1, sent = attempt(Result.published("p-1", "https://fb/p-1"))
    dst2, looked = reconciled(Result.published("p-1", "https://fb/p-1"))
    assert dst1 is dst2 is State.PUBLISHED
    common = {"remote_id", "remote_url", "published_at", "next_attempt_at", "last_code", "last_reason"}
    assert {k: sent[k] for k in common} == {k: looked[k] for k in common}
    assert sent["remote_id"] == "p-1" and sent["published_at"] == NOW and sent["last_code"] is None
    # a look-up that finds the post without an id keeps the one the send committed
    assert reconciled(Result(Outcome.PUBLISHED))[1]["remote_id"] == "old-id"


@pytest.mark.parametrize(
    ("result", "attempts", "want"),
    [
        (Result.handed_off("v-1"), 1, State.HANDED_OFF),
        (Result.pending({"video_id": "v"}), 1, State.PUBLISHING),
        (Result.auth_expired("190", "expired"), 1, State.NEEDS_REAUTH),
        (Result.rejected("100", "bad"), 1, State.FAILED),
        (Result.transient("500"), 1, State.RETRY_WAIT),
        (Result.transient("500"), 3, State.FAILED),  # max_attempts reached
        (Result.unknown("timeout"), 1, State.UNCONFIRMED),
    ],
)
def test_after_an_attempt(result: Result, attempts: int, want: State) -> None:
    dst, values = attempt(result, attempts=attempts)
    assert dst is want
    assert values["claimed_by"] is None and values["lease_until"] is None


def test_a_poll_that_meets_a_hiccup_keeps_the_started_upload() -> None:
    dst, values = attempt(Result.transient("500"), kind="poll", attempts=3, resume={"upload": "u1"})
    assert dst is State.PUBLISHING and values["next_attempt_at"] == NOW + timedelta(seconds=120)


def test_after_a_look_up() -> None:
    assert reconciled(Result.absent())[0] is State.RETRY_WAIT
    assert reconciled(Result.absent(), doubt(attempts=3))[0] is State.FAILED
    assert reconciled(Result.absent(), doubt(deadline=NOW - timedelta(seconds=1)))[0] is State.MISSED
    assert reconciled(Result.absent(), doubt(State.HANDED_OFF))[0] is State.FAILED
    assert reconciled(Result.unknown("timeout"))[0] is State.UNCONFIRMED
    dst, values = reconciled(Result.pending({"part": 2}))
    assert dst is State.RETRY_WAIT and values["resume_state"] == {"upload": "u1", "part": 2}
    dst, values = reconciled(Result.handed_off("v-1"), doubt(State.HANDED_OFF))
    assert dst is State.HANDED_OFF and values["next_attempt_at"] == NOW + VERIFY_DELAY


def test_a_cancel_request_met_while_in_doubt() -> None:
    dst, values, note = settle_cancel(State.UNCONFIRMED, State.RETRY_WAIT, {}, "can-bo", "absent")
    assert (
        dst is State.CANCELLED and note == ("can-bo", "cancelled") and values["cancel_requested_at"] is None
    )
    dst, values, note = settle_cancel(
        State.UNCONFIRMED, State.PUBLISHED, {"remote_url": "u"}, "can-bo", "published"
    )
    assert (
        dst is State.PUBLISHED
        and values["last_code"] == "cancel_too_late"
        and note == ("worker", "cancel_too_late")
    )


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n, 30.0, 100.0, lambda: 1.0) for n in (1, 2, 3, 4)] == [30.0, 60.0, 100.0, 100.0]
    assert backoff(1, 30.0, 100.0, lambda: 0.0) == 15.0
