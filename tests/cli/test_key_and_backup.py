"""The key and the data directory (issue 11): only ``publisher init`` makes a key, the database knows
its key's fingerprint, the files are private whatever the umask, and ``backup``/``restore`` move a
whole installation into an empty data directory that then publishes."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import stat
import tarfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from PIL import Image
from pydantic import SecretStr

from publisher.core.models import Platform, Target
from publisher.platforms.base import Credentials
from publisher.settings import Settings
from publisher.store import Store
from publisher.store.crypto import FINGERPRINT_KEY, KeyMismatch, key_fingerprint
from tests.cli.conftest import Cli
from tests.conftest import PG_ADMIN_URL

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TOKEN = "EAAB-zalo-access-token-kept-by-the-key"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _settings(run: Cli, **env: str) -> Settings:
    values: dict[str, object] = {
        "data_dir": Path(env.get("PUBLISHER_DATA_DIR", str(run.data))),
        "user": "can-bo",
    }
    if "PUBLISHER_DATABASE_URL" in env:
        values["database_url"] = env["PUBLISHER_DATABASE_URL"]
    if "PUBLISHER_SECRET_KEY" in env:
        values["secret_key"] = SecretStr(env["PUBLISHER_SECRET_KEY"])
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def _credentials(run: Cli, target: str = "zalo/xa", **env: str) -> Credentials:
    st = Store(_settings(run, **env))
    try:
        return st.credentials(st.account(target).id)
    finally:
        st.db.dispose()


def _sealed_column(db_file: Path) -> list[str | None]:
    conn = sqlite3.connect(db_file)
    try:
        return [r[0] for r in conn.execute("SELECT credentials FROM accounts ORDER BY id")]
    finally:
        conn.close()


def _add_token(run: Cli, **env: str) -> None:
    r = run("accounts", "add", "zalo/xa", "--token-stdin", "--remote-id", "579", input=TOKEN + "\n", **env)
    assert r.exit_code == 0, r.output


# -- only init makes a key ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("list",),
        ("status",),
        ("accounts", "list"),
        ("show", "1"),
        ("log",),
        ("report", "weekly"),
        ("collect",),
    ],
)
def test_no_command_but_init_creates_the_data_dir_or_a_key(run: Cli, args: tuple[str, ...]) -> None:
    r = run(*args)
    assert r.exit_code == 2, r.output
    assert "publisher init" in r.output and "Traceback" not in r.output
    assert not run.data.exists()  # no data directory, no key, no database made behind the officer's back
    created = run("init")
    assert created.exit_code == 0, created.output
    assert (run.data / "secret.key").is_file()
    assert run("list").exit_code == 0


def test_accounts_add_before_init_makes_no_key(run: Cli) -> None:
    r = run("accounts", "add", "zalo/xa", "--token-stdin", input=TOKEN + "\n")
    assert r.exit_code == 2, r.output
    assert not (run.data / "secret.key").exists()


def test_private_modes_under_umask_000(run: Cli) -> None:
    old = os.umask(0)
    try:
        assert run("init").exit_code == 0
        _add_token(run)
        st = Store(_settings(run))  # a live connection keeps the -wal and -shm files
        try:
            st.save_credentials(st.account("zalo/xa").id, Credentials(access_token=TOKEN))
            files = sorted(run.data.glob("publisher.sqlite*"))
            assert {f.name for f in files} >= {
                "publisher.sqlite",
                "publisher.sqlite-wal",
                "publisher.sqlite-shm",
            }
            assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
        finally:
            st.db.dispose()
    finally:
        os.umask(old)
    assert _mode(run.data) == 0o700
    assert _mode(run.data / "secret.key") == 0o600


@pytest.mark.parametrize(
    ("name", "wide", "want"),
    [
        ("", 0o755, 0o700),
        ("", 0o777, 0o700),
        ("secret.key", 0o644, 0o600),
        ("publisher.sqlite", 0o644, 0o600),
        ("publisher.sqlite", 0o640, 0o600),
    ],
)
def test_a_wider_mode_is_refused_and_init_tightens_it(run: Cli, name: str, wide: int, want: int) -> None:
    assert run("init").exit_code == 0
    path = run.data / name if name else run.data
    os.chmod(path, wide)
    for args in (("list",), ("accounts", "list"), ("backup", str(run.data.parent / "b.tar"))):
        r = run(*args)
        assert r.exit_code == 2, (args, r.output)
        assert f"{wide:04o}" in r.output and "publisher init" in r.output and f"chmod {want:o}" in r.output
    assert not (run.data.parent / "b.tar").exists()
    assert _mode(path) == wide  # only init changes a mode
    fixed = run("init")
    assert fixed.exit_code == 0, fixed.output
    assert f"{wide:04o} → {want:04o}" in fixed.output
    assert _mode(path) == want
    assert run("list").exit_code == 0


# -- the database knows its key -----------------------------------------------------------------


def test_a_missing_key_is_refused_and_never_replaced(run: Cli, tmp_path: Path) -> None:
    assert run("init").exit_code == 0
    _add_token(run)
    key = run.data / "secret.key"
    kept = tmp_path / "kept.key"
    shutil.move(key, kept)
    for args in (("list",), ("accounts", "list"), ("status",)):
        r = run(*args)
        assert r.exit_code == 2, r.output
        assert "publisher restore" in r.output and "secret.key" in r.output
    refused = run("accounts", "add", "facebook/trang", "--token-stdin", input="EAAB-other\n")
    assert refused.exit_code == 2
    again = run("init")  # init does not paper over a lost key either
    assert again.exit_code == 2, again.output
    assert "--forget-credentials" in again.output and "secret.key" in again.output
    assert not key.exists()
    shutil.copy(kept, key)
    os.chmod(key, 0o600)
    assert run("accounts", "list").exit_code == 0
    assert _credentials(run).access_token == TOKEN


def test_another_key_is_refused_by_every_command(run: Cli) -> None:
    assert run("init").exit_code == 0
    _add_token(run)
    key = run.data / "secret.key"
    right = key.read_bytes().strip()
    other = Fernet.generate_key()
    key.write_bytes(other)
    before = _sealed_column(run.data / "publisher.sqlite")
    commands = (
        ("list",),
        ("status",),
        ("accounts", "list"),
        ("init",),
        ("backup", "b.tar"),
        ("log",),
        ("collect",),
    )
    for args in commands + (("report", "weekly"),):
        r = run(*args)
        assert r.exit_code == 2, (args, r.output)
        assert key_fingerprint(right)[:12] in r.output and key_fingerprint(other)[:12] in r.output
        assert "secret.key" in r.output and "PUBLISHER_SECRET_KEY" in r.output
    r = run("accounts", "add", "facebook/trang", "--token-stdin", input="EAAB-other\n")
    assert r.exit_code == 2
    en = run("list", PUBLISHER_LANGUAGE="en")
    assert "is not this database's key" in en.output and "copy secret.key from your backup" in en.output
    env_wrong = run("list", PUBLISHER_SECRET_KEY=Fernet.generate_key().decode())
    assert env_wrong.exit_code == 2 and "PUBLISHER_SECRET_KEY" in env_wrong.output
    assert _sealed_column(run.data / "publisher.sqlite") == before  # nothing sealed with a second key
    key.unlink()
    env_right = run("accounts", "list", PUBLISHER_SECRET_KEY=right.decode())
    assert env_right.exit_code == 0, env_right.output
    assert _credentials(run, PUBLISHER_SECRET_KEY=right.decode()).access_token == TOKEN


def test_a_database_without_a_fingerprint_gets_one_from_a_key_that_opens_it(run: Cli) -> None:
    """Databases made before the fingerprint existed: a key that does not open their credentials is
    refused; the one that does is used, and ``publisher init`` (only) records it."""
    assert run("init").exit_code == 0
    _add_token(run)
    db_file = run.data / "publisher.sqlite"
    key = run.data / "secret.key"
    right = key.read_bytes()

    def forget_fingerprint() -> None:
        conn = sqlite3.connect(db_file)
        with conn:
            conn.execute("DELETE FROM meta WHERE key = ?", (FINGERPRINT_KEY,))
        conn.close()

    forget_fingerprint()
    key.write_bytes(Fernet.generate_key())
    r = run("list")
    assert r.exit_code == 2 and "secret.key" in r.output
    key.write_bytes(right)
    forget_fingerprint()
    assert run("list").exit_code == 0
    assert _fingerprint_of(db_file) is None
    assert run("init").exit_code == 0
    conn = sqlite3.connect(db_file)
    (value,) = conn.execute("SELECT value FROM meta WHERE key = ?", (FINGERPRINT_KEY,)).fetchone()
    conn.close()
    assert json.loads(value)["sha256"] == key_fingerprint(right)


def test_the_vault_never_seals_with_another_key(store: Store) -> None:
    """A worker (no CLI check) with another key cannot mix keys either: it is refused before sealing."""
    account = store.add_account(
        Target(Platform.ZALO, "xa"), "can-bo", credentials=Credentials(access_token=TOKEN)
    )
    other = Store(
        store.settings.model_copy(update={"secret_key": SecretStr(Fernet.generate_key().decode())}), store.db
    )
    with pytest.raises(KeyMismatch):
        other.save_credentials(account, Credentials(access_token="EAAB-sealed-with-the-wrong-key"))
    with pytest.raises(KeyMismatch):
        other.add_account(
            Target(Platform.FACEBOOK, "trang"), "can-bo", credentials=Credentials(access_token="x")
        )
    assert store.credentials(account).access_token == TOKEN
    assert [a.name for a in store.accounts()] == ["xa"]


def test_forget_credentials_when_the_key_is_lost_for_good(run: Cli) -> None:
    assert run("init").exit_code == 0
    _add_token(run)
    (run.data / "secret.key").unlink()
    r = run("init", "--forget-credentials")
    assert r.exit_code == 0, r.output
    assert "1" in r.output and (run.data / "secret.key").is_file()
    assert _mode(run.data / "secret.key") == 0o600
    rows = json.loads(run("accounts", "list", "--json").output)
    zalo = next(a for a in rows if a["target"] == "zalo/xa")
    assert zalo["status"] == "needs_reauth"
    assert _sealed_column(run.data / "publisher.sqlite")[-1] is None
    _ = run("accounts", "remove", "zalo/xa")
    _add_token(run)  # sealed with the new key, which the database now knows
    assert _credentials(run).access_token == TOKEN


# -- backup and restore ------------------------------------------------------------------------


def _schedule(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "lich"
    (folder / "media").mkdir(parents=True)
    photo = folder / "media" / "le-hoi.jpg"
    Image.new("RGB", (320, 240), (200, 30, 30)).save(photo, "JPEG")
    now = datetime.now(VN)
    path = folder / "lich.yaml"
    path.write_text(
        f"""timezone: Asia/Ho_Chi_Minh
