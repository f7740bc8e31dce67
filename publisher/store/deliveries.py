"""Delivery actions: find deliveries by reference, move them, cancel, retry, and progress.

Every change that moves a delivery checks the move against ``publisher.core.states`` and is made
with a conditional UPDATE (``WHERE state = :expected``), so two processes can never both move the
same delivery.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, select, update

from publisher.core.models import Target
from publisher.core.people import REQUIRE_APPROVAL
from publisher.core.states import CANCEL_BY_REQUEST, PLATFORM_HOLDS, TRANSITIONS, State, check_transition
from publisher.errors import NotFound, UserError
from publisher.i18n import msg, register
from publisher.store import schema as s
from publisher.store.audit import Repository, utcnow
from publisher.store.office import policy_in

register(
    {
        "store.no_post": (
            "Không tìm thấy bài hoặc lượt đăng “{ref}”. Xem danh sách bằng “publisher list”.",
            "No post or delivery “{ref}”. See “publisher list”.",
        ),
        "store.retry_draft": (
            "Không đăng lại: bài {keys} đang là bản nháp (draft: true trong tệp lịch). Muốn đăng thì bỏ "
            "dòng draft, xếp lịch lại (publisher queue) rồi nhờ người duyệt duyệt.",
            "Not retried: {keys} is a draft (draft: true in its schedule). To publish it, remove the draft "
            "line, queue it again (publisher queue) and have it approved.",
        ),
        "store.bad_ref": (
            "“{ref}” không hợp lệ: dùng mã bài, mã bài:nền-tảng/tài-khoản, hoặc số lượt đăng.",
            "“{ref}” is not valid: use a post id, post-id:platform/account, or a delivery number.",
        ),
    }
)

MAX_ID = 2**31 - 1  # the largest id an Integer primary key holds on PostgreSQL


@dataclass
class ActionReport:
    done: list[tuple[str, str]] = field(default_factory=list)  # ref, detail
    skipped: list[tuple[str, str]] = field(default_factory=list)
    pending: list[tuple[str, str]] = field(default_factory=list)  # requested, not settled yet (cancel)


#: what ``publisher retry`` sends again
RETRYABLE = frozenset({State.FAILED, State.MISSED, State.CANCELLED, State.RETRY_WAIT, State.NEEDS_REAUTH})


@dataclass(frozen=True)
class RetryHold:
    """A retried delivery the platform itself holds: it goes out by itself at ``until``."""

    ref: str
    platform: str
    until: datetime
    deadline: datetime  # its grace window; ``until`` after it means it will be marked missed
    reason: str | None  # the platform's answer that set the hold, as recorded


@dataclass
class RetryReport(ActionReport):
    """``done``: will be sent now (or awaits approval again); the rest say why not now."""

    held: list[RetryHold] = field(default_factory=list)
    reauth: list[tuple[str, str, str | None]] = field(default_factory=list)  # ref, account, remote id
    disabled: list[tuple[str, str]] = field(default_factory=list)  # ref, account


def move_in(conn: Connection, delivery_id: int, src: State, dst: State, now: datetime, **values: Any) -> bool:
    """Move one delivery from ``src`` to ``dst`` in ``conn``; False if it is no longer in ``src``."""
    check_transition(src, dst, what=f"#{delivery_id}")
    res = conn.execute(
        update(s.deliveries)
        .where(s.deliveries.c.id == delivery_id, s.deliveries.c.state == src.value)
        .values(state=dst.value, updated_at=now, **values)
    )
    return bool(res.rowcount)


def resolve(conn: Connection, ref: str) -> list[Row[Any]]:
    """A post key, ``key:platform/account``, or ``#id``/``id`` of a delivery → delivery rows.

    A bare number is a post id when a post has that id (post ids may be all digits), else a
    delivery id; ``#id`` is always a delivery."""
    q = (
        select(
            s.deliveries,
            s.posts.c.key,
            s.posts.c.queued_by,
            s.posts.c.draft,
            s.posts.c.content_hash,
            s.posts.c.approved_hash,
            s.accounts.c.platform,
            s.accounts.c.name,
        )
        .join(s.posts, s.posts.c.id == s.deliveries.c.post_id)
        .join(s.accounts, s.accounts.c.id == s.deliveries.c.account_id)
    )
    ref = ref.strip()
    rows: list[Row[Any]]
    by_key = (
        [] if ":" in ref else list(conn.execute(q.where(s.posts.c.key == ref).order_by(s.deliveries.c.id)))
    )
    if by_key and not ref.startswith("#"):
        # a post id made of digits ("2026") names that post; "#2026" always names a delivery
        rows = by_key
    elif ref.lstrip("#").isascii() and ref.lstrip("#").isdigit():  # not "²", whose int() fails
        digits = ref.lstrip("#")
        # ids are 32-bit integers on PostgreSQL: a larger number names nothing, on both databases
        # (and int() refuses more than 4300 digits)
        number = int(digits) if len(digits) <= len(str(MAX_ID)) else MAX_ID + 1
        rows = list(conn.execute(q.where(s.deliveries.c.id == number))) if number <= MAX_ID else []
    elif ":" in ref:
        key, _, tgt = ref.partition(":")
        try:
            target = Target.parse(tgt)
        except ValueError:
            raise UserError(msg("store.bad_ref", ref=ref)) from None
        rows = list(
            conn.execute(
                q.where(
                    s.posts.c.key == key,
                    s.accounts.c.platform == target.platform.value,
                    s.accounts.c.name == target.name,
                )
            )
        )
    else:
        rows = by_key
    if not rows:
        raise NotFound(msg("store.no_post", ref=ref))
    return rows


