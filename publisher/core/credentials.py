"""The credentials of one account: what an adapter needs to act for it.

A plain value of the domain: the store keeps it encrypted, the platforms use it, and neither
owns it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Credentials:
    """What an adapter needs to act for one account. Stored encrypted; never logged."""

    access_token: str = ""
    refresh_token: str | None = None
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    remote_account_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # never print tokens, even by accident
        return f"Credentials(remote_account_id={self.remote_account_id!r}, expires_at={self.expires_at!r})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "refresh_expires_at": self.refresh_expires_at.isoformat() if self.refresh_expires_at else None,
            "remote_account_id": self.remote_account_id,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Credentials:
        def dt(v: Any) -> datetime | None:
            return datetime.fromisoformat(v) if v else None

        return cls(
            access_token=data.get("access_token") or "",
            refresh_token=data.get("refresh_token"),
            expires_at=dt(data.get("expires_at")),
            refresh_expires_at=dt(data.get("refresh_expires_at")),
            remote_account_id=data.get("remote_account_id"),
            extra=dict(data.get("extra") or {}),
        )
