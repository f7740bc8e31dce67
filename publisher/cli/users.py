"""``publisher users add|list|remove`` and ``publisher policy set|show``: the people of the office."""

from __future__ import annotations

import click

from publisher.actions.users import add_user, list_users, policies, remove_user, set_policy
from publisher.cli.common import bi, handle_errors, open_store, settings
from publisher.cli.output import console, emit_json, err_console, local_time, table
from publisher.core.people import Role, role_label
from publisher.i18n import register, t

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
@handle_errors
def users_add(name: str, role: str | None, unit: str | None, by: str | None) -> None:
    added = add_user(open_store(), settings(), name, role=role, unit=unit, by=by)
    console.print(
        t(f"ucli.{added.outcome}", name=added.user.name, role=role_label(added.user.role)), markup=False
    )
    if added.bootstrap:
        err_console.print(t("ucli.bootstrap"), markup=False)
    for seeded in added.seeded:
        console.print(
            t(
                "ucli.policy_seeded",
                name=seeded.policy.name,
                value=str(seeded.value).lower(),
                source=seeded.source,
            ),
            markup=False,
        )


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
