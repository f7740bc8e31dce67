"""Approval: approve posts at the hash of their files, and the facts the approval rules read.

Who may approve is decided in :mod:`publisher.actions.approve`; this records the approval, moves
what waited for it, and keeps the content approved for the next approval's diff.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from publisher.core.approval import TrailEntry, snapshot
from publisher.core.models import PostSpec
from publisher.core.states import State
from publisher.errors import ApprovalRefused
from publisher.i18n import msg, register
from publisher.store import schema as s
from publisher.store.audit import Repository, utcnow
from publisher.store.deliveries import ActionReport, move_in, resolve
from publisher.store.digest import media_digests
from publisher.store.posts import WAITING
from publisher.store.read import post_spec_in

register(
    {
        "store.changed_meanwhile": (
            "Bài “{key}” vừa được sửa trong lúc duyệt; xem lại (publisher show {key}) rồi duyệt lại.",
            "“{key}” was edited while it was being approved; look at it again (publisher show {key}) and approve again.",
        ),
        "store.approver_required": (
            "Cần ghi tên người duyệt (--by).",
            "An approver name is required (--by).",
        ),
        "store.draft_not_approvable": (
            "Bài “{key}” đang là bản nháp (draft: true trong tệp lịch); bỏ dòng đó, xếp lịch lại rồi mới duyệt.",
            "“{key}” is a draft (draft: true in its schedule); remove that line and queue again before approving.",
        ),
        "store.nothing_to_approve": (
            "Bài “{key}” không có lượt đăng nào đang chờ duyệt (đã duyệt đúng nội dung hiện tại, hoặc đã đăng/hủy).",
            "“{key}” has no delivery awaiting approval (already approved as it is now, or published/cancelled).",
        ),
        "store.approval_blocked": (
            "Không thể duyệt bài “{key}”: còn {n} vấn đề phải sửa trước.",
            "Cannot approve “{key}”: {n} problem(s) must be fixed first.",
        ),
    }
)

#: ``meta`` row of a post's last approval: {"hash", "by", "at", "snapshot"} (the content approved)
APPROVAL_KEY = "approval:{post_id}"


@dataclass(frozen=True)
class ApprovalFacts:
    """One post as the approval rules read it: its content, its approval and its audit trail."""

    key: str
    post_id: int
    spec: PostSpec
    content_hash: str  # as stored when it was queued or last approved
    approved_hash: str | None
    approved_by: str | None
    approved_at: datetime | None
    last_approval: dict[str, Any] | None  # the APPROVAL_KEY record (None before the first one)
    trail: tuple[TrailEntry, ...]  # queued / edited / approved entries, oldest first


@dataclass(frozen=True)
class ApprovalGrant:
    """What one approval approves, computed from the files before the write transaction."""

    seen_hash: str  # the stored content hash the approver saw; refused if it moved since
    content_hash: str  # the hash of the post's files as they are now: what is approved
    snapshot: dict[str, Any]  # the content approved, kept for the next approval's diff
    changed_files: tuple[str, ...] = ()  # files whose bytes changed since the last approval


def grant_for(facts: ApprovalFacts) -> ApprovalGrant:
    """Hash the post's files as they are now (outside any transaction: a video may be large)."""
    digests = media_digests(facts.spec)
    return ApprovalGrant(facts.content_hash, facts.spec.content_hash(digests), snapshot(facts.spec, digests))


