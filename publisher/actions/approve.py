"""``approve``: a known approver approves posts as their files are now.

1. The approver is a known, enabled user; the four-eyes rule (:mod:`publisher.core.approval`)
   refuses a role that may not approve and anyone who queued or edited the content, unless the
   office policy ``allow-self-approval`` allows it.
2. The content hash is recomputed from the files on disk, so that a photo replaced since the post
   was queued is approved as it is now (the check before sending recomputes it the same way).
3. Nothing is approved while the pre-publish review blocks, or a file is missing.
4. What changed since the last approval is returned (text diff, which file) for the approver to
   see; the content approved is kept for the next time.

All named posts are approved together, or none (the first refusal stops the command).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from publisher.actions.review import findings_for
from publisher.actions.users import acting_user, policy_value
from publisher.core.approval import Change, authors, changes, missing_files, refusal
from publisher.core.people import ALLOW_SELF_APPROVAL, User
from publisher.core.review import blocking
from publisher.errors import ApprovalRefused
from publisher.i18n import msg, register
from publisher.settings import Settings
from publisher.store.approval import ApprovalGrant, grant_for

register(
    {
        "approve.missing_file": (
            "Không tìm thấy tệp {file} trên đĩa; đặt lại tệp đó (hoặc sửa tệp lịch và xếp lịch lại) rồi duyệt.",
            "The file {file} is not on disk; put it back (or edit the schedule and queue it again), then approve.",
        ),
    }
)


@dataclass(frozen=True)
class ApprovedPost:
    """One post approved, and what the approver approved that differs from the last approval."""

    key: str
    targets: str
    content_hash: str
    previous_by: str | None = None  # the approval compared against (None: the first one)
    previous_at: datetime | None = None
    changes: tuple[Change, ...] = ()
    recorded: bool = True  # False: approved before, by a version that kept no record of the content
    rehashed: bool = False  # a photo or clip changed since the post was queued: the new bytes approved

    @property
    def first(self) -> bool:
        return self.previous_by is None


@dataclass
class ApproveResult:
    approver: User
    approved: list[ApprovedPost] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # ref, why


def approve_posts(store: Any, settings: Settings, refs: Sequence[str], by: str) -> ApproveResult:
    """Approve ``refs`` (post ids or deliveries) as ``by``; :class:`ApprovalRefused` when a rule says no."""
    if not by.strip():
        raise ApprovalRefused(msg("store.approver_required"))
    approver = acting_user(store, settings, by)
    allow_self = policy_value(store, ALLOW_SELF_APPROVAL)
    grants: dict[str, ApprovalGrant] = {}
    shown: dict[str, ApprovedPost] = {}
    for facts in store.approval_facts(list(refs)):
        if facts.spec.draft:
            raise ApprovalRefused(msg("store.draft_not_approvable", key=facts.key))
        why = refusal(approver, facts.key, authors(facts.trail), allow_self)
        if why is not None:
            raise ApprovalRefused(why)
        grant = grant_for(facts)
        problems: list[Any] = [
            msg("approve.missing_file", file=Path(p).name) for p in missing_files(grant.snapshot)
        ]
        problems += blocking(findings_for(facts.spec, settings))
        if problems:
            raise ApprovalRefused(
                msg("store.approval_blocked", key=facts.key, n=len(problems)), problems=problems
            )
        last = facts.last_approval or {}
        diff = tuple(changes(last.get("snapshot"), grant.snapshot))
        files = tuple(sorted({c.after or c.before or "" for c in diff if c.field == "file"} - {""}))
        grants[facts.key] = replace(grant, changed_files=files)
        earlier = [e for e in facts.trail if e.action == "approved"]  # approvals before records were kept
        previous_by = last.get("by") or (earlier[-1].actor if earlier else None)
        at = last.get("at")
        shown[facts.key] = ApprovedPost(
            key=facts.key,
            targets="",
            content_hash=grant.content_hash,
            previous_by=previous_by,
            previous_at=datetime.fromisoformat(at) if at else earlier[-1].at if earlier else None,
            changes=diff,
            recorded=previous_by is None or "snapshot" in last,
            rehashed=grant.content_hash != facts.content_hash,
        )
    report = store.approve(list(refs), approver.name, grants=grants)
    result = ApproveResult(approver, skipped=list(report.skipped))
    for key, targets in report.done:
        result.approved.append(replace(shown[key], targets=targets))
    return result


__all__ = ["ApproveResult", "ApprovedPost", "approve_posts"]
