"""The people of the office: who is acting, adding and removing users, the office policies.

Bootstrapping: while the office has no enabled admin (a new install, or a database migrated from a
version without users), anyone at the machine may add users, and a user added without ``--role``
becomes an admin. The first admin also fixes the initial values of the policies
``require-approval`` (from ``PUBLISHER_REQUIRE_APPROVAL``, when that is false) and
``allow-self-approval`` (from ``PUBLISHER_ALLOW_SELF_APPROVAL``, when that is true); afterwards
only ``publisher policy set`` changes them. A policy never stored has its safe default (approval
required, no self-approval), whatever the environment of a process says.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from publisher.core.people import (
    ALLOW_SELF_APPROVAL,
    NAME_MAX,
    POLICIES,
    REQUIRE_APPROVAL,
    Policy,
    PolicyValue,
    Role,
    User,
    clean_name,
    parse_role,
    policy_named,
    role_label,
    validate_name,
    validate_unit,
)
from publisher.errors import UserError
from publisher.i18n import msg, register
from publisher.settings import Settings
from publisher.store.users import Users

register(
    {
        "users.none": (
            'Chưa có người dùng nào. Người đầu tiên tự thêm mình (sẽ là quản trị): publisher users add "Họ tên"',
            'There are no users yet. The first person adds themselves (as admin): publisher users add "Full name"',
        ),
        "users.unknown": (
            "“{name}” không phải người dùng của đơn vị (xem “publisher users list”). "
            'Quản trị thêm người mới bằng: publisher users add "{name}" --by QUẢN-TRỊ',
            "“{name}” is not a user of the office (see “publisher users list”). "
            'An admin adds people with: publisher users add "{name}" --by ADMIN',
        ),
        "users.unknown_default": (
            "Không rõ ai thực hiện lệnh: thêm --by “Họ tên” hoặc đặt PUBLISHER_USER. "
            "“{name}” (PUBLISHER_USER hoặc tên người dùng máy) không phải người dùng của đơn vị.",
            "Who is running this? Add --by “Full name” or set PUBLISHER_USER. "
            "“{name}” (PUBLISHER_USER or the machine user) is not a user of the office.",
        ),
        "users.disabled": (
            "{name} đã bị vô hiệu hóa; không thể thực hiện lệnh này.",
            "{name} is disabled and cannot do this.",
        ),
        "users.role_needed": (
            "{name} có vai trò “{role}”; việc này cần vai trò: {roles}.",
            "{name} is an {role}; this needs the role: {roles}.",
        ),
        "users.no_admin": (
            'Đơn vị chưa có quản trị. Thêm một người làm quản trị trước: publisher users add "Họ tên" --role admin',
            'The office has no admin yet. Make someone admin first: publisher users add "Full name" --role admin',
        ),
        "users.last_admin": (
            "{name} là quản trị cuối cùng; thêm một quản trị khác trước khi bỏ vai trò này.",
            "{name} is the last admin; make someone else admin first.",
        ),
        "users.not_found": ("Không có người dùng “{name}”.", "There is no user “{name}”."),
    }
)


def _shown(name: str) -> str:
    cleaned = clean_name(name)
    return cleaned if len(cleaned) <= NAME_MAX else cleaned[:NAME_MAX] + "…"


def require_user(
    users: Users, name: str, roles: Collection[Role] | None = None, *, defaulted: bool = False
) -> User:
    """The known, enabled user ``name`` names (any spelling), or :class:`UserError` saying why not."""
    user = users.get(name) if len(name) <= 4 * NAME_MAX else None
    if user is None:
        if not users.count():
            raise UserError(msg("users.none"))
        raise UserError(msg("users.unknown_default" if defaulted else "users.unknown", name=_shown(name)))
    if not user.enabled:
        raise UserError(msg("users.disabled", name=user.name))
    if roles and user.role not in roles:
        raise UserError(
            msg(
                "users.role_needed",
                name=user.name,
                role=role_label(user.role),
                roles=", ".join(role_label(r) for r in sorted(roles)),
            )
        )
    return user


def acting_user(
    store: Any, settings: Settings, by: str | None, roles: Collection[Role] | None = None
) -> User:
    """Who runs a command: ``--by`` when given, else ``PUBLISHER_USER`` (or the machine user).

    Either way it must name a known, enabled user of the office.
    """
    users = Users(store.db)
    if by is not None:
        return require_user(users, by, roles)
    return require_user(users, settings.actor(), roles, defaulted=True)


def _admin(store: Any, settings: Settings, by: str | None) -> User:
    users = Users(store.db)
    if not users.count(Role.ADMIN):
        raise UserError(msg("users.no_admin"))
    return acting_user(store, settings, by, {Role.ADMIN})


@dataclass(frozen=True)
class UserAdded:
    user: User
    outcome: str  # created | updated | enabled | unchanged
    bootstrap: bool  # added while the office had no admin
    seeded: tuple[PolicyValue, ...] = ()  # initial policy values the first admin took from the settings

    @property
    def policy(self) -> PolicyValue | None:
        """The initial allow-self-approval, when the first admin fixed it."""
        return next((p for p in self.seeded if p.policy is ALLOW_SELF_APPROVAL), None)


#: the office policies whose initial value a setting gives: (policy, setting, environment variable)
SEEDED_POLICIES = (
    (REQUIRE_APPROVAL, "require_approval", "PUBLISHER_REQUIRE_APPROVAL"),
    (ALLOW_SELF_APPROVAL, "allow_self_approval", "PUBLISHER_ALLOW_SELF_APPROVAL"),
)


def add_user(
    store: Any,
    settings: Settings,
    name: str,
    role: str | None = None,
    unit: str | None = None,
    by: str | None = None,
) -> UserAdded:
    """Add a user, or change the role/unit of an existing one (a disabled one is enabled again)."""
    users = Users(store.db)
    cleaned = validate_name(name)
    unit = validate_unit(unit)
    admins = users.count(Role.ADMIN)
    existing = users.get(cleaned)
    if admins:
        actor = acting_user(store, settings, by, {Role.ADMIN}).name
        default = Role.OFFICER
    else:  # bootstrap: nobody can manage users yet
        actor = _shown(by or settings.actor())[:NAME_MAX] or cleaned
        default = Role.ADMIN
    new_role = parse_role(role) if role else existing.role if existing else default
    if (
        existing
        and existing.enabled
        and existing.role == Role.ADMIN
        and new_role != Role.ADMIN
        and admins <= 1
    ):
        raise UserError(msg("users.last_admin", name=existing.name))
    user, outcome = users.add(existing.name if existing else cleaned, new_role, unit, actor)
    seeded: list[PolicyValue] = []
    if not admins and user.role == Role.ADMIN:  # the first admin: the settings give initial values once
        for policy, setting, variable in SEEDED_POLICIES:
            value = bool(getattr(settings, setting))
            if value != policy.default:
                seeded.append(
                    users.set_policy(policy, value, by=user.name, source=variable, only_if_unset=True)
                )
    return UserAdded(user, outcome, bootstrap=not admins, seeded=tuple(seeded))


def list_users(store: Any, include_disabled: bool = False) -> list[User]:
    return Users(store.db).all(include_disabled=include_disabled)


def remove_user(store: Any, settings: Settings, name: str, by: str | None = None) -> tuple[User, bool]:
    """Disable a user (the row stays: the audit trail keeps naming them). False: already disabled."""
    actor = _admin(store, settings, by)
    users = Users(store.db)
    user = users.get(name)
    if user is None:
        raise UserError(msg("users.not_found", name=_shown(name)))
    if user.enabled and user.role == Role.ADMIN and users.count(Role.ADMIN) <= 1:
        raise UserError(msg("users.last_admin", name=user.name))
    return user, users.disable(user, actor.name)


def set_policy(store: Any, settings: Settings, name: str, value: str, by: str | None = None) -> PolicyValue:
    """An admin sets an office policy; recorded in the audit trail."""
    policy = policy_named(name)
    parsed = policy.parse(value)
    actor = _admin(store, settings, by)
    return Users(store.db).set_policy(policy, parsed, by=actor.name)


def policies(store: Any) -> list[PolicyValue]:
    users = Users(store.db)
    return [users.policy(p) for p in POLICIES.values()]


def policy_value(store: Any, policy: Policy) -> bool:
    return Users(store.db).policy(policy).value


__all__ = [
    "UserAdded",
    "acting_user",
    "add_user",
    "list_users",
    "policies",
    "policy_value",
    "remove_user",
    "require_user",
    "set_policy",
]
