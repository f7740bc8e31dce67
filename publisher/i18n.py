"""Messages an officer reads, in Vietnamese first and English on request.

Each module keeps its own catalogue next to the code that uses it and registers it here::

    MESSAGES = {"queue.ok": ("Đã xếp lịch {n} bài", "Queued {n} posts")}
    register(MESSAGES)

``t(key, **params)`` renders in the current language (``PUBLISHER_LANGUAGE``, default ``vi``); an
aware ``datetime`` parameter is shown in the office's local time (``PUBLISHER_TIMEZONE``).
A :class:`Msg` carries a key and its parameters so that errors raised in the core are rendered
only when shown, in whichever language is current then.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_CATALOGUE: dict[str, tuple[str, str]] = {}
_language: str | None = None
_zone: str | None = None
DEFAULT_ZONE = "Asia/Ho_Chi_Minh"


def register(messages: dict[str, tuple[str, str]]) -> None:
    for key, pair in messages.items():
        if key in _CATALOGUE and _CATALOGUE[key] != pair:
            raise ValueError(f"message key registered twice with different text: {key}")
        _CATALOGUE[key] = pair


def set_language(language: str) -> None:
    global _language
    _language = "en" if language == "en" else "vi"


def language() -> str:
    if _language is not None:
        return _language
    return "en" if os.environ.get("PUBLISHER_LANGUAGE", "vi").strip().lower() == "en" else "vi"


def set_display_zone(zone: str) -> None:
    """The time zone in which messages show times (``PUBLISHER_TIMEZONE``)."""
    global _zone
    _zone = zone


def display_zone() -> ZoneInfo:
    name = _zone or os.environ.get("PUBLISHER_TIMEZONE") or DEFAULT_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def local_time(value: datetime) -> str:
    """An aware time as the officer reads it: ``30/04/2026 07:00`` in the display zone."""
    return value.astimezone(display_zone()).strftime("%d/%m/%Y %H:%M")


def t(key: str, /, **params: Any) -> str:
    return t_in(language(), key, **params)


def t_in(lang: str, key: str, /, **params: Any) -> str:
    """The message in ``lang`` ("vi" or "en"), whatever this process's language."""
    pair = _CATALOGUE.get(key)
    if pair is None:
        return key if not params else f"{key} {params}"
    text = pair[1] if lang == "en" else pair[0]
    try:
        return text.format(**{k: _render(v, lang) for k, v in params.items()})
    except (KeyError, IndexError):
        return text


def _render(value: Any, lang: str) -> Any:
    """Late messages render now (in ``lang``); an aware time is shown in local time, never as UTC
    ISO text."""
    if isinstance(value, Msg):
        return t_in(lang, value.key, **value.params)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return local_time(value)
    return value


@dataclass(frozen=True)
class Msg:
    """A message key with its parameters, rendered late."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return t(self.key, **self.params)


def msg(key: str, /, **params: Any) -> Msg:
    return Msg(key, params)
