"""The clock check: an SNTP query to a loopback server that answers a known offset."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from publisher.actions.alive import liveness
from publisher.actions.clock import NTP_EPOCH, ClockError, dispatcher_alive, sntp_offset
from publisher.settings import Settings
from publisher.store import Store
from publisher.store.heartbeats import DISPATCHER, Heartbeats, Pulse
from tests.conftest import make_settings


def _ntp(seconds: float) -> bytes:
    return struct.pack("!II", int(seconds) + NTP_EPOCH, int((seconds % 1) * 2**32))


class FakeNtp:
    """Answers every SNTP query with this machine's time plus ``offset`` seconds."""

    def __init__(self, offset: float) -> None:
        self.offset = offset
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.queries = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(512)
            except OSError:
                continue
            self.queries += 1
            now = time.time() + self.offset
            answer = bytes([0x24, 2, 0, 0]) + b"\x00" * 20 + data[40:48] + _ntp(now) + _ntp(now)
            self.sock.sendto(answer, peer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def ntp(request: pytest.FixtureRequest) -> Iterator[FakeNtp]:
    server = FakeNtp(getattr(request, "param", 0.0))
    yield server
    server.close()


@pytest.mark.parametrize("ntp", [42.0, -7.5, 0.0], indirect=True)
def test_the_offset_is_measured(ntp: FakeNtp) -> None:
    assert sntp_offset(ntp.address) == pytest.approx(ntp.offset, abs=0.2)


def test_no_answer_is_a_clock_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        with pytest.raises(ClockError):
            sntp_offset(f"127.0.0.1:{silent.getsockname()[1]}", timeout=0.3)


def _store(tmp_path: object, server: str) -> tuple[Settings, Heartbeats]:
    settings = make_settings(tmp_path, clock={"ntp_server": server, "max_offset_seconds": 5})  # type: ignore[arg-type]
    store = Store(settings)
    store.init()
    return settings, Heartbeats(store.db)


@pytest.mark.parametrize("ntp", [30.0], indirect=True)
def test_the_dispatcher_checks_hourly_and_status_warns(ntp: FakeNtp, tmp_path: object) -> None:
    settings, repo = _store(tmp_path, ntp.address)
    pulse = Pulse(repo)
    now = datetime.now(UTC)
    check = dispatcher_alive(pulse, settings, now=now)
    assert check is not None and check.off and check.offset == pytest.approx(30, abs=0.5)
    hb = repo.heartbeat(DISPATCHER)
    assert hb is not None and hb.detail["clock"]["offset"] == pytest.approx(30, abs=0.5)
    # within the hour: the heartbeat is written, the server not asked again
    assert dispatcher_alive(pulse, settings, now=now + timedelta(minutes=5)) is None
    assert ntp.queries == 1
    assert dispatcher_alive(pulse, settings, now=now + timedelta(minutes=61)) is not None
    assert ntp.queries == 2
    lines = liveness(repo, now + timedelta(minutes=61)).lines
    [warning] = [x for x in lines if "Đồng hồ" in x.text]
    assert not warning.ok and "+30.0" in warning.text and "quá 5 giây" in warning.text


@pytest.mark.parametrize("ntp", [1.0], indirect=True)
def test_a_small_offset_is_fine(ntp: FakeNtp, tmp_path: object) -> None:
    settings, repo = _store(tmp_path, ntp.address)
    check = dispatcher_alive(Pulse(repo), settings)
    assert check is not None and not check.off
    [line] = [x for x in liveness(repo).lines if "Đồng hồ" in x.text]
    assert line.ok


def test_without_a_server_nothing_is_asked(tmp_path: object) -> None:
    settings, repo = _store(tmp_path, "")
    assert dispatcher_alive(Pulse(repo), settings) is None
    hb = repo.heartbeat(DISPATCHER)
    assert hb is not None and "clock" not in hb.detail
