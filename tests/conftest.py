"""Shared fixtures: settings on a temporary data dir, and a store on SQLite and on PostgreSQL.

Tests that need PostgreSQL or Redis are skipped with a message saying how to start them when the
server is not reachable, unless ``PUBLISHER_TEST_REQUIRE_SERVICES=1`` (set by ``.ci/run``), which
turns those skips into failures.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from publisher.i18n import set_language
from publisher.settings import Settings

PG_ADMIN_URL = os.environ.get(
    "PUBLISHER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("PUBLISHER_TEST_REDIS_URL", "redis://127.0.0.1:6379")
# the Redis databases the worker tests may flush, on the server of PUBLISHER_TEST_REDIS_URL
REDIS_DBS = os.environ.get("PUBLISHER_TEST_REDIS_DBS", "9-15")
REQUIRE = os.environ.get("PUBLISHER_TEST_REQUIRE_SERVICES", "") in ("1", "true", "yes")

HOW = {
    "postgresql": "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "redis": 'start it with: redis-server --daemonize yes --port 6379 --save "" --appendonly no',
}


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def redis_address() -> tuple[str, int]:
    """Host and port of the test Redis server (``PUBLISHER_TEST_REDIS_URL``)."""
    parts = urlsplit(REDIS_URL)
    return parts.hostname or "127.0.0.1", parts.port or 6379


def pg_address() -> tuple[str, int]:
    """Host and port of the test PostgreSQL server (``PUBLISHER_TEST_PG_URL``)."""
    from sqlalchemy import make_url

    url = make_url(PG_ADMIN_URL)
    return url.host or "127.0.0.1", url.port or 5432


def redis_db_numbers() -> list[int]:
    """The database numbers the tests may flush (``PUBLISHER_TEST_REDIS_DBS``, e.g. ``9-15``)."""
    low, _, high = REDIS_DBS.partition("-")
    return list(range(int(low), int(high or low) + 1))


def redis_test_url(db: int) -> str:
    """``PUBLISHER_TEST_REDIS_URL`` with its database number replaced by ``db``."""
    parts = urlsplit(REDIS_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by the servers they use, so ``-m "not postgres and not redis"`` leaves them out."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        params = list(getattr(getattr(item, "callspec", None), "params", {}).values())
        if "pg_url" in fixtures or any(p == "postgresql" for p in params):
            item.add_marker(pytest.mark.postgres)
        if "redis_url" in fixtures or any(p == "redis" for p in params):
            item.add_marker(pytest.mark.redis)


def need_service(name: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    text = f"{name} is not reachable on {host}:{port}; {HOW[name].replace('6379', str(port))}"
    if REQUIRE:
        pytest.fail(text + " (PUBLISHER_TEST_REQUIRE_SERVICES=1)")
    pytest.skip(text)


def need_ffmpeg(module: bool = False) -> None:
    """Video tests need ffmpeg and ffprobe; skipped with how to install them, or failed in CI."""
    if shutil.which("ffmpeg") and shutil.which("ffprobe"):
        return
    text = "ffmpeg/ffprobe are not installed; install them with: apt-get install ffmpeg"
    if REQUIRE:
        pytest.fail(text + " (PUBLISHER_TEST_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(text, allow_module_level=module)


@pytest.fixture(autouse=True)
def _language(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("PUBLISHER_LANGUAGE", raising=False)
    set_language("vi")
    yield
    set_language("vi")


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": tmp_path / "var", "user": "can-bo"}
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    need_service("postgresql", *pg_address())
    from sqlalchemy import create_engine, text

    name = f"pubtest_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(db_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[object]:
    """An initialised Store on SQLite or PostgreSQL (parametrised)."""
    from publisher.store import Store

    if db_kind == "postgresql":
        url = request.getfixturevalue("pg_url")
        st = make_settings(tmp_path, database_url=url)
    else:
        st = make_settings(tmp_path)
    s = Store(st)
    s.init()
    try:
        yield s
    finally:
        s.db.dispose()