def hold_reason(conn: Connection, platform: str) -> str | None:
    """What the platform last answered when it asked us to wait (the latest rate-limited attempt)."""
    A, D = s.attempts, s.deliveries
    return conn.execute(
        select(A.c.reason)
        .join(D, D.c.id == A.c.delivery_id)
        .join(s.accounts, s.accounts.c.id == D.c.account_id)
        .where(A.c.outcome == "rate_limited", s.accounts.c.platform == platform)
        .order_by(A.c.finished_at.desc(), A.c.id.desc())
        .limit(1)
    ).scalar()


class DeliveriesRepo(Repository):
    """Deliveries as the officer acts on them: move, cancel, retry; progress of their media."""

    _move = staticmethod(move_in)
    resolve = staticmethod(resolve)
    _hold_reason = staticmethod(hold_reason)

    def move(self, delivery_id: int, src: State, dst: State, actor: str = "system", **values: Any) -> bool:
        """Move one delivery if it is still in ``src``; False if someone else moved it first."""
        with self.db.write() as conn:
            ok = self._move(conn, delivery_id, src, dst, utcnow(), **values)
            if ok:
                self.audit(conn, actor, f"state_{dst.value}", None, delivery_id, source=src.value)
            return ok

    def cancel(self, refs: Sequence[str], actor: str) -> ActionReport:
        """Cancel what has not been sent. What may already be on the platform (``unconfirmed``) gets
        a cancel *request* (``report.pending``): the next look-up makes it ``cancelled`` if the
        platform does not have it, or ``published`` (and says so) if it does."""
        report = ActionReport()
        now = utcnow()
        D = s.deliveries
        with self.db.write() as conn:
            for ref in refs:
                for r in resolve(conn, ref):
                    label = f"{r.key}:{r.platform}/{r.name}"
                    st, requested = State(r.state), r.cancel_requested_at is not None
                    for _ in range(3):  # a worker may move it meanwhile: look again
                        if st == State.CANCELLED:
                            break
                        if st in CANCEL_BY_REQUEST:
                            res = conn.execute(
                                update(D)
                                .where(
                                    D.c.id == r.id, D.c.state == st.value, D.c.cancel_requested_at.is_(None)
                                )
                                .values(
                                    cancel_requested_at=now,
                                    cancel_requested_by=actor,
                                    next_attempt_at=now,
                                    updated_at=now,
                                )
                            )
                            if res.rowcount:
                                self.audit(conn, actor, "cancel_requested", r.post_id, r.id, source=st.value)
                            if res.rowcount or requested:
                                report.pending.append((label, st.value))
                                break
                        elif State.CANCELLED in TRANSITIONS[st] and st not in PLATFORM_HOLDS:
                            if move_in(
                                conn,
                                r.id,
                                st,
                                State.CANCELLED,
                                now,
                                lease_until=None,
                                state_before_pause=None,
                            ):
                                self.audit(conn, actor, "cancelled", r.post_id, r.id)
                                report.done.append((label, st.value))
                                break
                        else:
                            report.skipped.append((label, st.value))
                            break
                        now_row = conn.execute(
                            select(D.c.state, D.c.cancel_requested_at).where(D.c.id == r.id)
                        ).one()
                        st, requested = State(now_row.state), now_row.cancel_requested_at is not None
                    else:
                        report.skipped.append((label, st.value))
        return report

    def retry(
        self,
        refs: Sequence[str],
        actor: str,
        now: datetime | None = None,
        release: Callable[[Target, int], float] | None = None,
    ) -> RetryReport:
        """Send again what failed, was missed, or waits: now, within a fresh grace window.

        Nothing is pretended. A delivery whose account must be re-authorised (or was removed) is
        left as it is and reported with what has to happen first. ``release`` (the limiter's
        :meth:`publisher.ratelimit.Limiter.release`) lifts our own pacing for the retried sends;
        when the platform itself asked us to wait it answers how long, and the delivery is set to
        go at that moment and reported as held, not as going now.
        """
        report = RetryReport()
        now = now or utcnow()
        with self.db.read() as conn:
            found = [r for ref in refs for r in resolve(conn, ref)]
            drafts = sorted({str(r.key) for r in found if r.draft})
            if drafts:  # held back on purpose: only removing `draft` (and approving) sends it
                raise UserError(msg("store.retry_draft", keys=", ".join(drafts)))
            require = policy_in(conn, REQUIRE_APPROVAL)
            status = {
                int(a.id): a.status
                for a in conn.execute(
                    select(s.accounts.c.id, s.accounts.c.status).where(
                        s.accounts.c.id.in_({int(r.account_id) for r in found})
                    )
                )
            }
        sends: dict[Target, int] = {}
        for r in found:
            usable = status.get(int(r.account_id)) not in ("needs_reauth", "disabled")
            approved = (not require) or r.approved_hash == r.content_hash
            if State(r.state) in RETRYABLE and usable and approved:
                target = Target.parse(f"{r.platform}/{r.name}")
                sends[target] = sends.get(target, 0) + 1
        # the limiter keeps its own storage (Redis, or its table): asked outside our transaction
        holds = {target: release(target, n) for target, n in sends.items()} if release else {}
        with self.db.write() as conn:
            require = policy_in(conn, REQUIRE_APPROVAL)
            for ref in refs:
                for r in resolve(conn, ref):
                    st = State(r.state)
                    label = f"{r.key}:{r.platform}/{r.name}"
                    account = f"{r.platform}/{r.name}"
                    if st not in RETRYABLE:
                        report.skipped.append((label, st.value))
                        continue
                    if r.draft:  # made a draft since the check above
                        report.skipped.append((label, State.DRAFT.value))
                        continue
                    acct = conn.execute(
                        select(s.accounts.c.status, s.accounts.c.remote_id).where(
                            s.accounts.c.id == r.account_id
                        )
                    ).one()
                    if acct.status == "needs_reauth":  # it would only come back here: say what to do first
                        report.reauth.append((label, account, acct.remote_id))
                        continue
                    if acct.status == "disabled":
                        report.disabled.append((label, account))
                        continue
                    approved = (not require) or (r.approved_hash == r.content_hash)
                    hold = holds.get(Target.parse(account), 0.0)
                    go = now + timedelta(seconds=hold)
                    if st in (State.FAILED, State.MISSED, State.CANCELLED):
                        dst = State.SCHEDULED if approved else State.AWAITING_APPROVAL
                        grace = conn.execute(
                            select(s.posts.c.grace_seconds).where(s.posts.c.id == r.post_id)
                        ).scalar_one()
                        deadline = now + timedelta(seconds=grace)
                        move_in(
                            conn,
                            r.id,
                            st,
                            dst,
                            now,
                            due_at=now,
                            deadline=deadline,
                            attempts=0,
                            next_attempt_at=None,
                            last_code=None,
                            last_reason=None,
                        )
                    else:  # retry_wait, or needs_reauth on an account that was reconnected
                        dst = State.RETRY_WAIT
                        deadline = r.deadline
                        if st == State.RETRY_WAIT:
                            conn.execute(
                                update(s.deliveries)
                                .where(s.deliveries.c.id == r.id, s.deliveries.c.state == st.value)
                                .values(next_attempt_at=go, updated_at=now)
                            )
                        else:
                            move_in(conn, r.id, st, dst, now, next_attempt_at=go)
                    held = hold > 0 and dst is not State.AWAITING_APPROVAL
                    self.audit(
                        conn,
                        actor,
                        "retry",
                        r.post_id,
                        r.id,
                        source=st.value,
                        target_state=dst.value,
                        **({"held_until": go.isoformat()} if held else {}),
                    )
                    if held:
                        report.held.append(
                            RetryHold(
                                label, str(r.platform), go, deadline, hold_reason(conn, str(r.platform))
                            )
                        )
                    else:
                        report.done.append((label, dst.value))
        return report

    def set_progress(self, delivery_id: int, percent: int | None) -> None:
        with self.db.write() as conn:
            conn.execute(
                update(s.deliveries).where(s.deliveries.c.id == delivery_id).values(progress=percent)
            )

    def record_media(
        self, delivery_id: int, media: dict[str, Any] | None, state: str, reason: str | None
    ) -> None:
        """The outcome of media preparation; a failure keeps its reason for the officer."""
        values: dict[str, Any] = dict(
            media=media, media_state=state, progress=100 if state == "ready" else None
        )
        if reason:
            values.update(last_code="media", last_reason=reason)
        with self.db.write() as conn:
            conn.execute(update(s.deliveries).where(s.deliveries.c.id == delivery_id).values(**values))
            self.audit(conn, "system", f"media_{state}", None, delivery_id, reason=reason)
