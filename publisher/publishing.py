"""The life of one delivery inside a worker: send it once, write down what happened, resolve doubt.

The rules that make "exactly once" hold, each kept by one function below:

1. **Write before you send** (:meth:`Publisher._begin`). Before any call that may create something
   on a platform the delivery moves ``claimed → publishing`` with a conditional UPDATE and the
   attempt row (time, number, what is about to be sent, content hash) is inserted, in one
   committed transaction. Two workers holding the same message: only one wins the UPDATE.
2. **Commit identifiers at once** (:meth:`Publisher._checkpoint`). Whatever the platform hands
   back that names the post (post id, upload session, video id) is committed before the adapter
   goes on, and each checkpoint extends the lease.
3. **A live worker keeps its lease** (:class:`_Heartbeat`); a dead one loses it within
   ``lease_seconds``, and the dispatcher then turns ``publishing`` into ``unconfirmed``.
4. **Unknown outcome ⇒ reconcile, never blind retry** (:meth:`Publisher.reconcile`). A timeout
   after sending, a 5xx on a create call, an exception or a crash while ``publishing`` leads to
   ``unconfirmed``. Only the adapter's ``reconcile`` answering ``absent`` makes a new send legal.
5. **Retries are bounded** (:func:`backoff`): exponential with jitter, at least the platform's
   retry-after, at most ``max_attempts`` sends; rate limits are shared by all workers
   (:mod:`publisher.ratelimit`).

Native scheduling hand-off (Facebook ``scheduled_publish_time``, YouTube ``publishAt``): the
dispatcher claims a delivery of such a platform ``handoff.lead`` before its time (the window each
adapter declares, :func:`publisher.platforms.registry.handoff_platforms`); the adapter answers
``handed_off``; the delivery is verified by ``reconcile`` after its time.

Every outcome is one JSON log line on the ``publisher.attempts`` logger (never a token).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import random
import socket
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from publisher.core.models import Delivery, PostSpec, Target, text_hash
from publisher.core.people import REQUIRE_APPROVAL
from publisher.core.states import State, check_transition
from publisher.errors import ConfigError
from publisher.i18n import register, t
from publisher.platforms.base import (
    EARLY_TOLERANCE,
    Adapter,
    AuthExpired,
    Checkpoint,
    Credentials,
    Outcome,
    Result,
)
from publisher.platforms.http import TemporaryFailure, mask_text
from publisher.platforms.registry import adapter_factory, build_adapter, handoff_platforms
from publisher.platforms.tokens import cured_by_refresh, ensure_fresh
from publisher.ratelimit import Limiter
from publisher.settings import Settings
from publisher.store import schema as s
from publisher.store.counters import DbQuotaCounter
from publisher.store.repo import PAUSE_KEY, POLICY_PREFIX, Store

#: how long a delivery whose photos or clip are still being prepared waits before the next look
MEDIA_WAIT_SECONDS = 20

register(
    {
        "publishing.changed": (
            "Nội dung hoặc tệp ảnh/video đã thay đổi sau khi duyệt: cần duyệt lại trước khi đăng.",
            "The text or a photo/video file changed after approval: it must be approved again.",
        ),
        "publishing.draft": (
            "Bài đang là bản nháp (draft: true): không đăng. Bỏ dòng draft, xếp lịch lại rồi duyệt.",
            "The post is a draft (draft: true): not sent. Remove the draft line, queue it again, then approve.",
        ),
        "publishing.media_pending": (
            "Ảnh/video đang được chuẩn bị cho nền tảng; sẽ đăng ngay khi xong.",
            "Photos/video are being prepared for the platform; it goes out as soon as they are ready.",
        ),
        "publishing.retry_limit": (
            "Đã thử {n} lần không thành công; lần cuối: {reason}",
            "Gave up after {n} attempts; last: {reason}",
        ),
        "publishing.not_due": (
            "Chưa đến giờ đăng và nền tảng không nhận hẹn giờ: chờ đến giờ.",
            "Not due yet and the platform will not hold it: waiting for its time.",
        ),
        "publishing.local_rate": (
            "Đang giới hạn tốc độ gửi cho tài khoản này; thử lại lúc {until}.",
            "Sending to this account is rate-limited here; next try at {until}.",
        ),
        "publishing.account_reauth": (
            "Tài khoản cần đăng nhập lại trước khi đăng tiếp.",
            "The account must be re-authorised before anything else is posted.",
        ),
        "publishing.account_disabled": ("Tài khoản đã bị gỡ.", "The account was removed."),
        "publishing.crash": (
            "Lỗi khi đang đăng ({error}); chưa rõ bài đã lên hay chưa, đang đối soát.",
            "Error while publishing ({error}); not known whether the post landed, reconciling.",
        ),
        "publishing.lease_lost": (
            "Tiến trình đăng bài dừng giữa chừng; chưa rõ bài đã lên hay chưa, đang đối soát.",
            "The publishing process stopped midway; not known whether the post landed, reconciling.",
        ),
        "publishing.handoff_absent": (
            "Nền tảng không đăng bài đã hẹn giờ (không thấy bài sau giờ hẹn).",
            "The platform did not publish the post it was holding (not found after its time).",
        ),
        "publishing.internal": (
            "Lỗi ngoài dự kiến trước khi gửi ({error}); chưa gửi gì lên nền tảng. "
            "Xem nhật ký, khắc phục rồi dùng “publisher retry”.",
            "Unexpected error before sending ({error}); nothing was sent to the platform. "
            "See the log, fix the cause, then use “publisher retry”.",
        ),
        "publishing.config": ("Cấu hình tài khoản sai: {error}", "Account configuration error: {error}"),
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

log = logging.getLogger("publisher.attempts")

#: look a handed-off post up this long after its time
VERIFY_DELAY = timedelta(minutes=2)
#: first look-up of an unconfirmed post after at most this (doubling after, capped at retry_max_seconds)
RECONCILE_FIRST = 10.0
#: the dispatcher marks its claims ``dispatch:<name>``; a worker replaces that with its own id
DISPATCH_PREFIX = "dispatch:"


def backoff(attempt: int, base: float, cap: float, rng: Callable[[], float] = random.random) -> float:
    """Seconds before try ``attempt + 1``: ``base·2^(attempt-1)`` capped, "equal jitter" (½..1×)."""
    raw = min(cap, base * (2 ** max(0, attempt - 1)))
    return raw / 2 + rng() * raw / 2


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


AdapterFactory = Callable[[Settings, Target, Credentials], Adapter]


@dataclass(frozen=True)
class Step:
    """What one call of the publisher did, for the task's return value and the tests."""

    delivery_id: int
    action: str  # published, handed_off, pending, retry_wait, failed, needs_reauth, unconfirmed, skipped, ...
    state: State | None = None
    next_at: datetime | None = None


