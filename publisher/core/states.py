"""The life of a delivery (one post on one account), as one table.

Every move a delivery makes goes through :func:`check_transition`; any pair not in
``TRANSITIONS`` is refused with :class:`IllegalTransition`. The database stores only these states
(a CHECK constraint is generated from ``State``).

Main line::

    draft → awaiting_approval → scheduled → claimed → publishing → published

Side states:
- ``unconfirmed``: the platform may or may not have the post (timeout after sending, worker died
  while ``publishing``). It must be reconciled with the platform before any retry.
- ``retry_wait``: a retry is due at ``next_attempt_at``; it is safe because nothing was created.
- ``handed_off``: the platform holds the post and will publish it itself at its time (Facebook
  ``scheduled_publish_time``, YouTube ``publishAt``); verified after that time.
- ``failed`` (permanent, with the reason), ``needs_reauth``, ``missed`` (too late to be useful),
  ``cancelled``, ``paused`` (held by an emergency pause; the state before is kept).

Cancelling what may already be on the platform (``unconfirmed``) records a request on the delivery
(``cancel_requested_at/by``); the next look-up settles it: absent → ``cancelled``, present →
``published`` (and the officer is told). See :data:`CANCEL_BY_REQUEST`.
"""

from __future__ import annotations

from enum import StrEnum

from publisher.errors import IllegalTransition
from publisher.i18n import msg, register, t


class State(StrEnum):
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    SCHEDULED = "scheduled"
    CLAIMED = "claimed"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    HANDED_OFF = "handed_off"
    UNCONFIRMED = "unconfirmed"
    RETRY_WAIT = "retry_wait"
    FAILED = "failed"
    NEEDS_REAUTH = "needs_reauth"
    MISSED = "missed"
    CANCELLED = "cancelled"
    PAUSED = "paused"


S = State

TRANSITIONS: dict[State, frozenset[State]] = {
    S.DRAFT: frozenset({S.AWAITING_APPROVAL, S.SCHEDULED, S.CANCELLED, S.MISSED}),
    S.AWAITING_APPROVAL: frozenset({S.SCHEDULED, S.DRAFT, S.CANCELLED, S.PAUSED, S.MISSED}),
    S.SCHEDULED: frozenset({S.CLAIMED, S.AWAITING_APPROVAL, S.DRAFT, S.CANCELLED, S.PAUSED, S.MISSED}),
    # claimed: a worker holds a lease but has sent nothing yet, so a release is always safe
    S.CLAIMED: frozenset(
        {
            S.PUBLISHING,
            S.SCHEDULED,
            S.RETRY_WAIT,
            S.PAUSED,
            S.MISSED,
            S.CANCELLED,
            S.FAILED,
            S.NEEDS_REAUTH,
            S.AWAITING_APPROVAL,
            S.DRAFT,
        }
    ),
    # publishing: something may have been sent; only the outcome (or ignorance of it) moves it on
    S.PUBLISHING: frozenset(
        {S.PUBLISHED, S.HANDED_OFF, S.UNCONFIRMED, S.RETRY_WAIT, S.FAILED, S.NEEDS_REAUTH}
    ),
    # handed_off/unconfirmed → cancelled: only when a look-up proves the platform does not have the
    # post and an officer asked to cancel it (never a direct cancel: the post may be live)
    S.HANDED_OFF: frozenset({S.PUBLISHED, S.UNCONFIRMED, S.FAILED, S.CANCELLED}),
    S.UNCONFIRMED: frozenset(
        {S.PUBLISHED, S.HANDED_OFF, S.RETRY_WAIT, S.FAILED, S.NEEDS_REAUTH, S.MISSED, S.CANCELLED}
    ),
    # nothing was created for these, so an edit may send them back for approval
    S.RETRY_WAIT: frozenset(
        {
            S.CLAIMED,
            S.FAILED,
            S.CANCELLED,
            S.PAUSED,
            S.MISSED,
            S.NEEDS_REAUTH,
            S.AWAITING_APPROVAL,
            S.SCHEDULED,
            S.DRAFT,
        }
    ),
    S.NEEDS_REAUTH: frozenset(
        {S.RETRY_WAIT, S.SCHEDULED, S.CANCELLED, S.MISSED, S.FAILED, S.PAUSED, S.AWAITING_APPROVAL, S.DRAFT}
    ),
    S.FAILED: frozenset({S.RETRY_WAIT, S.SCHEDULED, S.AWAITING_APPROVAL, S.DRAFT, S.CANCELLED}),
    S.MISSED: frozenset({S.SCHEDULED, S.AWAITING_APPROVAL, S.DRAFT, S.CANCELLED}),
    S.PAUSED: frozenset(
        {S.AWAITING_APPROVAL, S.SCHEDULED, S.RETRY_WAIT, S.NEEDS_REAUTH, S.DRAFT, S.MISSED, S.CANCELLED}
    ),
    S.CANCELLED: frozenset({S.DRAFT, S.AWAITING_APPROVAL, S.SCHEDULED}),
    S.PUBLISHED: frozenset(),
}

