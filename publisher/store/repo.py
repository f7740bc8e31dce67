"""The schedule store: accounts, posts, deliveries, approvals, the audit trail and the pause.

Every change that moves a delivery checks the move against ``publisher.core.states`` and is made
with a conditional UPDATE (``WHERE state = :expected``), so two processes can never both move the
same delivery.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, or_, select, update

from publisher.core.approval import TrailEntry, snapshot
from publisher.core.models import Delivery, PostSpec, Target
from publisher.core.people import REQUIRE_APPROVAL, Policy
from publisher.core.states import CANCEL_BY_REQUEST, IN_FLIGHT, NOT_STARTED, PAUSABLE, State, check_transition
from publisher.errors import ApprovalRefused, NotFound, PublisherError, UserError
from publisher.i18n import Msg, msg, register
from publisher.platforms.base import Credentials
from publisher.settings import Settings
from publisher.store import schema as s
from publisher.store.crypto import Vault, recorded_fingerprint
from publisher.store.db import Database

log = logging.getLogger("publisher.store")

register(
    {
        "store.account_exists": (
            "Tài khoản {target} đã có. Để thay token, dùng “publisher accounts update {target} --token-stdin”.",
            "Account {target} already exists. To replace its token, use "
            "“publisher accounts update {target} --token-stdin”.",
        ),
        "store.reauth_too_late": (
            "Tài khoản được kết nối lại lúc {at}, sau hạn chót {deadline}; bài không được đăng muộn.",
            "The account was reconnected at {at}, after the deadline {deadline}; not published late.",
        ),
        "store.no_account": ("Không có tài khoản {target}.", "No account {target}."),
        "store.account_busy": (
            "Tài khoản #{account} đang được gia hạn mã ở một tiến trình khác; sẽ thử lại sau.",
            "Account #{account} is having its token renewed by another process; will try again later.",
        ),
        "store.no_post": (
            "Không tìm thấy bài hoặc lượt đăng “{ref}”. Xem danh sách bằng “publisher list”.",
            "No post or delivery “{ref}”. See “publisher list”.",
        ),
        "store.key_in_other_file": (
            "Mã bài “{key}” đã được dùng trong tệp khác ({other}). Đổi mã bài cho khác đi.",
            "Post id “{key}” is already used by another file ({other}). Choose a different id.",
        ),
        "store.changed_meanwhile": (
            "Bài “{key}” vừa được sửa trong lúc duyệt; xem lại (publisher show {key}) rồi duyệt lại.",
            "“{key}” was edited while it was being approved; look at it again (publisher show {key}) and approve again.",
        ),
        "store.approver_required": ("Cần ghi tên người duyệt (--by).", "An approver name is required (--by)."),
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
        "store.account_in_use": (
            "Tài khoản {target} còn {n} lượt đăng chưa xong; hủy chúng trước (publisher cancel).",
            "Account {target} still has {n} unfinished deliveries; cancel them first (publisher cancel).",
        ),
        "store.retry_draft": (
            "Không đăng lại: bài {keys} đang là bản nháp (draft: true trong tệp lịch). Muốn đăng thì bỏ "
            "dòng draft, xếp lịch lại (publisher queue) rồi nhờ người duyệt duyệt.",
            "Not retried: {keys} is a draft (draft: true in its schedule). To publish it, remove the draft "
            "line, queue it again (publisher queue) and have it approved.",
        ),
        "store.bad_ref": (
            "“{ref}” không hợp lệ: dùng mã bài, mã bài:nền-tảng/tài-khoản, hoặc số lượt đăng.",
            "“{ref}” is not valid: use a post id, post-id:platform/account, or a delivery number.",
        ),
    }
)

PAUSE_KEY = "pause"
#: ``meta`` rows of the office policies, ``policy.<name>``: {"value", "by", "at", "source"}
POLICY_PREFIX = "policy."
MAX_ID = 2**31 - 1  # the largest id an Integer primary key holds on PostgreSQL


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
    changes: dict[str, list[str]] = field(default_factory=dict)  # key -> the schedule fields that changed


@dataclass
class ActionReport:
    done: list[tuple[str, str]] = field(default_factory=list)  # ref, detail
    skipped: list[tuple[str, str]] = field(default_factory=list)
    pending: list[tuple[str, str]] = field(default_factory=list)  # requested, not settled yet (cancel)


#: what ``publisher retry`` sends again
RETRYABLE = frozenset({State.FAILED, State.MISSED, State.CANCELLED, State.RETRY_WAIT, State.NEEDS_REAUTH})


@dataclass(frozen=True)
class RetryHold:
    """A retried delivery the platform itself holds: it goes out by itself at ``until``."""

    ref: str
    platform: str
    until: datetime
    deadline: datetime  # its grace window; ``until`` after it means it will be marked missed
    reason: str | None  # the platform's answer that set the hold, as recorded


@dataclass
class RetryReport(ActionReport):
    """``done``: will be sent now (or awaits approval again); the rest say why not now."""

    held: list[RetryHold] = field(default_factory=list)
    reauth: list[tuple[str, str, str | None]] = field(default_factory=list)  # ref, account, remote id
    disabled: list[tuple[str, str]] = field(default_factory=list)  # ref, account


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


@dataclass
class ResumeReport:
    held: list[dict[str, Any]] = field(default_factory=list)
    late: list[dict[str, Any]] = field(default_factory=list)  # due passed, still within grace
    too_late: list[dict[str, Any]] = field(default_factory=list)  # beyond grace: will be missed
    pause: dict[str, Any] | None = None


@dataclass
class ReconnectReport:
    """What new credentials for an account released (see :meth:`Store.update_credentials`)."""

    account_id: int
    created: bool = False
    released: list[dict[str, Any]] = field(default_factory=list)  # back in the queue, due now
    missed: list[dict[str, Any]] = field(default_factory=list)  # their grace window had closed
    kept_refresh_token: bool = False  # no new refresh token was given: the stored one still serves


#: how long a token-refresh lease lasts unless told (its holder's HTTP deadline must be shorter)
REFRESH_LEASE_SECONDS = 60.0


class AccountBusy(PublisherError, TimeoutError):
    """Another process held the account's refresh lease too long (a ``TimeoutError`` to callers)."""