posts:
  - id: le-hoi-xa
    at: {now:%Y-%m-%d %H:%M}
    grace: 2h
    title: Lễ hội truyền thống xã Hạnh Dịch
    text: Mời bà con đến dự lễ hội truyền thống của xã.
    images: [media/le-hoi.jpg]
    targets: [sandbox/demo]
""",
        encoding="utf-8",
    )
    return path, photo


@pytest.fixture
def office(run: Cli, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """An office with a queued post (due now, with a photo) and an account with a token."""
    run.env["PUBLISHER_REQUIRE_APPROVAL"] = "false"
    assert run("init").exit_code == 0
    _add_token(run)
    path, photo = _schedule(tmp_path)
    queued = run("queue", str(path))
    assert queued.exit_code == 0, queued.output
    yield path, photo


def test_backup_then_restore_into_an_empty_data_dir_publishes(
    run: Cli, tmp_path: Path, office: tuple[Path, Path]
) -> None:
    _, photo = office
    old = run.data
    # a prepared variant in the media cache, recorded for the delivery (paths under the old data dir)
    st = Store(_settings(run))
    did = st.deliveries()[0].id
    variant = old / "cache" / "ab" / "variant.jpg"
    variant.parent.mkdir(parents=True)
    variant.write_bytes(b"prepared-bytes")
    st.record_media(did, {"hash": "h", "images": [str(variant.resolve())]}, "ready", None)
    st.db.dispose()
    (old / "outbox" / "demo").mkdir(parents=True)
    (old / "outbox" / "demo" / "earlier.html").write_text("<p>đã đăng trước đây</p>", encoding="utf-8")

    archive = tmp_path / "sao-luu.tar"
    r = run("backup", str(archive))
    assert r.exit_code == 0, r.output
    assert _mode(archive) == 0o600
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {
        "publisher.sqlite",
        "secret.key",
        "manifest.json",
        "outbox/demo/earlier.html",
        "cache/ab/variant.jpg",
        "media/0/le-hoi.jpg",
    } <= names
    again = run("backup", str(archive))
    assert again.exit_code == 2  # never over an existing file

    # the machine is gone: data directory and the photo
    photo_bytes = photo.read_bytes()
    shutil.rmtree(old)
    photo.unlink()
    new = tmp_path / "may-moi" / "var"
    env = {"PUBLISHER_DATA_DIR": str(new)}
    restored = run("restore", str(archive), **env)
    assert restored.exit_code == 0, restored.output
    assert str(photo) in restored.output
    assert photo.read_bytes() == photo_bytes
    assert (
        _mode(new) == 0o700
        and _mode(new / "secret.key") == 0o600
        and _mode(new / "publisher.sqlite") == 0o600
    )
    assert (new / "outbox" / "demo" / "earlier.html").read_text(
        encoding="utf-8"
    ) == "<p>đã đăng trước đây</p>"
    assert _credentials(run, **env).access_token == TOKEN
    st = Store(_settings(run, **env))
    media = st.deliveries()[0]
    with st.db.read() as conn:
        from sqlalchemy import select

        from publisher.store import schema as s

        recorded = conn.execute(
            select(s.deliveries.c.media).where(s.deliveries.c.id == media.id)
        ).scalar_one()
    st.db.dispose()
    moved = Path(recorded["images"][0])
    assert (
        moved == (new / "cache" / "ab" / "variant.jpg").resolve() and moved.read_bytes() == b"prepared-bytes"
    )

    published = run("run", "--once", "--json", **env)
    assert published.exit_code == 0, published.output
    out = published.stdout
    assert json.loads(out[out.index("{") :])["outcomes"] == {"published": 1}, out
    pages = [p for p in (new / "outbox" / "demo").glob("*.html") if p.name != "earlier.html"]
    assert len(pages) == 1 and "Lễ hội truyền thống" in pages[0].read_text(encoding="utf-8")
    assert (pages[0].with_suffix("") / "le-hoi.jpg").read_bytes() == photo_bytes

    refused = run("restore", str(archive), **env)  # the data directory is no longer empty
    assert refused.exit_code == 2 and "không trống" in refused.output


def test_restore_puts_nothing_over_existing_files(
    run: Cli, tmp_path: Path, office: tuple[Path, Path]
) -> None:
    _, photo = office
    archive = tmp_path / "b.tar"
    assert run("backup", str(archive)).exit_code == 0
    photo.write_bytes(b"a different photo the officer made since")
    new = tmp_path / "var2"
    r = run("restore", str(archive), PUBLISHER_DATA_DIR=str(new))
    assert r.exit_code == 0, r.output
    assert photo.read_bytes() == b"a different photo the officer made since"
    assert "Không ghi đè" in r.output


def test_backup_is_a_consistent_snapshot_while_a_writer_is_busy(run: Cli, tmp_path: Path) -> None:
    assert run("init").exit_code == 0
    writer = sqlite3.connect(run.data / "publisher.sqlite", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO meta (key, value) VALUES ('half-done', '1')")
    try:
        archive = tmp_path / "b.tar"
        r = run("backup", str(archive))
        assert r.exit_code == 0, r.output
    finally:
        writer.execute("COMMIT")
        writer.close()
    with tarfile.open(archive) as tar:
        tar.extract("publisher.sqlite", tmp_path / "x", filter="data")
    snap = sqlite3.connect(tmp_path / "x" / "publisher.sqlite")
    assert snap.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert snap.execute("SELECT count(*) FROM meta WHERE key = 'half-done'").fetchone() == (0,)
    assert snap.execute("SELECT count(*) FROM accounts").fetchone() == (1,)  # sandbox/demo
    snap.close()


def _hostile(archive: Path, name: str, data: bytes, good: Path) -> None:
    """A copy of a real backup with one member added (listed in the manifest, so only its name is wrong)."""
    with tarfile.open(good) as src, tarfile.open(archive, "w") as out:
        manifest = json.loads(src.extractfile("manifest.json").read())  # type: ignore[union-attr]
        manifest["files"].append(
            {"member": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        )
        for info in src.getmembers():
            if info.name != "manifest.json":
                out.addfile(info, src.extractfile(info))
        for member, blob in ((name, data), ("manifest.json", json.dumps(manifest).encode())):
            info = tarfile.TarInfo(member)
            info.size = len(blob)
            out.addfile(info, io.BytesIO(blob))


@pytest.mark.parametrize("name", ["../evil.txt", "/tmp/evil.txt", "outbox/../../evil.txt", "bin/evil.txt"])
def test_restore_refuses_a_hostile_archive_and_leaves_the_dir_empty(
    run: Cli, tmp_path: Path, name: str
) -> None:
    assert run("init").exit_code == 0
    good = tmp_path / "good.tar"
    assert run("backup", str(good)).exit_code == 0
    bad = tmp_path / "bad.tar"
    _hostile(bad, name, b"owned", good)
    target = tmp_path / "empty"
    target.mkdir()
    r = run("restore", str(bad), PUBLISHER_DATA_DIR=str(target))
    assert r.exit_code == 2, r.output
    assert list(target.iterdir()) == []
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()


def test_restore_refuses_a_damaged_member(run: Cli, tmp_path: Path) -> None:
    assert run("init").exit_code == 0
    good = tmp_path / "good.tar"
    assert run("backup", str(good)).exit_code == 0
    bad = tmp_path / "bad.tar"
    with tarfile.open(good) as src, tarfile.open(bad, "w") as out:
        for info in src.getmembers():
            data = src.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == "publisher.sqlite":
                data = data[:-1] + bytes([data[-1] ^ 1])
            out.addfile(info, io.BytesIO(data))
    target = tmp_path / "new"
    r = run("restore", str(bad), PUBLISHER_DATA_DIR=str(target))
    assert r.exit_code == 2, r.output
    assert not target.exists() or list(target.iterdir()) == []


@pytest.fixture
def second_pg() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    name = f"pubtest_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_postgresql_backup_and_restore_publishes(
    run: Cli, tmp_path: Path, pg_url: str, second_pg: str
) -> None:
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore are not installed (apt-get install postgresql-client)")
    run.env["PUBLISHER_DATABASE_URL"] = pg_url
    run.env["PUBLISHER_REQUIRE_APPROVAL"] = "false"
    assert run("init").exit_code == 0
    _add_token(run)
    path, photo = _schedule(tmp_path)
    assert run("queue", str(path)).exit_code == 0
    archive = tmp_path / "pg.tar"
    r = run("backup", str(archive))
    assert r.exit_code == 0, r.output
    with tarfile.open(archive) as tar:
        assert "database.pgdump" in tar.getnames()
    env = {"PUBLISHER_DATA_DIR": str(tmp_path / "var-pg"), "PUBLISHER_DATABASE_URL": second_pg}
    restored = run("restore", str(archive), **env)
    assert restored.exit_code == 0, restored.output
    assert not (tmp_path / "var-pg" / "database.pgdump").exists()
    assert _credentials(run, **env).access_token == TOKEN
    refused = run(
        "restore", str(archive), PUBLISHER_DATA_DIR=str(tmp_path / "var-3"), PUBLISHER_DATABASE_URL=pg_url
    )
    assert refused.exit_code == 2  # the source database is not empty
    published = run("run", "--once", "--json", **env)
    assert published.exit_code == 0, published.output
    out = published.stdout
    assert json.loads(out[out.index("{") :])["outcomes"] == {"published": 1}, out


def test_backup_to_a_folder_that_does_not_exist_is_a_message(run: Cli, tmp_path: Path) -> None:
    assert run("init").exit_code == 0
    r = run("backup", str(tmp_path / "khong-co" / "b.tar"))
    assert r.exit_code == 2, r.output
    assert str(tmp_path / "khong-co" / "b.tar") in r.output
    assert not (tmp_path / "khong-co").exists()


# -- restore puts media back only inside a trusted folder of this machine -------------------------


def _repoint_media(good: Path, bad: Path, paths: list[str]) -> None:
    """A copy of a real backup whose post names ``paths`` for its photos, each carried in the archive
    (what a crafted archive does to make restore write wherever it likes)."""
    with tarfile.open(good) as src:
        blobs = {i.name: src.extractfile(i).read() for i in src.getmembers()}  # type: ignore[union-attr]
    manifest = json.loads(blobs.pop("manifest.json"))
    work = bad.with_suffix(".d")
    work.mkdir()
    db_file = work / "publisher.sqlite"
    db_file.write_bytes(blobs["publisher.sqlite"])
    conn = sqlite3.connect(db_file)
    with conn:
        conn.execute("UPDATE posts SET images = ?", (json.dumps(paths),))
    conn.close()
    blobs["publisher.sqlite"] = db_file.read_bytes()
    payload = b"#!/bin/sh\necho owned\n"
    for old in [m["member"] for m in manifest["media"]]:
        del blobs[old]
    manifest["media"] = []
    for n, path in enumerate(paths):
        member = f"media/{n}/{PurePosixPath(path).name}"
        blobs[member] = payload
        manifest["media"].append({"member": member, "path": path})
    manifest["files"] = [
        {"member": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in blobs.items()
    ]
    with tarfile.open(bad, "w", format=tarfile.PAX_FORMAT) as out:
        for name, data in [*blobs.items(), ("manifest.json", json.dumps(manifest).encode())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


def test_restore_writes_no_file_outside_the_trusted_folders(
    run: Cli, tmp_path: Path, office: tuple[Path, Path]
) -> None:
    good = tmp_path / "good.tar"
    assert run("backup", str(good)).exit_code == 0
    outside = tmp_path.parent / f"ngoai-{uuid.uuid4().hex[:8]}"  # not under the working directory
    outside.mkdir()
    (tmp_path / "loi-tat").symlink_to(outside, target_is_directory=True)
    hostile = [
        str(outside / "dir" / "evil.sh"),  # outside, in a folder that does not exist
        str(outside / "evil.sh"),  # outside, in a folder that exists
        str(tmp_path / "loi-tat" / "evil.sh"),  # inside on paper, outside through a symlink
        f"{tmp_path}/lich/../../{outside.name}/dotdot.sh",  # ".." walks out
    ]
    bad = tmp_path / "bad.tar"
    _repoint_media(good, bad, hostile)
    r = run("restore", str(bad), PUBLISHER_DATA_DIR=str(tmp_path / "moi"))
    assert r.exit_code == 3, r.output  # restored, but files wait for the officer
    assert sorted(p.name for p in outside.rglob("*")) == []
    assert not (tmp_path / "dir").exists()
    for path in hostile:
        assert path in r.output, r.output
    assert "Chưa đặt lại" in r.output and "thư mục lịch" in r.output and "PUBLISHER_MEDIA_ROOTS" in r.output
    assert "Traceback" not in r.output
    assert (tmp_path / "moi" / "publisher.sqlite").is_file()  # the rest of the restore stands
    en = run("restore", str(bad), PUBLISHER_DATA_DIR=str(tmp_path / "moi-en"), PUBLISHER_LANGUAGE="en")
    assert en.exit_code == 3 and "Not put back" in en.output and "schedule folder" in en.output, en.output
    assert sorted(p.name for p in outside.rglob("*")) == []
    shutil.rmtree(outside)


def test_restore_puts_media_back_inside_a_configured_media_root(
    run: Cli, tmp_path: Path, office: tuple[Path, Path]
) -> None:
    good = tmp_path / "good.tar"
    assert run("backup", str(good)).exit_code == 0
    root = tmp_path.parent / f"kho-anh-{uuid.uuid4().hex[:8]}"
    root.mkdir()
    wanted = root / "2025" / "thang-9" / "anh.jpg"  # its folders are made, inside the root only
    bad = tmp_path / "b.tar"
    _repoint_media(good, bad, [str(wanted)])
    refused = run("restore", str(bad), PUBLISHER_DATA_DIR=str(tmp_path / "a"))
    assert refused.exit_code == 3 and not wanted.exists(), refused.output
    r = run("restore", str(bad), PUBLISHER_DATA_DIR=str(tmp_path / "b"), PUBLISHER_MEDIA_ROOTS=str(root))
    assert r.exit_code == 0, r.output
    assert wanted.read_bytes() == b"#!/bin/sh\necho owned\n" and str(wanted) in r.output
    shutil.rmtree(root)


# -- a key that is not a key, an empty key, and who records the fingerprint ------------------------


def _fingerprint_of(db_file: Path) -> str | None:
    conn = sqlite3.connect(db_file)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (FINGERPRINT_KEY,)).fetchone()
    finally:
        conn.close()
    return None if row is None else str(json.loads(row[0])["sha256"])


def _forget_fingerprint(db_file: Path) -> None:
    conn = sqlite3.connect(db_file)
    with conn:
        conn.execute("DELETE FROM meta WHERE key = ?", (FINGERPRINT_KEY,))
    conn.close()


@pytest.mark.parametrize("typo", ["notakey", Fernet.generate_key().decode()[:-2], "x" * 44])
def test_a_typo_d_key_is_refused_and_never_becomes_the_database_s_key(run: Cli, typo: str) -> None:
    assert run("init").exit_code == 0
    db_file = run.data / "publisher.sqlite"
    right = (run.data / "secret.key").read_bytes().strip()
    _forget_fingerprint(db_file)  # a database from before the fingerprint, with no token yet
    for args in (("list",), ("status",), ("accounts", "list"), ("init",), ("backup", "b.tar")):
        r = run(*args, PUBLISHER_SECRET_KEY=typo)
        assert r.exit_code == 2, (args, r.output)
        assert "PUBLISHER_SECRET_KEY" in r.output and "Fernet" in r.output and "Traceback" not in r.output
        assert typo not in r.output  # a secret is never echoed, not even a wrong one
    assert _fingerprint_of(db_file) is None
    en = run("list", PUBLISHER_SECRET_KEY=typo, PUBLISHER_LANGUAGE="en")
    assert "is not a Fernet key" in en.output, en.output
    (run.data / "secret.key").write_text(typo)
    r = run("list")
    assert r.exit_code == 2 and str(run.data / "secret.key") in r.output and "Fernet" in r.output, r.output
    assert "Tệp khóa" in r.output and typo not in r.output
    en = run("list", PUBLISHER_LANGUAGE="en")
    assert "does not hold a Fernet key" in en.output, en.output
    (run.data / "secret.key").write_bytes(right)
    assert run("list").exit_code == 0
    assert _fingerprint_of(db_file) is None  # only init records it
    assert run("init").exit_code == 0
    assert _fingerprint_of(db_file) == key_fingerprint(right)


def test_only_init_records_the_fingerprint(run: Cli) -> None:
    """A well-formed key that is not the office's, used once by another command, leaves no mark."""
    assert run("init").exit_code == 0
    db_file = run.data / "publisher.sqlite"
    right = (run.data / "secret.key").read_bytes().strip()
    _forget_fingerprint(db_file)
    other = Fernet.generate_key().decode()
    for args in (("list",), ("status",), ("log",)):
        r = run(*args, PUBLISHER_SECRET_KEY=other)
        assert r.exit_code == 0, (args, r.output)
    assert _fingerprint_of(db_file) is None
    _add_token(run)  # with the right key
    assert run("accounts", "list").exit_code == 0
    assert _fingerprint_of(db_file) is None
    assert run("init").exit_code == 0
    assert _fingerprint_of(db_file) == key_fingerprint(right)
    assert _credentials(run).access_token == TOKEN


@pytest.mark.parametrize("empty", ["", "  ", "\t\n"])
def test_an_empty_secret_key_variable_means_the_key_file(run: Cli, empty: str) -> None:
    made = run("init", PUBLISHER_SECRET_KEY=empty)
    assert made.exit_code == 0, made.output
    key = (run.data / "secret.key").read_bytes().strip()
    assert _fingerprint_of(run.data / "publisher.sqlite") == key_fingerprint(key)
    r = run("accounts", "add", "zalo/xa", "--token-stdin", input=TOKEN + "\n", PUBLISHER_SECRET_KEY=empty)
    assert r.exit_code == 0, r.output
    assert run("list", PUBLISHER_SECRET_KEY=empty).exit_code == 0
    assert _credentials(run).access_token == TOKEN  # sealed with the key file
    assert _settings(run, PUBLISHER_SECRET_KEY=empty).secret_key is None
