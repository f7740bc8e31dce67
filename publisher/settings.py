"""All settings, loaded once from the environment (prefix ``PUBLISHER_``) and ``.env``.

Nested sections use ``__``: ``PUBLISHER_FACEBOOK__GRAPH_URL``. Adapters and stores receive the
section they need; nothing else reads ``os.environ``.
"""

from __future__ import annotations

import getpass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class FacebookSettings(BaseModel):
    graph_url: str = "https://graph.facebook.com"
    video_url: str = "https://graph-video.facebook.com"
    rupload_url: str = "https://rupload.facebook.com"
    api_version: str = "v25.0"
    app_id: str | None = None
    app_secret: SecretStr | None = None
    native_scheduling: bool = True


class YouTubeSettings(BaseModel):
    api_url: str = "https://www.googleapis.com/youtube/v3"
    upload_url: str = "https://www.googleapis.com/upload/youtube/v3"
    oauth_url: str = "https://oauth2.googleapis.com"
    auth_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    client_id: str | None = None
    client_secret: SecretStr | None = None
    native_scheduling: bool = True
    daily_quota: int = 10_000


class ZaloSettings(BaseModel):
    openapi_url: str = "https://openapi.zalo.me"
    oauth_url: str = "https://oauth.zaloapp.com"
    app_id: str | None = None
    app_secret: SecretStr | None = None
    broadcast: bool = False


class MediaSettings(BaseModel):
    ffmpeg: str = "ffmpeg"
    ffprobe: str = "ffprobe"
    cache_max_mb: int = 4096
    font_path: Path | None = None
    logo_path: Path | None = None


class AlertSettings(BaseModel):
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    email_from: str | None = None
    email_to: list[str] = Field(default_factory=list)
    webhook_url: str | None = None
    token_warning_days: int = 7


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PUBLISHER_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    data_dir: Path = Path("./var")
    database_url: str | None = None
    broker_url: str | None = None
    secret_key: SecretStr | None = None
    language: Literal["vi", "en"] = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    user: str | None = None

    require_approval: bool = True
    allow_self_approval: bool = False
    grace_hours: float = 6.0
    media_roots: list[Path] = Field(default_factory=list)

    tick_seconds: float = 5.0
    lease_seconds: int = 300
    max_attempts: int = 5
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    visibility_timeout: int = 7200
    worker_concurrency: int = 2

    log_level: str = "INFO"

    facebook: FacebookSettings = Field(default_factory=FacebookSettings)
    youtube: YouTubeSettings = Field(default_factory=YouTubeSettings)
    zalo: ZaloSettings = Field(default_factory=ZaloSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)

    @field_validator("media_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: object) -> object:
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [p for p in value.split(":") if p]
        return value

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'publisher.sqlite').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @property
    def key_file(self) -> Path:
        return self.data_dir / "secret.key"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    def actor(self) -> str:
        """The name recorded in the audit trail for commands run on this machine."""
        if self.user:
            return self.user
        try:
            return getpass.getuser()
        except Exception:  # pragma: no cover - no passwd entry in some containers
            return "unknown"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
