"""Shared builders for the adapter tests: deliveries, recorded payloads, a frozen clock."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from publisher.core.models import Delivery, Platform, Target
from publisher.core.states import State

PAYLOADS = Path(__file__).parent / "payloads"
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam
TITLE = "Lịch tiêm chủng tháng 12"
TEXT = "Trạm y tế xã  thông báo lịch tiêm chủng mở rộng."


def payload(platform: str, name: str) -> Any:
    return json.loads((PAYLOADS / platform / f"{name}.json").read_text(encoding="utf-8"))


def delivery(platform: Platform, **changes: Any) -> Delivery:
    base = Delivery(
        id=7,
        post_id=3,
        post_key="tiem-chung-12",
        target=Target(platform, "xa-hanh-dich"),
        state=State.PUBLISHING,
        due_at=NOW,
        title=TITLE,
        text=TEXT,
        images=(),
        video=None,
        link=None,
        content_hash="h" * 64,
        last_attempt_at=NOW,
    )
    return replace(base, **changes)


def write_file(path: Path, size: int, fill: bytes = b"\x00") -> Path:
    with open(path, "wb") as fh:
        block = (fill * 65536)[:65536]
        left = size
        while left:
            n = min(left, len(block))
            fh.write(block[:n])
            left -= n
    return path


class Checkpoints(list[dict[str, Any]]):
    """A checkpoint callback that records what was committed, and how many HTTP calls came before."""

    def __init__(self, calls: Any = None) -> None:
        super().__init__()
        self.calls = calls
        self.calls_before: list[int] = []

    def __call__(self, data: dict[str, Any]) -> None:
        self.append(dict(data))
        self.calls_before.append(len(self.calls) if self.calls is not None else 0)

    @property
    def last(self) -> dict[str, Any]:
        return self[-1]
