"""``publisher users add|list|remove|passwd`` and ``publisher policy set|show``: the people of the office.

Also the part of ``publisher init`` about people (:func:`init_admin`): the first admin of the web
app and their one-time password, printed once and kept nowhere (never logged).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from publisher.actions.users import (
    add_user,
    admin_can_sign_in,
    first_admin,
    list_users,
    policies,
    remove_user,
    reset_password,
    set_policy,
)
from publisher.cli.common import bi, handle_errors, open_store, settings
from publisher.cli.output import console, emit_json, err_console, local_time, table
from publisher.core.people import PolicyValue, Role, role_label
from publisher.errors import UserError
from publisher.i18n import msg, register, t
from publisher.store import Store

register(
    {
        "ucli.created": ("Đã thêm {name} ({role}).", "Added {name} ({role})."),
        "ucli.updated": ("Đã cập nhật {name} ({role}).", "Updated {name} ({role})."),
        "ucli.enabled": ("Đã kích hoạt lại {name} ({role}).", "Enabled {name} again ({role})."),
        "ucli.unchanged": (
            "{name} đã có ({role}); không đổi gì.",
            "{name} exists already ({role}); nothing changed.",
        ),
        "ucli.bootstrap": (
            "Đơn vị chưa có quản trị nên lệnh này không cần --by. Từ nay, thêm hoặc bỏ người dùng cần "
            "--by của một quản trị.",
            "The office had no admin, so no --by was needed. From now on adding or removing users needs "
            "an admin's --by.",
        ),
        "ucli.policy_seeded": (
            "Quy định {name} = {value} (lấy từ {source} lần đầu; từ nay chỉ đổi bằng "
            "“publisher policy set”).",
            "Policy {name} = {value} (taken once from {source}; from now on only “publisher policy set” "
            "changes it).",
        ),
        "ucli.removed": (
            "Đã vô hiệu hóa {name}; tên vẫn giữ trong nhật ký.",
            "{name} is disabled; the name stays in the audit trail.",
        ),
        "ucli.already_removed": ("{name} đã bị vô hiệu hóa từ trước.", "{name} was disabled already."),
        "ucli.col.name": ("Họ tên", "Name"),
        "ucli.col.role": ("Vai trò", "Role"),
        "ucli.col.unit": ("Đơn vị", "Unit"),
        "ucli.col.created": ("Thêm lúc", "Added"),
        "ucli.col.by": ("Người thêm", "Added by"),
        "ucli.col.state": ("Trạng thái", "State"),
        "ucli.active": ("đang dùng", "active"),
        "ucli.disabled": ("đã vô hiệu hóa {at}", "disabled {at}"),
        "ucli.policy_set": ("Đã đặt {name} = {value}.", "Set {name} = {value}."),
        "ucli.policy_line": ("{name} = {value} ({how}) — {what}", "{name} = {value} ({how}) — {what}"),
        "ucli.policy_default": ("mặc định", "default"),
        "ucli.policy_by": ("đặt bởi {by} lúc {at}", "set by {by} at {at}"),
        "ucli.password_empty": (
            "Không đọc được mật khẩu: với --password-stdin, dòng đầu của stdin phải là mật khẩu.",
            "No password read: with --password-stdin the first line of stdin must hold the password.",
        ),
        "ucli.password_prompt": ("Mật khẩu (ít nhất 10 ký tự)", "Password (at least 10 characters)"),
        "ucli.password_set": (
            "Đã đặt mật khẩu cho {name}; có thể đăng nhập trang web.",
            "The password of {name} is set; they can sign in to the web app.",
        ),
        "ucli.one_time": (
            "Mật khẩu dùng một lần của {name} (chỉ hiện lần này, không lưu ở đâu; {name} phải đổi mật khẩu "
            "khi đăng nhập lần đầu):",
            "One-time password of {name} (shown only this once and kept nowhere; {name} must change it at "
            "the first sign-in):",
        ),
        "ucli.sessions_ended": (
            "Các phiên đăng nhập đang mở của {name} đã kết thúc.",
            "The open sessions of {name} have ended.",
        ),
        "ucli.admin_ready": (
            "Đã có quản trị đăng nhập được ({name}); không đổi gì. Cấp mật khẩu mới: "
            "publisher users passwd “TÊN” --by “{name}”.",
            "An admin who can sign in exists already ({name}); nothing changed. For a new password: "
            "publisher users passwd “NAME” --by “{name}”.",
        ),
        "ucli.admin_needed": (
            "Chưa có quản trị nào đăng nhập được trang web. Tạo quản trị đầu tiên và mật khẩu dùng một lần: "
            "publisher init --admin “Họ tên”.",
            "No admin can sign in to the web app yet. Create the first admin and a one-time password: "
            "publisher init --admin “Full name”.",
        ),
        "ucli.admin_name_needed": (
            "Ghi tên quản trị: --admin “Họ tên” (hoặc đặt PUBLISHER_USER).",
            "Name the admin: --admin “Full name” (or set PUBLISHER_USER).",
        ),
    }
)

_BY = bi("Quản trị thực hiện (mặc định: PUBLISHER_USER).", "The admin doing this (default: PUBLISHER_USER).")


@click.group(
    "users",
    help=bi(
        "Người dùng của đơn vị: cán bộ (officer) xếp lịch, người duyệt (approver) duyệt, quản trị (admin) "
        "quản lý người dùng và quy định.",
        "The people of the office: officers queue, approvers approve, admins manage users and policies.",
    ),
)
def users_group() -> None:
    pass


@users_group.command(
    "add",
    help=bi(
        "Thêm người dùng (hoặc đổi vai trò/đơn vị của người đã có). Người đầu tiên (khi chưa có quản trị) "
        "không cần --by và là quản trị nếu không ghi --role.",
        "Add a user (or change an existing user's role/unit). While there is no admin, no --by is needed and "
        "a user added without --role becomes an admin.",
    ),
)
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=None,
    help=bi(
        "Vai trò (mặc định: officer; người đầu tiên: admin).",
        "Role (default: officer; the first user: admin).",
    ),
)
@click.option(
    "--unit", default=None, help=bi("Đơn vị, ví dụ “Văn phòng UBND”.", "Unit, e.g. “Office of the PC”.")
)
@click.option("--by", "by", default=None, help=_BY)
@click.option(
    "--password-stdin",
    is_flag=True,
    help=bi(
        "Đọc mật khẩu đăng nhập trang web từ dòng đầu của stdin (ít nhất 10 ký tự).",
        "Read the web app password from the first line of stdin (at least 10 characters).",
    ),
)
@handle_errors
def users_add(name: str, role: str | None, unit: str | None, by: str | None, password_stdin: bool) -> None:
    password = _read_password() if password_stdin else None
    added = add_user(open_store(), settings(), name, role=role, unit=unit, by=by, password=password)
    console.print(
        t(f"ucli.{added.outcome}", name=added.user.name, role=role_label(added.user.role)), markup=False
    )
    if password is not None:
        console.print(t("ucli.password_set", name=added.user.name), markup=False)
    if added.bootstrap:
        err_console.print(t("ucli.bootstrap"), markup=False)
    _print_seeded(added.seeded)


def _read_password() -> str:
    """The first line of stdin without its line end, or typed at a hidden prompt (twice); never
    echoed, never logged."""
    if sys.stdin.isatty():
        line = str(click.prompt(t("ucli.password_prompt"), hide_input=True, confirmation_prompt=True))
    else:
        line = sys.stdin.readline().rstrip("\r\n")
    if not line.strip():
        raise UserError(msg("ucli.password_empty"))
    return line


def _print_seeded(values: Sequence[PolicyValue]) -> None:
    for seeded in values:
        console.print(
            t(
                "ucli.policy_seeded",
                name=seeded.policy.name,
                value=str(seeded.value).lower(),
                source=seeded.source,
            ),
            markup=False,
        )


def _print_one_time(name: str, password: str) -> None:
    console.print(t("ucli.one_time", name=name), markup=False)
    console.print(f"    {password}", markup=False, highlight=False)


@users_group.command(
    "passwd",
    help=bi(
        "Cấp mật khẩu dùng một lần mới cho người dùng (in ra một lần; người đó phải đổi khi đăng nhập; "
        "các phiên đang mở kết thúc).",
        "Give a user a new one-time password (printed once; they must change it at sign-in; their open "
        "sessions end).",
    ),
)
@click.argument("name")
@click.option("--by", "by", default=None, help=_BY)
@handle_errors
def users_passwd(name: str, by: str | None) -> None:
    user, password = reset_password(open_store(), settings(), name, by=by)
    _print_one_time(user.name, password)
    console.print(t("ucli.sessions_ended", name=user.name), markup=False)


def init_admin(store: Store, name: str | None) -> None:
    """``publisher init``'s part about people: with ``--admin`` (``name``; "" means PUBLISHER_USER)
    make the first admin and print a one-time password once; without it, say when none can sign in."""
    if name is None:
        if not admin_can_sign_in(store):
            err_console.print(t("ucli.admin_needed"), markup=False)
        return
    name = name or settings().user or ""
    if not name.strip():
        raise UserError(msg("ucli.admin_name_needed"))
    made = first_admin(store, settings(), name)
    if made.password is None:
        console.print(t("ucli.admin_ready", name=made.user.name), markup=False)
        return
    console.print(t("ucli.created", name=made.user.name, role=role_label(made.user.role)), markup=False)
    _print_seeded(made.seeded)
    _print_one_time(made.user.name, made.password)


@users_group.command("list", help=bi("Liệt kê người dùng.", "List users."))
@click.option(
    "--all", "include_disabled", is_flag=True, help=bi("Cả người đã vô hiệu hóa.", "Include disabled users.")
)
@click.option("--json", "as_json", is_flag=True, help=bi("Xuất JSON.", "Output JSON."))
@handle_errors
def users_list(include_disabled: bool, as_json: bool) -> None:
    rows = list_users(open_store(), include_disabled=include_disabled)
    if as_json:
        emit_json(
            [
                {
                    "name": u.name,
                    "role": u.role.value,
                    "unit": u.unit,
                    "created_at": u.created_at,
                    "created_by": u.created_by,
                    "disabled_at": u.disabled_at,
                    "enabled": u.enabled,
                }
                for u in rows
            ]
        )
        return
    console.print(
        table(
            None,
            [
                t("ucli.col.name"),
                t("ucli.col.role"),
                t("ucli.col.unit"),
                t("ucli.col.created"),
                t("ucli.col.by"),
                t("ucli.col.state"),
            ],
            [
                (
                    u.name,
                    role_label(u.role),
                    u.unit,
                    local_time(u.created_at),
                    u.created_by,
                    t("ucli.active") if u.enabled else t("ucli.disabled", at=local_time(u.disabled_at)),
                )
                for u in rows
            ],
        )
    )


@users_group.command(
    "remove",
    help=bi(
        "Vô hiệu hóa người dùng (tên vẫn giữ trong nhật ký; không thể làm gì nữa).",
        "Disable a user (the name stays in the audit trail; they can no longer act).",
    ),
)
@click.argument("name")
@click.option("--by", "by", default=None, help=_BY)
@handle_errors
def users_remove(name: str, by: str | None) -> None:
    user, changed = remove_user(open_store(), settings(), name, by=by)
    console.print(t("ucli.removed" if changed else "ucli.already_removed", name=user.name), markup=False)


@click.group(
    "policy",
    help=bi(
        "Quy định của đơn vị, do quản trị đặt và ghi vào nhật ký: require-approval, allow-self-approval.",
        "Office policies, set by an admin and recorded in the audit trail: require-approval, allow-self-approval.",
    ),
)
def policy_group() -> None:
    pass


@policy_group.command(
    "set",
    help=bi(
        'Đặt quy định, ví dụ: publisher policy set allow-self-approval true --by "Chủ tịch".',
        'Set a policy, e.g.: publisher policy set allow-self-approval true --by "Chairman".',
    ),
)
@click.argument("name")
@click.argument("value")
@click.option("--by", "by", default=None, help=_BY)
@handle_errors
def policy_set(name: str, value: str, by: str | None) -> None:
    stored = set_policy(open_store(), settings(), name, value, by=by)
    console.print(
        t("ucli.policy_set", name=stored.policy.name, value=str(stored.value).lower()), markup=False
    )


@policy_group.command("show", help=bi("Xem các quy định của đơn vị.", "Show the office policies."))
@click.option("--json", "as_json", is_flag=True, help=bi("Xuất JSON.", "Output JSON."))
@handle_errors
def policy_show(as_json: bool) -> None:
    values = policies(open_store())
    if as_json:
        emit_json([v.as_dict() for v in values])
        return
    for v in values:
        how = (
            t("ucli.policy_by", by=v.set_by, at=local_time(v.set_at))
            if v.set_by
            else t("ucli.policy_default")
        )
        console.print(
            t(
                "ucli.policy_line",
                name=v.policy.name,
                value=str(v.value).lower(),
                how=how,
                what=v.policy.describe(),
            ),
            markup=False,
        )


COMMANDS: list[click.Command] = [users_group, policy_group]