class ApprovalRepo(Repository):
    """Approvals of posts."""

    def approve(
        self,
        refs: Sequence[str],
        by: str,
        blocking: dict[str, list[Any]] | None = None,
        grants: Mapping[str, ApprovalGrant] | None = None,
    ) -> ActionReport:
        """Approve posts as their files are now: all their deliveries that wait to go out.

        Who may approve is decided before this is called (:mod:`publisher.actions.approve`). Each
        post is approved at the hash of its files on disk (``grants``, computed before the write
        transaction; without them, computed here the same way): when a photo or clip changed since
        it was queued, that new hash is approved and becomes the post's, and its prepared media are
        made again. A post edited after the approver read it is skipped, never approved blind.
        """
        by = by.strip()
        if not by:
            raise ApprovalRefused(msg("store.approver_required"))
        if grants is None:
            grants = {f.key: grant_for(f) for f in self.approval_facts(refs)}
        report = ActionReport()
        now = utcnow()
        done: set[str] = set()
        with self.db.write() as conn:
            for ref in refs:
                rows = resolve(conn, ref)
                key = rows[0].key
                post_id = rows[0].post_id
                if rows[0].draft:
                    raise ApprovalRefused(msg("store.draft_not_approvable", key=key))
                problems = (blocking or {}).get(key) or []
                if problems:
                    raise ApprovalRefused(
                        msg("store.approval_blocked", key=key, n=len(problems)), problems=problems
                    )
                if key in done:
                    continue
                grant = grants.get(key)
                if grant is None or grant.seen_hash != rows[0].content_hash:
                    report.skipped.append((key, str(msg("store.changed_meanwhile", key=key))))
                    continue
                waiting = [
                    r
                    for r in rows
                    if r.state == State.AWAITING_APPROVAL.value
                    or (
                        r.state == State.PAUSED.value
                        and r.state_before_pause == State.AWAITING_APPROVAL.value
                    )
                ]
                covered = [r for r in rows if State(r.state) in WAITING and r.state != State.DRAFT.value]
                renewed = rows[0].approved_hash != grant.content_hash
                if not waiting and not (renewed and covered):
                    report.skipped.append((key, str(msg("store.nothing_to_approve", key=key))))
                    continue
                moved = grant.content_hash != rows[0].content_hash  # a file changed since it was queued
                values: dict[str, Any] = dict(
                    approved_by=by, approved_at=now, approved_hash=grant.content_hash
                )
                if moved:
                    values.update(content_hash=grant.content_hash, updated_at=now)
                conn.execute(update(s.posts).where(s.posts.c.id == post_id).values(**values))
                if moved:  # media prepared for the old bytes are made again
                    conn.execute(
                        update(s.deliveries)
                        .where(
                            s.deliveries.c.post_id == post_id,
                            s.deliveries.c.state.in_([st.value for st in WAITING]),
                        )
                        .values(media=None, media_state=None, media_queued_at=None, updated_at=now)
                    )
                for r in waiting:
                    if r.state == State.PAUSED.value:
                        conn.execute(
                            update(s.deliveries)
                            .where(s.deliveries.c.id == r.id)
                            .values(state_before_pause=State.SCHEDULED.value, updated_at=now)
                        )
                    else:
                        move_in(conn, r.id, State.AWAITING_APPROVAL, State.SCHEDULED, now)
                record_key = APPROVAL_KEY.format(post_id=post_id)
                conn.execute(delete(s.meta).where(s.meta.c.key == record_key))
                conn.execute(
                    insert(s.meta).values(
                        key=record_key,
                        value={
                            "hash": grant.content_hash,
                            "by": by,
                            "at": now.isoformat(),
                            "snapshot": grant.snapshot,
                        },
                    )
                )
                extra: dict[str, Any] = {"previous_hash": rows[0].content_hash} if moved else {}
                if grant.changed_files:
                    extra["changed_files"] = list(grant.changed_files)
                targets = [f"{r.platform}/{r.name}" for r in (waiting or covered)]
                self.audit(
                    conn, by, "approved", post_id, content_hash=grant.content_hash, targets=targets, **extra
                )
                report.done.append((key, ", ".join(targets)))
                done.add(key)
        return report

    def approval_facts(self, refs: Sequence[str]) -> list[ApprovalFacts]:
        """Each post named in ``refs`` (once) as the approval rules read it, in one transaction."""
        out: list[ApprovalFacts] = []
        seen: set[int] = set()
        with self.db.read() as conn:
            for ref in refs:
                rows = resolve(conn, ref)
                post_id = int(rows[0].post_id)
                if post_id in seen:
                    continue
                seen.add(post_id)
                p, spec = post_spec_in(conn, post_id)
                trail = conn.execute(
                    select(s.audit.c.at, s.audit.c.actor, s.audit.c.action, s.audit.c.detail)
                    .where(
                        s.audit.c.post_id == post_id, s.audit.c.action.in_(["queued", "edited", "approved"])
                    )
                    .order_by(s.audit.c.at, s.audit.c.id)
                ).all()
                record = conn.execute(
                    select(s.meta.c.value).where(s.meta.c.key == APPROVAL_KEY.format(post_id=post_id))
                ).scalar()
                out.append(
                    ApprovalFacts(
                        key=p.key,
                        post_id=post_id,
                        spec=spec,
                        content_hash=p.content_hash,
                        approved_hash=p.approved_hash,
                        approved_by=p.approved_by,
                        approved_at=p.approved_at,
                        last_approval=record if isinstance(record, dict) else None,
                        trail=tuple(TrailEntry(t.at, t.actor, t.action, t.detail or {}) for t in trail),
                    )
                )
        return out
