"""The pure decision tables of the publish path: what a platform's answer means for a delivery.

Two tables, each a function of plain values (no database, no network):

- :func:`after_attempt`: a send or a poll from ``publishing`` answered → the next state and the
  columns to write;
- :func:`after_reconcile`: a look-up of an ``unconfirmed`` or ``handed_off`` delivery answered →
  the same; :func:`settle_cancel` then applies an officer's pending cancel request.

Plus :func:`backoff` and :class:`RetryPolicy`, the bounded retry schedule. The answer is read
through :class:`Answer` (what :class:`publisher.platforms.base.Result` carries), so this module
imports nothing from the platforms.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from publisher.core.states import State
from publisher.i18n import register, t

register(
    {
        "publishing.retry_limit": (
            "Đã thử {n} lần không thành công; lần cuối: {reason}",
            "Gave up after {n} attempts; last: {reason}",
        ),
        "publishing.handoff_absent": (
            "Nền tảng không đăng bài đã hẹn giờ (không thấy bài sau giờ hẹn).",
            "The platform did not publish the post it was holding (not found after its time).",
        ),
        "publishing.cancel_done": (
            "Đã hủy theo yêu cầu của {by}: nền tảng không có bài, sẽ không đăng.",
            "Cancelled as {by} asked: the platform does not have the post; it will not be sent.",
        ),
        "publishing.cancel_held": (
            "Nền tảng đang giữ bài hẹn giờ dù {by} đã yêu cầu hủy: hãy xóa bài hẹn giờ trên nền tảng.",
            "The platform holds the scheduled post although {by} asked to cancel it: delete it there.",
        ),
        "publishing.cancel_too_late": (
            "ĐÃ LÊN nền tảng dù {by} đã yêu cầu hủy: {link} (gỡ bài trên nền tảng nếu không muốn giữ).",
            "LIVE on the platform although {by} asked to cancel it: {link} (remove it there if it must go).",
        ),
    }
)

#: look a handed-off post up this long after its time
VERIFY_DELAY = timedelta(minutes=2)
#: first look-up of an unconfirmed post after at most this (doubling after, capped at retry_max_seconds)
RECONCILE_FIRST = 10.0

# the outcomes (values of publisher.platforms.base.Outcome)
PUBLISHED, HANDED_OFF, PENDING = "published", "handed_off", "pending"
RATE_LIMITED, AUTH_EXPIRED, REJECTED = "rate_limited", "auth_expired", "rejected"
TRANSIENT, ABSENT = "transient", "absent"
#: answers after which the delivery may be sent again later (nothing was created)
RETRYABLE = (RATE_LIMITED, TRANSIENT, ABSENT)

Values = dict[str, Any]


class Answer(Protocol):
    """What the decision tables read of a platform's answer."""

    @property
    def outcome(self) -> str: ...
    @property
    def remote_id(self) -> str | None: ...
    @property
    def url(self) -> str | None: ...
    @property
    def resume_state(self) -> dict[str, Any] | None: ...
    @property
    def retry_after(self) -> float | None: ...
    @property
    def poll_after(self) -> float | None: ...
    @property
    def postpone_until(self) -> datetime | None: ...


