"""What publishing and reconciling share: the worker's context and the call to the adapter.

:class:`Sender` holds what one worker process needs (store, settings, adapter factory, rate
limiter, its name, clock) and does the adapter-facing steps both use cases take: build the adapter
from fresh credentials, call it (an exception is an *unknown* outcome, never a blind retry), one
forced token refresh when the platform refused the token, and the JSON log line of the outcome.
The use cases themselves are :mod:`publisher.actions.publish` and :mod:`publisher.actions.reconcile`.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from publisher.actions.media import with_video_size
from publisher.actions.worker import log, log_line, worker_name
from publisher.core.decisions import RetryPolicy
from publisher.core.models import Delivery, Target
from publisher.core.states import State
from publisher.errors import ConfigError
from publisher.i18n import register, t
from publisher.platforms.base import Adapter, AuthExpired, Checkpoint, Credentials, Outcome, Result
from publisher.platforms.http import TemporaryFailure, mask_text
from publisher.platforms.registry import adapter_factory
from publisher.platforms.tokens import ensure_fresh, needs_refresh
from publisher.ratelimit import Limiter
from publisher.settings import Settings
from publisher.store.counters import DbQuotaCounter
from publisher.store.publishing import Ending, PublishingRepo
from publisher.store.repo import Store

register(
    {
        "publishing.crash": (
            "Lỗi khi đang đăng ({error}); chưa rõ bài đã lên hay chưa, đang đối soát.",
            "Error while publishing ({error}); not known whether the post landed, reconciling.",
        ),
        "publishing.lease_lost": (
            "Tiến trình đăng bài dừng giữa chừng; chưa rõ bài đã lên hay chưa, đang đối soát.",
            "The publishing process stopped midway; not known whether the post landed, reconciling.",
        ),
        "publishing.config": ("Cấu hình tài khoản sai: {error}", "Account configuration error: {error}"),
    }
)

AdapterFactory = Callable[[Settings, Target, Credentials], Adapter]


@dataclass(frozen=True)
class Step:
    """What one call of the publisher did, for the task's return value and the tests."""

    delivery_id: int
    action: str  # published, handed_off, pending, retry_wait, failed, needs_reauth, unconfirmed, skipped, ...
    state: State | None = None
    next_at: datetime | None = None


def reason_of(result: Result) -> str | None:
    """The platform's reason, masked (never a token) and bounded, as it is stored and logged."""
    if result.reason is None:
        return None
    return mask_text(str(result.reason))[:1000]


def crash(exc: BaseException) -> Result:
    """An exception where something may have been sent: an unknown outcome, never a blind retry."""
    return Result.unknown(type(exc).__name__, t("publishing.crash", error=mask_text(str(exc))[:200]))


def ending(result: Result, reason: str | None) -> Ending:
    """How the attempt row ends."""
    return result.outcome.value, result.code, reason, result.remote_id


class Sender:
    """One worker's context and the adapter-facing steps of publishing and reconciling."""

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
        self.repo = PublishingRepo(store.db, self.worker)
        #: what the checkpoints of the call in progress committed, per delivery
        self._resume: dict[int, dict[str, Any]] = {}

    @property
    def policy(self) -> RetryPolicy:
        st = self.settings
        return RetryPolicy(st.retry_base_seconds, st.retry_max_seconds, st.max_attempts, self.rng)

    def lease(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.settings.lease_seconds)

    def adapter(self, token: Any, account_id: int, delivery: Delivery) -> Adapter:
        """The adapter for ``delivery``, built from credentials refreshed first if they need it."""
        creds = Credentials.from_dict(self.store.vault.open(token)) if token else Credentials()
        if needs_refresh(creds, self.clock()):
            stale = self.adapters(self.settings, delivery.target, creds)
            creds = ensure_fresh(self.store, account_id, stale, now=self.clock)
        # Built from the credentials it will send: an adapter may keep its own copy of the token
        # (Facebook's Graph client does), so one built before the refresh would send the old one.
        return self.adapters(self.settings, delivery.target, creds)

    def account_id(self, target: Target) -> int:
        return int(self.store.account(target).id)

    def checkpoint(self, did: int) -> Checkpoint:
        def checkpoint(data: dict[str, Any]) -> None:
            now = self.clock()
            merged = self.repo.checkpoint(did, data, self.lease(now), now)
            if merged is not None:
                self._resume[did] = merged

        return checkpoint

    def call(self, adapter: Adapter, delivery: Delivery, kind: str) -> Result:
        """``publish``, ``poll`` or ``reconcile``; an exception becomes an unknown outcome."""
        try:
            if kind == "reconcile":
                return adapter.reconcile(delivery)
            if kind == "poll":
                return adapter.poll(delivery, dict(delivery.resume_state or {}), self.checkpoint(delivery.id))
            sized = with_video_size(delivery, self.settings.media.ffprobe)
            return adapter.publish(sized, self.checkpoint(delivery.id))
        except Exception as exc:
            # Something may have been sent: never a blind retry.
            log.warning("adapter raised for delivery %s", delivery.id, exc_info=True)
            return crash(exc)

    def refresh_and_retry(self, adapter: Adapter, delivery: Delivery, kind: str, refused: Result) -> Result:
        """The platform refused the access token before creating anything (the adapter says so
        through its ``refresh_codes``): one forced refresh, then the same call once more with a new
        adapter, resuming from what the checkpoints committed (a created Zalo article is verified,
        never created again). A second refusal, or a refused refresh, ends in ``needs_reauth``."""
        try:
            fresh = ensure_fresh(
                self.store,
                self.account_id(delivery.target),
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
            return crash(exc)
        log_line({"event": "token_refreshed", "delivery": delivery.id, "refused": refused.code})
        saved = self._resume.get(delivery.id)
        if saved is not None:
            delivery = dataclasses.replace(delivery, resume_state=saved)
        return self.call(self.adapters(self.settings, delivery.target, fresh), delivery, kind)

    def penalise(self, target: Target, result: Result) -> None:
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

    def log(
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
        log_line(
            {
                "event": "attempt",
                "kind": kind,
                "delivery": delivery.id,
                "post": delivery.post_key,
                "title": delivery.title,
                "target": str(delivery.target),
                "attempt": attempt,
                "outcome": result.outcome.value,
                "code": result.code,
                "reason": reason_of(result),
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


__all__ = ["AdapterFactory", "Sender", "Step", "crash", "ending", "reason_of"]
