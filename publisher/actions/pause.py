"""``pause`` and ``resume``: the emergency stop of every pending delivery (national mourning, disaster).

A pause holds every delivery that has not started and records who paused and why; resuming
releases them and says which are now late (still within their grace window) and which are too late
(they will be marked missed). Both are idempotent.
"""

from __future__ import annotations

from typing import Any

from publisher.settings import Settings
from publisher.store.repo import ResumeReport


def pause_publishing(store: Any, settings: Settings, reason: str) -> int:
    """Hold every pending delivery as ``PUBLISHER_USER``; returns how many were held."""
    return int(store.pause(reason, settings.actor()))


def resume_publishing(store: Any, settings: Settings) -> ResumeReport:
    """Release what the pause held, as ``PUBLISHER_USER``."""
    report: ResumeReport = store.resume(settings.actor())
    return report


__all__ = ["pause_publishing", "resume_publishing"]
