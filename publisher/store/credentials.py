"""Sealed credentials of the accounts, and the token-refresh lease that guards their renewal.

Credentials are sealed by :class:`publisher.store.crypto.Vault` before they reach the database and
never logged. A token refresh holds a lease on its account (:meth:`CredentialsRepo.account_lock`),
a committed conditional UPDATE, so that two processes never renew the same token at once.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Connection, or_, select, update

from publisher.core.credentials import Credentials
from publisher.errors import NotFound, PublisherError
from publisher.i18n import msg, register
from publisher.store import schema as s
from publisher.store.audit import Repository, utcnow

log = logging.getLogger("publisher.store")

register(
    {
        "store.account_busy": (
            "Tài khoản #{account} đang được gia hạn mã ở một tiến trình khác; sẽ thử lại sau.",
            "Account #{account} is having its token renewed by another process; will try again later.",
        ),
    }
)

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

    def __init__(self, store: CredentialsRepo, account_id: int, credentials: Credentials, owner: str) -> None:
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


class CredentialsRepo(Repository):
    """The sealed credentials of each account and its refresh lease."""

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
                update(s.accounts)
                .where(s.accounts.c.id == account_id)
                .values(status="active", status_reason=None)
            )
            self.audit(conn, actor, "credentials_saved", account_id=account_id)

    def credentials(self, account_id: int) -> Credentials:
        with self.db.read() as conn:
            token = conn.execute(
                select(s.accounts.c.credentials).where(s.accounts.c.id == account_id)
            ).scalar()
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
