"""Token buckets shared by every worker: one per account, one per platform (the app's limit).

``acquire(target)`` takes one token from the platform bucket and the account bucket and answers
``0`` (go) or the seconds to wait. ``block(target, seconds)`` empties a bucket for that long
after the platform said "slow down" (429 / Retry-After, Graph code 4/17/32), so that every worker
waits, not only the one that was told.

A bucket below zero tokens is therefore a hold the *platform* asked for (``take`` never goes
below zero): ``held(target)`` tells how long it has left, and ``release(target)`` (the officer's
``publisher retry``) lifts our own pacing for the retried sends but never such a hold.

Two backends with the same arithmetic:
- :class:`RedisBuckets`: one Lua script (atomic in Redis, server clock), used when a Redis URL
  is configured;
- :class:`DatabaseBuckets`: the ``rate_buckets`` table in one write transaction (SQLite
  ``BEGIN IMMEDIATE`` / PostgreSQL ``FOR UPDATE``), for the embedded default without Redis.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from publisher.core.models import Platform, Target
from publisher.store.buckets import BucketRows, Stored
from publisher.store.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rate:
    """``burst`` tokens at most, refilled at ``per_second``."""

    burst: float
    per_second: float


#: Conservative defaults. Facebook: no per-post limit is documented for Pages besides the
#: business-use-case budget and 30 API Reels per Page per 24 h (facebook.md §5c); we space posts.
#: YouTube: the daily quota (publisher.platforms.youtube.quota) is the real limit. Zalo: per-app
#: and per-OA call limits exist (-32) without published numbers (zalo.md §5).
ACCOUNT_RATES: dict[Platform, Rate | None] = {
    Platform.FACEBOOK: Rate(burst=10, per_second=1 / 3),
    Platform.YOUTUBE: Rate(burst=3, per_second=1 / 60),
    Platform.ZALO: Rate(burst=5, per_second=1 / 2),
    Platform.SANDBOX: None,
}
APP_RATES: dict[Platform, Rate | None] = {
    Platform.FACEBOOK: Rate(burst=50, per_second=5),
    Platform.YOUTUBE: Rate(burst=10, per_second=1),
    Platform.ZALO: Rate(burst=20, per_second=5),
    Platform.SANDBOX: None,
}


class Buckets(Protocol):
    def take(self, key: str, rate: Rate) -> float: ...

    def drain(self, key: str, rate: Rate, seconds: float) -> None: ...


class InspectableBuckets(Buckets, Protocol):
    """What :meth:`Limiter.held` and :meth:`Limiter.release` need; both backends have it."""

    def peek(self, key: str, rate: Rate) -> float:
        """The tokens in the bucket now (negative: a platform's hold), changing nothing."""
        ...

    def grant(self, key: str, rate: Rate, tokens: int) -> float:
        """Raise the bucket to ``tokens`` unless it is below zero; answers the tokens after."""
        ...


#: a worker thread waits for a token itself when it comes within this many seconds; a longer wait
#: gives the claim back (``retry_wait``) for the dispatcher to hand out again at its time
SHORT_WAIT = 3.0


class Limiter:
    """The buckets of one platform's app and of each account.

    ``patience``: how long :meth:`acquire` may sleep for a token before answering a wait (0: never
    sleeps; the workers use :data:`SHORT_WAIT`). A thread of a threads pool sleeping a second for
    its turn costs nothing; giving the claim back and claiming it again costs a dispatcher tick,
    four transactions and, with many sends behind one bucket, dozens of rounds per post.
    """

    def __init__(
        self,
        buckets: Buckets,
        account_rates: Mapping[Platform, Rate | None] | None = None,
        app_rates: Mapping[Platform, Rate | None] | None = None,
        *,
        patience: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.buckets = buckets
        self.account_rates = ACCOUNT_RATES if account_rates is None else account_rates
        self.app_rates = APP_RATES if app_rates is None else app_rates
        self.patience = patience
        self.sleep = sleep

    def _keys(self, target: Target) -> list[tuple[str, Rate]]:
        out: list[tuple[str, Rate]] = []
        app = self.app_rates.get(target.platform)
        if app is not None:
            out.append((f"app:{target.platform.value}", app))
        acct = self.account_rates.get(target.platform)
        if acct is not None:
            out.append((f"account:{target}", acct))
        return out

    def acquire(self, target: Target) -> float:
        """0 when a send may go now (its tokens taken); otherwise the seconds to wait.

        A wait within what is left of :attr:`patience` is slept here and the token taken after it
        (other threads and machines may take it first: then the next wait, while patience lasts).
        """
        left = self.patience
        for key, rate in self._keys(target):
            wait = self.buckets.take(key, rate)
            while 0 < wait <= left:
                self.sleep(wait)
                left -= wait
                wait = self.buckets.take(key, rate)
            if wait > 0:
                return wait
        return 0.0

    def block(self, target: Target, seconds: float, app_wide: bool = False) -> None:
        for key, rate in self._keys(target):
            if app_wide or key.startswith("account:"):
                self.buckets.drain(key, rate, seconds)

    def held(self, target: Target) -> float:
        """While a platform's "slow down" holds ``target``: the seconds until it may send again
        (the next token after the hold); 0 when nothing holds it but our own pacing."""
        peek = getattr(self.buckets, "peek", None)
        if peek is None:
            return 0.0
        return max([0.0] + [_until_token(float(peek(key, rate)), rate) for key, rate in self._keys(target)])

    def release(self, target: Target, sends: int = 1) -> float:
        """The officer's retry: lift our own pacing so ``sends`` deliveries of ``target`` go now.

        A hold the platform asked for stays (sending against it only earns another 429, or
        spends a daily cap): the answer is the seconds until a send may go, 0 when they go now.
        """
        grant = getattr(self.buckets, "grant", None)
        if grant is None:
            return 0.0
        return max(
            [0.0]
            + [_until_token(float(grant(key, rate, max(1, sends))), rate) for key, rate in self._keys(target)]
        )


def _until_token(tokens: float, rate: Rate) -> float:
    """Seconds until a bucket held below zero by the platform has a token again (0: not held)."""
    return (1 - tokens) / rate.per_second if tokens < 0 else 0.0


# Lua: KEYS[1] bucket; ARGV burst, rate, mode ("take" | "drain" | "peek" | "grant"), drain seconds
# or granted tokens. Returns the wait in milliseconds (0 = token taken); "peek" and "grant" return
# the tokens after, in thousandths. Redis TIME is the one clock for all workers.
LUA = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local mode = ARGV[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(v[1])
local ts = tonumber(v[2])
if tokens == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
if mode == 'peek' then
  return math.floor(tokens * 1000)
end
local wait = 0
if mode == 'drain' then
  tokens = math.min(tokens, -tonumber(ARGV[4]) * rate)
elseif mode == 'grant' then
  if tokens >= 0 then tokens = math.max(tokens, math.min(burst, tonumber(ARGV[4]))) end
  wait = math.floor(tokens * 1000)
elseif tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
local ttl = math.ceil((burst - tokens) / rate) + 60
redis.call('EXPIRE', KEYS[1], ttl)
return wait
"""


#: Redis unreachable (restarting): nothing was sent, the send waits this long and is claimed again
UNAVAILABLE_WAIT = 5.0


class RedisBuckets:
    def __init__(self, client: Any, prefix: str = "publisher:rate:") -> None:
        # redis loads only when a Redis limiter is configured (start-up time of the other commands)
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        self.client = client
        self.prefix = prefix
        self.script = client.register_script(LUA)
        self.down: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError)

    @classmethod
    def from_url(cls, url: str) -> RedisBuckets:
        import redis  # loaded only when a Redis limiter is configured (start-up time)

        return cls(redis.Redis.from_url(url))

    def take(self, key: str, rate: Rate) -> float:
        try:
            waited = self.script(keys=[self.prefix + key], args=[rate.burst, rate.per_second, "take", 0])
        except self.down as exc:  # no answer is no token: wait, never a failed delivery
            log.warning(
                "rate limiter unreachable (%s); the send waits %.0f s", type(exc).__name__, UNAVAILABLE_WAIT
            )
            return UNAVAILABLE_WAIT
        return int(waited) / 1000.0

    def drain(self, key: str, rate: Rate, seconds: float) -> None:
        try:
            self.script(keys=[self.prefix + key], args=[rate.burst, rate.per_second, "drain", seconds])
        except self.down as exc:  # the delivery that was told still waits; the others learn it themselves
            log.warning(
                "rate limiter unreachable (%s); a %.0f s hold was not shared", type(exc).__name__, seconds
            )

    def peek(self, key: str, rate: Rate) -> float:
        return (
            int(self.script(keys=[self.prefix + key], args=[rate.burst, rate.per_second, "peek", 0])) / 1000.0
        )

    def grant(self, key: str, rate: Rate, tokens: int) -> float:
        return (
            int(self.script(keys=[self.prefix + key], args=[rate.burst, rate.per_second, "grant", tokens]))
            / 1000.0
        )


class DatabaseBuckets:
    """The buckets as ``rate_buckets`` rows, each changed in one locked write transaction."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.rows = BucketRows(db)
        self.clock = clock

    def _refilled(self, stored: Stored, rate: Rate) -> tuple[float, float]:
        """The tokens now (refilled since they were counted, at most ``burst``), and now."""
        now = self.clock()
        tokens, ts = stored if stored is not None else (rate.burst, now)
        return min(rate.burst, tokens + max(0.0, now - ts) * rate.per_second), now

    def _update(self, key: str, rate: Rate, drain: float | None, grant: int | None = None) -> float:
        """Take a token (both ``None``: the wait), drain, or grant (answers the tokens after)."""

        def step(stored: Stored) -> tuple[float, float, float]:
            tokens, now = self._refilled(stored, rate)
            wait = 0.0
            if drain is not None:
                tokens = min(tokens, -drain * rate.per_second)
            elif grant is not None:
                if tokens >= 0:  # below zero is the platform's hold: never lifted here
                    tokens = max(tokens, min(rate.burst, float(grant)))
            elif tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate.per_second
            return tokens, now, tokens if grant is not None else wait

        return self.rows.change(key, step, fallback=1.0)

    def take(self, key: str, rate: Rate) -> float:
        return self._update(key, rate, None)

    def drain(self, key: str, rate: Rate, seconds: float) -> None:
        self._update(key, rate, seconds)

    def peek(self, key: str, rate: Rate) -> float:
        return self._refilled(self.rows.read(key), rate)[0]

    def grant(self, key: str, rate: Rate, tokens: int) -> float:
        return self._update(key, rate, None, tokens)


def account_rates(settings: Any) -> dict[Platform, Rate | None]:
    """Per-account rates from the settings (``PUBLISHER_FACEBOOK__POSTS_PER_MINUTE`` …)."""
    rates = dict(ACCOUNT_RATES)
    for platform in (Platform.FACEBOOK, Platform.YOUTUBE, Platform.ZALO):
        section = getattr(settings, platform.value, None)
        per_minute = getattr(section, "posts_per_minute", None)
        burst = getattr(section, "burst", None)
        if per_minute is not None and burst is not None:
            # 0 (or less) switches the account limit off; the platform's own answers still apply
            rates[platform] = (
                Rate(burst=int(burst), per_second=float(per_minute) / 60) if per_minute > 0 else None
            )
    return rates


def limiter_for(settings: Any, db: Database) -> Limiter:
    """Redis buckets when a Redis broker is configured, else the database."""
    url = getattr(settings, "broker_url", None)
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        return Limiter(RedisBuckets.from_url(url), account_rates(settings))
    return Limiter(DatabaseBuckets(db), account_rates(settings))