#: Nothing has been sent for these; the content may still change.
NOT_STARTED: frozenset[State] = frozenset(
    {S.DRAFT, S.AWAITING_APPROVAL, S.SCHEDULED, S.RETRY_WAIT, S.FAILED, S.MISSED, S.PAUSED, S.NEEDS_REAUTH}
)
#: A worker or the platform holds these right now.
IN_FLIGHT: frozenset[State] = frozenset({S.CLAIMED, S.PUBLISHING, S.UNCONFIRMED, S.HANDED_OFF})
#: An emergency pause holds these.
PAUSABLE: frozenset[State] = frozenset({S.AWAITING_APPROVAL, S.SCHEDULED, S.RETRY_WAIT, S.NEEDS_REAUTH})
#: A cancel of these is only a request, settled by a look-up on the platform (it may be live).
CANCEL_BY_REQUEST: frozenset[State] = frozenset({S.UNCONFIRMED})
#: The platform's own scheduler holds these: only a look-up that proves the post gone cancels them,
#: never an officer's command here (the post would still go out on the platform).
PLATFORM_HOLDS: frozenset[State] = frozenset({S.HANDED_OFF})
#: Nothing more will happen to these without an officer's command.
FINAL: frozenset[State] = frozenset({S.PUBLISHED, S.FAILED, S.MISSED, S.CANCELLED})

register(
    {
        "state.illegal": (
            "Không thể chuyển trạng thái {what} từ “{src}” sang “{dst}”.",
            "Cannot move {what} from “{src}” to “{dst}”.",
        ),
        "state.draft": ("bản nháp", "draft"),
        "state.awaiting_approval": ("chờ duyệt", "awaiting approval"),
        "state.scheduled": ("đã lên lịch", "scheduled"),
        "state.claimed": ("đang nhận xử lý", "claimed"),
        "state.publishing": ("đang đăng", "publishing"),
        "state.published": ("đã đăng", "published"),
        "state.handed_off": ("đã giao nền tảng hẹn giờ", "handed to the platform's scheduler"),
        "state.unconfirmed": ("chưa xác nhận, đang đối soát", "unconfirmed, reconciling"),
        "state.retry_wait": ("chờ thử lại", "waiting to retry"),
        "state.failed": ("thất bại", "failed"),
        "state.needs_reauth": ("cần đăng nhập lại tài khoản", "account needs re-authorisation"),
        "state.missed": ("đã lỡ giờ", "missed"),
        "state.cancelled": ("đã hủy", "cancelled"),
        "state.paused": ("tạm dừng", "paused"),
    }
)


def can_transition(src: State | str, dst: State | str) -> bool:
    return State(dst) in TRANSITIONS[State(src)]


def check_transition(src: State | str, dst: State | str, what: str = "") -> State:
    """Return ``dst`` as a State, or raise :class:`IllegalTransition` naming both ends."""
    s, d = State(src), State(dst)
    if d not in TRANSITIONS[s]:
        raise IllegalTransition(
            msg("state.illegal", what=what or "delivery", src=label(s), dst=label(d)), src=s, dst=d
        )
    return d


def label(state: State | str) -> str:
    return t(f"state.{State(state).value}")
