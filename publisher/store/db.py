"""Engine, transactions and migrations, for SQLite (WAL) and PostgreSQL with the same code.

Also the file modes of the data directory: it holds the key and the database, so it is created 0700,
and the key file and the SQLite database (with its ``-wal`` and ``-shm`` files) 0600, whatever the
umask. A wider mode is refused (``publisher init`` tightens it).
"""

from __future__ import annotations

import os
import stat
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect

from publisher.errors import UserError
from publisher.i18n import Msg, msg, register

MIGRATIONS = Path(__file__).parent / "migrations"
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600

register(
    {
        "db.no_data_dir": (
            "Chưa có thư mục dữ liệu {dir}. Lần đầu dùng: chạy “publisher init”. Nếu đã có dữ liệu ở nơi khác: "
            "chạy lệnh trong đúng thư mục đó hoặc đặt PUBLISHER_DATA_DIR.",
            "There is no data directory {dir}. First time: run “publisher init”. If your data is elsewhere, run "
            "the command from that folder or set PUBLISHER_DATA_DIR.",
        ),
        "db.data_dir_unusable": (
            "Không dùng được thư mục dữ liệu {dir}: {error}. Chọn một thư mục ghi được bằng PUBLISHER_DATA_DIR.",
            "Cannot use the data directory {dir}: {error}. Choose a folder you can write with PUBLISHER_DATA_DIR.",
        ),
        "db.not_writable": (
            "không ghi được (quyền hoặc ổ đĩa chỉ đọc)",
            "not writable (permissions or a read-only disk)",
        ),
        "db.not_a_dir": ("không phải là thư mục", "not a directory"),
        "db.mode_too_wide": (
            "{path} đang để quyền {mode}, người khác trên máy đọc được. Chạy “publisher init” để sửa thành {want} "
            "(hoặc: chmod {want_octal} {path}).",
            "{path} has mode {mode}: other users of this machine can read it. Run “publisher init” to set it to "
            "{want} (or: chmod {want_octal} {path}).",
        ),
        "db.mode_fixed": (
            "Đã sửa quyền {path}: {mode} → {want}.",
            "Fixed the mode of {path}: {mode} → {want}.",
        ),
    }
)


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (``None`` for PostgreSQL or an in-memory database)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def sqlite_files(url: str) -> list[Path]:
    """The SQLite database and its ``-wal``/``-shm`` files that exist now."""
    path = sqlite_path(url)
    if path is None:
        return []
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def _mode(value: int) -> str:
    return f"{stat.S_IMODE(value):04o}"


def keep_private(path: Path, want: int, fix: bool) -> Msg | None:
    """Refuse (or, with ``fix``, tighten) a file or directory that others may read or write.

    Returns a note when the mode was fixed, ``None`` when it was already private.
    """
    if os.name != "posix":  # pragma: no cover - modes mean nothing there
        return None
    current = stat.S_IMODE(path.stat().st_mode)
    if not current & 0o077:
        return None
    if not fix:
        raise UserError(
            msg("db.mode_too_wide", path=path, mode=_mode(current), want=_mode(want), want_octal=f"{want:o}")
        )
    try:
        os.chmod(path, want)
    except OSError as exc:
        raise UserError(msg("db.data_dir_unusable", dir=path, error=exc.strerror or exc)) from None
    return msg("db.mode_fixed", path=path, mode=_mode(current), want=_mode(want))


def secure_data_dir(path: Path, create: bool) -> list[Msg]:
    """The data directory exists, is a private (0700) writable directory; with ``create`` it is made so."""
    notes: list[Msg] = []
    if not path.exists():
        if not create:
            raise UserError(msg("db.no_data_dir", dir=path.resolve()))
        try:
            path.mkdir(parents=True, mode=PRIVATE_DIR)
        except OSError as exc:
            raise UserError(msg("db.data_dir_unusable", dir=path, error=exc.strerror or exc)) from None
    if not path.is_dir():
        raise UserError(msg("db.data_dir_unusable", dir=path, error=msg("db.not_a_dir")))
    note = keep_private(path, PRIVATE_DIR, fix=create)
    if note:
        notes.append(note)
    if not os.access(path, os.W_OK | os.X_OK):
        raise UserError(msg("db.data_dir_unusable", dir=path, error=msg("db.not_writable")))
    return notes


def secure_files(paths: list[Path], fix: bool) -> list[Msg]:
    """Each existing file is private (0600); with ``fix`` a wider mode is tightened."""
    return [note for p in paths if p.exists() and (note := keep_private(p, PRIVATE_FILE, fix)) is not None]


#: sends at once in one publishing worker when nothing says otherwise, by Celery pool
DEFAULT_CONCURRENCY = {"threads": 32, "prefork": 2}

#: connections a process may need besides one per sending thread: the lease heartbeat thread,
#: the dispatcher tick and the collect tasks (which run on their own pool threads)
SPARE_CONNECTIONS = 2


def pool_limits(threads: int = 1) -> tuple[int, int]:
    """``(pool_size, max_overflow)`` for a process running ``threads`` sends at once.

    A send holds one connection at a time and none during the platform call
    (:mod:`publisher.actions.publish`), so a pool of ``threads`` plus the spare ones never makes a
    thread wait for a connection. Up to 5 threads (a prefork child, a command, the web app) it is
    5 kept and 10 more at a peak, as before; above, ``threads + 2`` kept and 4 more at a peak.
    Connections are opened on first use, never ahead: an idle worker holds few.
    """
    if threads <= 5:
        return 5, 10
    return threads + SPARE_CONNECTIONS, 4


def make_engine(url: str, threads: int = 1, **kwargs: Any) -> Engine:
    pool_size, max_overflow = pool_limits(threads)
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        # pooled (QueuePool, check_same_thread off): a connection and its PRAGMAs are made once,
        # not per transaction; one per thread, so no thread waits for a connection behind another
        # one waiting for the write lock (SQLite itself serialises the writes, busy_timeout 60 s)
        engine = create_engine(
            url, pool_size=pool_size, max_overflow=max_overflow, connect_args={"timeout": 60}, **kwargs
        )

        @event.listens_for(engine, "do_connect")
        def _private_file(*_args: Any) -> None:
            # SQLite creates its file 0644 and gives -wal/-shm the mode of the database file: make the
            # file (and a missing folder) private first, whatever the umask
            if path is not None and not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
                with suppress(FileExistsError):
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (IMMEDIATE for writes)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    # pre-ping: a connection broken by a database restart is replaced before it is used
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow, **kwargs)


_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _forget_inherited_connections() -> None:
    """In a forked child (Celery's prefork pool) never touch the parent's pooled connections."""
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_inherited_connections)


class Database:
    """One engine and the two kinds of transaction the store uses.

    ``threads``: how many threads of this process use it at once (a threads worker's concurrency);
    the connection pool is sized from it (:func:`pool_limits`).
    """

    def __init__(self, url: str, threads: int = 1) -> None:
        self.url = url
        self.engine = make_engine(url, threads)
        _ENGINES.add(self.engine)
        self.is_sqlite = self.engine.dialect.name == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction. On SQLite the write lock is taken at BEGIN (no upgrade deadlock)."""
        with self.engine.connect() as conn:
            if self.is_sqlite:
                conn = conn.execution_options(sqlite_immediate=True)
            with conn.begin():
                yield conn

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent)."""
        # alembic loads only when migrating (start-up time of every other command)
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def has_schema(self) -> bool:
        return inspect(self.engine).has_table("deliveries")

    def dispose(self) -> None:
        self.engine.dispose()
