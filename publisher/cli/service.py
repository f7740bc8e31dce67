"""``publisher service install``: start ``publisher run`` at boot with systemd, without Docker.

The unit runs as an unprivileged user that owns the data dir, restarts on failure, and lets the
supervisor (``publisher run``) alone receive the stop signal (``KillMode=mixed``): it forwards it to
the workers in order and kills what is left after its own deadline, under systemd's
``TimeoutStopSec``. ``deploy/publisher.service`` is this unit with the default paths.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import sys
from pathlib import Path

import click

from publisher.cli.common import bi, handle_errors, settings
from publisher.cli.output import console
from publisher.errors import UserError
from publisher.i18n import msg, register, t

register(
    {
        "service.written": ("Đã ghi {path}.", "Wrote {path}."),
        "service.next": (
            "Tiếp theo (với quyền root):\n"
            "  systemctl daemon-reload\n"
            "  systemctl enable --now publisher\n"
            "Xem nhật ký: journalctl -u publisher -f\n"
            "Cài đặt (PUBLISHER_…) đặt trong /etc/publisher/env (quyền 0600).",
            "Next (as root):\n"
            "  systemctl daemon-reload\n"
            "  systemctl enable --now publisher\n"
            "Follow the log: journalctl -u publisher -f\n"
            "Settings (PUBLISHER_…) go in /etc/publisher/env (mode 0600).",
        ),
        "service.root_user": (
            "Dịch vụ không chạy bằng root: chọn một người dùng không có đặc quyền (--user), ví dụ publisher.",
            "The service does not run as root: choose an unprivileged user (--user), e.g. publisher.",
        ),
        "service.no_user": (
            "Chưa có người dùng {user} trên máy này. Tạo bằng: "
            "useradd --system --home-dir {dir} --shell /usr/sbin/nologin {user}",
            "There is no user {user} on this machine. Create it with: "
            "useradd --system --home-dir {dir} --shell /usr/sbin/nologin {user}",
        ),
        "service.not_owner": (
            "Thư mục dữ liệu {dir} không thuộc {user}; chuyển quyền bằng: chown -R {user}: {dir}",
            "The data dir {dir} is not owned by {user}; hand it over with: chown -R {user}: {dir}",
        ),
        "service.space": (
            "Đường dẫn thư mục dữ liệu của dịch vụ không được chứa khoảng trắng: {dir}",
            "The service's data dir path must not contain spaces: {dir}",
        ),
        "service.cannot_write": (
            "Không ghi được {path} ({reason}). Chạy lệnh bằng root (sudo), hoặc dùng --print và tự chép tệp.",
            "Cannot write {path} ({reason}). Run the command as root (sudo), or use --print and copy the file.",
        ),
    }
)

UNIT_PATH = Path("/etc/systemd/system/publisher.service")
ENV_FILE = "/etc/publisher/env"

UNIT_TEMPLATE = """\
# publisher: scheduled publishing to Zalo OA, Facebook Pages and YouTube.
# Written by `publisher service install`; settings (PUBLISHER_...) go in {env_file} (mode 0600).
[Unit]
Description=publisher (scheduled publishing: Zalo OA, Facebook Pages, YouTube)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User={user}
Group={group}
WorkingDirectory={data_dir}
Environment=PUBLISHER_DATA_DIR={data_dir}
EnvironmentFile=-{env_file}
# init is idempotent: it migrates the database and refuses a data dir whose key is lost
ExecStartPre={exe} init
ExecStart={exe} run
Restart=on-failure
RestartSec=5
# only the supervisor gets SIGTERM; it stops the workers in order within its own deadline,
# and systemd kills whatever is left of the group after TimeoutStopSec
KillMode=mixed
KillSignal=SIGTERM
TimeoutStopSec=40
UMask=0077
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths={data_dir}
PrivateTmp=true

[Install]
WantedBy=multi-user.target
"""


def publisher_executable() -> str:
    """The ``publisher`` program of this installation (the venv's), as an absolute path."""
    beside = Path(sys.executable).parent / "publisher"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside.absolute())
    found = shutil.which("publisher")
    if found:
        return str(Path(found).absolute())
    return f"{Path(sys.executable).absolute()} -m publisher.cli.main"


def _group_of(user: str) -> str:
    try:
        return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name
    except KeyError:
        return user


def render_unit(*, user: str, data_dir: Path, exe: str, group: str | None = None) -> str:
    """The unit file's text for ``user``, ``data_dir`` (absolute) and the ``publisher`` program ``exe``."""
    return UNIT_TEMPLATE.format(
        user=user,
        group=group or _group_of(user),
        data_dir=data_dir,
        exe=exe,
        env_file=ENV_FILE,
    )


@click.group(
    "service",
    help=bi(
        "Chạy publisher như một dịch vụ systemd (khởi động cùng máy, tự chạy lại khi lỗi).",
        "Run publisher as a systemd service (starts at boot, restarts on failure).",
    ),
)
def service_group() -> None:
    pass


@service_group.command(
    "install",
    help=bi(
        "Ghi tệp dịch vụ /etc/systemd/system/publisher.service với đường dẫn thật của máy này "
        "(chương trình publisher của venv, thư mục dữ liệu), chạy bằng người dùng USER không có đặc quyền.",
        "Write /etc/systemd/system/publisher.service with this machine's real paths (the venv's "
        "publisher program, the data dir), running as the unprivileged user USER.",
    ),
)
@click.option(
    "--user",
    "user",
    default="publisher",
    show_default=True,
    help=bi(
        "Người dùng chạy dịch vụ (sở hữu thư mục dữ liệu).", "User the service runs as (owns the data dir)."
    ),
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help=bi("Thư mục dữ liệu (mặc định: PUBLISHER_DATA_DIR).", "Data dir (default: PUBLISHER_DATA_DIR)."),
)
@click.option(
    "--print",
    "print_only",
    is_flag=True,
    help=bi("Chỉ in tệp dịch vụ, không ghi.", "Print the unit file instead of writing it."),
)
@click.option("--output", type=click.Path(path_type=Path), default=UNIT_PATH, hidden=True)
@handle_errors
def install(user: str, data_dir: Path | None, print_only: bool, output: Path) -> None:
    folder = (data_dir or settings().data_dir).expanduser().absolute()
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        account = None
    if user == "root" or (account is not None and account.pw_uid == 0):
        raise UserError(msg("service.root_user"))
    if any(ch.isspace() for ch in str(folder)):  # systemd splits ReadWritePaths= on spaces
        raise UserError(msg("service.space", dir=folder))
    text = render_unit(user=user, data_dir=folder, exe=publisher_executable())
    if print_only:
        click.echo(text, nl=False)
        return
    if account is None:
        raise UserError(msg("service.no_user", user=user, dir=folder))
    try:
        if not folder.exists():
            folder.mkdir(mode=0o700, parents=True)
            os.chown(folder, account.pw_uid, account.pw_gid)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        output.chmod(0o644)
    except OSError as exc:
        raise UserError(
            msg("service.cannot_write", path=output, reason=exc.strerror or type(exc).__name__)
        ) from None
    console.print(t("service.written", path=output), markup=False)
    if folder.stat().st_uid != account.pw_uid:
        console.print(t("service.not_owner", dir=folder, user=user), markup=False)
    console.print(t("service.next"), markup=False)


COMMANDS: list[click.Command] = [service_group]
