"""All settings, loaded once from the environment (prefix ``PUBLISHER_``) and ``.env``.

Nested sections use ``__``: ``PUBLISHER_FACEBOOK__GRAPH_URL``. Adapters and stores receive the
section they need; nothing else reads ``os.environ``.
"""

from __future__ import annotations

import getpass
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_origin
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from publisher.errors import UserError
from publisher.i18n import msg, register
from publisher.settings.files import SecretFilesSource
from publisher.settings.sections import (
    AlertSettings,
    ClockSettings,
    FacebookSettings,
    LogSettings,
    MediaSettings,
    WebSettings,
    YouTubeSettings,
    ZaloSettings,
)

register(
    {
        "settings.invalid": ("Cài đặt không hợp lệ: {items}", "Invalid setting: {items}"),
        "settings.item": ("{var}{value} — cần {allowed}", "{var}{value} — expected {allowed}"),
        "settings.number": ("một số, ví dụ 6 hoặc 1.5", "a number, e.g. 6 or 1.5"),
        "settings.integer": ("một số nguyên, ví dụ 5", "a whole number, e.g. 5"),
        "settings.bool": ("true hoặc false", "true or false"),
        "settings.one_of": ("một trong: {values}", "one of: {values}"),
        "settings.json": ("JSON hợp lệ", "valid JSON"),
        "settings.too_long": ("tối đa {n} ký tự", "at most {n} characters"),
        "settings.timezone": (
            "tên múi giờ IANA, ví dụ Asia/Ho_Chi_Minh",
            "an IANA time zone name, e.g. Asia/Ho_Chi_Minh",
        ),
    }
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PUBLISHER_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    data_dir: Path = Field(
        Path("./var"), description="Data directory: SQLite database, key file, outbox, media cache, reports."
    )
    database_url: str | None = Field(
        None,
        description="Database URL; empty = SQLite file in the data dir. PostgreSQL: postgresql+psycopg://user:pass@host/db",
    )
    broker_url: str | None = Field(
        None,
        description="Celery broker URL (redis://host:6379/0); empty = embedded broker in the data dir, no server needed.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Fernet key for account credentials; empty = <data dir>/secret.key created by publisher init (mode 0600).",
    )
    language: Literal["vi", "en"] = Field(
        "vi", description="Language of messages, reports and errors: vi or en."
    )
    timezone: str = Field(
        "Asia/Ho_Chi_Minh", description="Time zone used to show times (schedules keep their own)."
    )
    user: str | None = Field(
        None,
        max_length=100,  # the audit trail's actor column: the same answer on SQLite and PostgreSQL
        description="Name recorded in the audit trail for commands run here (default: the OS user); a user of the office for queue, users and policy.",
    )

    require_approval: bool = Field(
        True,
        description="Initial value of the office policy require-approval (nothing is published before a named approver approves it), stored when the first admin is added; afterwards only `publisher policy set require-approval` changes it.",
    )
    allow_self_approval: bool = Field(
        False,
        description="Initial value of the office policy allow-self-approval, stored when the first admin is added; afterwards only `publisher policy set allow-self-approval` changes it.",
    )
    grace_hours: float = Field(
        6.0, description="Late-publish window: a post later than this is marked missed instead."
    )
    media_roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Extra folders schedule files may take media from (colon-separated).",
    )
    schedule_max_bytes: int = Field(
        2_000_000, ge=1, description="Largest schedule file (YAML or CSV) that queue reads, in bytes."
    )

    forbidden_words: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Words that block approval wherever they appear (comma-separated)."
    )
    forbidden_words_file: Path | None = Field(
        None, description="A UTF-8 file with more forbidden words, one per line (# starts a comment)."
    )

    tick_seconds: float = Field(5.0, description="Dispatcher period: how often due deliveries are claimed.")
    claim_ahead: bool = Field(
        True,
        description="Claim deliveries due within the next tick (plus 1 s) and send each at its second (a message "
        "ETA; the worker waits the last moments, never sends early). False: claim only what is due, "
        "so a post goes out up to one tick late.",
    )
    lease_seconds: int = Field(
        300,
        description="A claimed delivery not finished within this lease is re-examined (never blindly re-sent).",
    )
    max_attempts: int = Field(5, description="Retry limit per delivery for transient errors.")
    retry_base_seconds: float = Field(
        30.0, description="First retry delay; doubles each attempt, with jitter."
    )
    retry_max_seconds: float = Field(3600.0, description="Longest retry delay.")
    visibility_timeout: int = Field(
        7200, description="Redis broker visibility timeout (s); above the longest media task."
    )
    worker_concurrency: int | None = Field(
        None,
        ge=1,
        description="Sends at once in publisher run: threads (default 32), or processes with the prefork pool (default 2).",
    )
    worker_pool: Literal["threads", "prefork"] = Field(
        "threads",
        description="Pool of publisher run's publishing worker: threads (a send is I/O) or prefork.",
    )

    engagement_weeks: int = Field(8, description="The weekly engagement sweep looks back this many weeks.")
    log_level: str = Field("INFO", description="Log level (DEBUG, INFO, WARNING).")

    facebook: FacebookSettings = Field(default_factory=FacebookSettings)
    youtube: YouTubeSettings = Field(default_factory=YouTubeSettings)
    zalo: ZaloSettings = Field(default_factory=ZaloSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    clock: ClockSettings = Field(default_factory=ClockSettings)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError("unknown time zone") from None
        return value

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

    @field_validator("secret_key", mode="before")
    @classmethod
    def _blank_key_is_unset(cls, value: object) -> object:
        """``PUBLISHER_SECRET_KEY=""`` (or only spaces) means unset: the key file is used."""
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str) and not text.strip():
            return None
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: Any,
        env_settings: Any,
        dotenv_settings: Any,
        file_secret_settings: Any,
    ) -> tuple[Any, ...]:
        """``PUBLISHER_<SECRET>_FILE`` variables (Docker secrets): see :mod:`publisher.settings.files`."""
        files = SecretFilesSource(settings_cls, env_settings, dotenv_settings)
        return init_settings, files, env_settings, dotenv_settings, file_secret_settings

    @classmethod
    def env_example(cls) -> str:
        """The text of ``.env.example``: every setting with its default and meaning."""
        lines = [
            "# publisher settings: every variable, its default and meaning (PUBLISHER_ prefix, __ for sections)."
        ]

        def emit(env: str, info: Any) -> None:
            default = info.default if info.default_factory is None else info.default_factory()
            shown = (
                ""
                if default is None
                else ":".join(map(str, default))
                if isinstance(default, list)
                else default
            )
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


