"""``publisher service install``: the systemd unit, filled with this machine's paths."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from publisher.cli.service import publisher_executable, render_unit
from tests.cli.conftest import Cli

ROOT = Path(__file__).resolve().parents[2]


def _directives(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            out.setdefault(key, []).append(value)
    return out


def test_print_has_user_paths_and_stop_policy(run: Cli, tmp_path: Path) -> None:
    data = tmp_path / "office-data"
    result = run("service", "install", "--user", "nobody", "--data-dir", str(data), "--print")
    assert result.exit_code == 0, result.output
    unit = _directives(result.output)
    exe = publisher_executable()
    assert Path(exe).is_absolute() and Path(sys.executable).parent.name in exe
    assert unit["User"] == ["nobody"]
    assert unit["ExecStart"] == [f"{exe} run"] and unit["ExecStartPre"] == [f"{exe} init"]
    assert unit["WorkingDirectory"] == [str(data)] and unit["ReadWritePaths"] == [str(data)]
    assert unit["Environment"] == [f"PUBLISHER_DATA_DIR={data}"]
    assert unit["EnvironmentFile"] == ["-/etc/publisher/env"]
    assert unit["KillMode"] == ["mixed"] and unit["TimeoutStopSec"] == ["40"]
    assert unit["Restart"] == ["on-failure"]
    for key, value in [
        ("NoNewPrivileges", "true"),
        ("ProtectSystem", "strict"),
        ("PrivateTmp", "true"),
    ]:
        assert unit[key] == [value]
    assert unit["WantedBy"] == ["multi-user.target"]
    assert not data.exists()  # --print writes nothing


def test_data_dir_defaults_to_the_setting(run: Cli) -> None:
    result = run("service", "install", "--user", "nobody", "--print")
    assert result.exit_code == 0, result.output
    assert _directives(result.output)["ReadWritePaths"] == [str(run.data.absolute())]


def test_data_dir_with_spaces_is_refused(run: Cli, tmp_path: Path) -> None:
    result = run("service", "install", "--user", "nobody", "--data-dir", str(tmp_path / "a b"), "--print")
    assert result.exit_code == 2 and "a b" in result.output


def test_root_is_refused(run: Cli) -> None:
    result = run("service", "install", "--user", "root", "--print")
    assert result.exit_code == 2 and "root" in result.output


def test_unknown_user_says_how_to_create_it(run: Cli, tmp_path: Path) -> None:
    result = run(
        "service", "install", "--user", "no-such-user-x9", "--output", str(tmp_path / "unit.service")
    )
    assert result.exit_code == 2 and "useradd --system" in result.output
    assert not (tmp_path / "unit.service").exists()


def test_install_writes_the_unit_and_says_what_next(run: Cli, tmp_path: Path) -> None:
    target = tmp_path / "systemd" / "publisher.service"
    data = tmp_path / "srv" / "publisher"
    me = pwd.getpwuid(os.getuid()).pw_name
    if os.getuid() == 0:
        me = "nobody"  # root is refused: write the unit for an unprivileged account
    result = run(
        "service",
        "install",
        "--user",
        me,
        "--data-dir",
        str(data),
        "--output",
        str(target),
        PUBLISHER_LANGUAGE="en",
    )
    assert result.exit_code == 0, result.output
    assert _directives(target.read_text(encoding="utf-8"))["User"] == [me]
    assert "systemctl daemon-reload" in result.output and "systemctl enable --now publisher" in result.output
    assert data.is_dir() and data.stat().st_uid == pwd.getpwnam(me).pw_uid  # made for the service user


def test_install_without_permission_is_a_clear_error(run: Cli, tmp_path: Path) -> None:
    if os.getuid() == 0:
        pytest.skip("root may write anywhere")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    me = pwd.getpwuid(os.getuid()).pw_name
    result = run("service", "install", "--user", me, "--output", str(locked / "x" / "publisher.service"))
    assert result.exit_code == 2 and "sudo" in result.output


def test_deploy_file_is_the_unit_with_default_paths() -> None:
    shipped = (ROOT / "deploy" / "publisher.service").read_text(encoding="utf-8")
    assert shipped == render_unit(
        user="publisher",
        group="publisher",
        data_dir=Path("/var/lib/publisher"),
        exe="/opt/publisher/.venv/bin/publisher",
    )


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    """``systemd-analyze verify`` accepts the unit (skipped where systemd is not installed)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (usual in containers)")
    unit = tmp_path / "publisher.service"
    unit.write_text(
        render_unit(user="nobody", data_dir=tmp_path, exe=publisher_executable()), encoding="utf-8"
    )
    done = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Unknown key" not in done.stderr and "Unknown section" not in done.stderr
