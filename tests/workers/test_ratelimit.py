"""Token buckets shared by every worker: in Redis (Lua) and in the database (embedded default)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from publisher.core.models import Platform, Target
from publisher.ratelimit import DatabaseBuckets, Limiter, Rate, RedisBuckets, limiter_for
from publisher.store import Database, Store

PAGE = Target(Platform.FACEBOOK, "ubnd-xa")
OTHER = Target(Platform.FACEBOOK, "ubnd-huyen")
RATES = {Platform.FACEBOOK: Rate(burst=3, per_second=0.5)}


@pytest.fixture(params=["database", "redis"])
def make_limiter(request: pytest.FixtureRequest, store: Store) -> Iterator[object]:
    """A factory of limiters that share one bucket store, as two worker processes would."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        import redis

        clients: list[redis.Redis] = []

        def make() -> Limiter:
            client = redis.Redis.from_url(url)
            clients.append(client)
            return Limiter(RedisBuckets(client), account_rates=RATES, app_rates={})

        yield make
        for c in clients:
            c.close()
    else:
        dbs: list[Database] = []

        def make() -> Limiter:
            db = Database(store.settings.db_url)
            dbs.append(db)
            return Limiter(DatabaseBuckets(db), account_rates=RATES, app_rates={})

        yield make
        for d in dbs:
            d.dispose()


def test_bucket_is_shared_between_workers(make_limiter: object) -> None:
    first, second = make_limiter(), make_limiter()  # type: ignore[operator]
    grants = [w.acquire(PAGE) for w in (first, second, first)]
    assert grants == [0.0, 0.0, 0.0]  # the burst of 3, taken by two "workers"
    wait = second.acquire(PAGE)
    assert 0 < wait <= 2.0  # 1 token at 0.5/s
    assert first.acquire(OTHER) == 0.0  # another account has its own bucket


def test_block_after_a_platform_429_applies_to_every_worker(make_limiter: object) -> None:
    first, second = make_limiter(), make_limiter()  # type: ignore[operator]
    first.block(PAGE, 60)
    assert second.acquire(PAGE) > 60


def test_sandbox_is_not_limited_and_embedded_default_uses_the_database(store: Store) -> None:
    limiter = limiter_for(store.settings, store.db)
    assert isinstance(limiter.buckets, DatabaseBuckets)
    sandbox = Target(Platform.SANDBOX, "demo")
    assert all(limiter.acquire(sandbox) == 0.0 for _ in range(100))


def test_account_rates_come_from_the_settings() -> None:
    from publisher.core.models import Platform
    from publisher.ratelimit import account_rates
    from publisher.settings import Settings

    s = Settings(_env_file=None)  # type: ignore[call-arg]
    s.facebook.posts_per_minute = 6
    s.facebook.burst = 2
    rates = account_rates(s)
    fb = rates[Platform.FACEBOOK]
    assert fb is not None and fb.burst == 2 and abs(fb.per_second - 0.1) < 1e-9
    assert rates[Platform.SANDBOX] is None


def test_zero_per_minute_switches_the_account_limit_off() -> None:
    from publisher.core.models import Platform
    from publisher.ratelimit import account_rates
    from publisher.settings import Settings

    s = Settings(_env_file=None)  # type: ignore[call-arg]
    s.zalo.posts_per_minute = 0
    assert account_rates(s)[Platform.ZALO] is None
