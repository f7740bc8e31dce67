"""``publisher``: the command line an officer uses. Vietnamese first; PUBLISHER_LANGUAGE=en for English.

Every command lives in a module of this package named after its topic, and is registered below in
one visible list (:data:`COMMANDS`): a module that fails to import stops the program, it is never
skipped. A command parses its input, calls a use case of :mod:`publisher.actions` and renders the
result; it opens the store through :func:`publisher.cli.common.open_store`.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from publisher.cli import (
    accounts,
    approval,
    backup,
    calendar,
    collect,
    media,
    pause,
    posts,
    publish,
    queue,
    report,
    run,
    service,
    users,
    web,
)
from publisher.cli.common import bi, handle_errors, open_store, run_main, settings
from publisher.cli.output import console
from publisher.core.models import Platform, Target
from publisher.i18n import register, set_display_zone, set_language, t

register(
    {
        "cli.init_done": (
            "Đã khởi tạo thư mục dữ liệu {dir} (cơ sở dữ liệu: {db}). Tài khoản thử nghiệm: sandbox/demo.",
            "Data directory {dir} is ready (database: {db}). Test account: sandbox/demo.",
        ),
    }
)


@click.group(
    help=bi(
        "publisher: hẹn giờ đăng bài lên Zalo OA, Facebook Page và YouTube — đúng giờ, đúng một lần.",
        "publisher: scheduled publishing to Zalo OA, Facebook Pages and YouTube — on time, exactly once.",
    )
)
@click.version_option(package_name="publisher")
def cli() -> None:
    set_language(settings().language)
    set_display_zone(settings().timezone)


@cli.command(
    help=bi(
        "Tạo hoặc nâng cấp thư mục dữ liệu (quyền 0700), khóa mã hóa (0600; chỉ lệnh này tạo khóa) và cơ sở dữ "
        "liệu (chạy lại nhiều lần không sao; sửa quyền quá rộng); tạo tài khoản sandbox/demo.",
        "Create or migrate the data directory (mode 0700), the encryption key (0600; only this command makes "
        "one) and the database (idempotent; tightens modes that are too wide); create the account sandbox/demo.",
    )
)
@click.option(
    "--forget-credentials",
    is_flag=True,
    help=bi(
        "Chỉ khi khóa mã hóa cũ đã mất hẳn: tạo khóa mới, xóa các token cũ (phải kết nối lại mọi tài khoản).",
        "Only when the old encryption key is lost for good: make a new key, erase the old tokens (reconnect "
        "every account).",
    ),
)
@click.option(
    "--admin",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="NAME",
    help=bi(
        "Tạo quản trị đầu tiên của trang web (tên NAME, hoặc PUBLISHER_USER) và in mật khẩu dùng một lần, "
        "chỉ một lần; không làm gì khi đã có quản trị đăng nhập được.",
        "Create the web app's first admin (named NAME, or PUBLISHER_USER) and print a one-time password, "
        "once; nothing happens while an admin can sign in.",
    ),
)
@handle_errors
def init(forget_credentials: bool, admin: str | None) -> None:
    st = open_store(create=True, forget_credentials=forget_credentials)
    st.add_account(
        Target(Platform.SANDBOX, "demo"), actor=settings().actor(), display_name="Demo", exist_ok=True
    )
    shown = st.db.engine.url.render_as_string(hide_password=True)
    console.print(t("cli.init_done", dir=settings().data_dir.resolve(), db=shown), markup=False)
    users.init_admin(st, admin)


#: every command of ``publisher``, module by module; a group (``accounts``, ``users``…) holds its own
COMMANDS: list[click.Command] = [
    *queue.COMMANDS,
    *approval.COMMANDS,
    *posts.COMMANDS,
    *pause.COMMANDS,
    *accounts.COMMANDS,
    *users.COMMANDS,
    *publish.COMMANDS,
    *run.COMMANDS,
    *media.COMMANDS,
    *calendar.COMMANDS,
    *collect.COMMANDS,
    *report.COMMANDS,
    *backup.COMMANDS,
    *web.COMMANDS,
    *service.COMMANDS,
]
for _command in COMMANDS:
    cli.add_command(_command)


def main(args: Sequence[str] | None = None) -> None:
    """The ``publisher`` program: no traceback for anything, a log entry for what was not expected."""
    run_main(cli, args)


if __name__ == "__main__":  # pragma: no cover
    main()
