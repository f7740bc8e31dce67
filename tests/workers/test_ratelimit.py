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


# -- the officer's retry and the platform's holds (issue 10 point 2) -------------------------------
@pytest.fixture(params=["database", "redis"])
def make_app_limiter(request: pytest.FixtureRequest, store: Store) -> Iterator[object]:
    """Like ``make_limiter``, with an app-wide bucket as well (one per platform)."""
    app = {Platform.FACEBOOK: Rate(burst=50, per_second=5)}
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        import redis

        client = redis.Redis.from_url(url)
        yield lambda: Limiter(RedisBuckets(client), account_rates=RATES, app_rates=app)
        client.close()
    else:
        db = Database(store.settings.db_url)
        yield lambda: Limiter(DatabaseBuckets(db), account_rates=RATES, app_rates=app)
        db.dispose()


def test_release_lifts_our_own_pacing_for_the_officer(make_limiter: object) -> None:
    worker, cli = make_limiter(), make_limiter()  # type: ignore[operator]
    assert [worker.acquire(PAGE) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert worker.acquire(PAGE) > 0  # our own pacing: the next token in about 2 s
    assert cli.held(PAGE) == 0.0  # …which is not a hold the platform asked for
    assert cli.release(PAGE) == 0.0
    assert worker.acquire(PAGE) == 0.0  # the retried delivery goes now
    assert worker.acquire(PAGE) > 0  # and only that one: the pacing goes on after it


def test_release_does_not_lift_a_hold_the_platform_asked_for(make_limiter: object) -> None:
    worker, cli = make_limiter(), make_limiter()  # type: ignore[operator]
    worker.block(PAGE, 120)
    left = cli.release(PAGE)  # the hold, then the next token at 0.5/s: as ``acquire`` would say
    assert 118 < left <= 122 and 118 < cli.held(PAGE) <= 122
    assert worker.acquire(PAGE) > 118  # still held: nothing is sent against the platform's word
    assert cli.held(OTHER) == 0.0 and cli.release(OTHER) == 0.0


def test_an_app_wide_hold_is_seen_from_every_account(make_app_limiter: object) -> None:
    worker, cli = make_app_limiter(), make_app_limiter()  # type: ignore[operator]
    worker.block(PAGE, 600, app_wide=True)  # e.g. the project's daily cap
    assert 595 < cli.release(OTHER) <= 601
    assert worker.acquire(OTHER) > 595


def test_redis_unreachable_means_wait_briefly_not_an_error() -> None:
    """Redis restarting under a worker: nothing was sent yet, so the send waits a few seconds and
    is claimed again; the delivery is never failed for it (test_redis_restarted_mid_run)."""
    import socket

    import redis

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    client = redis.Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=0.5)
    limiter = Limiter(RedisBuckets(client), account_rates=RATES, app_rates={})
    assert 0 < limiter.acquire(PAGE) <= 10
    limiter.block(PAGE, 30)  # the platform's word cannot be shared now; the send path goes on
    client.close()
