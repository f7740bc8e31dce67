"""The people of the office: names, roles and the office policies, as plain values.

A person is named by a user of the office, never by free text: ``--by "nguyễn  văn a"`` and
``--by "Nguyễn Văn A"`` (or its NFD spelling) are the same person. :func:`name_key` is the one
comparison used everywhere (NFC, case folded, runs of whitespace made one space, one placement of
the tone mark in "oa", "oe", "uy": "Hoà" and "Hòa" are one person).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from publisher.errors import UserError
from publisher.i18n import msg, register, t

register(
    {
        "people.name_empty": ("Tên người dùng không được để trống.", "A user name cannot be empty."),
        "people.name_too_long": (
            "Tên “{name}…” quá dài (tối đa {max} ký tự).",
            "The name “{name}…” is too long (at most {max} characters).",
        ),
        "people.name_bad_char": (
            "Tên “{name}” chứa ký tự điều khiển hoặc ký tự ẩn; gõ lại tên.",
            "The name “{name}” holds a control or invisible character; type it again.",
        ),
        "people.name_reserved": (
            "“{name}” là tên dành cho hệ thống, không dùng làm tên người dùng.",
            "“{name}” is reserved for the system and cannot name a user.",
        ),
        "people.unit_too_long": (
            "Tên đơn vị quá dài (tối đa {max} ký tự).",
            "The unit name is too long (at most {max} characters).",
        ),
        "people.bad_role": (
            "Vai trò “{value}” không có; chọn một trong: {roles}.",
            "There is no role “{value}”; choose one of: {roles}.",
        ),
        "people.role.officer": ("cán bộ", "officer"),
        "people.role.approver": ("người duyệt", "approver"),
        "people.role.admin": ("quản trị", "admin"),
        "people.unknown_policy": (
            "Không có quy định “{name}”; các quy định: {names}.",
            "There is no policy “{name}”; the policies are: {names}.",
        ),
        "people.bad_policy_value": (
            "Giá trị “{value}” không hợp lệ cho “{name}”: dùng true hoặc false.",
            "“{value}” is not a valid value for “{name}”: use true or false.",
        ),
        "people.policy.require-approval": (
            "Không bài nào được đăng trước khi một người duyệt (khác người soạn) duyệt.",
            "Nothing is published before an approver (not its author) approves it.",
        ),
        "people.policy.allow-self-approval": (
            "Cho phép người xếp lịch/sửa bài tự duyệt bài đó (đơn vị chỉ có một người).",
            "Let the person who queued or edited a post approve it alone (a one-person office).",
        ),
    }
)

#: the width of the name columns (users.name, users.name_key, audit.actor, posts.queued_by)
NAME_MAX = 100
UNIT_MAX = 100
#: the unit (commune) of a single-commune install: every account, post and user without one
DEFAULT_UNIT = "default"

#: actors the software itself writes into the audit trail: never people, never users
SYSTEM_ACTORS = frozenset({"system", "worker", "unknown", "demo", "publisher"})
SYSTEM_PREFIXES = ("dispatch:",)


class Role(StrEnum):
    OFFICER = "officer"  # queues and edits posts
    APPROVER = "approver"  # approves what someone else queued
    ADMIN = "admin"  # approves, and manages the users and the office policies


APPROVER_ROLES = frozenset({Role.APPROVER, Role.ADMIN})


def role_label(role: Role | str) -> str:
    return t(f"people.role.{Role(role).value}")


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise UserError(msg("people.bad_role", value=value, roles=", ".join(r.value for r in Role))) from None


def clean_name(name: str) -> str:
    """A name as it is shown: NFC, trimmed, inner runs of whitespace made one space."""
    return " ".join(unicodedata.normalize("NFC", name).split())


#: a Vietnamese tone mark (huyền, sắc, ngã, hỏi, nặng) written on the first vowel of "oa", "oe" or
#: "uy" (NFD, case folded): the old placement ("hòa", "thúy", "khỏe") of what the new one writes on
#: the second vowel ("hoà", "thuý", "khoẻ"). The vowel must be bare (no circumflex, breve or horn,
#: which NFD writes before a tone mark but after a dot below: "ộ", "ợ" never match) and the mark
#: directly followed by the second vowel.
_TONE_ON_FIRST = re.compile(
    "(o)([\u0300\u0301\u0303\u0309\u0323])([ae])|(u)([\u0300\u0301\u0303\u0309\u0323])(y)"
)


def _tone_on_second(match: re.Match[str]) -> str:
    first, mark, second = (g for g in match.groups() if g is not None)
    return first + second + mark


def name_key(name: str) -> str:
    """The comparison key of a name: NFC, case folded, whitespace folded, tone placement folded.

    ``name_key("Nguyễn  Văn A") == name_key("nguyễn văn a") == name_key(<the NFD spelling>)``, and
    ``name_key("Hòa") == name_key("Hoà")`` (likewise "Thúy"/"Thuý", "Khỏe"/"Khoẻ"): the tone mark of
    "oa", "oe", "uy" is moved to the second vowel (``qu`` + ``ý`` is unchanged by that).
    """
    folded = unicodedata.normalize("NFD", clean_name(name).casefold())
    return unicodedata.normalize("NFC", _TONE_ON_FIRST.sub(_tone_on_second, folded))


def strip_invisible(name: str) -> str:
    """``name`` without control and invisible format characters (zero-width space, joiners…)."""
    return "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))


def is_system_actor(name: str) -> bool:
    key = name_key(name)
    return key in SYSTEM_ACTORS or key.startswith(SYSTEM_PREFIXES)


def validate_name(name: str) -> str:
    """The cleaned name of a new user, or :class:`UserError` saying what is wrong with it."""
    cleaned = clean_name(name)
    if not cleaned:
        raise UserError(msg("people.name_empty"))
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in cleaned):
        raise UserError(msg("people.name_bad_char", name=cleaned.encode("ascii", "replace").decode()))
    if len(cleaned) > NAME_MAX or len(name_key(cleaned)) > NAME_MAX:
        raise UserError(msg("people.name_too_long", name=cleaned[:30], max=NAME_MAX))
    if is_system_actor(cleaned):
        raise UserError(msg("people.name_reserved", name=cleaned))
    return cleaned


def validate_unit(unit: str | None) -> str | None:
    if unit is None:
        return None
    cleaned = clean_name(unit)
    if len(cleaned) > UNIT_MAX:
        raise UserError(msg("people.unit_too_long", max=UNIT_MAX))
    return cleaned or None


@dataclass(frozen=True)
class User:
    """One person of the office (a row of ``users``)."""

    id: int
    name: str
    key: str
    role: Role
    unit: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    disabled_at: datetime | None = None

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None

    @property
    def may_approve(self) -> bool:
        return self.role in APPROVER_ROLES


# -- office policies -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """A rule of the office set by an admin (``publisher policy set``), stored in the database."""

    name: str
    default: bool

    def parse(self, value: str) -> bool:
        text = value.strip().lower()
        if text in ("true", "yes", "on", "1", "có", "co"):
            return True
        if text in ("false", "no", "off", "0", "không", "khong"):
            return False
        raise UserError(msg("people.bad_policy_value", value=value, name=self.name))

    def describe(self) -> str:
        return t(f"people.policy.{self.name}")

    def value_of(self, stored: Any) -> bool:
        """The value of a stored policy record (``{"value": …, "by": …}``); the default when none."""
        if isinstance(stored, Mapping) and "value" in stored:
            return bool(stored["value"])
        return self.default


#: the four-eyes rule itself; ``PUBLISHER_REQUIRE_APPROVAL`` only gives its initial value
REQUIRE_APPROVAL = Policy("require-approval", default=True)
ALLOW_SELF_APPROVAL = Policy("allow-self-approval", default=False)
POLICIES: Mapping[str, Policy] = {p.name: p for p in (REQUIRE_APPROVAL, ALLOW_SELF_APPROVAL)}


def policy_named(name: str) -> Policy:
    policy = POLICIES.get(name.strip().lower())
    if policy is None:
        raise UserError(msg("people.unknown_policy", name=name, names=", ".join(POLICIES)))
    return policy


@dataclass(frozen=True)
class PolicyValue:
    """A policy as stored: its value, who set it and when (None: never set, the default holds)."""

    policy: Policy
    value: bool
    set_by: str | None = None
    set_at: datetime | None = None
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.policy.name,
            "value": self.value,
            "default": self.policy.default,
            "set_by": self.set_by,
            "set_at": self.set_at,
            "source": self.source,
        }


__all__ = [
    "ALLOW_SELF_APPROVAL",
    "APPROVER_ROLES",
    "NAME_MAX",
    "POLICIES",
    "Policy",
    "PolicyValue",
    "REQUIRE_APPROVAL",
    "Role",
    "SYSTEM_ACTORS",
    "User",
    "clean_name",
    "is_system_actor",
    "name_key",
    "parse_role",
    "policy_named",
    "role_label",
    "strip_invisible",
    "validate_name",
    "validate_unit",
]
