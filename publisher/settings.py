"""All settings, loaded once from the environment (prefix ``PUBLISHER_``) and ``.env``.

Nested sections use ``__``: ``PUBLISHER_FACEBOOK__GRAPH_URL``. Adapters and stores receive the
section they need; nothing else reads ``os.environ``.
"""

from __future__ import annotations

import getpass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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
    daily_quota: int = Field(10_000, description="YouTube Data API units per project per day (resets at midnight Pacific).")
    quota_costs: dict[str, int] = Field(
        default_factory=dict,
        description='Override of quota units per method, JSON, e.g. {"videos.insert": 100}; default: the cautious 1600 for an upload.',
    )


class ZaloSettings(BaseModel):
    openapi_url: str = "https://openapi.zalo.me"
    oauth_url: str = "https://oauth.zaloapp.com"
    app_id: str | None = None
    app_secret: SecretStr | None = None
    broadcast: bool = Field(False, description="Also broadcast each published article to followers (06:00-22:00 only).")
    default_cover_url: str | None = Field(
        None, description="Public URL of the cover image used when a Zalo article names none (options.zalo.cover_url)."
    )


class MediaSettings(BaseModel):
    ffmpeg: str = "ffmpeg"
    ffprobe: str = "ffprobe"
    cache_max_mb: int = 4096
    font_path: Path | None = None
    logo_path: Path | None = None


class AlertSettings(BaseModel):
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = Field(None, description="Name recorded in the audit trail for commands run here (default: the OS user).")
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    email_from: str | None = None
    email_to: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Alert e-mail recipients, comma-separated."
    )

    @field_validator("email_to", mode="before")
    @classmethod
    def _split_emails(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()]
        return value
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

    data_dir: Path = Field(Path("./var"), description="Data directory: SQLite database, key file, outbox, media cache, reports.")
    database_url: str | None = Field(None, description="Database URL; empty = SQLite file in the data dir. PostgreSQL: postgresql+psycopg://user:pass@host/db")
    broker_url: str | None = Field(None, description="Celery broker URL (redis://host:6379/0); empty = embedded broker in the data dir, no server needed.")
    secret_key: SecretStr | None = Field(None, description="Fernet key for account credentials; empty = <data dir>/secret.key created by publisher init (mode 0600).")
    language: Literal["vi", "en"] = Field("vi", description="Language of messages, reports and errors: vi or en.")
    timezone: str = Field("Asia/Ho_Chi_Minh", description="Time zone used to show times (schedules keep their own).")
    user: str | None = Field(None, description="Name recorded in the audit trail for commands run here (default: the OS user).")

    require_approval: bool = Field(True, description="Nothing is published before a named approver approves it.")
    allow_self_approval: bool = Field(False, description="Allow the person who queued a post to approve it alone.")
    grace_hours: float = Field(6.0, description="Late-publish window: a post later than this is marked missed instead.")
    media_roots: Annotated[list[Path], NoDecode] = Field(default_factory=list, description="Extra folders schedule files may take media from (colon-separated).")

    forbidden_words: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Words that block approval wherever they appear (comma-separated)."
    )
    forbidden_words_file: Path | None = Field(
        None, description="A UTF-8 file with more forbidden words, one per line (# starts a comment)."
    )

    tick_seconds: float = Field(5.0, description="Dispatcher period: how often due deliveries are claimed.")
    lease_seconds: int = Field(300, description="A claimed delivery not finished within this lease is re-examined (never blindly re-sent).")
    max_attempts: int = Field(5, description="Retry limit per delivery for transient errors.")
    retry_base_seconds: float = Field(30.0, description="First retry delay; doubles each attempt, with jitter.")
    retry_max_seconds: float = Field(3600.0, description="Longest retry delay.")
    visibility_timeout: int = Field(7200, description="Redis broker visibility timeout (s); above the longest media task.")
    worker_concurrency: int = Field(2, description="Worker processes started by publisher run.")

    log_level: str = Field("INFO", description="Log level (DEBUG, INFO, WARNING).")

    facebook: FacebookSettings = Field(default_factory=FacebookSettings)
    youtube: YouTubeSettings = Field(default_factory=YouTubeSettings)
    zalo: ZaloSettings = Field(default_factory=ZaloSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)

    @field_validator("forbidden_words", mode="before")
    @classmethod
    def _split_words(cls, value: object) -> object:
        if isinstance(value, str):
            return [w.strip() for w in value.split(",") if w.strip()]
        return value

    def all_forbidden_words(self) -> list[str]:
        words = list(self.forbidden_words)
        if self.forbidden_words_file and self.forbidden_words_file.exists():
            for line in self.forbidden_words_file.read_text(encoding="utf-8").splitlines():
                line = line.split("#", 1)[0].strip()
                if line:
                    words.append(line)
        return words

    @field_validator("media_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: object) -> object:
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [p for p in value.split(":") if p]
        return value

    @classmethod
    def env_example(cls) -> str:
        """The text of ``.env.example``: every setting with its default and meaning."""
        lines = ["# publisher settings: every variable, its default and meaning (PUBLISHER_ prefix, __ for sections)."]

        def emit(env: str, info: Any) -> None:
            default = info.default if info.default_factory is None else info.default_factory()
            shown = "" if default is None else ":".join(map(str, default)) if isinstance(default, list) else default
            if isinstance(shown, bool):
                shown = str(shown).lower()
            if info.description:
                lines.append(f"# {info.description}")
            lines.append(f"# {env}={shown}")

        for name, info in cls.model_fields.items():
            ann = info.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                lines.append("")
                lines.append(f"# --- {name} ---")
                for sub, sinfo in ann.model_fields.items():
                    emit(f"PUBLISHER_{name.upper()}__{sub.upper()}", sinfo)
            else:
                emit(f"PUBLISHER_{name.upper()}", info)
        return "\n".join(lines) + "\n"

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
