"""Are the workers and the dispatcher running? Read from their heartbeats (``publisher status``, dashboard).

:func:`liveness` gives one line per process, in the officer's language and local time, and a
warning when the last clock check found the clock off (:mod:`publisher.actions.clock`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from publisher.actions.clock import ClockCheck
from publisher.i18n import local_time, register, t
from publisher.store.heartbeats import DISPATCHER, WORKER, Heartbeat, Heartbeats

register(
    {
        "alive.worker_alive": ("Tiến trình đăng bài {name}: đang chạy", "Worker {name}: running"),
        "alive.worker_stopped": (
            "Tiến trình đăng bài {name}: đã dừng lúc {at}",
            "Worker {name}: stopped at {at}",
        ),
        "alive.worker_lost": (
            "Tiến trình đăng bài {name}: không thấy hoạt động từ {at}",
            "Worker {name}: not seen since {at}",
        ),
        "alive.no_worker": (
            "Không có tiến trình đăng bài nào đang chạy: chạy `publisher run`.",
            "No worker is running: start `publisher run`.",
        ),
        "alive.dispatcher_alive": ("Bộ điều phối: đang chạy", "Dispatcher: running"),
        "alive.dispatcher_stopped": (
            "Bộ điều phối: không thấy hoạt động từ {at}",
            "Dispatcher: not seen since {at}",
        ),
        "alive.dispatcher_never": (
            "Bộ điều phối: chưa từng chạy: chạy `publisher run`.",
            "Dispatcher: never ran: start `publisher run`.",
        ),
        "alive.clock_ok": (
            "Đồng hồ máy: lệch {offset} giây so với {server} (kiểm tra lúc {at})",
            "Clock: {offset} s from {server} (checked at {at})",
        ),
        "alive.clock_off": (
            "Đồng hồ máy lệch {offset} giây so với {server} (quá {max} giây): bài sẽ đăng sai giờ; "
            "hãy chỉnh giờ hệ thống (bật NTP).",
            "The clock is off by {offset} s from {server} (over {max} s): posts will go out at the wrong "
            "time; fix the system time (enable NTP).",
        ),
        "alive.clock_error": (
            "Không kiểm tra được đồng hồ với {server}: {error}",
            "Could not check the clock against {server}: {error}",
        ),
    }
)

#: workers not seen for this long are no longer listed (a restart makes a new row)
SHOW_WITHIN = timedelta(days=1)


@dataclass(frozen=True)
class Line:
    text: str
    ok: bool


@dataclass
class Liveness:
    workers: list[Heartbeat] = field(default_factory=list)
    dispatcher: Heartbeat | None = None
    clock: ClockCheck | None = None
    lines: list[Line] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(x.ok for x in self.lines)


def _worker_line(hb: Heartbeat, now: datetime) -> Line:
    name = str(hb.detail.get("node") or hb.name)
    if hb.alive(now):
        return Line(t("alive.worker_alive", name=name), True)
    key = "alive.worker_stopped" if hb.detail.get("stopped") else "alive.worker_lost"
    return Line(t(key, name=name, at=local_time(hb.last_seen)), False)


def liveness(repo: Heartbeats, now: datetime | None = None) -> Liveness:
    now = now or datetime.now(UTC)
    rows = repo.heartbeats()
    out = Liveness(workers=[h for h in rows if h.kind == WORKER and now - h.last_seen < SHOW_WITHIN])
    out.dispatcher = next((h for h in rows if h.name == DISPATCHER), None)
    alive = [h for h in out.workers if h.alive(now)]
    # the running workers, and the last row of a node that has none running (a restart is a new row)
    running = {h.detail.get("node") for h in alive}
    gone: dict[object, Heartbeat] = {}
    for h in out.workers:
        if h.detail.get("node") not in running:
            gone.setdefault(h.detail.get("node") or h.name, h)
    out.lines = [_worker_line(h, now) for h in [*alive, *gone.values()]]
    if not alive:
        out.lines.append(Line(t("alive.no_worker"), False))
    if out.dispatcher is None:
        out.lines.append(Line(t("alive.dispatcher_never"), False))
    elif out.dispatcher.alive(now):
        out.lines.append(Line(t("alive.dispatcher_alive"), True))
    else:
        out.lines.append(Line(t("alive.dispatcher_stopped", at=local_time(out.dispatcher.last_seen)), False))
    out.clock = ClockCheck.from_detail(out.dispatcher.detail.get("clock") if out.dispatcher else None)
    if out.clock is not None:
        out.lines.append(clock_line(out.clock))
    return out


def clock_line(c: ClockCheck) -> Line:
    at = local_time(c.at)
    if c.offset is None:
        return Line(t("alive.clock_error", server=c.server, error=c.error or "?"), False)
    offset = f"{c.offset:+.1f}"
    if c.off:
        return Line(t("alive.clock_off", offset=offset, server=c.server, max=f"{c.max_offset:g}"), False)
    return Line(t("alive.clock_ok", offset=offset, server=c.server, at=at), True)


__all__ = ["Line", "Liveness", "clock_line", "liveness"]