def backoff(attempt: int, base: float, cap: float, rng: Callable[[], float] = random.random) -> float:
    """Seconds before try ``attempt + 1``: ``base·2^(attempt-1)`` capped, "equal jitter" (½..1×)."""
    raw = min(cap, base * (2 ** max(0, attempt - 1)))
    return raw / 2 + rng() * raw / 2


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait and how often to try (from the settings)."""

    base: float
    cap: float
    max_attempts: int
    rng: Callable[[], float] = field(default=random.random)

    def first_look(self) -> float:
        return min(RECONCILE_FIRST, self.base)

    def wait(self, attempts: int, retry_after: float | None) -> float:
        return max(backoff(attempts, self.base, self.cap, self.rng), retry_after or 0.0)

    def next_attempt(self, attempts: int, answer: Answer, now: datetime) -> datetime:
        """After the backoff (at least the platform's Retry-After); a postponement (a daily cap)
        is exactly its time, e.g. the next quota day, not a backoff added to it."""
        if answer.postpone_until is not None:
            return max(now, answer.postpone_until)
        return now + timedelta(seconds=self.wait(attempts, answer.retry_after))

    def look_again(self, tries: int, now: datetime) -> datetime:
        """When to look up an unconfirmed delivery again after ``tries`` look-ups."""
        return now + timedelta(seconds=backoff(tries + 1, self.first_look(), self.cap, self.rng))


def _landed(values: Values, remote_id: str | None, url: str | None, **more: Any) -> Values:
    """The columns of a post the platform has (published, or held by its scheduler)."""
    return {
        **values,
        "remote_id": remote_id,
        "remote_url": url,
        "last_code": None,
        "last_reason": None,
        **more,
    }


def after_attempt(
    answer: Answer,
    *,
    kind: str,
    attempts: int,
    due_at: datetime,
    resume_state: dict[str, Any] | None,
    code: str | None,
    reason: str | None,
    policy: RetryPolicy,
    now: datetime,
) -> tuple[State, Values]:
    """A send (``kind="publish"``) or a poll from ``publishing`` answered: next state and columns.

    ``resume_state`` is what the checkpoints of this call committed (else the delivery's).
    """
    values: Values = {"last_code": code, "last_reason": reason, "lease_until": None}
    oc = answer.outcome
    if oc == PUBLISHED:
        dst = State.PUBLISHED
        values = _landed(values, answer.remote_id, answer.url, published_at=now, next_attempt_at=None)
    elif oc == HANDED_OFF:
        dst = State.HANDED_OFF
        values = _landed(
            values, answer.remote_id, answer.url, next_attempt_at=max(now, due_at + VERIFY_DELAY)
        )
    elif oc == PENDING:
        dst = State.PUBLISHING
        values.update(
            resume_state={**(resume_state or {}), **(answer.resume_state or {})},
            next_attempt_at=now + timedelta(seconds=answer.poll_after or 10.0),
            last_code=None,
            last_reason=None,
        )
    elif oc == AUTH_EXPIRED:
        dst = State.NEEDS_REAUTH
    elif oc == REJECTED:
        dst = State.FAILED
    elif oc in RETRYABLE:
        if kind == "poll" and resume_state:
            # A slow publish we already started: keep it and ask again, never restart it.
            dst = State.PUBLISHING
            values.update(next_attempt_at=policy.next_attempt(attempts, answer, now))
        elif attempts >= policy.max_attempts:
            dst = State.FAILED
            values.update(
                last_code=code or "retry_limit",
                last_reason=t("publishing.retry_limit", n=attempts, reason=reason or code),
            )
        else:
            dst = State.RETRY_WAIT
            values.update(next_attempt_at=policy.next_attempt(attempts, answer, now))
    else:  # UNKNOWN_OUTCOME
        dst = State.UNCONFIRMED
        values.update(next_attempt_at=now + timedelta(seconds=policy.first_look()))
    values["claimed_by"] = None  # a pending publish is handed back to the dispatcher too
    return dst, values


@dataclass(frozen=True)
class Doubt:
    """The delivery a look-up is about, as it stands."""

    state: State
    attempts: int
    deadline: datetime
    due_at: datetime
    remote_id: str | None
    remote_url: str | None
    resume_state: dict[str, Any] | None
    last_code: str | None
    last_reason: str | None


def after_reconcile(
    answer: Answer,
    d: Doubt,
    *,
    code: str | None,
    reason: str | None,
    policy: RetryPolicy,
    again: datetime,
    now: datetime,
) -> tuple[State, Values]:
    """A look-up of an ``unconfirmed`` or ``handed_off`` delivery answered: next state and columns.

    ``again`` is when to look once more if the answer settles nothing.
    """
    values: Values = {"last_code": code, "last_reason": reason}
    oc, state = answer.outcome, d.state
    dst: State
    if oc == PUBLISHED:
        dst = State.PUBLISHED
        rid, url = answer.remote_id or d.remote_id, answer.url or d.remote_url
        values = _landed(values, rid, url, published_at=now, next_attempt_at=None)
    elif oc == HANDED_OFF and state is State.HANDED_OFF and now > d.deadline:
        dst = State.FAILED
        values.update(
            next_attempt_at=None,
            last_code="handoff_not_published",
            last_reason=t("publishing.handoff_absent"),
        )
    elif oc == HANDED_OFF:
        dst = State.HANDED_OFF
        due_check = d.due_at + VERIFY_DELAY
        rid, url = answer.remote_id or d.remote_id, answer.url or d.remote_url
        values = _landed(values, rid, url, next_attempt_at=due_check if now < due_check else again)
    elif oc == ABSENT and state is State.HANDED_OFF:
        dst = State.FAILED
        values.update(
            next_attempt_at=None, last_code="handoff_absent", last_reason=t("publishing.handoff_absent")
        )
    elif oc == ABSENT:
        # Certainly not on the platform: a new send is safe (fresh, without old ids).
        if d.attempts >= policy.max_attempts:
            dst = State.FAILED
            values.update(
                next_attempt_at=None,
                last_code=d.last_code or "retry_limit",
                last_reason=t("publishing.retry_limit", n=d.attempts, reason=d.last_reason or d.last_code),
            )
        elif now > d.deadline:
            dst = State.MISSED
            values.update(next_attempt_at=None, last_code="missed")
        else:
            dst = State.RETRY_WAIT
            values.update(
                resume_state=None,
                remote_id=None,
                remote_url=None,
                next_attempt_at=policy.next_attempt(d.attempts, answer, now),
                last_code=d.last_code,
                last_reason=d.last_reason,
            )
    elif oc == PENDING and state is State.UNCONFIRMED:
        # An upload we started can go on from where it stopped: the adapter continues from resume_state.
        dst = State.RETRY_WAIT
        values.update(
            resume_state={**(d.resume_state or {}), **(answer.resume_state or {})}, next_attempt_at=now
        )
    else:
        # unknown, transient, rate-limited, auth (keep doubting; never send while in doubt)
        dst = state
        values.update(next_attempt_at=max(again, now + timedelta(seconds=answer.retry_after or 0)))
    return dst, values


def settle_cancel(
    src: State, dst: State, values: Values, requester: str | None, outcome: str
) -> tuple[State, Values, tuple[str, str] | None]:
    """What a look-up's answer means for a delivery an officer asked to cancel while in doubt.

    Provably not on the platform (or only an unfinished upload) → ``cancelled``, never sent again,
    whatever the answer would otherwise have led to (a new send). On the platform → ``published``
    all the same, and the officer is told it is live (reason, audit); held by the platform's
    scheduler → told to delete it there. The request stays on the row as the record of it, except
    on ``cancelled``. Still unknown → the delivery stays in doubt, request kept. The third value
    is the audit entry to add (actor, action), if any.
    """
    who = requester or "?"
    if dst is State.PUBLISHED:
        link = values.get("remote_url") or values.get("remote_id") or ""
        told = t("publishing.cancel_too_late", by=who, link=link)
        return (
            dst,
            {**values, "last_code": "cancel_too_late", "last_reason": told},
            ("worker", "cancel_too_late"),
        )
    if dst is State.HANDED_OFF:
        told = t("publishing.cancel_held", by=who)
        return dst, {**values, "last_code": "cancel_held", "last_reason": told}, None
    if dst is not src and outcome in (ABSENT, PENDING):
        values = {
            **values,
            "resume_state": None,
            "remote_id": None,
            "remote_url": None,
            "next_attempt_at": None,
            "lease_until": None,
            "last_code": "cancelled",
            "last_reason": t("publishing.cancel_done", by=who),
            "cancel_requested_at": None,
            "cancel_requested_by": None,
        }
        return State.CANCELLED, values, (who, "cancelled")
    return dst, values, None


__all__ = [
    "RECONCILE_FIRST",
    "VERIFY_DELAY",
    "Answer",
    "Doubt",
    "RetryPolicy",
    "after_attempt",
    "after_reconcile",
    "backoff",
    "settle_cancel",
]
