"""Publish one delivery exactly once: the orchestration, read top to bottom in :meth:`Publisher.publish`.

The rules that make "exactly once" hold, and where each is kept:

1. **Write before you send** (:meth:`PublishingRepo.begin`). Before any call that may create
   something on a platform the delivery moves ``claimed → publishing`` with a conditional UPDATE
   and the attempt row (time, number, what is about to be sent, content hash) is inserted, in one
   committed transaction. Two workers holding the same message: only one wins the UPDATE.
2. **Commit identifiers at once** (:meth:`Sender.checkpoint`). Whatever the platform hands back
   that names the post (post id, upload session, video id) is committed before the adapter goes
   on, and each checkpoint extends the lease.
3. **A live worker keeps its lease** (:class:`publisher.actions.worker.Heartbeat`); a dead one
   loses it within ``lease_seconds``, and the dispatcher then turns ``publishing`` into
   ``unconfirmed``.
4. **Unknown outcome ⇒ reconcile, never blind retry** (:mod:`publisher.actions.reconcile`). A
   timeout after sending, a 5xx on a create call, an exception or a crash while ``publishing``
   leads to ``unconfirmed``. Only the adapter's ``reconcile`` answering ``absent`` makes a new
   send legal.
5. **Retries are bounded** (:func:`publisher.core.decisions.backoff`): exponential with jitter, at
   least the platform's retry-after, at most ``max_attempts`` sends; rate limits are shared by all
   workers (:mod:`publisher.ratelimit`).

Native scheduling hand-off (Facebook ``scheduled_publish_time``, YouTube ``publishAt``): the
dispatcher claims a delivery of such a platform ``handoff.lead`` before its time; the adapter
answers ``handed_off``; the delivery is verified by ``reconcile`` after its time. The pre-send
holds are :mod:`publisher.actions.guard`; the answer → state table is
:func:`publisher.core.decisions.after_attempt`. Every outcome is one JSON log line on the
``publisher.attempts`` logger (never a token).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from publisher.actions import guard
from publisher.actions.dispatch import DISPATCH_PREFIX
from publisher.actions.reconcile import reconcile
from publisher.actions.sending import Sender, Step, crash, ending, reason_of
from publisher.actions.worker import Heartbeat, log, log_line
from publisher.core.decisions import RETRYABLE, after_attempt
from publisher.core.models import Delivery, text_hash
from publisher.core.states import State
from publisher.errors import ConfigError
from publisher.i18n import register, t
from publisher.platforms.base import EARLY_TOLERANCE, Adapter, AuthExpired, Outcome, Result
from publisher.platforms.http import TemporaryFailure, mask_text
from publisher.platforms.tokens import cured_by_refresh
from publisher.store.publishing import DeliveryRow, database_busy

register(
    {
        "publishing.db_busy": (
            "Cơ sở dữ liệu đang bận ({error}); chưa gửi gì, sẽ thử lại sau ít phút.",
            "The database was busy ({error}); nothing was sent, trying again in a few minutes.",
        ),
        "publishing.internal": (
            "Lỗi ngoài dự kiến trước khi gửi ({error}); chưa gửi gì lên nền tảng. "
            "Xem nhật ký, khắc phục rồi dùng “publisher retry”.",
            "Unexpected error before sending ({error}); nothing was sent to the platform. "
            "See the log, fix the cause, then use “publisher retry”.",
        ),
    }
)


class Publisher(Sender):
    """Publishes and reconciles deliveries by id. One per worker process."""

    def publish(self, delivery_id: int) -> Step:
        """Send a claimed delivery, or continue a pending one the dispatcher handed us."""
        row = self.repo.row(delivery_id)
        if row is None:
            return Step(delivery_id, "gone")
        state, now = State(row.state), self.clock()
        dispatched = (row.claimed_by or "").startswith(DISPATCH_PREFIX)
        try:
            if (
                state is State.PUBLISHING
                and dispatched
                and row.lease_until is not None
                and row.lease_until > now
            ):
                return self._continue(row)
            if state is not State.CLAIMED:
                return Step(delivery_id, "skipped", state)  # a duplicate message, or someone else has it
            # 1. what the row alone forbids (paused, too late, account unusable)
            hold = guard.row_hold(row, now)
            if hold is not None:
                return self._release(row, *hold)
            # 2. what would go out: cancelled, draft, approval, review, media, not due, rate limit
            delivery, spec = self.store.delivery_with_spec(delivery_id)
            assert spec is not None
            hold = guard.post_hold(row, delivery, spec, self.settings, self.limiter, now)
            if hold is not None:
                return self._release(row, *hold)
            # 3. the adapter, from fresh credentials (nothing sent yet: a failure gives the claim back)
            try:
                adapter = self.adapter(row.account_credentials, int(row.account_id), delivery)
            except AuthExpired as exc:
                self.store.set_account_status(int(row.account_id), "needs_reauth", str(exc))
                return self._release(row, State.NEEDS_REAUTH, {"last_code": "auth", "last_reason": str(exc)})
            except TemporaryFailure as exc:  # the token endpoint is down: nothing was sent, try again later
                wait = self.policy.wait(int(row.attempts) + 1, None)
                values = {
                    "next_attempt_at": now + timedelta(seconds=wait),
                    "last_code": "refresh_unavailable",
                }
                return self._release(row, State.RETRY_WAIT, {**values, "last_reason": str(exc)})
            except (ConfigError, ValueError, KeyError, TypeError) as exc:
                told = t("publishing.config", error=exc)
                return self._release(row, State.FAILED, {"last_code": "config", "last_reason": told})
            # 4. write before you send: claimed → publishing and the attempt row, committed
            number = int(row.attempts) + 1
            request = _request(delivery, now)
            attempt = self.repo.begin(
                delivery_id, number, self.lease(now), delivery.content_hash, request, now
            )
            if attempt is None:
                return Step(delivery_id, "skipped", None)
            # 5. send (heartbeat on), then write down what happened
            delivery = dataclasses.replace(delivery, state=State.PUBLISHING, attempts=number)
            return self._run(adapter, delivery, attempt, "publish")
        except Exception as exc:
            return self._unexpected(row, exc)

    def reconcile(self, delivery_id: int) -> Step:
        """Ask the platform about an ``unconfirmed`` or ``handed_off`` delivery (read-only, idempotent)."""
        return reconcile(self, delivery_id)

    def _continue(self, row: DeliveryRow) -> Step:
        """A pending publish (slow upload, video processing) whose poll time has come."""
        did, now = int(row.id), self.clock()
        attempt = self.repo.take_over(row, self.lease(now), now)
        if attempt is None:
            return Step(did, "skipped", None)
        delivery = self.store.delivery(did)
        try:
            adapter = self.adapter(row.account_credentials, int(row.account_id), delivery)
        except Exception as exc:  # cannot even build the adapter: let reconcile take over later
            return self._record(delivery, attempt, "poll", Result.unknown("config", str(exc)), now)
        return self._run(adapter, delivery, attempt, "poll")

    def _run(self, adapter: Adapter, delivery: Delivery, attempt: int, kind: str) -> Step:
        started = self.clock()
        beat = lambda: self.repo.extend_lease(delivery.id, self.lease(self.clock()))  # noqa: E731
        with Heartbeat(beat, self.settings.lease_seconds / 3, name=f"lease-{delivery.id}"):
            result = self.call(adapter, delivery, kind)
            if cured_by_refresh(adapter, result):
                result = self.refresh_and_retry(adapter, delivery, kind, result)
        return self._record(delivery, attempt, kind, result, started)

    def _record(self, delivery: Delivery, attempt: int, kind: str, result: Result, started: datetime) -> Step:
        """Write the adapter's answer (decided by :func:`after_attempt`), from ``publishing`` (ours)."""
        now = self.clock()
        reason = reason_of(result)
        if result.outcome is Outcome.AUTH_EXPIRED:
            self.store.set_account_status(self.account_id(delivery.target), "needs_reauth", reason)
        elif result.outcome in RETRYABLE:
            self.penalise(delivery.target, result)
        dst, values = after_attempt(
            result,
            kind=kind,
            attempts=delivery.attempts,
            due_at=delivery.due_at,
            resume_state=self._resume.get(delivery.id) or delivery.resume_state,
            code=result.code,
            reason=reason,
            policy=self.policy,
            now=now,
        )
        moved = self.repo.finish(delivery.id, dst, values, now, attempt, ending(result, reason))
        self._resume.pop(delivery.id, None)
        state, next_at = (dst if moved else None), values.get("next_attempt_at")
        self.log(delivery, kind, delivery.attempts, result, state, started, now, next_at)
        return Step(delivery.id, dst.value if moved else "lost_lease", state, next_at)

    def _unexpected(self, row: DeliveryRow, exc: Exception) -> Step:
        """An exception nobody expected in the publish path: the attempt still ends with a reason.

        Still ``claimed`` (nothing was sent): ``failed``, not claimed again every lease; a
        configuration error says what to set. The officer is alerted once (:func:`alerts.scan`) and
        ``publisher retry`` sends it again after the fix. Already ``publishing`` (a send may have
        happened): ``unconfirmed``, for reconciliation to settle, never a blind resend.
        """
        did = int(row.id)
        log.error("unexpected error publishing delivery %s", did, exc_info=exc)
        self._resume.pop(did, None)
        if database_busy(exc):
            # nothing was decided by the platform: wait and try again (if the database cannot take
            # even this write, the claim's lease brings the delivery back all the same)
            wait = self.policy.wait(int(row.attempts) + 1, None)
            busy = {"next_attempt_at": self.clock() + timedelta(seconds=wait), "last_code": "database_busy"}
            detail = f"{type(exc).__name__}: {mask_text(str(exc))[:200]}"
            step = self._release(
                row, State.RETRY_WAIT, {**busy, "last_reason": t("publishing.db_busy", error=detail)}
            )
        else:
            if isinstance(exc, ConfigError):
                code, reason = "config", t("publishing.config", error=exc)
            else:
                detail = f"{type(exc).__name__}: {mask_text(str(exc))[:200]}"
                code, reason = "internal_error", t("publishing.internal", error=detail)
            step = self._release(row, State.FAILED, {"last_code": code, "last_reason": reason})
        if step.state is not None:
            return step
        now = self.clock()
        doubt = crash(exc)
        values = {
            "next_attempt_at": now + timedelta(seconds=self.policy.first_look()),
            "last_code": doubt.code,
            "last_reason": doubt.reason,
        }
        if self.repo.doubt(did, values, now):
            return Step(did, State.UNCONFIRMED.value, State.UNCONFIRMED)
        return Step(did, "skipped", None)

    def _release(self, row: DeliveryRow, dst: State, values: dict[str, Any]) -> Step:
        """Give a claim back without sending anything (``claimed`` → ``dst``)."""
        did = int(row.id)
        values = {"next_attempt_at": None, **values}
        if not self.repo.release(did, dst, values, self.clock()):
            return Step(did, "skipped", None)
        log_line({"event": "released", "delivery": did, "state": dst.value, "code": values.get("last_code")})
        return Step(did, dst.value, dst, values.get("next_attempt_at"))


def _request(delivery: Delivery, now: datetime) -> dict[str, Any]:
    """What is about to be sent, as the attempt row records it (hashes and names, never a token)."""
    return {
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


__all__ = ["Publisher", "Step"]
