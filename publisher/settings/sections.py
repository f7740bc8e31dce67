"""The sections of :class:`publisher.settings.Settings` (``PUBLISHER_<SECTION>__<NAME>``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import NoDecode


class FacebookSettings(BaseModel):
    graph_url: str = Field(
        "https://graph.facebook.com", description="Graph API host (a proxy or test server may stand in)."
    )
    video_url: str = Field(
        "https://graph-video.facebook.com", description="Graph API host for video uploads."
    )
    rupload_url: str = Field("https://rupload.facebook.com", description="Host of the Reels binary upload.")
    api_version: str = Field("v25.0", description="Graph API version used in every URL.")
    app_id: str | None = Field(None, description="Facebook app id (for tokens and /debug_token).")
    app_secret: SecretStr | None = Field(None, description="Facebook app secret.")
    native_scheduling: bool = Field(
        True,
        description="Hand posts due 10 min to 29 days ahead to Facebook's own scheduler (scheduled_publish_time).",
    )
    posts_per_minute: float = Field(
        20.0, description="Publishing calls per Page per minute, shared by all workers (0: no limit of ours)."
    )
    burst: int = Field(10, description="Calls a Page may make at once before the per-minute rate applies.")


class YouTubeSettings(BaseModel):
    api_url: str = Field("https://www.googleapis.com/youtube/v3", description="YouTube Data API host.")
    upload_url: str = Field(
        "https://www.googleapis.com/upload/youtube/v3", description="YouTube upload host."
    )
    oauth_url: str = Field("https://oauth2.googleapis.com", description="Google OAuth token host.")
    auth_url: str = Field("https://accounts.google.com/o/oauth2/v2/auth", description="Google consent page.")
    client_id: str | None = Field(None, description="OAuth client id of your Google Cloud project.")
    client_secret: SecretStr | None = Field(None, description="OAuth client secret.")
    native_scheduling: bool = Field(
        True, description="Upload videos ahead as private with publishAt, so YouTube publishes them on time."
    )
    posts_per_minute: float = Field(
        1.0, description="Uploads per channel per minute, shared by all workers (0: no limit of ours)."
    )
    burst: int = Field(
        3, description="Uploads a channel may start at once before the per-minute rate applies."
    )
    daily_quota: int = Field(
        10_000, description="YouTube Data API units per project per day (resets at midnight Pacific)."
    )
    quota_costs: dict[str, int] = Field(
        default_factory=dict,
        description='Override of quota units per method, JSON, e.g. {"videos.insert": 100}; default: the cautious 1600 for an upload.',
    )


class ZaloSettings(BaseModel):
    openapi_url: str = Field("https://openapi.zalo.me", description="Zalo OA Open API host.")
    oauth_url: str = Field("https://oauth.zaloapp.com", description="Zalo OAuth v4 host.")
    app_id: str | None = Field(None, description="Zalo app id.")
    app_secret: SecretStr | None = Field(None, description="Zalo app secret.")
    posts_per_minute: float = Field(
        30.0, description="Article calls per OA per minute, shared by all workers (0: no limit of ours)."
    )
    burst: int = Field(5, description="Calls an OA may make at once before the per-minute rate applies.")
    broadcast: bool = Field(
        False, description="Also broadcast each published article to followers (06:00-22:00 only)."
    )
    default_cover_url: str | None = Field(
        None,
        description="Public URL of the cover image used when a Zalo article names none (options.zalo.cover_url).",
    )
    reconcile_settle_seconds: float = Field(
        180.0,
        ge=0,
        description="After a send whose answer was lost, how long an article may take to appear in the OA's list "
        "before 'not found' may count as absent (Zalo's delay is not documented).",
    )
    article_url_template: str | None = Field(
        None,
        description="Public link of an article when Zalo gives none, with {id} for the article id "
        "(empty: record no link rather than guess one).",
    )


class MediaSettings(BaseModel):
    ffmpeg: str = Field("ffmpeg", description="The ffmpeg program.")
    ffprobe: str = Field("ffprobe", description="The ffprobe program.")
    cache_max_mb: int = Field(
        4096, description="Size cap of the prepared-media cache; oldest variants go first."
    )
    font_path: Path | None = Field(
        None, description="Font for banners and title cards (default: the bundled DejaVu Sans)."
    )
    logo_path: Path | None = Field(None, description="Commune logo (PNG) for watermarks, if wanted.")
    max_pixels: int = Field(
        50_000_000,
        ge=1,
        description="Largest photo (width × height) that queue and approve accept; far below Pillow's bomb limit (179 million).",
    )


class AlertSettings(BaseModel):
    smtp_host: str | None = Field(None, description="SMTP server for alert e-mails (empty: no e-mail).")
    smtp_port: int = Field(587, description="SMTP port.")
    smtp_user: str | None = Field(None, description="SMTP login, if the server needs one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(True, description="Use STARTTLS.")
    email_from: str | None = Field(None, description="Sender address of alert e-mails.")
    email_to: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Alert e-mail recipients, comma-separated."
    )
    webhook_url: str | None = Field(
        None, description="URL that receives each alert as a JSON POST (empty: none)."
    )
    token_warning_days: int = Field(
        7, description="Warn this many days before a token or refresh window expires."
    )

    @field_validator("email_to", mode="before")
    @classmethod
    def _split_emails(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()]
        return value


class WebSettings(BaseModel):
    enabled: bool = Field(True, description="Serve the web app from `publisher run`.")
    host: str = Field(
        "127.0.0.1",
        description="Address the web app listens on (0.0.0.0 to reach it from the office network).",
    )
    port: int = Field(8080, ge=1, le=65535, description="Port of the web app.")
    session_idle_minutes: int = Field(
        60, ge=1, le=10080, description="A signed-in session ends after this many minutes without a request."
    )
    login_max_failures: int = Field(
        5, ge=1, le=100, description="Failed sign-ins (per name or per address) before a temporary lock."
    )
    login_lock_minutes: int = Field(15, ge=1, le=1440, description="How long a sign-in lock lasts.")
    secure_cookies: bool = Field(
        False,
        description="Send the session cookie only over HTTPS (set true behind a TLS proxy).",
    )
    public_url: str = Field(
        "",
        description="Address users reach the app by (OAuth redirects), e.g. https://publisher.xa.gov.vn; "
        "empty: http://HOST:PORT.",
    )
    upload_max_mb: int = Field(
        300,
        ge=1,
        le=100_000,
        description="Largest photo or clip (MB) the web app accepts in one upload; streamed to disk, "
        "never held in memory.",
    )


class LogSettings(BaseModel):
    max_mb: float = Field(
        10.0,
        ge=0.01,
        le=10_000,
        description="Size (MB) of `<data dir>/logs/publisher.log` before `publisher run` rotates it.",
    )
    files: int = Field(
        5, ge=1, le=1000, description="How many log files `publisher run` keeps (the current one included)."
    )


class ClockSettings(BaseModel):
    ntp_server: str = Field(
        "",
        description="NTP server (host or host:port) the dispatcher asks hourly how far off this machine's "
        "clock is, e.g. pool.ntp.org or the office router; empty: no check (an offline office).",
    )
    max_offset_seconds: float = Field(
        5.0,
        gt=0,
        le=3600,
        description="Warn (status, dashboard, log) when the clock is off by more than this many seconds.",
    )