class _Heartbeat:
    """Extends the lease of a delivery in ``publishing`` while this worker is alive."""

    def __init__(self, publisher: Publisher, delivery_id: int) -> None:
        self.publisher = publisher
        self.delivery_id = delivery_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"lease-{delivery_id}", daemon=True)

    def _run(self) -> None:
        every = max(0.5, self.publisher.settings.lease_seconds / 3)
        while not self.stop.wait(every):
            try:
                self.publisher._extend_lease(self.delivery_id)
            except Exception:  # pragma: no cover - the next beat tries again
                log.debug("lease extension failed", exc_info=True)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


class Publisher:
    """Publishes and reconciles deliveries by id. One per worker process."""

    def __init__(
        self,
        store: Store,
        settings: Settings | None = None,
        *,
        adapters: AdapterFactory | None = None,
        limiter: Limiter | None = None,
        worker: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self.settings = settings or store.settings
        #: how adapters are built; by default the registry's, spending YouTube quota from the
        #: database's shared counter (every worker process and ``publisher run --once``)
        self.adapters = adapters or adapter_factory(quota=DbQuotaCounter(store.db))
        self.limiter = limiter
        self.worker = worker or worker_name()
        self.clock = clock
        self.rng = rng
        self.db = store.db
        #: what the checkpoints of the call in progress committed, per delivery
        self._resume: dict[int, dict[str, Any]] = {}

    # == publish ==================================================================================
    def publish(self, delivery_id: int) -> Step:
        """Send a claimed delivery, or continue a pending one the dispatcher handed us."""
        row = self._row(delivery_id)
        if row is None:
            return Step(delivery_id, "gone")
        state = State(row.state)
        now = self.clock()
        try:
            if state is State.CLAIMED:
                return self._send(row)
            if (
                state is State.PUBLISHING
                and (row.claimed_by or "").startswith(DISPATCH_PREFIX)
                and row.lease_until is not None
                and row.lease_until > now
            ):
                return self._continue(row)
        except Exception as exc:
            return self._unexpected(row, exc)
        return Step(delivery_id, "skipped", state)  # a duplicate message, or someone else has it

    def _send(self, row: Row[Any]) -> Step:
        did = int(row.id)
        now = self.clock()
        if row.paused:
            return self._release(row, State.PAUSED, state_before_pause=State.SCHEDULED.value)
        if row.deadline < now:
            return self._release(row, State.MISSED, last_code="missed")
        if row.account_status == "needs_reauth":
            return self._release(
                row, State.NEEDS_REAUTH, last_code="auth", last_reason=t("publishing.account_reauth")
            )
        if row.account_status == "disabled":
            return self._release(
                row, State.FAILED, last_code="account_disabled", last_reason=t("publishing.account_disabled")
            )
        delivery, spec = self.store.delivery_with_spec(did)
        assert spec is not None
        held = self._guard(row, delivery, spec)
        if held is not None:
            return held
        if delivery.due_at - now > EARLY_TOLERANCE and not self.may_hand_off(delivery):
            return self._release(
                row,
                State.RETRY_WAIT,
                next_attempt_at=delivery.due_at,  # never earlier than its time
                last_code="not_due",
                last_reason=t("publishing.not_due"),
            )
        if self.limiter is not None:
            wait = self.limiter.acquire(delivery.target)
            if wait > 0:
                return self._release(
                    row,
                    State.RETRY_WAIT,
                    next_attempt_at=now + timedelta(seconds=wait),
                    last_code="local_rate_limit",
                    last_reason=t("publishing.local_rate", until=now + timedelta(seconds=wait)),
                )
        try:
            adapter = self._adapter(row, delivery)
        except AuthExpired as exc:
            self.store.set_account_status(int(row.account_id), "needs_reauth", str(exc))
            return self._release(row, State.NEEDS_REAUTH, last_code="auth", last_reason=str(exc))
        except TemporaryFailure as exc:  # the token endpoint is down: nothing was sent, try again later
            return self._release(
                row,
                State.RETRY_WAIT,
                next_attempt_at=now + timedelta(seconds=self._wait(int(row.attempts) + 1, Result.transient())),
                last_code="refresh_unavailable",
                last_reason=str(exc),
            )
        except (ConfigError, ValueError, KeyError, TypeError) as exc:
            return self._release(
                row, State.FAILED, last_code="config", last_reason=t("publishing.config", error=exc)
            )
        attempt = self._begin(row, delivery)
        if attempt is None:
            return Step(did, "skipped", None)
        delivery = dataclasses.replace(delivery, state=State.PUBLISHING, attempts=int(row.attempts) + 1)
        return self._run(adapter, delivery, attempt, "publish")

    def _guard(self, row: Row[Any], delivery: Delivery, spec: PostSpec) -> Step | None:
        """The last look before anything is sent: the approval still covers what would go out
        (text and the bytes of every photo and clip), the pre-publish review finds nothing that
        blocks, and the media are prepared for this platform."""
        from publisher.media_prep import needs_preparation
        from publisher.review import findings_for
        from publisher.store.repo import spec_hash

        if row.cancel_requested_at is not None:  # an officer asked to cancel it: never (re)send it
            return self._release(
                row,
                State.CANCELLED,
                last_code="cancelled",
                last_reason=t("publishing.cancel_done", by=row.cancel_requested_by or "?"),
                cancel_requested_at=None,
                cancel_requested_by=None,
            )
        if spec.draft:  # held back on purpose (`draft: true`), however it came to be due
            return self._release(row, State.DRAFT, last_code="draft", last_reason=t("publishing.draft"))
        # the office policy as stored (read with the row), never this process's environment
        if REQUIRE_APPROVAL.value_of(row.require_approval) and (
            row.approved_hash != row.content_hash or spec_hash(spec) != row.content_hash
        ):
            return self._release(
                row, State.AWAITING_APPROVAL, last_code="approval", last_reason=t("publishing.changed")
            )
        blocking = [f for f in findings_for(spec, self.settings) if f.blocks]
        if blocking:
            return self._release(
                row,
                State.AWAITING_APPROVAL,
                last_code="review",
                last_reason="; ".join(str(f) for f in blocking)[:1000],
            )
        if needs_preparation(delivery.target.platform, spec.images, spec.video):
            if row.media_state == "failed":
                return self._release(row, State.FAILED, last_code="media", last_reason=row.last_reason)
            if row.media_state != "ready" or (row.media or {}).get("hash") != row.content_hash:
                return self._release(
                    row,
                    State.RETRY_WAIT,
                    next_attempt_at=self.clock() + timedelta(seconds=MEDIA_WAIT_SECONDS),
                    last_code="media_pending",
                    last_reason=t("publishing.media_pending"),
                    progress=row.progress,
                )
        return None

    def _continue(self, row: Row[Any]) -> Step:
        """A pending publish (slow upload, video processing) whose poll time has come."""
        did = int(row.id)
        now = self.clock()
        with self.db.write() as conn:
            res = conn.execute(
                update(s.deliveries)
                .where(
                    s.deliveries.c.id == did,
                    s.deliveries.c.state == State.PUBLISHING.value,
                    s.deliveries.c.claimed_by == row.claimed_by,
                )
                .values(claimed_by=self.worker, lease_until=self._lease(now), updated_at=now)
            )
            if not res.rowcount:
                return Step(did, "skipped", None)
            attempt = self._attempt_row(conn, did, int(row.attempts), "poll", row.content_hash, None, now)
        delivery = self.store.delivery(did)
        try:
            adapter = self._adapter(row, delivery)
        except Exception as exc:  # cannot even build the adapter: let reconcile take over later
            return self._record(delivery, attempt, "poll", Result.unknown("config", str(exc)), now)
        return self._run(adapter, delivery, attempt, "poll")

    def _run(self, adapter: Adapter, delivery: Delivery, attempt: int, kind: str) -> Step:
        started = self.clock()
        with _Heartbeat(self, delivery.id):
            result = self._call(adapter, delivery, kind)
            if cured_by_refresh(adapter, result):
                result = self._refresh_and_retry(adapter, delivery, kind, result)
        return self._record(delivery, attempt, kind, result, started)

    def _call(self, adapter: Adapter, delivery: Delivery, kind: str) -> Result:
        try:
            if kind == "reconcile":
                return adapter.reconcile(delivery)
            if kind == "poll":
                return adapter.poll(
                    delivery, dict(delivery.resume_state or {}), self._checkpoint(delivery.id)
                )
            return adapter.publish(delivery, self._checkpoint(delivery.id))
        except Exception as exc:
            # Something may have been sent: never a blind retry.
            log.warning("adapter raised for delivery %s", delivery.id, exc_info=True)
            return Result.unknown(type(exc).__name__, t("publishing.crash", error=mask_text(str(exc))[:200]))

    def _refresh_and_retry(self, adapter: Adapter, delivery: Delivery, kind: str, refused: Result) -> Result:
        """The platform refused the access token before creating anything (the adapter says so
        through its ``refresh_codes``): one forced refresh, then the same call once more with a new
        adapter, resuming from what the checkpoints committed (a created Zalo article is verified,
        never created again). A second refusal, or a refused refresh, ends in ``needs_reauth``."""
        try:
            fresh = ensure_fresh(
                self.store,
                self._account_id(delivery.target),
                adapter,
                now=self.clock,
                force=True,
                rejected=adapter.credentials.access_token,
            )
        except AuthExpired as exc:
            return Result.auth_expired(refused.code, str(exc))
        except TemporaryFailure as exc:  # nothing was created: a later try is safe
            return Result.transient("refresh_unavailable", str(exc))
        except Exception as exc:
            log.warning("token refresh raised for delivery %s", delivery.id, exc_info=True)
            if isinstance(exc, ConfigError) and not self._resume.get(delivery.id, delivery.resume_state):
                return Result.rejected("config", t("publishing.config", error=exc))
            return Result.unknown(type(exc).__name__, t("publishing.crash", error=mask_text(str(exc))[:200]))
        self._log_line({"event": "token_refreshed", "delivery": delivery.id, "refused": refused.code})
        saved = self._resume.get(delivery.id)
        if saved is not None:
            delivery = dataclasses.replace(delivery, resume_state=saved)
        return self._call(self.adapters(self.settings, delivery.target, fresh), delivery, kind)

    def _unexpected(self, row: Row[Any], exc: Exception) -> Step:
        """An exception nobody expected in the publish path: the attempt still ends with a reason.

        Still ``claimed`` (nothing was sent): ``failed``, not claimed again every lease; a
        configuration error says what to set. The officer is alerted once (:func:`alerts.scan`) and
        ``publisher retry`` sends it again after the fix. Already ``publishing`` (a send may have
        happened): ``unconfirmed``, for reconciliation to settle, never a blind resend.
        """
        did = int(row.id)
        log.error("unexpected error publishing delivery %s", did, exc_info=exc)
        self._resume.pop(did, None)
        if isinstance(exc, ConfigError):
            code, reason = "config", t("publishing.config", error=exc)
        else:
            detail = f"{type(exc).__name__}: {mask_text(str(exc))[:200]}"
            code, reason = "internal_error", t("publishing.internal", error=detail)
        step = self._release(row, State.FAILED, last_code=code, last_reason=reason)
        if step.state is not None:
            return step
        now = self.clock()
        D = s.deliveries
        with self.db.write() as conn:
            moved = conn.execute(
                update(D)
                .where(D.c.id == did, D.c.state == State.PUBLISHING.value, D.c.claimed_by == self.worker)
                .values(
                    state=State.UNCONFIRMED.value,
                    claimed_by=None,
                    lease_until=None,
                    next_attempt_at=now + timedelta(seconds=self._first_look()),
                    last_code=type(exc).__name__,
                    last_reason=t("publishing.crash", error=mask_text(str(exc))[:200]),
                    updated_at=now,
                )
            ).rowcount
            if moved:
                Store.audit(conn, "worker", "state_unconfirmed", None, did, source=State.PUBLISHING.value)
        return Step(did, State.UNCONFIRMED.value, State.UNCONFIRMED) if moved else Step(did, "skipped", None)

    # -- the steps that write ------------------------------------------------------------------
    def _begin(self, row: Row[Any], delivery: Delivery) -> int | None:
        """``claimed → publishing`` and the attempt row, committed before anything is sent."""
        now = self.clock()
        check_transition(State.CLAIMED, State.PUBLISHING)
        number = int(row.attempts) + 1
        request = {
            "title": delivery.title,
            "text_hash": text_hash(delivery.text),
            "text_chars": len(delivery.text),
            "images": [p.name for p in delivery.images],
            "video": delivery.video.name if delivery.video else None,
            "link": delivery.link,
            "due_at": delivery.due_at.isoformat(),
            "early": delivery.due_at - now > EARLY_TOLERANCE,
            "resume_state": delivery.resume_state,
        }
        with self.db.write() as conn:
            res = conn.execute(
                update(s.deliveries)
                .where(s.deliveries.c.id == delivery.id, s.deliveries.c.state == State.CLAIMED.value)
                .values(
                    state=State.PUBLISHING.value,
                    attempts=number,
                    claimed_by=self.worker,
                    lease_until=self._lease(now),
                    next_attempt_at=None,
                    updated_at=now,
                )
            )
            if not res.rowcount:
                return None
            return self._attempt_row(
                conn, delivery.id, number, "publish", delivery.content_hash, request, now
            )

    def _attempt_row(
        self, conn: Connection, did: int, number: int, kind: str, chash: str, request: Any, now: datetime
    ) -> int:
        res = conn.execute(
            insert(s.attempts).values(
                delivery_id=did,
                number=number,
                kind=kind,
                started_at=now,
                content_hash=chash,
                request=request,
                worker=self.worker,
            )
        )
        return int(res.inserted_primary_key[0])  # type: ignore[index]

    def _checkpoint(self, did: int) -> Checkpoint:
        def checkpoint(data: dict[str, Any]) -> None:
            now = self.clock()
            with self.db.write() as conn:
                current = conn.execute(
                    select(
                        s.deliveries.c.resume_state, s.deliveries.c.state, s.deliveries.c.claimed_by
                    ).where(s.deliveries.c.id == did)
                ).first()
                if current is None:
                    return
                merged = {**(current.resume_state or {}), **data}
                self._resume[did] = merged
                values: dict[str, Any] = {"resume_state": merged, "updated_at": now}
                rid = next(
                    (
                        str(merged[k])
                        for k in ("post_id", "video_id", "remote_id", "article_id")
                        if merged.get(k)
                    ),
                    None,
                )
                if rid:
                    values["remote_id"] = rid
                if current.state == State.PUBLISHING.value and current.claimed_by == self.worker:
                    values["lease_until"] = self._lease(now)
                # Facts about the platform are kept whoever holds the delivery now.
                conn.execute(
                    update(s.deliveries)
                    .where(
                        s.deliveries.c.id == did,
                        s.deliveries.c.state.in_([State.PUBLISHING.value, State.UNCONFIRMED.value]),
                    )
                    .values(**values)
                )

        return checkpoint

    def _extend_lease(self, did: int) -> None:
        now = self.clock()
        with self.db.write() as conn:
            conn.execute(
                update(s.deliveries)
                .where(
                    s.deliveries.c.id == did,
                    s.deliveries.c.state == State.PUBLISHING.value,
                    s.deliveries.c.claimed_by == self.worker,
                )
                .values(lease_until=self._lease(now))
            )

    def _record(self, delivery: Delivery, attempt: int, kind: str, result: Result, started: datetime) -> Step:
        """Map the adapter's answer to the next state, from ``publishing`` (ours)."""
        now = self.clock()
        st = self.settings
        attempts = delivery.attempts
        reason = _reason(result)
        values: dict[str, Any] = {"last_code": result.code, "last_reason": reason, "lease_until": None}
        oc = result.outcome
        if oc is Outcome.PUBLISHED:
            dst = State.PUBLISHED
            values.update(
                remote_id=result.remote_id,
                remote_url=result.url,
                published_at=now,
                next_attempt_at=None,
                last_code=None,
                last_reason=None,
            )
        elif oc is Outcome.HANDED_OFF:
            dst = State.HANDED_OFF
            values.update(
                remote_id=result.remote_id,
                remote_url=result.url,
                next_attempt_at=max(now, delivery.due_at + VERIFY_DELAY),
                last_code=None,
                last_reason=None,
            )
        elif oc is Outcome.PENDING:
            dst = State.PUBLISHING
            saved = self._resume.get(delivery.id) or delivery.resume_state or {}
            values.update(
                resume_state={**saved, **(result.resume_state or {})},
                next_attempt_at=now + timedelta(seconds=result.poll_after or 10.0),
                claimed_by=None,
                last_code=None,
                last_reason=None,
            )
        elif oc is Outcome.AUTH_EXPIRED:
            dst = State.NEEDS_REAUTH
            self.store.set_account_status(self._account_id(delivery.target), "needs_reauth", reason)
        elif oc is Outcome.REJECTED:
            dst = State.FAILED
        elif oc in (Outcome.RATE_LIMITED, Outcome.TRANSIENT, Outcome.ABSENT):
            self._penalise(delivery.target, result)
            if kind == "poll" and delivery.resume_state:
                # A slow publish we already started: keep it and ask again, never restart it.
                dst = State.PUBLISHING
                values.update(next_attempt_at=self._next_attempt(attempts, result, now), claimed_by=None)
            elif attempts >= st.max_attempts:
                dst = State.FAILED
                values.update(
                    last_code=result.code or "retry_limit",
                    last_reason=t("publishing.retry_limit", n=attempts, reason=reason or result.code),
                )
            else:
                dst = State.RETRY_WAIT
                values.update(next_attempt_at=self._next_attempt(attempts, result, now))
        else:  # UNKNOWN_OUTCOME
            dst = State.UNCONFIRMED
            values.update(next_attempt_at=now + timedelta(seconds=self._first_look()))
        if dst is not State.PUBLISHING:
            values["claimed_by"] = None
        moved = self._finish(delivery.id, dst, values, now, attempt, result, reason)
        self._resume.pop(delivery.id, None)
        state = dst if moved else None
        self._log(delivery, kind, attempts, result, state, started, now, values.get("next_attempt_at"))
        return Step(delivery.id, dst.value if moved else "lost_lease", state, values.get("next_attempt_at"))

    def _finish(
        self,
        did: int,
        dst: State,
        values: dict[str, Any],
        now: datetime,
        attempt: int,
        result: Result,
        reason: str | None,
    ) -> bool:
        """The outcome, in one transaction: the delivery (if still ours), the attempt row, the audit."""
        if dst is not State.PUBLISHING:
            check_transition(State.PUBLISHING, dst, what=f"#{did}")
        D = s.deliveries
        with self.db.write() as conn:
            res = conn.execute(
                update(D)
                .where(D.c.id == did, D.c.state == State.PUBLISHING.value, D.c.claimed_by == self.worker)
                .values(state=dst.value, updated_at=now, **values)
            )
            src = State.PUBLISHING
            if not res.rowcount and dst in (State.PUBLISHED, State.HANDED_OFF):
                # Our lease expired meanwhile and the dispatcher doubted us; the answer settles it.
                src = State.UNCONFIRMED
                check_transition(src, dst, what=f"#{did}")
                res = conn.execute(
                    update(D)
                    .where(D.c.id == did, D.c.state == src.value)
                    .values(state=dst.value, updated_at=now, **values)
                )
            moved = bool(res.rowcount)
            if moved and dst is not src:
                Store.audit(
                    conn, "worker", f"state_{dst.value}", None, did, source=src.value, worker=self.worker
                )
            self._close_attempt(conn, attempt, result, reason, now)
        return moved

    def _release(self, row: Row[Any], dst: State, **values: Any) -> Step:
        """Give a claim back without sending anything (``claimed`` → ``dst``)."""
        now = self.clock()
        did = int(row.id)
        check_transition(State.CLAIMED, dst, what=f"#{did}")
        values.setdefault("next_attempt_at", None)
        with self.db.write() as conn:
            res = conn.execute(
                update(s.deliveries)
                .where(s.deliveries.c.id == did, s.deliveries.c.state == State.CLAIMED.value)
                .values(state=dst.value, lease_until=None, claimed_by=None, updated_at=now, **values)
            )
            if res.rowcount:
                Store.audit(
                    conn,
                    "worker",
                    f"state_{dst.value}",
                    None,
                    did,
                    source=State.CLAIMED.value,
                    code=values.get("last_code"),
                )
        if res.rowcount:
            self._log_line(
                {"event": "released", "delivery": did, "state": dst.value, "code": values.get("last_code")}
            )
            return Step(did, dst.value, dst, values.get("next_attempt_at"))
        return Step(did, "skipped", None)

    # == reconcile =================================================================================
    def reconcile(self, delivery_id: int) -> Step:
        """Ask the platform about an ``unconfirmed`` or ``handed_off`` delivery (read-only, idempotent)."""
        row = self._row(delivery_id)
        if row is None:
            return Step(delivery_id, "gone")
        state = State(row.state)
        if state not in (State.UNCONFIRMED, State.HANDED_OFF):
            return Step(delivery_id, "skipped", state)
        now = self.clock()
        delivery = self.store.delivery(delivery_id)
        sent = self._sent_at(delivery_id)
        if sent is not None:
            # The adapter looks for what the *send* may have created: the window starts there,
            # never at an earlier look-up (that lost a Zalo article and published it twice).
            delivery = dataclasses.replace(delivery, last_attempt_at=sent)
        delivery = dataclasses.replace(delivery, taken_remote_ids=self._taken_ids(delivery_id))
        tries = self._reconcile_count(delivery_id)
        with self.db.write() as conn:
            attempt = self._attempt_row(
                conn,
                delivery_id,
                int(row.attempts),
                "reconcile",
                delivery.content_hash,
                {"state": state.value, "resume_state": delivery.resume_state},
                now,
            )
        try:
            adapter = self._adapter(row, delivery)
        except Exception as exc:
            log.warning("reconcile could not build the adapter for delivery %s", delivery_id, exc_info=True)
            result = Result.unknown(type(exc).__name__, mask_text(str(exc))[:200])
        else:
            # a look-up refused at authentication gets the same one refresh as a send (read-only)
            result = self._call(adapter, delivery, "reconcile")
            if cured_by_refresh(adapter, result):
                result = self._refresh_and_retry(adapter, delivery, "reconcile", result)
        reason = _reason(result)
        again = now + timedelta(
            seconds=backoff(tries + 1, self._first_look(), self.settings.retry_max_seconds, self.rng)
        )
        values: dict[str, Any] = {"last_code": result.code, "last_reason": reason}
        oc = result.outcome
        dst: State
        if oc is Outcome.PUBLISHED:
            dst = State.PUBLISHED
            values.update(
                remote_id=result.remote_id or delivery.remote_id,
                remote_url=result.url or delivery.remote_url,
                published_at=now,
                next_attempt_at=None,
                last_code=None,
                last_reason=None,
            )
        elif oc is Outcome.HANDED_OFF:
            dst = State.HANDED_OFF
            if state is State.HANDED_OFF and now > row.deadline:
                dst = State.FAILED
                values.update(
                    next_attempt_at=None,
                    last_code="handoff_not_published",
                    last_reason=t("publishing.handoff_absent"),
                )
            else:
                due_check = delivery.due_at + VERIFY_DELAY
                values.update(
                    remote_id=result.remote_id or delivery.remote_id,
                    remote_url=result.url or delivery.remote_url,
                    next_attempt_at=due_check if now < due_check else again,
                    last_code=None,
                    last_reason=None,
                )
        elif oc is Outcome.ABSENT and state is State.HANDED_OFF:
            dst = State.FAILED
            values.update(
                next_attempt_at=None, last_code="handoff_absent", last_reason=t("publishing.handoff_absent")
            )
        elif oc is Outcome.ABSENT:
            # Certainly not on the platform: a new send is safe (fresh, without old ids).
            if row.attempts >= self.settings.max_attempts:
                dst = State.FAILED
                values.update(
                    next_attempt_at=None,
                    last_code=row.last_code or "retry_limit",
                    last_reason=t(
                        "publishing.retry_limit", n=row.attempts, reason=row.last_reason or row.last_code
                    ),
                )
            elif now > row.deadline:
                dst = State.MISSED
                values.update(next_attempt_at=None, last_code="missed")
            else:
                dst = State.RETRY_WAIT
                values.update(
                    resume_state=None,
                    remote_id=None,
                    remote_url=None,
                    next_attempt_at=self._next_attempt(int(row.attempts), result, now),
                    last_code=row.last_code,
                    last_reason=row.last_reason,
                )
        elif oc is Outcome.PENDING and state is State.UNCONFIRMED:
            # An upload we started can go on from where it stopped: the adapter continues from resume_state.
            dst = State.RETRY_WAIT
            values.update(
                resume_state={**(delivery.resume_state or {}), **(result.resume_state or {})},
                next_attempt_at=now,
            )
        else:
            # unknown, transient, rate-limited, auth (keep doubting; never send while in doubt)
            if oc is Outcome.AUTH_EXPIRED:
                self.store.set_account_status(self._account_id(delivery.target), "needs_reauth", reason)
            dst = state
            values.update(next_attempt_at=max(again, now + timedelta(seconds=result.retry_after or 0)))
        moved = self._reconciled(delivery_id, state, dst, values, now, attempt, result, reason)
        self._log(
            delivery,
            "reconcile",
            int(row.attempts),
            result,
            moved,
            now,
            self.clock(),
            values.get("next_attempt_at"),
        )
        return Step(
            delivery_id,
            moved.value if moved else "skipped",
            moved,
            values.get("next_attempt_at"),
        )

    def _reconciled(
        self,
        did: int,
        src: State,
        dst: State,
        values: dict[str, Any],
        now: datetime,
        attempt: int,
        result: Result,
        reason: str | None,
    ) -> State | None:
        """Write the look-up's outcome if the delivery is still in ``src``; the state it moved to.

        An officer's cancel request is read here, in the same transaction as the write (the row
        locked on PostgreSQL, the database on SQLite), so one recorded while the look-up ran is
        honoured too: see :func:`_settle_cancel`.
        """
        D = s.deliveries
        with self.db.write() as conn:
            q = select(D.c.cancel_requested_at, D.c.cancel_requested_by).where(
                D.c.id == did, D.c.state == src.value
            )
            current = conn.execute(q if self.db.is_sqlite else q.with_for_update()).first()
            note: tuple[str, str] | None = None
            if current is not None and current.cancel_requested_at is not None:
                dst, values, note = _settle_cancel(src, dst, values, current.cancel_requested_by, result)
            if dst is not src:
                check_transition(src, dst, what=f"#{did}")
            res = conn.execute(
                update(D).where(D.c.id == did, D.c.state == src.value).values(state=dst.value, updated_at=now, **values)
            )
            if res.rowcount and dst is not src:
                Store.audit(
                    conn, "worker", f"state_{dst.value}", None, did, source=src.value, via="reconcile"
                )
            if res.rowcount and note is not None:
                Store.audit(conn, note[0], note[1], None, did, via="reconcile", remote_url=values.get("remote_url"))
            self._close_attempt(conn, attempt, result, reason, now)
            return dst if res.rowcount else None

    # == helpers ===================================================================================
    def may_hand_off(self, delivery: Delivery) -> bool:
        """Whether the platform's own scheduler may hold this delivery now."""
        rule = handoff_platforms(self.settings).get(delivery.target.platform)
        if rule is None or not delivery.options.get("native_schedule", True):
            return False
        return rule.admits(delivery.due_at - self.clock(), video=delivery.video is not None)

    def _row(self, did: int) -> Row[Any] | None:
        pause = select(s.meta.c.key).where(s.meta.c.key == PAUSE_KEY).exists()
        policy_key = POLICY_PREFIX + REQUIRE_APPROVAL.name
        require = select(s.meta.c.value).where(s.meta.c.key == policy_key).scalar_subquery()
        with self.db.read() as conn:
            return conn.execute(
                select(
                    s.deliveries,
                    s.posts.c.content_hash,
                    s.posts.c.approved_hash,
                    s.accounts.c.status.label("account_status"),
                    s.accounts.c.credentials.label("account_credentials"),
                    s.accounts.c.platform,
                    s.accounts.c.name.label("account_name"),
                    pause.label("paused"),
                    require.label("require_approval"),  # the stored office policy (None: its default)
                )
                .join(s.posts, s.posts.c.id == s.deliveries.c.post_id)
                .join(s.accounts, s.accounts.c.id == s.deliveries.c.account_id)
                .where(s.deliveries.c.id == did)
            ).first()

    def _adapter(self, row: Row[Any], delivery: Delivery) -> Adapter:
        from publisher.platforms.tokens import ensure_fresh, needs_refresh

        token = row.account_credentials
        creds = Credentials.from_dict(self.store.vault.open(token)) if token else Credentials()
        if needs_refresh(creds, self.clock()):
            stale = self.adapters(self.settings, delivery.target, creds)
            creds = ensure_fresh(self.store, int(row.account_id), stale, now=self.clock)
        # Built from the credentials it will send: an adapter may keep its own copy of the token
        # (Facebook's Graph client does), so one built before the refresh would send the old one.
        return self.adapters(self.settings, delivery.target, creds)

    def _account_id(self, target: Target) -> int:
        return int(self.store.account(target).id)

    def _sent_at(self, did: int) -> datetime | None:
        """Start of the latest send (``publish`` attempt): what a look-up must search from. Its
        polls continue that same send; look-ups (``reconcile``) send nothing."""
        with self.db.read() as conn:
            return conn.execute(
                select(func.max(s.attempts.c.started_at)).where(
                    s.attempts.c.delivery_id == did, s.attempts.c.kind == "publish"
                )
            ).scalar_one()

    def _taken_ids(self, did: int) -> frozenset[str]:
        """Platform ids the other deliveries of this delivery's account hold (never adopted as ours)."""
        D = s.deliveries
        account = select(D.c.account_id).where(D.c.id == did).scalar_subquery()
        with self.db.read() as conn:
            rows = conn.execute(
                select(D.c.remote_id).where(D.c.account_id == account, D.c.id != did, D.c.remote_id.is_not(None))
            )
            return frozenset(str(r.remote_id) for r in rows)

    def _reconcile_count(self, did: int) -> int:
        with self.db.read() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(s.attempts)
                    .where(s.attempts.c.delivery_id == did, s.attempts.c.kind == "reconcile")
                ).scalar_one()
            )

    def _first_look(self) -> float:
        return min(RECONCILE_FIRST, self.settings.retry_base_seconds)

    def _lease(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.settings.lease_seconds)

    def _wait(self, attempts: int, result: Result) -> float:
        wait = backoff(attempts, self.settings.retry_base_seconds, self.settings.retry_max_seconds, self.rng)
        return max(wait, result.retry_after or 0.0)

    def _next_attempt(self, attempts: int, result: Result, now: datetime) -> datetime:
        """After the backoff (at least the platform's Retry-After); a postponement (a daily cap)
        is exactly its time, e.g. the next quota day, not a backoff added to it."""
        if result.postpone_until is not None:
            return max(now, result.postpone_until)
        return now + timedelta(seconds=self._wait(attempts, result))

    def _penalise(self, target: Target, result: Result) -> None:
        """Share the platform's "wait" with every worker: its Retry-After, or until a postponement.

        A rate limit without either (a plain 429) holds nobody else: only the delivery that met it
        backs off, so one hiccup never stops the channel's other posts.
        """
        if self.limiter is None or result.outcome is not Outcome.RATE_LIMITED:
            return
        seconds = result.retry_after or 0.0
        if result.postpone_until is not None:
            seconds = (result.postpone_until - self.clock()).total_seconds()
        if seconds > 0:
            self.limiter.block(target, seconds, app_wide=result.scope == "app")

    @staticmethod
    def _close_attempt(
        conn: Connection, attempt: int, result: Result, reason: str | None, now: datetime
    ) -> None:
        conn.execute(
            update(s.attempts)
            .where(s.attempts.c.id == attempt)
            .values(
                finished_at=now,
                outcome=result.outcome.value,
                code=result.code,
                reason=reason,
                remote_id=result.remote_id,
            )
        )

    def _log(
        self,
        delivery: Delivery,
        kind: str,
        attempt: int,
        result: Result,
        state: State | None,
        started: datetime,
        now: datetime,
        next_at: datetime | None,
    ) -> None:
        self._log_line(
            {
                "event": "attempt",
                "kind": kind,
                "delivery": delivery.id,
                "post": delivery.post_key,
                "target": str(delivery.target),
                "attempt": attempt,
                "outcome": result.outcome.value,
                "code": result.code,
                "reason": _reason(result),
                "state": state.value if state else None,
                "remote_id": result.remote_id,
                "url": result.url,
                "retry_after": result.retry_after,
                "next_attempt_at": next_at.isoformat() if next_at else None,
                "lateness_s": round((started - delivery.due_at).total_seconds(), 3),
                "duration_ms": round((now - started).total_seconds() * 1000, 1),
                "worker": self.worker,
            }
        )

    def _log_line(self, record: dict[str, Any]) -> None:
        _ensure_handler()
        record = {"ts": datetime.now(UTC).isoformat(), **record}
        log.info(json.dumps(record, ensure_ascii=False, default=str))


