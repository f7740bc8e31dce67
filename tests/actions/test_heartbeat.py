"""The lease heartbeat: one thread per process, whatever the number of sends in progress."""

from __future__ import annotations

import threading
import time
from collections import Counter

from publisher.actions.worker import HEART, Heartbeat


def _heart_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "lease-heartbeat" and t.is_alive())


def test_forty_sends_in_progress_share_one_heartbeat_thread() -> None:
    beats: Counter[int] = Counter()
    lock = threading.Lock()
    go = threading.Event()

    def send(n: int) -> None:
        def beat() -> None:
            with lock:
                beats[n] += 1

        with Heartbeat(beat, 0.5):
            go.wait(5)
            time.sleep(1.3)

    senders = [threading.Thread(target=send, args=(n,)) for n in range(40)]
    for t in senders:
        t.start()
    go.set()
    time.sleep(0.3)
    assert HEART.beating() == 40
    assert _heart_threads() == 1
    for t in senders:
        t.join()
    assert set(beats) == set(range(40)) and min(beats.values()) >= 2  # every lease was extended
    assert HEART.beating() == 0
    settled = dict(beats)
    time.sleep(0.7)
    assert dict(beats) == settled  # a finished send is never beaten again


def test_a_failing_beat_does_not_stop_the_others() -> None:
    good: list[float] = []

    def bad() -> None:
        raise RuntimeError("database busy")

    with Heartbeat(bad, 0.5), Heartbeat(lambda: good.append(time.monotonic()), 0.5):
        time.sleep(1.3)
    assert len(good) >= 2
