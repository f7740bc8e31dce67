"""Accounts: add, reconnect (new credentials release what waited for them), list and remove.

Their sealed credentials and the token-refresh lease are in :mod:`publisher.store.credentials`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Row, delete, func, insert, or_, select, update

from publisher.core.credentials import Credentials
from publisher.core.models import Target
from publisher.core.people import DEFAULT_UNIT
from publisher.core.states import IN_FLIGHT, NOT_STARTED, State, check_transition
from publisher.errors import NotFound, UserError
from publisher.i18n import msg, register
from publisher.store import schema as s
from publisher.store.audit import utcnow
from publisher.store.credentials import CredentialsRepo
from publisher.store.deliveries import move_in

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
        "store.target_other_unit": (
            "Bài “{key}” thuộc đơn vị “{unit}” nhưng nơi đăng {target} thuộc đơn vị “{other}”. "
            "Mỗi bài chỉ đăng lên tài khoản của đơn vị mình: bỏ {target} khỏi bài, hoặc nạp bài với "
            "--unit “{other}”.",
            "Post “{key}” belongs to unit “{unit}” but its target {target} belongs to unit “{other}”. "
            "A post goes only to accounts of its own unit: remove {target} from the post, or queue it "
            "with --unit “{other}”.",
        ),
        "store.account_in_use": (
            "Tài khoản {target} còn {n} lượt đăng chưa xong; hủy chúng trước (publisher cancel).",
            "Account {target} still has {n} unfinished deliveries; cancel them first (publisher cancel).",
        ),
    }
)


@dataclass
class ReconnectReport:
    """What new credentials for an account released (see :meth:`Store.update_credentials`)."""

    account_id: int
    created: bool = False
    released: list[dict[str, Any]] = field(default_factory=list)  # back in the queue, due now
    missed: list[dict[str, Any]] = field(default_factory=list)  # their grace window had closed
    kept_refresh_token: bool = False  # no new refresh token was given: the stored one still serves


def account_ids(conn: Connection, targets: Iterable[Target]) -> dict[Target, int]:
    """The id of each target's account, in ``conn``; NotFound for a missing or removed one."""
    out: dict[Target, int] = {}
    for tgt in targets:
        row = conn.execute(
            select(s.accounts.c.id).where(
                s.accounts.c.platform == tgt.platform.value,
                s.accounts.c.name == tgt.name,
                s.accounts.c.status != "disabled",
            )
        ).first()
        if row is None:
            raise NotFound(msg("store.no_account", target=tgt))
        out[tgt] = int(row.id)
    return out


def account_units(conn: Connection, account_ids: Iterable[int]) -> dict[int, str]:
    """The unit of each account id, in ``conn``."""
    ids = list(account_ids)
    if not ids:
        return {}
    rows = conn.execute(select(s.accounts.c.id, s.accounts.c.unit).where(s.accounts.c.id.in_(ids)))
    return {int(r.id): r.unit or DEFAULT_UNIT for r in rows}


def require_unit(conn: Connection, key: str, unit: str, ids: Mapping[Target, int]) -> None:
    """Refuse (naming both) a target of the post ``key`` whose account is of another unit than ``unit``."""
    units = account_units(conn, ids.values())
    for tgt, account_id in ids.items():
        if (other := units.get(account_id, DEFAULT_UNIT)) != unit:
            raise UserError(msg("store.target_other_unit", key=key, unit=unit, target=tgt, other=other))


