"""The schedule store: the one object callers hold, composed of the repositories by aggregate.

Each aggregate has its module (``accounts``, ``posts``, ``approval``, ``deliveries``, ``office``,
``read``, ``audit``); :class:`Store` joins them so that ``store.queue(...)``, ``store.approve(...)``,
``store.account(...)`` work as one object.
"""

from __future__ import annotations

from publisher.i18n import Msg, msg
from publisher.settings import Settings
from publisher.store.accounts import AccountsRepo
from publisher.store.approval import ApprovalRepo
from publisher.store.crypto import KeyMismatch, Vault, load_key, recorded_fingerprint, settle_key
from publisher.store.db import Database, secure_data_dir, secure_files, sqlite_files
from publisher.store.deliveries import (
    DeliveriesRepo,
)
from publisher.store.office import OfficeRepo
from publisher.store.posts import PostsRepo
from publisher.store.read import ReadRepo


class Store(AccountsRepo, PostsRepo, ApprovalRepo, DeliveriesRepo, OfficeRepo, ReadRepo):
    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.db_url)
        # the vault seals nothing with a key whose fingerprint is not the one the database recorded
        self.vault = Vault(settings, recorded=lambda: recorded_fingerprint(self.db))

    def init(self, create: bool = True, forget_credentials: bool = False) -> list[Msg]:
        """Check the data directory, bring the schema up to date, and check the key against the database.

        ``create`` (``publisher init``, ``publisher run --demo``, tests) makes the data directory (0700)
        and, for a database that has no key yet, the key file (0600), and tightens wider modes.
        Without it (every other command) nothing is created or loosened: a missing data directory or
        key, a wider mode, or a key that is not the database's is refused with what to do. Returns notes
        on what was fixed or created.
        """
        cfg = self.settings
        notes = secure_data_dir(cfg.data_dir, create=create)
        notes += secure_files([cfg.key_file, *sqlite_files(self.db.url)], fix=create)
        if not create and load_key(cfg)[0] is None:
            raise KeyMismatch(msg("crypto.key_missing", path=cfg.key_file))
        self.db.migrate()
        notes += secure_files(sqlite_files(self.db.url), fix=create)
        notes += settle_key(self.db, cfg, create=create, forget=forget_credentials, actor=cfg.actor()).notes
        return notes


__all__ = ["Store"]