class AccountTx:
    """The credentials of one account while this process holds its refresh lease.

    ``save`` commits at once, in its own short transaction: a rotated refresh token is on disk
    before anything else happens (Zalo's old one is dead by then). The write is fenced by the
    lease: it happens only while ``refresh_lease_owner`` is still this holder. A holder that
    stalled past its lease, after which another process took the lease over (and may have saved
    newer tokens), writes nothing and gets False: it must read the stored credentials again.
    """

    def __init__(self, store: Store, account_id: int, credentials: Credentials, owner: str) -> None:
        self._store = store
        self.account_id = account_id
        self.credentials = credentials
        self.owner = owner

    def save(self, creds: Credentials) -> bool:
        """Commit ``creds`` if this process still holds the lease; False (nothing written) if not."""
        with self._store.db.write() as conn:
            saved = self._store._write_credentials(conn, self.account_id, creds, lease_owner=self.owner)
        if not saved:
            log.warning(
                "refresh lease of account %s was taken over by another process: the credentials it "
                "obtained were not saved, the stored ones are used",
                self.account_id,
            )
            return False
        self.credentials = creds
        return True


def media_digest(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return "missing"
    return h.hexdigest()


def media_digests(spec: PostSpec) -> dict[Path, str]:
    """The bytes of every photo and clip of a post, by path, read from disk now."""
    paths = list(spec.images) + ([spec.video] if spec.video else [])
    return {p: media_digest(p) for p in paths}


def spec_hash(spec: PostSpec) -> str:
    return spec.content_hash(media_digests(spec))


#: deliveries that wait to go out (their deadline still matters)
WAITING: frozenset[State] = frozenset(
    {State.DRAFT, State.AWAITING_APPROVAL, State.SCHEDULED, State.RETRY_WAIT, State.NEEDS_REAUTH, State.PAUSED}
)
#: post columns an officer writes, by the name of their field in the schedule file
_FIELDS = (
    ("title", "title"), ("text", "text"), ("link", "link"), ("images", "images"), ("video", "video"),
    ("options", "options"), ("at", "due_at"), ("timezone", "timezone"), ("grace", "grace_seconds"),
    ("campaign", "campaign"), ("author", "author"), ("draft", "draft"),
)


def _changed_fields(existing: Row[Any], values: dict[str, Any]) -> list[str]:
    """The schedule fields whose stored value differs from ``values`` (every field, hashed or not)."""
    import json

    def norm(column: str, value: Any) -> Any:
        if column == "draft":
            return bool(value)
        if column in ("images", "options"):
            return json.dumps(value or ([] if column == "images" else {}), sort_keys=True, ensure_ascii=False,
                              default=str)
        return value

    return [name for name, column in _FIELDS
            if norm(column, getattr(existing, column)) != norm(column, values[column])]


class Store:
    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.db_url)
        # the vault seals nothing with a key whose fingerprint is not the one the database recorded
        self.vault = Vault(settings, recorded=lambda: recorded_fingerprint(self.db))

    # -- setup ------------------------------------------------------------------------------
    def init(self, create: bool = True, forget_credentials: bool = False) -> list[Msg]:
        """Check the data directory, bring the schema up to date, and check the key against the database.

        ``create`` (``publisher init``, ``publisher run --demo``, tests) makes the data directory (0700)
        and, for a database that has no key yet, the key file (0600), and tightens wider modes.
        Without it (every other command) nothing is created or loosened: a missing data directory or
        key, a wider mode, or a key that is not the database's is refused with what to do. Returns notes
        on what was fixed or created.
        """
        from publisher.store.crypto import KeyMismatch, load_key, settle_key
        from publisher.store.db import secure_data_dir, secure_files, sqlite_files

        cfg = self.settings
        notes = secure_data_dir(cfg.data_dir, create=create)
        notes += secure_files([cfg.key_file, *sqlite_files(self.db.url)], fix=create)
        if not create and load_key(cfg)[0] is None:
            raise KeyMismatch(msg("crypto.key_missing", path=cfg.key_file))
        self.db.migrate()
        notes += secure_files(sqlite_files(self.db.url), fix=create)
        notes += settle_key(self.db, cfg, create=create, forget=forget_credentials, actor=cfg.actor()).notes
        return notes

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

    def _write_credentials(
        self, conn: Connection, account_id: int, creds: Credentials, *, lease_owner: str | None = None
    ) -> bool:
        """Seal and write ``creds``; with ``lease_owner``, only while that holder has the refresh
        lease (one conditional UPDATE: no other process can take the lease in between)."""
        where = [s.accounts.c.id == account_id]
        if lease_owner is not None:
            where.append(s.accounts.c.refresh_lease_owner == lease_owner)
        res = conn.execute(
            update(s.accounts)
            .where(*where)
            .values(
                credentials=self.vault.seal(creds.to_dict()),
                remote_id=creds.remote_account_id,
                token_expires_at=creds.expires_at,
                refresh_expires_at=creds.refresh_expires_at,
                last_refreshed_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        return bool(res.rowcount)

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
    def account_lock(
        self,
        account_id: int,
        *,
        seconds: float = REFRESH_LEASE_SECONDS,
        wait: float | None = None,
        poll: float = 0.1,
    ) -> Iterator[AccountTx]:
        """An exclusive lease on one account for a token refresh, with no transaction left open.

        The lease is a committed conditional UPDATE of ``refresh_lease_until/_owner``, won when
        the lease is free or has run out (its holder died), so the holder can wait on HTTP while
        every other write goes on (on SQLite the write lock is held for milliseconds). Another
        caller polls the row every ``poll`` seconds for at most ``wait`` (default: the lease
        length, by which time a dead holder's lease has run out), then reads the credentials
        afresh: they may be the ones the previous holder just saved. :class:`AccountBusy` when the
        lease stays taken. The lease is cleared when the block exits, whatever happened inside.
        """
        owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        give_up = time.monotonic() + (seconds + poll if wait is None else wait)
        while not self._take_refresh_lease(account_id, owner, seconds):
            if time.monotonic() >= give_up:
                raise AccountBusy(msg("store.account_busy", account=account_id))
            time.sleep(poll)
        try:
            yield AccountTx(self, account_id, self.credentials(account_id), owner)
        finally:
            self._end_refresh_lease(account_id, owner)

    def _take_refresh_lease(self, account_id: int, owner: str, seconds: float) -> bool:
        A = s.accounts
        now = utcnow()
        with self.db.write() as conn:
            won = conn.execute(
                update(A)
                .where(
                    A.c.id == account_id,
                    or_(A.c.refresh_lease_until.is_(None), A.c.refresh_lease_until < now),
                )
                .values(refresh_lease_until=now + timedelta(seconds=seconds), refresh_lease_owner=owner)
            ).rowcount
            if won:
                return True
            if conn.execute(select(A.c.id).where(A.c.id == account_id)).first() is None:
                raise NotFound(msg("store.no_account", target=f"#{account_id}"))
        return False

    def _end_refresh_lease(self, account_id: int, owner: str) -> None:
        A = s.accounts
        with self.db.write() as conn:
            conn.execute(
                update(A)
                .where(A.c.id == account_id, A.c.refresh_lease_owner == owner)
                .values(refresh_lease_until=None, refresh_lease_owner=None)
            )

    def set_account_status(self, account_id: int, status: str, reason: str | None = None) -> bool:
        """Returns True when the status changed (so that the officer is told once)."""
        with self.db.write() as conn:
            res = conn.execute(
                update(s.accounts)
                .where(s.accounts.c.id == account_id, s.accounts.c.status != status)
                .values(status=status, status_reason=reason, updated_at=utcnow())
            )
            return bool(res.rowcount)

    def update_credentials(
        self,
        target: Target,
        creds: Credentials,
        actor: str,
        *,
        via: str = "update",
        create: bool = False,
        now: datetime | None = None,
    ) -> ReconnectReport:
        """New credentials for an account (``accounts connect`` or ``accounts update``), in one
        transaction taken under the account's refresh lease (a renewal in flight finishes first and
        none starts meanwhile, so nobody overwrites them with a renewal of the old token): sealed
        like any token, the account active again, and every delivery that waited in
        ``needs_reauth`` released: back to ``retry_wait`` with its next attempt now while its grace
        window is open, ``missed`` with the reason once its deadline has passed. Audited without
        the token. ``create`` adds the account when it does not exist (first connection)."""
        from dataclasses import replace
        from zoneinfo import ZoneInfo

        A, D, P = s.accounts, s.deliveries, s.posts
        with self.db.read() as conn:
            row = conn.execute(
                select(A.c.id, A.c.remote_id).where(A.c.platform == target.platform.value, A.c.name == target.name)
            ).first()
        if row is None:
            if not create:
                raise NotFound(msg("store.no_account", target=target))
            return ReconnectReport(self.add_account(target, actor, credentials=creds), created=True)
        if not creds.remote_account_id and row.remote_id:  # a reconnection keeps the Page/OA/channel id
            creds = replace(creds, remote_account_id=row.remote_id)
        report = ReconnectReport(int(row.id))
        with self.account_lock(report.account_id) as held, self.db.write() as conn:
            if not creds.refresh_token and held.credentials.refresh_token:
                # a new access token alone (`accounts update --token-stdin`) never throws away the
                # refresh token that renews it
                creds = replace(creds, refresh_token=held.credentials.refresh_token)
                report.kept_refresh_token = True
            now = now or utcnow()
            self._write_credentials(conn, report.account_id, creds)
            conn.execute(
                update(A).where(A.c.id == report.account_id).values(status="active", status_reason=None, updated_at=now)
            )
            waiting = conn.execute(
                select(D.c.id, D.c.post_id, D.c.state, D.c.state_before_pause, D.c.due_at, D.c.deadline, P.c.key,
                       P.c.timezone)
                .join(P, P.c.id == D.c.post_id)
                .where(
                    D.c.account_id == report.account_id,
                    or_(
                        D.c.state == State.NEEDS_REAUTH.value,
                        (D.c.state == State.PAUSED.value) & (D.c.state_before_pause == State.NEEDS_REAUTH.value),
                    ),
                )
                .order_by(D.c.due_at, D.c.id)
            ).all()
            for d in waiting:
                paused = d.state == State.PAUSED.value
                item = {"id": int(d.id), "post": d.key, "target": str(target), "due_at": d.due_at,
                        "deadline": d.deadline}
                if d.deadline < now:
                    tz = ZoneInfo(d.timezone)
                    reason = str(msg("store.reauth_too_late", at=now.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
                                     deadline=d.deadline.astimezone(tz).strftime("%d/%m/%Y %H:%M")))
                    dst = State.MISSED
                    moved = self._move(conn, d.id, State(d.state), dst, now, last_code="missed", last_reason=reason,
                                       lease_until=None, state_before_pause=None)
                    bucket = report.missed
                elif paused:  # the pause keeps holding it; on resume it goes out at once
                    check_transition(State.PAUSED, State.RETRY_WAIT, what=f"#{d.id}")
                    dst = State.RETRY_WAIT
                    moved = bool(conn.execute(
                        update(D)
                        .where(D.c.id == d.id, D.c.state == State.PAUSED.value,
                               D.c.state_before_pause == State.NEEDS_REAUTH.value)
                        .values(state_before_pause=dst.value, next_attempt_at=now, last_code=None, last_reason=None,
                                updated_at=now)
                    ).rowcount)
                    bucket = report.released
                else:
                    dst = State.RETRY_WAIT
                    moved = self._move(conn, d.id, State.NEEDS_REAUTH, dst, now, next_attempt_at=now,
                                       last_code=None, last_reason=None, lease_until=None)
                    bucket = report.released
                if moved:
                    bucket.append(item)
                    self.audit(conn, actor, "reauth_released", d.post_id, d.id, source=d.state,
                               target_state=dst.value)
            self.audit(conn, actor, "credentials_updated", target=str(target), via=via,
                       refresh_token=bool(creds.refresh_token), released=len(report.released),
                       missed=len(report.missed))
        return report

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

    def post_due_times(self) -> dict[str, datetime]:
        """Every queued post's id and due time (a file loaded again may hold posts long past)."""
        with self.db.read() as conn:
            return {r.key: r.due_at for r in conn.execute(select(s.posts.c.key, s.posts.c.due_at))}

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

    @staticmethod
    def policy_in(conn: Connection, policy: Policy) -> bool:
        """The stored value of an office policy (its default when never set), read in ``conn``."""
        key = POLICY_PREFIX + policy.name
        return policy.value_of(conn.execute(select(s.meta.c.value).where(s.meta.c.key == key)).scalar())

    def queue(self, specs: Sequence[PostSpec], actor: str, source_files: Sequence[str] = ()) -> QueueReport:
        """Load posts idempotently, all or nothing (one transaction).

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
            require = self.policy_in(conn, REQUIRE_APPROVAL)  # the office's rule, not this process's
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
                fields = _changed_fields(existing, post_values)
                if targets_changed:
                    fields.append("targets")
                if content_changed and not fields:
                    fields.append("media")  # the same paths, other bytes
                if not fields:
                    if (existing.source_file, existing.source_line) != (spec.source_file, spec.source_line):
                        conn.execute(update(s.posts).where(s.posts.c.id == post_id).values(
                            source_file=spec.source_file, source_line=spec.source_line))  # moved in its file
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
                    conn.execute(update(s.posts).where(s.posts.c.id == post_id)
                                 .values(approved_by=None, approved_at=None, approved_hash=None))
                    report.approval_voided.append(spec.key)
                self.audit(conn, actor, "edited", post_id, old_hash=existing.content_hash, new_hash=chash,
                           approval_voided=voided, fields=fields, authoring=voids)
                holds = not require or (not voids and existing.approved_by is not None
                                        and existing.approved_hash == chash)
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
                        elif st != State.CANCELLED:
                            report.not_changed.append((spec.key, tname, st.value))
                        continue
                    if voids:
                        if st in NOT_STARTED and st != State.PUBLISHED:
                            new = initial
                            media: dict[str, Any] = (
                                dict(media=None, media_state=None, media_queued_at=None) if content_changed else {}
                            )
                            if st == State.PAUSED:
                                conn.execute(update(s.deliveries).where(s.deliveries.c.id == d.id).values(
                                    state_before_pause=new.value, due_at=spec.due_at, deadline=deadline,
                                    next_attempt_at=None, updated_at=now, attempts=0, progress=None, **media))
                            else:
                                if st != new:
                                    check_transition(st, new, what=f"{spec.key} → {tname}")
                                conn.execute(update(s.deliveries).where(s.deliveries.c.id == d.id).values(
                                    state=new.value, due_at=spec.due_at, deadline=deadline, next_attempt_at=None,
                                    updated_at=now, attempts=0, last_code=None, last_reason=None, progress=None,
                                    **media))
                        elif st != State.CANCELLED:
                            report.not_changed.append((spec.key, tname, st.value))
                        continue
                    if "draft" in fields:
                        st = self._redraft(conn, actor, d, spec, holds, paused, now, report, tname)
                    if "grace" in fields and st in WAITING:
                        conn.execute(update(s.deliveries).where(s.deliveries.c.id == d.id).values(
                            deadline=d.due_at + timedelta(hours=grace), updated_at=now))
                for tgt, account_id in ids.items():
                    if account_id not in by_account:
                        self._insert_delivery(conn, post_id, account_id, initial, spec.due_at, deadline, now, paused)
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
                        select(func.count()).select_from(s.deliveries).where(
                            s.deliveries.c.post_id == r.id,
                            s.deliveries.c.state.notin_([State.CANCELLED.value, State.PUBLISHED.value]),
                        )
                    ).scalar_one()
                    if active:
                        report.removed_from_file.append((r.key, src))
        return report

    def _redraft(
        self, conn: Connection, actor: str, d: Row[Any], spec: PostSpec, approval_holds: bool, paused: bool,
        now: datetime, report: QueueReport, tname: str,
    ) -> State:
        """``draft`` turned on or off for one delivery; returns the state it is in afterwards."""
        st = State(d.state)
        before = State(d.state_before_pause) if st == State.PAUSED and d.state_before_pause else st
        if spec.draft:
            if before in (State.AWAITING_APPROVAL, State.SCHEDULED, State.RETRY_WAIT, State.NEEDS_REAUTH):
                self._move(conn, d.id, st, State.DRAFT, now, next_attempt_at=None, lease_until=None,
                           state_before_pause=None)
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
        conn.execute(update(s.deliveries).where(s.deliveries.c.id == d.id, s.deliveries.c.state == st.value)
                     .values(**values))
        self.audit(conn, actor, f"state_{new.value}", d.post_id, d.id, source=State.DRAFT.value, via="undraft")
        return new

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
        if ref.lstrip("#").isascii() and ref.lstrip("#").isdigit():  # not "²", whose int() fails
            digits = ref.lstrip("#")
            # ids are 32-bit integers on PostgreSQL: a larger number names nothing, on both databases
            # (and int() refuses more than 4300 digits)
            number = int(digits) if len(digits) <= len(str(MAX_ID)) else MAX_ID + 1
            rows = list(conn.execute(q.where(s.deliveries.c.id == number))) if number <= MAX_ID else []
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
                rows = self.resolve(conn, ref)
                key = rows[0].key
                post_id = rows[0].post_id
                if rows[0].draft:
                    raise ApprovalRefused(msg("store.draft_not_approvable", key=key))
                problems = (blocking or {}).get(key) or []
                if problems:
                    raise ApprovalRefused(msg("store.approval_blocked", key=key, n=len(problems)), problems=problems)
                if key in done:
                    continue
                grant = grants.get(key)
                if grant is None or grant.seen_hash != rows[0].content_hash:
                    report.skipped.append((key, str(msg("store.changed_meanwhile", key=key))))
                    continue
                waiting = [r for r in rows if r.state == State.AWAITING_APPROVAL.value
                           or (r.state == State.PAUSED.value and r.state_before_pause == State.AWAITING_APPROVAL.value)]
                covered = [r for r in rows if State(r.state) in WAITING and r.state != State.DRAFT.value]
                renewed = rows[0].approved_hash != grant.content_hash
                if not waiting and not (renewed and covered):
                    report.skipped.append((key, str(msg("store.nothing_to_approve", key=key))))
                    continue
                moved = grant.content_hash != rows[0].content_hash  # a file changed since it was queued
                values: dict[str, Any] = dict(approved_by=by, approved_at=now, approved_hash=grant.content_hash)
                if moved:
                    values.update(content_hash=grant.content_hash, updated_at=now)
                conn.execute(update(s.posts).where(s.posts.c.id == post_id).values(**values))
                if moved:  # media prepared for the old bytes are made again
                    conn.execute(
                        update(s.deliveries)
                        .where(s.deliveries.c.post_id == post_id,
                               s.deliveries.c.state.in_([st.value for st in WAITING]))
                        .values(media=None, media_state=None, media_queued_at=None, updated_at=now)
                    )
                for r in waiting:
                    if r.state == State.PAUSED.value:
                        conn.execute(update(s.deliveries).where(s.deliveries.c.id == r.id)
                                     .values(state_before_pause=State.SCHEDULED.value, updated_at=now))
                    else:
                        self._move(conn, r.id, State.AWAITING_APPROVAL, State.SCHEDULED, now)
                record_key = APPROVAL_KEY.format(post_id=post_id)
                conn.execute(delete(s.meta).where(s.meta.c.key == record_key))
                conn.execute(insert(s.meta).values(key=record_key, value={
                    "hash": grant.content_hash, "by": by, "at": now.isoformat(), "snapshot": grant.snapshot}))
                extra: dict[str, Any] = {"previous_hash": rows[0].content_hash} if moved else {}
                if grant.changed_files:
                    extra["changed_files"] = list(grant.changed_files)
                targets = [f"{r.platform}/{r.name}" for r in (waiting or covered)]
                self.audit(conn, by, "approved", post_id, content_hash=grant.content_hash, targets=targets, **extra)
                report.done.append((key, ", ".join(targets)))
                done.add(key)
        return report

    def approval_facts(self, refs: Sequence[str]) -> list[ApprovalFacts]:
        """Each post named in ``refs`` (once) as the approval rules read it, in one transaction."""
        out: list[ApprovalFacts] = []
        seen: set[int] = set()
        with self.db.read() as conn:
            for ref in refs:
                rows = self.resolve(conn, ref)
                post_id = int(rows[0].post_id)
                if post_id in seen:
                    continue
                seen.add(post_id)
                p, spec = self._post_spec(conn, post_id)
                trail = conn.execute(
                    select(s.audit.c.at, s.audit.c.actor, s.audit.c.action, s.audit.c.detail)
                    .where(s.audit.c.post_id == post_id, s.audit.c.action.in_(["queued", "edited", "approved"]))
                    .order_by(s.audit.c.at, s.audit.c.id)
                ).all()
                record = conn.execute(select(s.meta.c.value).where(
                    s.meta.c.key == APPROVAL_KEY.format(post_id=post_id))).scalar()
                out.append(ApprovalFacts(
                    key=p.key, post_id=post_id, spec=spec, content_hash=p.content_hash,
                    approved_hash=p.approved_hash, approved_by=p.approved_by, approved_at=p.approved_at,
                    last_approval=record if isinstance(record, dict) else None,
                    trail=tuple(TrailEntry(t.at, t.actor, t.action, t.detail or {}) for t in trail),
                ))
        return out

    def cancel(self, refs: Sequence[str], actor: str) -> ActionReport:
        """Cancel what has not been sent. What may already be on the platform (``unconfirmed``) gets
        a cancel *request* (``report.pending``): the next look-up makes it ``cancelled`` if the
        platform does not have it, or ``published`` (and says so) if it does."""
        report = ActionReport()
        now = utcnow()
        D = s.deliveries
        with self.db.write() as conn:
            for ref in refs:
                for r in self.resolve(conn, ref):
                    label = f"{r.key}:{r.platform}/{r.name}"
                    st, requested = State(r.state), r.cancel_requested_at is not None
                    for _ in range(3):  # a worker may move it meanwhile: look again
                        if st == State.CANCELLED:
                            break
                        if st in CANCEL_BY_REQUEST:
                            res = conn.execute(
                                update(D)
                                .where(D.c.id == r.id, D.c.state == st.value, D.c.cancel_requested_at.is_(None))
                                .values(cancel_requested_at=now, cancel_requested_by=actor, next_attempt_at=now,
                                        updated_at=now)
                            )
                            if res.rowcount:
                                self.audit(conn, actor, "cancel_requested", r.post_id, r.id, source=st.value)
                            if res.rowcount or requested:
                                report.pending.append((label, st.value))
                                break
                        elif State.CANCELLED in _targets_of(st):
                            if self._move(conn, r.id, st, State.CANCELLED, now, lease_until=None,
                                          state_before_pause=None):
                                self.audit(conn, actor, "cancelled", r.post_id, r.id)
                                report.done.append((label, st.value))
                                break
                        else:
                            report.skipped.append((label, st.value))
                            break
                        now_row = conn.execute(
                            select(D.c.state, D.c.cancel_requested_at).where(D.c.id == r.id)
                        ).one()
                        st, requested = State(now_row.state), now_row.cancel_requested_at is not None
                    else:
                        report.skipped.append((label, st.value))
        return report

    def retry(
        self,
        refs: Sequence[str],
        actor: str,
        now: datetime | None = None,
        release: Callable[[Target, int], float] | None = None,
    ) -> RetryReport:
        """Send again what failed, was missed, or waits: now, within a fresh grace window.

        Nothing is pretended. A delivery whose account must be re-authorised (or was removed) is
        left as it is and reported with what has to happen first. ``release`` (the limiter's
        :meth:`publisher.ratelimit.Limiter.release`) lifts our own pacing for the retried sends;
        when the platform itself asked us to wait it answers how long, and the delivery is set to
        go at that moment and reported as held, not as going now.
        """
        report = RetryReport()
        now = now or utcnow()
        with self.db.read() as conn:
            found = [r for ref in refs for r in self.resolve(conn, ref)]
            drafts = sorted({str(r.key) for r in found if r.draft})
            if drafts:  # held back on purpose: only removing `draft` (and approving) sends it
                raise UserError(msg("store.retry_draft", keys=", ".join(drafts)))
            require = self.policy_in(conn, REQUIRE_APPROVAL)
            status = {
                int(a.id): a.status
                for a in conn.execute(
                    select(s.accounts.c.id, s.accounts.c.status).where(
                        s.accounts.c.id.in_({int(r.account_id) for r in found})
                    )
                )
            }
        sends: dict[Target, int] = {}
        for r in found:
            usable = status.get(int(r.account_id)) not in ("needs_reauth", "disabled")
            approved = (not require) or r.approved_hash == r.content_hash
            if State(r.state) in RETRYABLE and usable and approved:
                target = Target.parse(f"{r.platform}/{r.name}")
                sends[target] = sends.get(target, 0) + 1
        # the limiter keeps its own storage (Redis, or its table): asked outside our transaction
        holds = {target: release(target, n) for target, n in sends.items()} if release else {}
        with self.db.write() as conn:
            require = self.policy_in(conn, REQUIRE_APPROVAL)
            for ref in refs:
                for r in self.resolve(conn, ref):
                    st = State(r.state)
                    label = f"{r.key}:{r.platform}/{r.name}"
                    account = f"{r.platform}/{r.name}"
                    if st not in RETRYABLE:
                        report.skipped.append((label, st.value))
                        continue
                    if r.draft:  # made a draft since the check above
                        report.skipped.append((label, State.DRAFT.value))
                        continue
                    acct = conn.execute(
                        select(s.accounts.c.status, s.accounts.c.remote_id).where(
                            s.accounts.c.id == r.account_id
                        )
                    ).one()
                    if acct.status == "needs_reauth":  # it would only come back here: say what to do first
                        report.reauth.append((label, account, acct.remote_id))
                        continue
                    if acct.status == "disabled":
                        report.disabled.append((label, account))
                        continue
                    approved = (not require) or (r.approved_hash == r.content_hash)
                    hold = holds.get(Target.parse(account), 0.0)
                    go = now + timedelta(seconds=hold)
                    if st in (State.FAILED, State.MISSED, State.CANCELLED):
                        dst = State.SCHEDULED if approved else State.AWAITING_APPROVAL
                        grace = conn.execute(
                            select(s.posts.c.grace_seconds).where(s.posts.c.id == r.post_id)
                        ).scalar_one()
                        deadline = now + timedelta(seconds=grace)
                        self._move(
                            conn,
                            r.id,
                            st,
                            dst,
                            now,
                            due_at=now,
                            deadline=deadline,
                            attempts=0,
                            next_attempt_at=None,
                            last_code=None,
                            last_reason=None,
                        )
                    else:  # retry_wait, or needs_reauth on an account that was reconnected
                        dst = State.RETRY_WAIT
                        deadline = r.deadline
                        if st == State.RETRY_WAIT:
                            conn.execute(
                                update(s.deliveries)
                                .where(s.deliveries.c.id == r.id, s.deliveries.c.state == st.value)
                                .values(next_attempt_at=go, updated_at=now)
                            )
                        else:
                            self._move(conn, r.id, st, dst, now, next_attempt_at=go)
                    held = hold > 0 and dst is not State.AWAITING_APPROVAL
                    self.audit(
                        conn,
                        actor,
                        "retry",
                        r.post_id,
                        r.id,
                        source=st.value,
                        target_state=dst.value,
                        **({"held_until": go.isoformat()} if held else {}),
                    )
                    if held:
                        report.held.append(
                            RetryHold(
                                label, str(r.platform), go, deadline, self._hold_reason(conn, str(r.platform))
                            )
                        )
                    else:
                        report.done.append((label, dst.value))
        return report

    @staticmethod
    def _hold_reason(conn: Connection, platform: str) -> str | None:
        """What the platform last answered when it asked us to wait (the latest rate-limited attempt)."""
        A, D = s.attempts, s.deliveries
        return conn.execute(
            select(A.c.reason)
            .join(D, D.c.id == A.c.delivery_id)
            .join(s.accounts, s.accounts.c.id == D.c.account_id)
            .where(A.c.outcome == "rate_limited", s.accounts.c.platform == platform)
            .order_by(A.c.finished_at.desc(), A.c.id.desc())
            .limit(1)
        ).scalar()

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
            return self._post_spec(conn, int(rows[0].post_id))[1]

    def _post_spec(self, conn: Connection, post_id: int) -> tuple[Row[Any], PostSpec]:
        p = conn.execute(select(s.posts).where(s.posts.c.id == post_id)).one()
        targets = conn.execute(
            select(s.accounts.c.platform, s.accounts.c.name)
            .join(s.deliveries, s.deliveries.c.account_id == s.accounts.c.id)
            .where(s.deliveries.c.post_id == p.id, s.deliveries.c.state != State.CANCELLED.value)
            .order_by(s.deliveries.c.id)
        ).all()
        return p, PostSpec(
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


__all__ = [
    "APPROVAL_KEY", "AccountBusy", "AccountTx", "ApprovalFacts", "ApprovalGrant", "QueueReport", "ResumeReport", "Store",
    "grant_for", "media_digest", "media_digests", "spec_hash", "utcnow",
]