class SettingsInvalid(UserError):
    """A ``PUBLISHER_`` variable (or ``.env`` line) holds a value its setting cannot take."""


_SECRET_WORDS = ("secret", "password", "token", "key", "url")
_ALLOWED = {
    "float_parsing": "settings.number",
    "float_type": "settings.number",
    "finite_number": "settings.number",
    "int_parsing": "settings.integer",
    "int_type": "settings.integer",
    "int_from_float": "settings.integer",
    "bool_parsing": "settings.bool",
    "bool_type": "settings.bool",
    "json_invalid": "settings.json",
    "json_type": "settings.json",
    "dict_type": "settings.json",
}


def describe_invalid(exc: ValidationError) -> SettingsInvalid:
    """One line naming each invalid variable, its value (unless it may be secret) and what it accepts."""
    items = []
    for err in exc.errors():
        names = [str(p) for p in err["loc"] if isinstance(p, str)]
        var = "PUBLISHER_" + "__".join(n.upper() for n in names)
        hidden = any(w in n.lower() for n in names for w in _SECRET_WORDS)
        raw = err.get("input")
        value = "" if hidden or isinstance(raw, dict) else f"={str(raw)[:60]}"
        kind = err["type"]
        if kind == "literal_error":
            allowed = str(
                msg(
                    "settings.one_of",
                    values=str(err.get("ctx", {}).get("expected", "")).replace(" or ", ", "),
                )
            )
        elif names and names[-1] == "timezone":
            allowed = str(msg("settings.timezone"))
        elif kind == "string_too_long":
            allowed = str(msg("settings.too_long", n=err.get("ctx", {}).get("max_length", "")))
        elif kind in _ALLOWED:
            allowed = str(msg(_ALLOWED[kind]))
        else:
            allowed = str(err["msg"])
        items.append(str(msg("settings.item", var=var, value=value, allowed=allowed)))
    return SettingsInvalid(msg("settings.invalid", items="; ".join(items)))


def describe_unparsable(exc: SettingsError) -> SettingsInvalid:
    """The variables of the section pydantic-settings could not parse (their value is not JSON)."""
    found = re.search(r'field "(\w+)"', str(exc))
    field = found.group(1) if found else ""
    section = f"PUBLISHER_{field.upper()}"
    model = getattr(Settings.model_fields.get(field), "annotation", None)
    names = []
    for name, value in os.environ.items():
        upper = name.upper()
        if upper != section and not upper.startswith(section + "__"):
            continue
        sub = upper[len(section) + 2 :].lower()
        info = (
            model.model_fields.get(sub)
            if sub and isinstance(model, type) and issubclass(model, BaseModel)
            else None
        )
        decoded = not sub or (info is not None and get_origin(info.annotation) in (dict, list))
        try:
            json.loads(value)
        except ValueError:
            if decoded:
                names.append(upper)
    item = str(
        msg(
            "settings.item",
            var=", ".join(sorted(names)) or section + "__…",
            value="",
            allowed=msg("settings.json"),
        )
    )
    return SettingsInvalid(msg("settings.invalid", items=item))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process; an invalid value raises :class:`SettingsInvalid` (exit 2)."""
    try:
        return Settings()
    except ValidationError as exc:
        raise describe_invalid(exc) from None
    except SettingsError as exc:  # a nested section's value is not JSON, before any validation
        raise describe_unparsable(exc) from None
