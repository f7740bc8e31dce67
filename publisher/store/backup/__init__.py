"""A consistent backup of one installation, and its restore into an empty data directory.

The archive is an uncompressed tar, written mode 0600 (it holds the key):

- ``publisher.sqlite``: a snapshot taken with SQLite's online backup API, consistent even while
  ``publisher run`` writes; for PostgreSQL ``database.pgdump`` (``pg_dump --format=custom``) when
  ``pg_dump`` is installed, otherwise the command to run is printed;
- ``secret.key``: the key file (not there when the key comes from ``PUBLISHER_SECRET_KEY``);
- ``outbox/…``: the sandbox platform's pages; ``cache/…``: prepared media of deliveries not yet
  published or cancelled; ``media/N/<name>``: the photos and clips of those posts, with the path
  each came from;
- ``manifest.json`` (last): the database kind, the key's fingerprint, the old data directory and
  the SHA-256 of every member.

Restore writes only the member names above, never through a path from the archive: it refuses a
data directory that is not empty, checks every member against the manifest, checks the key against
the database, moves prepared-media paths to the new data directory, and puts each photo or clip
back where the restored posts expect it unless a file is already there (an approval covers the
path and the bytes, so approvals stay valid). That path comes from the archive's database, so it is
trusted only inside a folder of this machine: the working directory ``restore`` runs in, or a
``PUBLISHER_MEDIA_ROOTS`` folder. Any other path (outside them, through a symlink, with ``..``) is
left alone and listed with the file the officer copies there from the schedule folder.
"""

from publisher.store.backup.common import (
    FINISHED,
    FORMAT,
    KEY_MEMBER,
    MANIFEST,
    PGDUMP_MEMBER,
    SQLITE_MEMBER,
    VERSION,
    BackupReport,
    RestoreReport,
)
from publisher.store.backup.create import backup
from publisher.store.backup.restoring import restore

__all__ = [
    "FINISHED",
    "FORMAT",
    "KEY_MEMBER",
    "MANIFEST",
    "PGDUMP_MEMBER",
    "SQLITE_MEMBER",
    "VERSION",
    "BackupReport",
    "RestoreReport",
    "backup",
    "restore",
]
