"""The four-eyes rule and what an approver is shown, as pure functions.

Who may approve a post:
- a known, enabled user whose role is ``approver`` or ``admin``;
- not anyone who queued or edited the content being approved, unless the office policy
  ``allow-self-approval`` says so. The authors are read from the audit trail: everyone who queued
  the post or changed what is published (``edited`` with ``authoring``) since its last approval,
  and whoever last did so (a photo swapped on disk after an approval is theirs). Names are compared
  with :func:`publisher.core.people.name_key`, so spelling variants are one person.

What an approval covers is the hash of what is published, recomputed from the files at approval
time; a :func:`snapshot` of that content is kept so that the next approval can show what changed
(:func:`changes`: a text diff, and which file).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from publisher.core.models import PostSpec
from publisher.core.people import User, name_key, role_label
from publisher.i18n import Msg, msg, register

register(
    {
        "approval.role": (
            "{by} có vai trò “{role}”; chỉ người duyệt hoặc quản trị mới duyệt được bài. "
            'Quản trị đổi vai trò bằng: publisher users add "{by}" --role approver --by QUẢN-TRỊ',
            "{by} is an {role}; only an approver or an admin may approve. An admin changes the role with: "
            'publisher users add "{by}" --role approver --by ADMIN',
        ),
        "approval.self": (
            "{by} đã xếp lịch hoặc sửa nội dung bài “{key}” đang chờ duyệt, không thể tự duyệt. Cần một người "
            "duyệt khác (hoặc quản trị cho phép cả đơn vị: publisher policy set allow-self-approval true "
            "--by QUẢN-TRỊ).",
            "{by} queued or edited the content of “{key}” that awaits approval and cannot approve it alone. "
            "Another approver is needed (or an admin allows it for the office: publisher policy set "
            "allow-self-approval true --by ADMIN).",
        ),
    }
)

#: audit actions that put content into a post
QUEUED, EDITED, APPROVED = "queued", "edited", "approved"


@dataclass(frozen=True)
class TrailEntry:
    """One line of a post's audit trail, as the rule reads it."""

    at: datetime
    actor: str
    action: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def authoring(self) -> bool:
        """Queued the post, or changed what is published (edits before this field existed all did)."""
        if self.action == QUEUED:
            return True
        return self.action == EDITED and bool(self.detail.get("authoring", True))


def authors(trail: Sequence[TrailEntry]) -> list[str]:
    """Who may not approve the post's current content (names as written, first spelling, in order)."""
    since: list[str] = []
    last: str | None = None
    for entry in trail:
        if entry.action == APPROVED:
            since = []
        elif entry.authoring:
            since.append(entry.actor)
            last = entry.actor
    out: dict[str, str] = {}
    for name in [*since, *([last] if last else [])]:
        out.setdefault(name_key(name), name)
    return list(out.values())


def refusal(approver: User, key: str, post_authors: Iterable[str], allow_self: bool) -> Msg | None:
    """Why ``approver`` may not approve post ``key`` (None: they may)."""
    if not approver.may_approve:
        return msg("approval.role", by=approver.name, role=role_label(approver.role))
    if not allow_self and approver.key in {name_key(a) for a in post_authors}:
        return msg("approval.self", by=approver.name, key=key)
    return None


# -- what was approved, and what changed since ----------------------------------------------------


def snapshot(spec: PostSpec, digests: Mapping[Path, str]) -> dict[str, Any]:
    """What an approval covers, kept for the next approval's diff (JSON-ready)."""
    return {
        "title": spec.title,
        "text": spec.text,
        "link": spec.link,
        "author": spec.author,
        "at": spec.due_at.isoformat(),
        "targets": [str(t) for t in spec.targets],
        "options": spec.options,
        "images": [str(p) for p in spec.images],
        "video": str(spec.video) if spec.video else None,
        # every file whose bytes the approval covers (a photo story's photos and music too)
        "media": {str(p): digests.get(p, "missing") for p in spec.media_files()},
    }


@dataclass(frozen=True)
class Change:
    """One difference between the last approved content and the content approved now.

    ``field`` is the schedule file's field (``title``, ``text``, ``at``, ``targets``…) or ``file``
    for the bytes of a photo or video; ``kind`` is ``changed``, ``added``, ``removed`` or
    ``missing`` (a file no longer on disk). A text change carries unified-diff ``lines``.
    """

    field: str
    kind: str
    before: str | None = None
    after: str | None = None
    lines: tuple[str, ...] = ()


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[Change]:
    """What differs between two snapshots; empty when ``before`` is None (nothing to compare)."""
    if before is None:
        return []
    out: list[Change] = []
    for name in ("title", "link", "author", "at", "video"):
        old, new = before.get(name), after.get(name)
        if old != new:
            kind = "added" if old is None else "removed" if new is None else "changed"
            out.append(Change(name, kind, _text(old), _text(new)))
    old_text, new_text = str(before.get("text") or ""), str(after.get("text") or "")
    if old_text != new_text:
        diff = difflib.unified_diff(old_text.splitlines(), new_text.splitlines(), lineterm="", n=1)
        out.append(
            Change(
                "text", "changed", lines=tuple(line for line in diff if not line.startswith(("---", "+++")))
            )
        )
    old_targets, new_targets = list(before.get("targets") or []), list(after.get("targets") or [])
    out += [Change("targets", "added", after=t) for t in new_targets if t not in old_targets]
    out += [Change("targets", "removed", before=t) for t in old_targets if t not in new_targets]
    if list(before.get("images") or []) != list(after.get("images") or []):
        out.append(
            Change(
                "images",
                "changed",
                ", ".join(before.get("images") or []),
                ", ".join(after.get("images") or []),
            )
        )
    if (before.get("options") or {}) != (after.get("options") or {}):
        out.append(Change("options", "changed", _text(before.get("options")), _text(after.get("options"))))
    old_media: Mapping[str, str] = before.get("media") or {}
    new_media: Mapping[str, str] = after.get("media") or {}
    for path in sorted(set(old_media) | set(new_media)):
        old, new = old_media.get(path), new_media.get(path)
        if new == "missing":
            out.append(Change("file", "missing", after=path))
        elif old is None:
            out.append(Change("file", "added", after=path))
        elif new is None:
            out.append(Change("file", "removed", before=path))
        elif old != new:
            out.append(Change("file", "changed", before=path, after=path))
    return out


def missing_files(snap: Mapping[str, Any]) -> list[str]:
    return [path for path, digest in (snap.get("media") or {}).items() if digest == "missing"]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


__all__ = ["Change", "TrailEntry", "authors", "changes", "missing_files", "refusal", "snapshot"]
