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
from datetime import datetime
from typing import Any

from publisher.actions.signin import SignIn, check_new_password, one_time_password
from publisher.core.people import (
    ALLOW_SELF_APPROVAL,
    DEFAULT_UNIT,
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
from publisher.store.web import WebRepo

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
        "users.exists": (
            "Đã có người dùng “{name}”; đổi vai trò, đơn vị hoặc mật khẩu ở dòng của người đó.",
            "There is a user “{name}” already; change their role, unit or password on their row.",
        ),
        "users.init_not_admin": (
            "Đơn vị đã có quản trị ({names}) nhưng chưa ai có mật khẩu: chạy lại với --admin là tên một "
            "quản trị đó.",
            "The office has admins ({names}) but none has a password yet: run it again with --admin naming "
            "one of them.",
        ),
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


def _signin(store: Any, settings: Settings) -> SignIn:
    return SignIn(Users(store.db), WebRepo(store.db), settings)


def add_user(
    store: Any,
    settings: Settings,
    name: str,
    role: str | None = None,
    unit: str | None = None,
    by: str | None = None,
    *,
    password: str | None = None,
    one_time: bool = False,
    new_only: bool = False,
) -> UserAdded:
    """Add a user, or change the role/unit of an existing one (a disabled one is enabled again).

    ``password`` (checked before anything is written) becomes the user's password, a one-time one
    to replace at the first sign-in with ``one_time``; ``new_only`` refuses a name already taken.
    """
    users = Users(store.db)
    cleaned = validate_name(name)
    unit = validate_unit(unit)
    if role:
        parse_role(role)  # a bad role is told before who may do this
    if password is not None:
        check_new_password(password)
    admins = users.count(Role.ADMIN)
    existing = users.get(cleaned)
    if existing is not None and new_only:
        raise UserError(msg("users.exists", name=existing.name))
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
    if password is not None:
        _signin(store, settings).set_password(user, password, by=actor, one_time=one_time)
    return UserAdded(user, outcome, bootstrap=not admins, seeded=tuple(seeded))


def update_user(
    store: Any, settings: Settings, name: str, role: str | None, unit: str | None, by: str | None = None
) -> UserAdded:
    """Set the role and unit of an existing user (enabling a disabled one); never adds anyone."""
    if len(name) > 4 * NAME_MAX or Users(store.db).get(name) is None:
        raise UserError(msg("users.not_found", name=_shown(name)))
    return add_user(store, settings, name, role, unit, by)


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
    changed = users.disable(user, actor.name)
    WebRepo(store.db).revoke_user(user.id)  # their open sessions in the web app end now
    return user, changed


def reset_password(store: Any, settings: Settings, name: str, by: str | None = None) -> tuple[User, str]:
    """An admin gives ``name`` a new one-time password (returned, to hand over once); every
    session of that user ends, and the password must be replaced at the next sign-in."""
    actor = _admin(store, settings, by)
    user = Users(store.db).get(name) if len(name) <= 4 * NAME_MAX else None
    if user is None:
        raise UserError(msg("users.not_found", name=_shown(name)))
    if not user.enabled:
        raise UserError(msg("users.disabled", name=user.name))
    password = one_time_password()
    _signin(store, settings).set_password(user, password, by=actor.name, one_time=True)
    return user, password


@dataclass(frozen=True)
class FirstAdmin:
    """What ``publisher init --admin`` did: ``password`` is None when an admin could sign in already."""

    user: User
    password: str | None
    seeded: tuple[PolicyValue, ...] = ()  # initial policy values the new admin took from the settings


def admin_can_sign_in(store: Any) -> bool:
    """Whether an enabled admin has a password (so that someone can open the users page)."""
    return bool(Users(store.db).with_password(Role.ADMIN))


def first_admin(store: Any, settings: Settings, name: str) -> FirstAdmin:
    """Make the first admin of the web app and give them a one-time password, once.

    Nothing changes while an enabled admin has a password (the answer names them). While there
    is no admin, ``name`` is added (or made) admin; while there are admins without a password,
    ``name`` must be one of them.
    """
    users = Users(store.db)
    ready = users.with_password(Role.ADMIN)
    if ready:
        return FirstAdmin(ready[0], None)
    cleaned = validate_name(name)
    admins = [u for u in users.all() if u.role == Role.ADMIN]
    user = users.get(cleaned)
    if admins and (user is None or user.role != Role.ADMIN or not user.enabled):
        raise UserError(msg("users.init_not_admin", names=", ".join(a.name for a in admins)))
    seeded: tuple[PolicyValue, ...] = ()
    if not admins:
        added = add_user(store, settings, cleaned, role=Role.ADMIN.value, by=cleaned)
        user, seeded = added.user, added.seeded
    assert user is not None
    password = one_time_password()
    _signin(store, settings).set_password(user, password, by=settings.actor(), one_time=True)
    return FirstAdmin(user, password, seeded)


@dataclass(frozen=True)
class UserRow:
    """A user as the users page lists them."""

    user: User
    has_password: bool
    must_change_password: bool
    last_sign_in: datetime | None


def user_rows(store: Any) -> list[UserRow]:
    """Every user (disabled ones too), with what the audit and the password columns say."""
    users = Users(store.db)
    facts = users.sign_in_facts()
    out = []
    for u in users.all(include_disabled=True):
        f = facts.get(u.id)
        out.append(
            UserRow(
                u,
                f.has_password if f else False,
                f.must_change_password if f else False,
                f.last_sign_in if f else None,
            )
        )
    return out


def known_units(store: Any) -> list[str]:
    """The units named by accounts and users, the default unit first."""
    units = {a.unit or DEFAULT_UNIT for a in store.accounts(include_disabled=True)}
    units |= {u.unit for u in Users(store.db).all(include_disabled=True) if u.unit}
    return [DEFAULT_UNIT, *sorted(units - {DEFAULT_UNIT})]


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
    "FirstAdmin",
    "UserAdded",
    "UserRow",
    "acting_user",
    "add_user",
    "admin_can_sign_in",
    "first_admin",
    "known_units",
    "list_users",
    "policies",
    "policy_value",
    "remove_user",
    "require_user",
    "reset_password",
    "set_policy",
    "update_user",
    "user_rows",
]
