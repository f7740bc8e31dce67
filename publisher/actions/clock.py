"""Is this machine's clock right? An SNTP query to ``PUBLISHER_CLOCK__NTP_SERVER``, at most hourly.

Posts are timed to the second, so a clock that drifted publishes late or early without anyone
noticing. The dispatcher (:func:`dispatcher_alive`, called after each tick) writes its heartbeat and,
once an hour, asks the NTP server how far off the local clock is; the result is kept in the
heartbeat's ``detail["clock"]`` for ``publisher status``, the dashboard and ``/metrics``, and an
offset above ``PUBLISHER_CLOCK__MAX_OFFSET_SECONDS`` is logged as a warning. With no server set
(an office without network) nothing is asked.
"""

from __future__ import annotations

import logging
import socket
import struct
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from publisher.settings import Settings
from publisher.store.heartbeats import DISPATCHER, Pulse

log = logging.getLogger(__name__)

#: seconds between 1900-01-01 (NTP era 0) and 1970-01-01
NTP_EPOCH = 2_208_988_800
#: how often the dispatcher asks
CHECK_EVERY = timedelta(hours=1)
TIMEOUT = 2.0


class ClockError(Exception):
    """The NTP server did not answer, or answered something that is not a usable time."""


def _split(server: str) -> tuple[str, int]:
    host, sep, port = server.strip().rpartition(":")
    if sep and port.isdigit() and host and not host.endswith(":"):  # "host:123", not a bare IPv6
        return host.strip("[]"), int(port)
    return server.strip().strip("[]"), 123


def _to_ntp(seconds: float) -> bytes:
    whole = int(seconds) + NTP_EPOCH
    return struct.pack("!II", whole & 0xFFFFFFFF, int((seconds % 1) * 2**32) & 0xFFFFFFFF)


def _from_ntp(raw: bytes) -> float:
    whole, frac = struct.unpack("!II", raw)
    return whole - NTP_EPOCH + frac / 2**32


def sntp_offset(server: str, timeout: float = TIMEOUT) -> float:
    """Seconds to add to the local clock to get the server's time (RFC 4330 client, one query)."""
    host, port = _split(server)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except OSError as e:
        raise ClockError(f"cannot resolve {host}: {e}") from e
    family, _type, _proto, _name, address = infos[0]
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        t1 = time.time()
        sent = _to_ntp(t1)
        packet = b"\x23" + b"\x00" * 39 + sent  # LI 0, version 4, mode 3 (client); transmit time
        try:
            sock.sendto(packet, address)
            data, _ = sock.recvfrom(512)
        except OSError as e:  # a timeout is an OSError too
            raise ClockError(f"no answer from {server}: {e}") from e
        t4 = time.time()
    if len(data) < 48:
        raise ClockError(f"short answer from {server}")
    mode, stratum = data[0] & 0x7, data[1]
    if mode not in (4, 5) or stratum == 0 or data[24:32] != sent:
        raise ClockError(f"unusable answer from {server} (mode {mode}, stratum {stratum})")
    t2, t3 = _from_ntp(data[32:40]), _from_ntp(data[40:48])
    return ((t2 - t1) + (t3 - t4)) / 2


@dataclass(frozen=True)
class ClockCheck:
    at: datetime
    server: str
    offset: float | None
    error: str | None
    max_offset: float

    @property
    def off(self) -> bool:
        """The clock is off by more than the allowed offset."""
        return self.offset is not None and abs(self.offset) > self.max_offset

    def as_detail(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "server": self.server,
            "offset": self.offset,
            "error": self.error,
            "max": self.max_offset,
        }

    @classmethod
    def from_detail(cls, detail: dict[str, Any] | None) -> ClockCheck | None:
        if not detail or "at" not in detail:
            return None
        offset = detail.get("offset")
        return cls(
            at=datetime.fromisoformat(str(detail["at"])),
            server=str(detail.get("server") or ""),
            offset=None if offset is None else float(offset),
            error=detail.get("error"),
            max_offset=float(detail.get("max") or 5.0),
        )


def check_clock(settings: Settings, now: datetime | None = None) -> ClockCheck | None:
    """Ask the configured NTP server (None when none is set); never raises."""
    server = settings.clock.ntp_server.strip()
    if not server:
        return None
    now = now or datetime.now(UTC)
    limit = settings.clock.max_offset_seconds
    try:
        offset = sntp_offset(server)
    except ClockError as e:
        log.warning("clock check: %s", e)
        return ClockCheck(now, server, None, str(e), limit)
    check = ClockCheck(now, server, round(offset, 3), None, limit)
    if check.off:
        log.warning(
            "clock check: this machine's clock is off by %.1f s from %s (limit %.1f s)", offset, server, limit
        )
    return check


def dispatcher_alive(pulse: Pulse, settings: Settings, now: datetime | None = None) -> ClockCheck | None:
    """The dispatcher's heartbeat (at most every 30 s) with the hourly clock check in its detail."""
    now = now or datetime.now(UTC)
    if not pulse.beat(DISPATCHER, DISPATCHER, now=now):
        return None
    hb = pulse.repo.heartbeat(DISPATCHER)
    detail = dict(hb.detail) if hb else {}
    last = ClockCheck.from_detail(detail.get("clock"))
    if last is not None and now - last.at < CHECK_EVERY and last.server == settings.clock.ntp_server.strip():
        return None
    pulse.repo.prune(now)
    check = check_clock(settings, now)
    if check is not None:
        detail["clock"] = check.as_detail()
    elif detail.pop("clock", None) is None:
        return None
    pulse.repo.record(DISPATCHER, DISPATCHER, detail, now=now)
    return check


__all__ = ["CHECK_EVERY", "ClockCheck", "ClockError", "check_clock", "dispatcher_alive", "sntp_offset"]
