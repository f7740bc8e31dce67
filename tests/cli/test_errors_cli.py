"""Messages instead of tracebacks (issue 7): the real ``publisher`` program, run as a subprocess.

Anything unexpected is one line on stderr, exit 1, and a traceback in ``<data dir>/publisher.log``;
what the officer must fix (a setting, an id, the data directory) is a message, exit 2.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Cli


def publisher(
    *args: str, cwd: Path, prefix: tuple[str, ...] = (), **env: str
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PUBLISHER_")}
    base.update({"PUBLISHER_USER": "can-bo", "COLUMNS": "200", "PYTHONDONTWRITEBYTECODE": "1"})
    base.update(env)
    return subprocess.run(
        [*prefix, sys.executable, "-m", "publisher.cli.main", *args],
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def test_an_unexpected_error_is_one_line_exit_1_and_a_logged_traceback(tmp_path: Path) -> None:
    data = tmp_path / "var"
    assert publisher("init", cwd=tmp_path, PUBLISHER_DATA_DIR=str(data)).returncode == 0
    (data / "publisher.sqlite").write_bytes(b"this is not a database, a disk error left it so" * 100)
    for f in data.glob("publisher.sqlite-*"):
        f.unlink()
    r = publisher("list", cwd=tmp_path, PUBLISHER_DATA_DIR=str(data))
    assert r.returncode == 1, r.stderr
    line = one_line(r.stderr)
    log = data / "publisher.log"
    assert str(log.resolve()) in line and "DatabaseError" in line
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "file is not a database" in text
    assert "command=list" in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    en = publisher("status", cwd=tmp_path, PUBLISHER_DATA_DIR=str(data), PUBLISHER_LANGUAGE="en")
    assert en.returncode == 1 and "unexpected failure" in one_line(en.stderr)
    assert log.read_text(encoding="utf-8").count("unexpected error\nTraceback") == 2


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("PUBLISHER_GRACE_HOURS", "abc", ("PUBLISHER_GRACE_HOURS=abc", "một số")),
        ("PUBLISHER_LANGUAGE", "fr", ("PUBLISHER_LANGUAGE=fr", "'vi', 'en'")),
        ("PUBLISHER_MAX_ATTEMPTS", "nhiều", ("PUBLISHER_MAX_ATTEMPTS=nhiều", "số nguyên")),
        ("PUBLISHER_REQUIRE_APPROVAL", "có", ("PUBLISHER_REQUIRE_APPROVAL=có", "true", "false")),
        ("PUBLISHER_TIMEZONE", "Asia/Ha_Noi", ("PUBLISHER_TIMEZONE=Asia/Ha_Noi", "Asia/Ho_Chi_Minh")),
        ("PUBLISHER_FACEBOOK__POSTS_PER_MINUTE", "x", ("PUBLISHER_FACEBOOK__POSTS_PER_MINUTE=x",)),
        # the audit trail's actor column holds 100 characters on both databases
        ("PUBLISHER_USER", "a" * 140, ("PUBLISHER_USER=", "tối đa 100 ký tự")),
    ],
)
def test_an_invalid_setting_names_the_variable_and_what_it_takes(
    tmp_path: Path, variable: str, value: str, expected: tuple[str, ...]
) -> None:
    for args in (("list",), ("init",), ("queue", "--check", "x.yaml")):
        r = publisher(*args, cwd=tmp_path, PUBLISHER_DATA_DIR=str(tmp_path / "var"), **{variable: value})
        assert r.returncode == 2, r.stderr
        line = one_line(r.stderr)
        for part in expected:
            assert part in line, line
    assert not (tmp_path / "var").exists()


def test_invalid_json_in_a_nested_setting_names_the_variable(tmp_path: Path) -> None:
    r = publisher("list", cwd=tmp_path, PUBLISHER_YOUTUBE__QUOTA_COSTS="{videos.insert: 100")
    assert r.returncode == 2, r.stderr
    line = one_line(r.stderr)
    assert "PUBLISHER_YOUTUBE__QUOTA_COSTS" in line and "JSON" in line


@pytest.mark.parametrize("ref", ["99999999999999999999", "#99999999999999999999", "2147483648", "9" * 5000])
def test_show_an_overflowing_id_is_a_clear_message(
    run: Cli, db_kind: str, request: pytest.FixtureRequest, ref: str
) -> None:
    env = {"PUBLISHER_DATABASE_URL": request.getfixturevalue("pg_url")} if db_kind == "postgresql" else {}
    assert run("init", **env).exit_code == 0
    for args in (("show", ref), ("cancel", ref), ("retry", ref)):
        r = run(*args, **env)
        assert r.exit_code == 2, (args, r.output)
        assert f"“{ref.lstrip()}”" in r.output and "publisher list" in r.output


def test_show_an_overflowing_id_through_the_program(tmp_path: Path) -> None:
    data = str(tmp_path / "var")
    assert publisher("init", cwd=tmp_path, PUBLISHER_DATA_DIR=data).returncode == 0
    r = publisher("show", "99999999999999999999", cwd=tmp_path, PUBLISHER_DATA_DIR=data)
    assert r.returncode == 2
    assert "99999999999999999999" in one_line(r.stderr)


def test_a_data_dir_that_cannot_be_made_is_a_message(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    for args in (("init",), ("list",), ("run", "--demo", "--once")):
        r = publisher(*args, cwd=tmp_path, PUBLISHER_DATA_DIR=str(blocker / "var"))
        assert r.returncode == 2, r.stderr
        assert str(blocker / "var") in one_line(r.stderr)
    r = publisher("init", cwd=tmp_path, PUBLISHER_DATA_DIR=str(blocker))
    assert r.returncode == 2 and str(blocker) in one_line(r.stderr)


def test_an_unwritable_data_dir_is_a_message(tmp_path: Path) -> None:
    """A data directory this user cannot write (root ignores modes: the program then runs without the
    capabilities that let it, through setpriv)."""
    data = tmp_path / "var"
    assert publisher("init", cwd=tmp_path, PUBLISHER_DATA_DIR=str(data)).returncode == 0
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv (util-linux): modes cannot stop root")
        prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--")
    os.chmod(data, 0o500)
    try:
        for args in (("init",), ("list",), ("status",)):
            r = publisher(*args, cwd=tmp_path, prefix=prefix, PUBLISHER_DATA_DIR=str(data))
            assert r.returncode == 2, (args, r.stderr)
            line = one_line(r.stderr)
            assert str(data) in line and ("ghi" in line or "quyền" in line), line
    finally:
        os.chmod(data, 0o700)
