"""``pause`` and ``resume``: the emergency stop of every pending delivery (national mourning, disaster).

A pause holds every delivery that has not started and records who paused and why; resuming
releases them and says which are now late (still within their grace window) and which are too late
(they will be marked missed). Both are idempotent.
"""

from __future__ import annotations

from typing import Any

from publisher.errors import UserError
from publisher.i18n import msg, register
from publisher.settings import Settings
from publisher.store.office import ResumeReport

register(
    {
        "pause.reason_required": (
            "Hãy ghi lý do tạm dừng (ví dụ: quốc tang, thiên tai).",
            "Write why publishing is paused (for example: national mourning, a disaster).",
        ),
        "pause.reason_too_long": (
            "Lý do quá dài (tối đa {max} ký tự).",
            "The reason is too long (at most {max} characters).",
        ),
    }
)

#: the longest reason kept with the pause
REASON_MAX = 500


def pause_publishing(store: Any, settings: Settings, reason: str, by: str | None = None) -> int:
    """Hold every pending delivery as ``by`` (the signed-in user of the web app), else as
    ``PUBLISHER_USER``; returns how many were held. A reason is required."""
    text = reason.strip()
    if not text:
        raise UserError(msg("pause.reason_required"))
    if len(text) > REASON_MAX:
        raise UserError(msg("pause.reason_too_long", max=REASON_MAX))
    return int(store.pause(text, by or settings.actor()))


def resume_publishing(store: Any, settings: Settings, by: str | None = None) -> ResumeReport:
    """Release what the pause held, as ``by`` (else ``PUBLISHER_USER``)."""
    report: ResumeReport = store.resume(by or settings.actor())
    return report


__all__ = ["REASON_MAX", "pause_publishing", "resume_publishing"]
