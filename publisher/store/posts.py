"""Posts and the queue: load schedule files into posts and their deliveries, idempotently.

Loading a file again changes only what changed; what is published decides whether an approval
still holds (see :meth:`PostsRepo.queue`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from publisher.core.models import PostSpec
from publisher.core.people import DEFAULT_UNIT, REQUIRE_APPROVAL
from publisher.core.states import IN_FLIGHT, NOT_STARTED, PAUSABLE, State, check_transition
from publisher.errors import UserError
from publisher.i18n import msg, register
from publisher.store import schema as s
from publisher.store.accounts import account_ids, require_unit
from publisher.store.audit import Repository, utcnow
from publisher.store.deliveries import move_in
from publisher.store.digest import spec_hash
from publisher.store.office import pause_in, policy_in

register(
    {
        "store.key_in_other_file": (
            "Mã bài “{key}” đã được dùng trong tệp khác ({other}). Đổi mã bài cho khác đi.",
            "Post id “{key}” is already used by another file ({other}). Choose a different id.",
        ),
        "store.post_other_unit": (
            "Bài “{key}” đã có trong đơn vị “{unit}”, không chuyển sang đơn vị “{other}” được. Nạp lại với "
            "--unit “{unit}”, hoặc đặt mã bài khác cho bài của đơn vị “{other}”.",
            "Post “{key}” already belongs to unit “{unit}” and cannot move to unit “{other}”. Queue it "
            "with --unit “{unit}”, or give the post of unit “{other}” a different id.",
        ),
    }
)


@dataclass
class QueueReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    approval_voided: list[str] = field(default_factory=list)
    not_changed: list[tuple[str, str, str]] = field(default_factory=list)  # key, target, state
    target_removed: list[tuple[str, str, str]] = field(default_factory=list)
    removed_from_file: list[tuple[str, str]] = field(default_factory=list)  # key, file
    cancelled_in_db: list[str] = field(default_factory=list)
    changes: dict[str, list[str]] = field(default_factory=dict)  # key -> the schedule fields that changed


#: deliveries that wait to go out (their deadline still matters)
WAITING: frozenset[State] = frozenset(
    {
        State.DRAFT,
        State.AWAITING_APPROVAL,
        State.SCHEDULED,
        State.RETRY_WAIT,
        State.NEEDS_REAUTH,
        State.PAUSED,
    }
)
#: post columns an officer writes, by the name of their field in the schedule file
_FIELDS = (
    ("title", "title"),
    ("text", "text"),
    ("link", "link"),
    ("images", "images"),
    ("video", "video"),
    ("options", "options"),
    ("at", "due_at"),
    ("timezone", "timezone"),
    ("grace", "grace_seconds"),
    ("campaign", "campaign"),
    ("author", "author"),
    ("draft", "draft"),
)


def _changed_fields(existing: Row[Any], values: dict[str, Any]) -> list[str]:
    """The schedule fields whose stored value differs from ``values`` (every field, hashed or not)."""

    def norm(column: str, value: Any) -> Any:
        if column == "draft":
            return bool(value)
        if column in ("images", "options"):
            return json.dumps(
                value or ([] if column == "images" else {}), sort_keys=True, ensure_ascii=False, default=str
            )
        return value

    return [
        name
        for name, column in _FIELDS
        if norm(column, getattr(existing, column)) != norm(column, values[column])
    ]


def _post_unit(key: str, existing: Row[Any] | None, unit: str | None) -> str:
    """The unit of a post being queued: the stored one for a known post (never moved), else ``unit``."""
    if existing is None:
        return unit or DEFAULT_UNIT
    stored = existing.unit or DEFAULT_UNIT
    if unit is not None and unit != stored:
        raise UserError(msg("store.post_other_unit", key=key, unit=stored, other=unit))
    return str(stored)


class PostsRepo(Repository):
    """Posts and their deliveries as the schedule files describe them."""

    def queue(
        self,
        specs: Sequence[PostSpec],
        actor: str,
        source_files: Sequence[str] = (),
        unit: str | None = None,
    ) -> QueueReport:
        """Load posts idempotently, all or nothing (one transaction).

        A new post belongs to ``unit`` (default: the default unit); a post already stored keeps its
        unit, and naming another one is refused. Every target must be an account of the post's unit.

        Every field counts when deciding whether a post changed (``report.changes`` names them);
        only what is published decides whether its approval still holds: the content hash (words,
        media bytes, targets, time) and the author (Zalo shows it). ``draft`` on/off moves the
        deliveries through the state table: a draft leaves ``scheduled`` and ``awaiting_approval``;
        an undrafted post goes to ``scheduled`` while its approval holds, else to
        ``awaiting_approval``. A ``grace`` change moves the deadline of what has not gone out.
        """
        report = QueueReport()
        now = utcnow()
        hashes = {spec.key: spec_hash(spec) for spec in specs}
        with self.db.write() as conn:
            require = policy_in(conn, REQUIRE_APPROVAL)  # the office's rule, not this process's
            paused = pause_in(conn) is not None
            for spec in specs:
                grace = spec.grace_hours if spec.grace_hours is not None else self.settings.grace_hours
                deadline = spec.due_at + timedelta(hours=grace)
                chash = hashes[spec.key]
                ids = account_ids(conn, spec.targets)
                existing = conn.execute(select(s.posts).where(s.posts.c.key == spec.key)).first()
                post_unit = _post_unit(spec.key, existing, unit)
                require_unit(conn, spec.key, post_unit, ids)
                post_values = dict(
                    title=spec.title,
                    text=spec.text,
                    link=spec.link,
                    images=[str(p) for p in spec.images],
                    video=str(spec.video) if spec.video else None,
                    banner=spec.options.get("banner"),
                    campaign=spec.campaign,
                    author=spec.author,
                    options=spec.options,
                    timezone=spec.timezone,
                    due_at=spec.due_at,
                    grace_seconds=int(grace * 3600),
                    draft=spec.draft,
                    content_hash=chash,
                    source_file=spec.source_file,
                    source_line=spec.source_line,
                    updated_at=now,
                )
                initial = (
                    State.DRAFT if spec.draft else State.AWAITING_APPROVAL if require else State.SCHEDULED
                )
                if existing is None:
                    res = conn.execute(
                        insert(s.posts).values(
                            key=spec.key, queued_by=actor, queued_at=now, unit=post_unit, **post_values
                        )
                    )
                    post_id = int(res.inserted_primary_key[0])  # type: ignore[index]
                    for account_id in ids.values():
                        self._insert_delivery(
                            conn, post_id, account_id, initial, spec.due_at, deadline, now, paused
                        )
                    self.audit(
                        conn,
                        actor,
                        "queued",
                        post_id,
                        file=spec.source_file,
                        line=spec.source_line,
                        targets=[str(t) for t in spec.targets],
                        content_hash=chash,
                        unit=post_unit,
                    )
                    report.created.append(spec.key)
                    continue

                if existing.source_file and spec.source_file and existing.source_file != spec.source_file:
                    other = conn.execute(
                        select(func.count())
                        .select_from(s.deliveries)
                        .where(
                            s.deliveries.c.post_id == existing.id,
                            s.deliveries.c.state != State.CANCELLED.value,
                        )
                    ).scalar_one()
                    if other:
                        raise UserError(
                            msg("store.key_in_other_file", key=spec.key, other=existing.source_file)
                        )
                post_id = int(existing.id)
                dels = conn.execute(
                    select(s.deliveries, s.accounts.c.platform, s.accounts.c.name)
                    .join(s.accounts, s.accounts.c.id == s.deliveries.c.account_id)
                    .where(s.deliveries.c.post_id == post_id)
                ).all()
                by_account = {int(d.account_id): d for d in dels}
                content_changed = existing.content_hash != chash
                targets_changed = set(by_account) != set(ids.values())
                fields = _changed_fields(existing, post_values)
                if targets_changed:
                    fields.append("targets")
                if content_changed and not fields:
                    fields.append("media")  # the same paths, other bytes
                if not fields:
                    if (existing.source_file, existing.source_line) != (spec.source_file, spec.source_line):
                        conn.execute(
                            update(s.posts)
                            .where(s.posts.c.id == post_id)
                            .values(source_file=spec.source_file, source_line=spec.source_line)
                        )  # moved in its file
                    if all(d.state == State.CANCELLED.value for d in dels):
                        report.cancelled_in_db.append(spec.key)
                    else:
                        report.unchanged.append(spec.key)
                    continue
                report.changes[spec.key] = fields
                # what is published changed: the approval no longer covers it
                voids = content_changed or "author" in fields
                conn.execute(update(s.posts).where(s.posts.c.id == post_id).values(**post_values))
                voided = voids and existing.approved_by is not None
                if voided:
                    conn.execute(
                        update(s.posts)
                        .where(s.posts.c.id == post_id)
                        .values(approved_by=None, approved_at=None, approved_hash=None)
                    )
                    report.approval_voided.append(spec.key)
                self.audit(
                    conn,
                    actor,
                    "edited",
                    post_id,
                    old_hash=existing.content_hash,
                    new_hash=chash,
                    approval_voided=voided,
                    fields=fields,
                    authoring=voids,
                )
                holds = not require or (
                    not voids and existing.approved_by is not None and existing.approved_hash == chash
                )
                for d in dels:
                    st = State(d.state)
                    tname = f"{d.platform}/{d.name}"
                    if int(d.account_id) not in ids.values():
                        if st in NOT_STARTED or st == State.CLAIMED:
                            if st == State.CLAIMED:
                                report.not_changed.append((spec.key, tname, st.value))
                                continue
                            move_in(conn, d.id, st, State.CANCELLED, now)
                            self.audit(conn, actor, "target_removed", post_id, d.id, target=tname)
                            report.target_removed.append((spec.key, tname, "cancelled"))
                        elif st != State.CANCELLED:
                            report.not_changed.append((spec.key, tname, st.value))
                        continue
                    if voids:
                        if st in NOT_STARTED and st != State.PUBLISHED:
                            new = initial
                            media: dict[str, Any] = (
                                dict(media=None, media_state=None, media_queued_at=None)
                                if content_changed
                                else {}
                            )
                            if st == State.PAUSED:
                                conn.execute(
                                    update(s.deliveries)
                                    .where(s.deliveries.c.id == d.id)
                                    .values(
                                        state_before_pause=new.value,
                                        due_at=spec.due_at,
                                        deadline=deadline,
                                        next_attempt_at=None,
                                        updated_at=now,
                                        attempts=0,
                                        progress=None,
                                        **media,
                                    )
                                )
                            else:
                                if st != new:
                                    check_transition(st, new, what=f"{spec.key} → {tname}")
                                conn.execute(
                                    update(s.deliveries)
                                    .where(s.deliveries.c.id == d.id)
                                    .values(
                                        state=new.value,
                                        due_at=spec.due_at,
                                        deadline=deadline,
                                        next_attempt_at=None,
                                        updated_at=now,
                                        attempts=0,
                                        last_code=None,
                                        last_reason=None,
                                        progress=None,
                                        **media,
                                    )
                                )
                        elif st != State.CANCELLED:
                            report.not_changed.append((spec.key, tname, st.value))
                        continue
                    if "draft" in fields:
                        st = self._redraft(conn, actor, d, spec, holds, paused, now, report, tname)
                    if "grace" in fields and st in WAITING:
                        conn.execute(
                            update(s.deliveries)
                            .where(s.deliveries.c.id == d.id)
                            .values(deadline=d.due_at + timedelta(hours=grace), updated_at=now)
                        )
                for tgt, account_id in ids.items():
                    if account_id not in by_account:
                        self._insert_delivery(
                            conn, post_id, account_id, initial, spec.due_at, deadline, now, paused
                        )
                        self.audit(conn, actor, "target_added", post_id, target=str(tgt))
                report.updated.append(spec.key)

            keys = {spec.key for spec in specs}
            for src in source_files:
                rows = conn.execute(
                    select(s.posts.c.id, s.posts.c.key).where(s.posts.c.source_file == src)
                ).all()
                for r in rows:
                    if r.key in keys:
                        continue
                    active = conn.execute(
                        select(func.count())
                        .select_from(s.deliveries)
                        .where(
                            s.deliveries.c.post_id == r.id,
                            s.deliveries.c.state.notin_([State.CANCELLED.value, State.PUBLISHED.value]),
                        )
                    ).scalar_one()
                    if active:
                        report.removed_from_file.append((r.key, src))
        return report

    def _redraft(
        self,
        conn: Connection,
        actor: str,
        d: Row[Any],
        spec: PostSpec,
        approval_holds: bool,
        paused: bool,
        now: datetime,
        report: QueueReport,
        tname: str,
    ) -> State:
        """``draft`` turned on or off for one delivery; returns the state it is in afterwards."""
        st = State(d.state)
        before = State(d.state_before_pause) if st == State.PAUSED and d.state_before_pause else st
        if spec.draft:
            if before in (State.AWAITING_APPROVAL, State.SCHEDULED, State.RETRY_WAIT, State.NEEDS_REAUTH):
                move_in(
                    conn,
                    d.id,
                    st,
                    State.DRAFT,
                    now,
                    next_attempt_at=None,
                    lease_until=None,
                    state_before_pause=None,
                )
                self.audit(conn, actor, "state_draft", d.post_id, d.id, source=st.value, via="draft")
                return State.DRAFT
            if st in IN_FLIGHT or st == State.PUBLISHED:
                report.not_changed.append((spec.key, tname, st.value))
            return st
        if before != State.DRAFT:
            return st
        new = State.SCHEDULED if approval_holds else State.AWAITING_APPROVAL
        check_transition(State.DRAFT, new, what=f"{spec.key} → {tname}")
        values: dict[str, Any] = dict(state=new.value, updated_at=now)
        if st == State.PAUSED or (paused and new in PAUSABLE):  # held like anything queued during a pause
            values.update(state=State.PAUSED.value, state_before_pause=new.value)
        conn.execute(
            update(s.deliveries)
            .where(s.deliveries.c.id == d.id, s.deliveries.c.state == st.value)
            .values(**values)
        )
        self.audit(
            conn, actor, f"state_{new.value}", d.post_id, d.id, source=State.DRAFT.value, via="undraft"
        )
        return new

    def _insert_delivery(
        self,
        conn: Connection,
        post_id: int,
        account_id: int,
        state: State,
        due: datetime,
        deadline: datetime,
        now: datetime,
        paused: bool,
    ) -> None:
        values: dict[str, Any] = dict(
            post_id=post_id,
            account_id=account_id,
            state=state.value,
            due_at=due,
            deadline=deadline,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        if paused and state in PAUSABLE:
            values.update(state=State.PAUSED.value, state_before_pause=state.value)
        conn.execute(insert(s.deliveries).values(**values))
