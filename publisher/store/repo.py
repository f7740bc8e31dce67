"""The schedule store: accounts, posts, deliveries, approvals, the audit trail and the pause.

Every change that moves a delivery checks the move against ``publisher.core.states`` and is made
with a conditional UPDATE (``WHERE state = :expected``), so two processes can never both move the
same delivery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, or_, select, update

from publisher.core.models import Delivery, PostSpec, Target
from publisher.core.states import IN_FLIGHT, NOT_STARTED, PAUSABLE, State, check_transition
from publisher.errors import ApprovalRefused, NotFound, UserError
from publisher.i18n import msg, register
from publisher.platforms.base import Credentials
from publisher.settings import Settings
from publisher.store import schema as s
from publisher.store.crypto import Vault
from publisher.store.db import Database

register(
    {
        "store.account_exists": (
            "Tài khoản {target} đã có. Dùng “publisher accounts remove {target}” trước nếu muốn thay.",
            "Account {target} already exists. Remove it first to replace it.",
        ),
        "store.no_account": ("Không có tài khoản {target}.", "No account {target}."),
        "store.no_post": (
            "Không tìm thấy bài hoặc lượt đăng “{ref}”. Xem danh sách bằng “publisher list”.",
            "No post or delivery “{ref}”. See “publisher list”.",
        ),
        "store.key_in_other_file": (
            "Mã bài “{key}” đã được dùng trong tệp khác ({other}). Đổi mã bài cho khác đi.",
            "Post id “{key}” is already used by another file ({other}). Choose a different id.",
        ),
        "store.self_approval": (
            "{by} là người đã xếp lịch bài “{key}”, không thể tự duyệt. Cần một người duyệt khác "
            "(hoặc đặt PUBLISHER_ALLOW_SELF_APPROVAL=true nếu đơn vị cho phép).",
            "{by} queued “{key}” and cannot approve it alone. Another approver is needed "
            "(or set PUBLISHER_ALLOW_SELF_APPROVAL=true if your office allows it).",
        ),
        "store.approver_required": ("Cần ghi tên người duyệt (--by).", "An approver name is required (--by)."),
        "store.draft_not_approvable": (
            "Bài “{key}” đang là bản nháp (draft: true trong tệp lịch); bỏ dòng đó, xếp lịch lại rồi mới duyệt.",
            "“{key}” is a draft (draft: true in its schedule); remove that line and queue again before approving.",
        ),
        "store.nothing_to_approve": (
            "Bài “{key}” không có lượt đăng nào đang chờ duyệt.",
            "“{key}” has no delivery awaiting approval.",
        ),
        "store.approval_blocked": (
            "Không thể duyệt bài “{key}”: còn {n} vấn đề phải sửa trước.",
            "Cannot approve “{key}”: {n} problem(s) must be fixed first.",
        ),
        "store.account_in_use": (
            "Tài khoản {target} còn {n} lượt đăng chưa xong; hủy chúng trước (publisher cancel).",
            "Account {target} still has {n} unfinished deliveries; cancel them first (publisher cancel).",
        ),
        "store.bad_ref": (
            "“{ref}” không hợp lệ: dùng mã bài, mã bài:nền-tảng/tài-khoản, hoặc số lượt đăng.",
            "“{ref}” is not valid: use a post id, post-id:platform/account, or a delivery number.",
        ),
    }
)

PAUSE_KEY = "pause"


def utcnow() -> datetime:
    return datetime.now(UTC)


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


@dataclass
class ActionReport:
    done: list[tuple[str, str]] = field(default_factory=list)  # ref, detail
    skipped: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ResumeReport:
    held: list[dict[str, Any]] = field(default_factory=list)
    late: list[dict[str, Any]] = field(default_factory=list)  # due passed, still within grace
    too_late: list[dict[str, Any]] = field(default_factory=list)  # beyond grace: will be missed
    pause: dict[str, Any] | None = None


class AccountTx:
    """Credentials of one account under an exclusive lock; ``save`` commits with the block."""

    def __init__(self, store: Store, conn: Connection, account_id: int, credentials: Credentials) -> None:
        self._store = store
        self._conn = conn
        self.account_id = account_id
        self.credentials = credentials

    def save(self, creds: Credentials) -> None:
        self._store._write_credentials(self._conn, self.account_id, creds)
        self.credentials = creds


def media_digest(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return "missing"
    return h.hexdigest()


def spec_hash(spec: PostSpec) -> str:
    paths = list(spec.images) + ([spec.video] if spec.video else [])
    return spec.content_hash({p: media_digest(p) for p in paths})


class Store:
    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.db_url)
        self.vault = Vault(settings)

    # -- setup ------------------------------------------------------------------------------
    def init(self) -> None:
        from publisher.store.crypto import ensure_key_file

        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        if self.settings.secret_key is None:
            ensure_key_file(self.settings.key_file)
        self.db.migrate()

    # -- audit ------------------------------------------------------------------------------
    @staticmethod
    def audit(
        conn: Connection,
        actor: str,
        action: str,
        post_id: int | None = None,
        delivery_id: int | None = None,
        **detail: Any,
    ) -> None:
        conn.execute(
            insert(s.audit).values(
                at=utcnow(), actor=actor, action=action, post_id=post_id, delivery_id=delivery_id,
                detail=detail or None,
            )
        )

    # -- accounts ---------------------------------------------------------------------------
    def add_account(
        self,
        target: Target,
        actor: str,
        display_name: str | None = None,
        credentials: Credentials | None = None,
        exist_ok: bool = False,
    ) -> int:
        now = utcnow()
        with self.db.write() as conn:
            row = conn.execute(
                select(s.accounts.c.id, s.accounts.c.status).where(
                    s.accounts.c.platform == target.platform.value, s.accounts.c.name == target.name
                )
            ).first()
            if row is not None:
                if exist_ok:
                    if row.status == "disabled":
                        conn.execute(update(s.accounts).where(s.accounts.c.id == row.id).values(status="active"))
                    return int(row.id)
                raise UserError(msg("store.account_exists", target=target))
            res = conn.execute(
                insert(s.accounts).values(
                    platform=target.platform.value, name=target.name, display_name=display_name,
                    status="active", created_at=now, updated_at=now,
                )
            )
            account_id = int(res.inserted_primary_key[0])  # type: ignore[index]
            if credentials is not None:
                self._write_credentials(conn, account_id, credentials)
            self.audit(conn, actor, "account_added", target=str(target))
            return account_id

    def _write_credentials(self, conn: Connection, account_id: int, creds: Credentials) -> None:
        conn.execute(
            update(s.accounts)
            .where(s.accounts.c.id == account_id)
            .values(
                credentials=self.vault.seal(creds.to_dict()),
                remote_id=creds.remote_account_id,
                token_expires_at=creds.expires_at,
                refresh_expires_at=creds.refresh_expires_at,
                last_refreshed_at=utcnow(),
                updated_at=utcnow(),
            )
        )

    def save_credentials(self, account_id: int, creds: Credentials, actor: str = "system") -> None:
        with self.db.write() as conn:
            self._write_credentials(conn, account_id, creds)
            conn.execute(
                update(s.accounts).where(s.accounts.c.id == account_id).values(status="active", status_reason=None)
            )
            self.audit(conn, actor, "credentials_saved", account_id=account_id)

    def credentials(self, account_id: int) -> Credentials:
        with self.db.read() as conn:
            token = conn.execute(select(s.accounts.c.credentials).where(s.accounts.c.id == account_id)).scalar()
        return Credentials.from_dict(self.vault.open(token)) if token else Credentials()

    @contextmanager
    def account_lock(self, account_id: int) -> Iterator[AccountTx]:
        """Exclusive lock on one account row for a token refresh (PostgreSQL FOR UPDATE, SQLite IMMEDIATE)."""
        with self.db.write() as conn:
            q = select(s.accounts.c.credentials).where(s.accounts.c.id == account_id)
            if not self.db.is_sqlite:
                q = q.with_for_update()
            token = conn.execute(q).scalar()
            creds = Credentials.from_dict(self.vault.open(token)) if token else Credentials()
            yield AccountTx(self, conn, account_id, creds)

    def set_account_status(self, account_id: int, status: str, reason: str | None = None) -> bool:
        """Returns True when the status changed (so that the officer is told once)."""
        with self.db.write() as conn:
            res = conn.execute(
                update(s.accounts)
                .where(s.accounts.c.id == account_id, s.accounts.c.status != status)
                .values(status=status, status_reason=reason, updated_at=utcnow())
            )
            return bool(res.rowcount)

    def account(self, target: Target | str) -> Row[Any]:
        tgt = Target.parse(target) if isinstance(target, str) else target
        with self.db.read() as conn:
            row = conn.execute(
                select(s.accounts).where(
                    s.accounts.c.platform == tgt.platform.value, s.accounts.c.name == tgt.name
                )
            ).first()
        if row is None:
            raise NotFound(msg("store.no_account", target=tgt))
        return row

    def accounts(self, include_disabled: bool = False) -> list[Row[Any]]:
        q = select(s.accounts).order_by(s.accounts.c.platform, s.accounts.c.name)
        if not include_disabled:
            q = q.where(s.accounts.c.status != "disabled")
        with self.db.read() as conn:
            return list(conn.execute(q))

    def known_targets(self) -> set[str]:
        return {f"{a.platform}/{a.name}" for a in self.accounts()}

    def remove_account(self, target: Target, actor: str) -> str:
        row = self.account(target)
        with self.db.write() as conn:
            busy = conn.execute(
                select(func.count()).select_from(s.deliveries).where(
                    s.deliveries.c.account_id == row.id,
                    s.deliveries.c.state.in_([st.value for st in (NOT_STARTED | IN_FLIGHT) - {State.FAILED, State.MISSED}]),
                )
            ).scalar_one()
            if busy:
                raise UserError(msg("store.account_in_use", target=target, n=busy))
            used = conn.execute(
                select(func.count()).select_from(s.deliveries).where(s.deliveries.c.account_id == row.id)
            ).scalar_one()
            if used:
                conn.execute(
                    update(s.accounts)
                    .where(s.accounts.c.id == row.id)
                    .values(status="disabled", credentials=None, updated_at=utcnow())
                )
                outcome = "disabled"
            else:
                conn.execute(delete(s.accounts).where(s.accounts.c.id == row.id))
                outcome = "deleted"
            self.audit(conn, actor, "account_removed", target=str(target), outcome=outcome)
            return outcome

    # -- pause ------------------------------------------------------------------------------
    def pause_info(self, conn: Connection | None = None) -> dict[str, Any] | None:
        def get(c: Connection) -> dict[str, Any] | None:
            return c.execute(select(s.meta.c.value).where(s.meta.c.key == PAUSE_KEY)).scalar()

        if conn is not None:
            return get(conn)
        with self.db.read() as c:
            return get(c)

    def pause(self, reason: str, actor: str) -> int:
        """Hold every pending delivery; returns how many were held. Idempotent."""
        now = utcnow()
        with self.db.write() as conn:
            info = self.pause_info(conn)
            if info is None:
                conn.execute(insert(s.meta).values(key=PAUSE_KEY, value={"reason": reason, "by": actor,
                                                                        "at": now.isoformat()}))
            n = 0
            for st in PAUSABLE:
                check_transition(st, State.PAUSED)
                res = conn.execute(
                    update(s.deliveries)
                    .where(s.deliveries.c.state == st.value)
                    .values(state=State.PAUSED.value, state_before_pause=st.value, updated_at=now)
                )
                n += res.rowcount or 0
            self.audit(conn, actor, "paused", reason=reason, held=n)
            return n

    def resume(self, actor: str, now: datetime | None = None) -> ResumeReport:
        now = now or utcnow()
        report = ResumeReport()
        with self.db.write() as conn:
            report.pause = self.pause_info(conn)
            conn.execute(delete(s.meta).where(s.meta.c.key == PAUSE_KEY))
            rows = conn.execute(
                select(
                    s.deliveries.c.id, s.deliveries.c.state_before_pause, s.deliveries.c.due_at,
                    s.deliveries.c.deadline, s.posts.c.key, s.accounts.c.platform, s.accounts.c.name,
                )
                .join(s.posts, s.posts.c.id == s.deliveries.c.post_id)
                .join(s.accounts, s.accounts.c.id == s.deliveries.c.account_id)
                .where(s.deliveries.c.state == State.PAUSED.value)
                .order_by(s.deliveries.c.due_at)
            ).all()
            for r in rows:
                before = State(r.state_before_pause or State.SCHEDULED.value)
                check_transition(State.PAUSED, before)
                conn.execute(
                    update(s.deliveries)
                    .where(s.deliveries.c.id == r.id, s.deliveries.c.state == State.PAUSED.value)
                    .values(state=before.value, state_before_pause=None, updated_at=now)
                )
                item = {"id": r.id, "post": r.key, "target": f"{r.platform}/{r.name}", "state": before.value,
                        "due_at": r.due_at, "deadline": r.deadline}
                report.held.append(item)
                if before in (State.SCHEDULED, State.RETRY_WAIT, State.AWAITING_APPROVAL):
                    if r.deadline < now:
                        report.too_late.append(item)
                    elif r.due_at < now:
                        report.late.append(item)
            self.audit(conn, actor, "resumed", released=len(rows))
        return report

    # -- queueing ---------------------------------------------------------------------------
    def _account_ids(self, conn: Connection, targets: Iterable[Target]) -> dict[Target, int]:
        out: dict[Target, int] = {}
        for tgt in targets:
            row = conn.execute(
                select(s.accounts.c.id).where(
                    s.accounts.c.platform == tgt.platform.value, s.accounts.c.name == tgt.name,
                    s.accounts.c.status != "disabled",
                )
            ).first()
            if row is None:
                raise NotFound(msg("store.no_account", target=tgt))
            out[tgt] = int(row.id)
        return out

    def queue(self, specs: Sequence[PostSpec], actor: str, source_files: Sequence[str] = ()) -> QueueReport:
        """Load posts idempotently, all or nothing (one transaction)."""
        report = QueueReport()
        now = utcnow()
        require = self.settings.require_approval
        hashes = {spec.key: spec_hash(spec) for spec in specs}
        with self.db.write() as conn:
            paused = self.pause_info(conn) is not None
            for spec in specs:
                grace = spec.grace_hours if spec.grace_hours is not None else self.settings.grace_hours
                deadline = spec.due_at + timedelta(hours=grace)
                chash = hashes[spec.key]
                ids = self._account_ids(conn, spec.targets)
                existing = conn.execute(select(s.posts).where(s.posts.c.key == spec.key)).first()
                post_values = dict(
                    title=spec.title, text=spec.text, link=spec.link, images=[str(p) for p in spec.images],
                    video=str(spec.video) if spec.video else None, banner=spec.options.get("banner"),
                    campaign=spec.campaign, author=spec.author, options=spec.options, timezone=spec.timezone,
                    due_at=spec.due_at, grace_seconds=int(grace * 3600), draft=spec.draft, content_hash=chash,
                    source_file=spec.source_file, source_line=spec.source_line, updated_at=now,
                )
                initial = (
                    State.DRAFT if spec.draft else State.AWAITING_APPROVAL if require else State.SCHEDULED
                )
                if existing is None:
                    res = conn.execute(insert(s.posts).values(key=spec.key, queued_by=actor, queued_at=now,
                                                              **post_values))
                    post_id = int(res.inserted_primary_key[0])  # type: ignore[index]
                    for account_id in ids.values():
                        self._insert_delivery(conn, post_id, account_id, initial, spec.due_at, deadline, now, paused)
                    self.audit(conn, actor, "queued", post_id, file=spec.source_file, line=spec.source_line,
                               targets=[str(t) for t in spec.targets], content_hash=chash)
                    report.created.append(spec.key)
                    continue

                if existing.source_file and spec.source_file and existing.source_file != spec.source_file:
                    other = conn.execute(select(func.count()).select_from(s.deliveries)
                                         .where(s.deliveries.c.post_id == existing.id,
                                                s.deliveries.c.state != State.CANCELLED.value)).scalar_one()
                    if other:
                        raise UserError(msg("store.key_in_other_file", key=spec.key, other=existing.source_file))
                post_id = int(existing.id)
                dels = conn.execute(
                    select(s.deliveries, s.accounts.c.platform, s.accounts.c.name)
                    .join(s.accounts, s.accounts.c.id == s.deliveries.c.account_id)
                    .where(s.deliveries.c.post_id == post_id)
                ).all()
                by_account = {int(d.account_id): d for d in dels}
                content_changed = existing.content_hash != chash
                targets_changed = set(by_account) != set(ids.values())
                if not content_changed and not targets_changed:
                    if all(d.state == State.CANCELLED.value for d in dels):
                        report.cancelled_in_db.append(spec.key)
                    else:
                        report.unchanged.append(spec.key)
                    continue
                if content_changed:
                    conn.execute(update(s.posts).where(s.posts.c.id == post_id).values(**post_values))
                    voided = existing.approved_by is not None
                    if voided:
                        conn.execute(update(s.posts).where(s.posts.c.id == post_id)
                                     .values(approved_by=None, approved_at=None, approved_hash=None))
                        report.approval_voided.append(spec.key)
                    self.audit(conn, actor, "edited", post_id, old_hash=existing.content_hash, new_hash=chash,
                               approval_voided=voided)
                changed_any = False
                for d in dels:
                    st = State(d.state)
                    tname = f"{d.platform}/{d.name}"
                    if int(d.account_id) not in ids.values():
                        if st in NOT_STARTED or st == State.CLAIMED:
                            if st == State.CLAIMED:
                                report.not_changed.append((spec.key, tname, st.value))
                                continue
                            self._move(conn, d.id, st, State.CANCELLED, now)
                            self.audit(conn, actor, "target_removed", post_id, d.id, target=tname)
                            report.target_removed.append((spec.key, tname, "cancelled"))
                            changed_any = True
                        elif st != State.CANCELLED:
                            report.not_changed.append((spec.key, tname, st.value))
                        continue
                    if not content_changed:
                        continue
                    if st in NOT_STARTED and st != State.PUBLISHED:
                        new = initial
                        if st == State.PAUSED:
                            conn.execute(update(s.deliveries).where(s.deliveries.c.id == d.id).values(
                                state_before_pause=new.value, due_at=spec.due_at, deadline=deadline,
                                next_attempt_at=None, updated_at=now, attempts=0, media=None, media_state=None,
                                media_queued_at=None, progress=None))
                        else:
                            if st != new:
                                check_transition(st, new, what=f"{spec.key} → {tname}")
                            conn.execute(update(s.deliveries).where(s.deliveries.c.id == d.id).values(
                                state=new.value, due_at=spec.due_at, deadline=deadline, next_attempt_at=None,
                                updated_at=now, attempts=0, last_code=None, last_reason=None, media=None,
                                media_state=None, media_queued_at=None, progress=None))
                        changed_any = True
                    elif st != State.CANCELLED:
                        report.not_changed.append((spec.key, tname, st.value))
                for tgt, account_id in ids.items():
                    if account_id not in by_account:
                        self._insert_delivery(conn, post_id, account_id, initial, spec.due_at, deadline, now, paused)
                        self.audit(conn, actor, "target_added", post_id, target=str(tgt))
                        changed_any = True
                if changed_any or content_changed:
                    report.updated.append(spec.key)
                else:
                    report.unchanged.append(spec.key)

            keys = {spec.key for spec in specs}
            for src in source_files:
                rows = conn.execute(
                    select(s.posts.c.id, s.posts.c.key).where(s.posts.c.source_file == src)
                ).all()
                for r in rows:
                    if r.key in keys:
                        continue
                    active = conn.execute(
                        select(func.count()).select_from(s.deliveries).where(
                            s.deliveries.c.post_id == r.id,
                            s.deliveries.c.state.notin_([State.CANCELLED.value, State.PUBLISHED.value]),
                        )
                    ).scalar_one()
                    if active:
                        report.removed_from_file.append((r.key, src))
        return report

    def _insert_delivery(
        self, conn: Connection, post_id: int, account_id: int, state: State, due: datetime, deadline: datetime,
        now: datetime, paused: bool,
    ) -> None:
        values: dict[str, Any] = dict(
            post_id=post_id, account_id=account_id, state=state.value, due_at=due, deadline=deadline,
            attempts=0, created_at=now, updated_at=now,
        )
        if paused and state in PAUSABLE:
            values.update(state=State.PAUSED.value, state_before_pause=state.value)
        conn.execute(insert(s.deliveries).values(**values))

    def _move(self, conn: Connection, delivery_id: int, src: State, dst: State, now: datetime, **values: Any) -> bool:
        check_transition(src, dst, what=f"#{delivery_id}")
        res = conn.execute(
            update(s.deliveries)
            .where(s.deliveries.c.id == delivery_id, s.deliveries.c.state == src.value)
            .values(state=dst.value, updated_at=now, **values)
        )
        return bool(res.rowcount)

    def move(self, delivery_id: int, src: State, dst: State, actor: str = "system", **values: Any) -> bool:
        """Move one delivery if it is still in ``src``; False if someone else moved it first."""
        with self.db.write() as conn:
            ok = self._move(conn, delivery_id, src, dst, utcnow(), **values)
            if ok:
                self.audit(conn, actor, f"state_{dst.value}", None, delivery_id, source=src.value)
            return ok

    # -- references ---------------------------------------------------------------------------
    def resolve(self, conn: Connection, ref: str) -> list[Row[Any]]:
        """A post key, ``key:platform/account``, or ``#id``/``id`` of a delivery → delivery rows."""
        q = (
            select(s.deliveries, s.posts.c.key, s.posts.c.queued_by, s.posts.c.draft, s.posts.c.content_hash,
                   s.posts.c.approved_hash, s.accounts.c.platform, s.accounts.c.name)
            .join(s.posts, s.posts.c.id == s.deliveries.c.post_id)
            .join(s.accounts, s.accounts.c.id == s.deliveries.c.account_id)
        )
        ref = ref.strip()
        rows: list[Row[Any]]
        if ref.lstrip("#").isdigit():
            rows = list(conn.execute(q.where(s.deliveries.c.id == int(ref.lstrip("#")))))
        elif ":" in ref:
            key, _, tgt = ref.partition(":")
            try:
                target = Target.parse(tgt)
            except ValueError:
                raise UserError(msg("store.bad_ref", ref=ref)) from None
            rows = list(conn.execute(q.where(s.posts.c.key == key, s.accounts.c.platform == target.platform.value,
                                             s.accounts.c.name == target.name)))
        else:
            rows = list(conn.execute(q.where(s.posts.c.key == ref).order_by(s.deliveries.c.id)))
        if not rows:
            raise NotFound(msg("store.no_post", ref=ref))
        return rows

    # -- approval, cancel, retry --------------------------------------------------------------
    def approve(self, refs: Sequence[str], by: str, blocking: dict[str, list[Any]] | None = None) -> ActionReport:
        by = by.strip()
        if not by:
            raise ApprovalRefused(msg("store.approver_required"))
        report = ActionReport()
        now = utcnow()
        with self.db.write() as conn:
            for ref in refs:
                rows = self.resolve(conn, ref)
                key = rows[0].key
                post_id = rows[0].post_id
                if rows[0].draft:
                    raise ApprovalRefused(msg("store.draft_not_approvable", key=key))
                if rows[0].queued_by == by and not self.settings.allow_self_approval:
                    raise ApprovalRefused(msg("store.self_approval", by=by, key=key))
                problems = (blocking or {}).get(key) or []
                if problems:
                    raise ApprovalRefused(msg("store.approval_blocked", key=key, n=len(problems)), problems=problems)
                waiting = [r for r in rows if r.state == State.AWAITING_APPROVAL.value
                           or (r.state == State.PAUSED.value and r.state_before_pause == State.AWAITING_APPROVAL.value)]
                if not waiting:
                    report.skipped.append((key, str(msg("store.nothing_to_approve", key=key))))
                    continue
                conn.execute(update(s.posts).where(s.posts.c.id == post_id).values(
                    approved_by=by, approved_at=now, approved_hash=rows[0].content_hash))
                for r in waiting:
                    if r.state == State.PAUSED.value:
                        conn.execute(update(s.deliveries).where(s.deliveries.c.id == r.id)
                                     .values(state_before_pause=State.SCHEDULED.value, updated_at=now))
                    else:
                        self._move(conn, r.id, State.AWAITING_APPROVAL, State.SCHEDULED, now)
                self.audit(conn, by, "approved", post_id, content_hash=rows[0].content_hash,
                           targets=[f"{r.platform}/{r.name}" for r in waiting])
                report.done.append((key, ", ".join(f"{r.platform}/{r.name}" for r in waiting)))
        return report

    def cancel(self, refs: Sequence[str], actor: str) -> ActionReport:
        report = ActionReport()
        now = utcnow()
        with self.db.write() as conn:
            for ref in refs:
                for r in self.resolve(conn, ref):
                    st = State(r.state)
                    label = f"{r.key}:{r.platform}/{r.name}"
                    if st == State.CANCELLED:
                        continue
                    if State.CANCELLED in _targets_of(st):
                        self._move(conn, r.id, st, State.CANCELLED, now, lease_until=None, state_before_pause=None)
                        self.audit(conn, actor, "cancelled", r.post_id, r.id)
                        report.done.append((label, st.value))
                    else:
                        report.skipped.append((label, st.value))
        return report

    def retry(self, refs: Sequence[str], actor: str, now: datetime | None = None) -> ActionReport:
        """Send again what failed, was missed, or waits: now, within a fresh grace window."""
        report = ActionReport()
        now = now or utcnow()
        with self.db.write() as conn:
            for ref in refs:
                for r in self.resolve(conn, ref):
                    st = State(r.state)
                    label = f"{r.key}:{r.platform}/{r.name}"
                    approved = (not self.settings.require_approval) or (r.approved_hash == r.content_hash)
                    if st in (State.FAILED, State.MISSED, State.CANCELLED):
                        dst = State.SCHEDULED if approved else State.AWAITING_APPROVAL
                        grace = conn.execute(select(s.posts.c.grace_seconds).where(s.posts.c.id == r.post_id)).scalar_one()
                        self._move(conn, r.id, st, dst, now, due_at=now, deadline=now + timedelta(seconds=grace),
                                   attempts=0, next_attempt_at=None, last_code=None, last_reason=None)
                    elif st in (State.RETRY_WAIT, State.NEEDS_REAUTH):
                        dst = State.RETRY_WAIT
                        if st == State.RETRY_WAIT:
                            conn.execute(update(s.deliveries).where(s.deliveries.c.id == r.id)
                                         .values(next_attempt_at=now, updated_at=now))
                        else:
                            self._move(conn, r.id, st, dst, now, next_attempt_at=now)
                    else:
                        report.skipped.append((label, st.value))
                        continue
                    self.audit(conn, actor, "retry", r.post_id, r.id, source=st.value, target_state=dst.value)
                    report.done.append((label, dst.value))
        return report

    # -- reading ------------------------------------------------------------------------------
    def deliveries(
        self,
        states: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        account: Target | None = None,
        limit: int | None = None,
    ) -> list[Row[Any]]:
        q = (
            select(s.deliveries, s.posts.c.key, s.posts.c.title, s.posts.c.timezone, s.posts.c.campaign,
                   s.posts.c.approved_by, s.accounts.c.platform, s.accounts.c.name)
            .join(s.posts, s.posts.c.id == s.deliveries.c.post_id)
            .join(s.accounts, s.accounts.c.id == s.deliveries.c.account_id)
            .order_by(s.deliveries.c.due_at, s.posts.c.key, s.accounts.c.platform, s.accounts.c.name)
        )
        if states:
            q = q.where(s.deliveries.c.state.in_(list(states)))
        if since:
            q = q.where(s.deliveries.c.due_at >= since)
        if until:
            q = q.where(s.deliveries.c.due_at <= until)
        if account:
            q = q.where(s.accounts.c.platform == account.platform.value, s.accounts.c.name == account.name)
        if limit:
            q = q.limit(limit)
        with self.db.read() as conn:
            return list(conn.execute(q))

    def post_detail(self, ref: str) -> dict[str, Any]:
        with self.db.read() as conn:
            rows = self.resolve(conn, ref)
            post = conn.execute(select(s.posts).where(s.posts.c.id == rows[0].post_id)).one()
            ids = [r.id for r in rows]
            atts = conn.execute(select(s.attempts).where(s.attempts.c.delivery_id.in_(ids))
                                .order_by(s.attempts.c.started_at, s.attempts.c.id)).all()
            trail = conn.execute(
                select(s.audit).where(or_(s.audit.c.post_id == post.id, s.audit.c.delivery_id.in_(ids)))
                .order_by(s.audit.c.at, s.audit.c.id)
            ).all()
        return {"post": post, "deliveries": rows, "attempts": atts, "audit": trail}

    def post_spec(self, ref: str) -> PostSpec:
        """The post behind a reference, as the schedule file described it (for re-running checks)."""
        with self.db.read() as conn:
            rows = self.resolve(conn, ref)
            p = conn.execute(select(s.posts).where(s.posts.c.id == rows[0].post_id)).one()
            targets = conn.execute(
                select(s.accounts.c.platform, s.accounts.c.name)
                .join(s.deliveries, s.deliveries.c.account_id == s.accounts.c.id)
                .where(s.deliveries.c.post_id == p.id, s.deliveries.c.state != State.CANCELLED.value)
                .order_by(s.deliveries.c.id)
            ).all()
        return PostSpec(
            key=p.key, title=p.title, text=p.text, due_at=p.due_at, timezone=p.timezone,
            targets=tuple(Target.parse(f"{t.platform}/{t.name}") for t in targets),
            images=tuple(Path(i) for i in p.images or []), video=Path(p.video) if p.video else None,
            campaign=p.campaign, author=p.author, link=p.link, grace_hours=p.grace_seconds / 3600,
            draft=p.draft, options=dict(p.options or {}), source_file=p.source_file, source_line=p.source_line,
        )

    def delivery(self, delivery_id: int, prepared: bool = True) -> Delivery:
        """Load one delivery as the publishing code sees it.

        With ``prepared`` (the default), media prepared for this platform and for this very content
        replace the originals (see :mod:`publisher.media_prep`).
        """
        return self.delivery_with_spec(delivery_id, prepared, with_spec=False)[0]

    def delivery_with_spec(
        self, delivery_id: int, prepared: bool = True, with_spec: bool = True
    ) -> tuple[Delivery, PostSpec | None]:
        """The delivery and, in the same read, its post as written (for the checks before sending)."""
        P = s.posts
        last = (
            select(func.max(s.attempts.c.started_at))
            .where(s.attempts.c.delivery_id == s.deliveries.c.id)
            .scalar_subquery()
            .label("last_attempt_at")
        )
        with self.db.read() as conn:
            r = conn.execute(
                select(s.deliveries, P.c.key, P.c.title, P.c.text, P.c.images, P.c.video, P.c.link,
                       P.c.content_hash, P.c.options, P.c.campaign, P.c.author, P.c.timezone,
                       P.c.due_at.label("post_due_at"), P.c.grace_seconds, P.c.draft, P.c.source_file,
                       P.c.source_line, s.accounts.c.platform, s.accounts.c.name, last)
                .join(P, P.c.id == s.deliveries.c.post_id)
                .join(s.accounts, s.accounts.c.id == s.deliveries.c.account_id)
                .where(s.deliveries.c.id == delivery_id)
            ).first()
            if r is None:
                raise NotFound(msg("store.no_post", ref=f"#{delivery_id}"))
            targets = conn.execute(
                select(s.accounts.c.platform, s.accounts.c.name)
                .join(s.deliveries, s.deliveries.c.account_id == s.accounts.c.id)
                .where(s.deliveries.c.post_id == r.post_id, s.deliveries.c.state != State.CANCELLED.value)
                .order_by(s.deliveries.c.id)
            ).all() if with_spec else []
        originals = tuple(Path(p) for p in r.images or [])
        original_video = Path(r.video) if r.video else None
        images, video = originals, original_video
        options = dict(r.options or {})
        media = r.media if prepared and r.media_state == "ready" else None
        if media and media.get("hash") == r.content_hash:
            if "images" in media:
                images = tuple(Path(p) for p in media["images"])
            if media.get("video"):
                video = Path(media["video"])
            if media.get("thumbnail"):
                section = dict(options.get(r.platform) or {})
                section.setdefault("thumbnail", media["thumbnail"])
                options[r.platform] = section
        delivery = Delivery(
            id=r.id, post_id=r.post_id, post_key=r.key, target=Target.parse(f"{r.platform}/{r.name}"),
            state=State(r.state), due_at=r.due_at, title=r.title, text=r.text, images=images, video=video,
            link=r.link, content_hash=r.content_hash, attempts=r.attempts, remote_id=r.remote_id,
            remote_url=r.remote_url, resume_state=r.resume_state, options=options,
            campaign=r.campaign, author=r.author, last_attempt_at=r.last_attempt_at,
        )
        if not with_spec:
            return delivery, None
        spec = PostSpec(
            key=r.key, title=r.title, text=r.text, due_at=r.post_due_at, timezone=r.timezone,
            targets=tuple(Target.parse(f"{t.platform}/{t.name}") for t in targets),
            images=originals, video=original_video, campaign=r.campaign, author=r.author, link=r.link,
            grace_hours=r.grace_seconds / 3600, draft=r.draft, options=dict(r.options or {}),
            source_file=r.source_file, source_line=r.source_line,
        )
        return delivery, spec

    def set_progress(self, delivery_id: int, percent: int | None) -> None:
        with self.db.write() as conn:
            conn.execute(update(s.deliveries).where(s.deliveries.c.id == delivery_id).values(progress=percent))

    def record_media(self, delivery_id: int, media: dict[str, Any] | None, state: str, reason: str | None) -> None:
        """The outcome of media preparation; a failure keeps its reason for the officer."""
        values: dict[str, Any] = dict(media=media, media_state=state, progress=100 if state == "ready" else None)
        if reason:
            values.update(last_code="media", last_reason=reason)
        with self.db.write() as conn:
            conn.execute(update(s.deliveries).where(s.deliveries.c.id == delivery_id).values(**values))
            self.audit(conn, "system", f"media_{state}", None, delivery_id, reason=reason)

    def has_media(self, delivery_id: int) -> bool:
        with self.db.read() as conn:
            r = conn.execute(
                select(s.posts.c.images, s.posts.c.video)
                .join(s.deliveries, s.deliveries.c.post_id == s.posts.c.id)
                .where(s.deliveries.c.id == delivery_id)
            ).one()
        return bool(r.images) or bool(r.video)

    def counts(self) -> dict[str, int]:
        with self.db.read() as conn:
            return {str(st): int(n) for st, n in conn.execute(
                select(s.deliveries.c.state, func.count()).group_by(s.deliveries.c.state))}


def _targets_of(state: State) -> frozenset[State]:
    from publisher.core.states import TRANSITIONS

    return TRANSITIONS[state]


__all__ = ["AccountTx", "QueueReport", "ResumeReport", "Store", "media_digest", "spec_hash", "utcnow"]
