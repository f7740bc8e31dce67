"""The database's copy: an SQLite online-backup snapshot, or ``pg_dump``/``pg_restore`` for
PostgreSQL with the password passed in the environment, never on a command line."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import make_url

from publisher.errors import PublisherError, UserError
from publisher.i18n import msg
from publisher.settings import Settings
from publisher.store.backup.common import RestoreReport
from publisher.store.db import Database, sqlite_path


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries it (never on a command line)."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    plain = u.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _sqlite_snapshot(db: Database, target: Path) -> None:
    path = sqlite_path(db.url)
    assert path is not None
    src = sqlite3.connect(str(path), timeout=60)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # the online backup API: one consistent snapshot of committed data
    finally:
        dst.close()
        src.close()


def _pg_dump(url: str, target: Path) -> None:
    conninfo, env = _libpq(url)
    done = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--file", str(target), "--dbname", conninfo],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode:
        raise PublisherError(msg("backup.pg_failed", error=done.stderr.strip()[:500]))


def _pg_restore(settings: Settings, db: Database, dump: Path, report: RestoreReport) -> None:
    if not dump.exists():
        raise UserError(msg("restore.pg_missing"))
    conninfo, env = _libpq(db.url)
    if not shutil.which("pg_restore"):
        raise UserError(msg("restore.pg_instructions", url=conninfo))
    done = subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", conninfo, str(dump)],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode:
        raise PublisherError(msg("restore.pg_failed", error=done.stderr.strip()[:500]))
    dump.unlink()  # the database holds it now; no second copy lies around
    report.files -= 1