class AccountsRepo(CredentialsRepo):
    """Accounts, their sealed credentials and the refresh lease."""

    def add_account(
        self,
        target: Target,
        actor: str,
        display_name: str | None = None,
        credentials: Credentials | None = None,
        exist_ok: bool = False,
        unit: str | None = None,
    ) -> int:
        """Add an account of ``unit`` (default: the default unit); ``exist_ok`` keeps an existing one
        as it is (its unit too), enabling it again if it was removed."""
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
                        conn.execute(
                            update(s.accounts).where(s.accounts.c.id == row.id).values(status="active")
                        )
                    return int(row.id)
                raise UserError(msg("store.account_exists", target=target))
            res = conn.execute(
                insert(s.accounts).values(
                    platform=target.platform.value,
                    name=target.name,
                    display_name=display_name,
                    status="active",
                    created_at=now,
                    updated_at=now,
                    unit=unit or DEFAULT_UNIT,
                )
            )
            account_id = int(res.inserted_primary_key[0])  # type: ignore[index]
            if credentials is not None:
                self._write_credentials(conn, account_id, credentials)
            self.audit(conn, actor, "account_added", target=str(target), unit=unit or DEFAULT_UNIT)
            return account_id

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
        A, D, P = s.accounts, s.deliveries, s.posts
        with self.db.read() as conn:
            row = conn.execute(
                select(A.c.id, A.c.remote_id).where(
                    A.c.platform == target.platform.value, A.c.name == target.name
                )
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
                update(A)
                .where(A.c.id == report.account_id)
                .values(status="active", status_reason=None, updated_at=now)
            )
            waiting = conn.execute(
                select(
                    D.c.id,
                    D.c.post_id,
                    D.c.state,
                    D.c.state_before_pause,
                    D.c.due_at,
                    D.c.deadline,
                    P.c.key,
                    P.c.timezone,
                )
                .join(P, P.c.id == D.c.post_id)
                .where(
                    D.c.account_id == report.account_id,
                    or_(
                        D.c.state == State.NEEDS_REAUTH.value,
                        (D.c.state == State.PAUSED.value)
                        & (D.c.state_before_pause == State.NEEDS_REAUTH.value),
                    ),
                )
                .order_by(D.c.due_at, D.c.id)
            ).all()
            for d in waiting:
                paused = d.state == State.PAUSED.value
                item = {
                    "id": int(d.id),
                    "post": d.key,
                    "target": str(target),
                    "due_at": d.due_at,
                    "deadline": d.deadline,
                }
                if d.deadline < now:
                    tz = ZoneInfo(d.timezone)
                    reason = str(
                        msg(
                            "store.reauth_too_late",
                            at=now.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
                            deadline=d.deadline.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
                        )
                    )
                    dst = State.MISSED
                    moved = move_in(
                        conn,
                        d.id,
                        State(d.state),
                        dst,
                        now,
                        last_code="missed",
                        last_reason=reason,
                        lease_until=None,
                        state_before_pause=None,
                    )
                    bucket = report.missed
                elif paused:  # the pause keeps holding it; on resume it goes out at once
                    check_transition(State.PAUSED, State.RETRY_WAIT, what=f"#{d.id}")
                    dst = State.RETRY_WAIT
                    moved = bool(
                        conn.execute(
                            update(D)
                            .where(
                                D.c.id == d.id,
                                D.c.state == State.PAUSED.value,
                                D.c.state_before_pause == State.NEEDS_REAUTH.value,
                            )
                            .values(
                                state_before_pause=dst.value,
                                next_attempt_at=now,
                                last_code=None,
                                last_reason=None,
                                updated_at=now,
                            )
                        ).rowcount
                    )
                    bucket = report.released
                else:
                    dst = State.RETRY_WAIT
                    moved = move_in(
                        conn,
                        d.id,
                        State.NEEDS_REAUTH,
                        dst,
                        now,
                        next_attempt_at=now,
                        last_code=None,
                        last_reason=None,
                        lease_until=None,
                    )
                    bucket = report.released
                if moved:
                    bucket.append(item)
                    self.audit(
                        conn,
                        actor,
                        "reauth_released",
                        d.post_id,
                        d.id,
                        source=d.state,
                        target_state=dst.value,
                    )
            self.audit(
                conn,
                actor,
                "credentials_updated",
                target=str(target),
                via=via,
                refresh_token=bool(creds.refresh_token),
                released=len(report.released),
                missed=len(report.missed),
            )
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

    def remove_account(self, target: Target, actor: str) -> str:
        row = self.account(target)
        with self.db.write() as conn:
            busy = conn.execute(
                select(func.count())
                .select_from(s.deliveries)
                .where(
                    s.deliveries.c.account_id == row.id,
                    s.deliveries.c.state.in_(
                        [st.value for st in (NOT_STARTED | IN_FLIGHT) - {State.FAILED, State.MISSED}]
                    ),
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