def _settle_cancel(
    src: State, dst: State, values: dict[str, Any], requester: str | None, result: Result
) -> tuple[State, dict[str, Any], tuple[str, str] | None]:
    """What a look-up's answer means for a delivery an officer asked to cancel while in doubt.

    Provably not on the platform (or only an unfinished upload) → ``cancelled``, never sent again,
    whatever the answer would otherwise have led to (a new send). On the platform → ``published``
    all the same, and the officer is told it is live (reason, audit); held by the platform's
    scheduler → told to delete it there. The request stays on the row as the record of it, except
    on ``cancelled``. Still unknown → the delivery stays in doubt, request kept.
    """
    who = requester or "?"
    if dst is State.PUBLISHED:
        link = values.get("remote_url") or values.get("remote_id") or ""
        told = t("publishing.cancel_too_late", by=who, link=link)
        return dst, {**values, "last_code": "cancel_too_late", "last_reason": told}, ("worker", "cancel_too_late")
    if dst is State.HANDED_OFF:
        told = t("publishing.cancel_held", by=who)
        return dst, {**values, "last_code": "cancel_held", "last_reason": told}, None
    if dst is not src and result.outcome in (Outcome.ABSENT, Outcome.PENDING):
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


def _reason(result: Result) -> str | None:
    if result.reason is None:
        return None
    return mask_text(str(result.reason))[:1000]


_handler_lock = threading.Lock()
_handler: logging.Handler | None = None


def _ensure_handler() -> None:
    """One plain JSON line per record on stderr, whatever the host (celery, CLI) did to logging."""
    global _handler
    if _handler is not None:
        return
    with _handler_lock:
        if _handler is None:
            _handler = logging.StreamHandler(sys.stderr)
            _handler.setFormatter(logging.Formatter("%(message)s"))
            log.addHandler(_handler)
            log.setLevel(logging.INFO)
            log.propagate = False


__all__ = [
    "DISPATCH_PREFIX",
    "Publisher",
    "Step",
    "backoff",
    "build_adapter",
    "handoff_platforms",
]
