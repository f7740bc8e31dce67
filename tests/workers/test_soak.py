"""Soak: 300 deliveries over 3 Pages due within a short window, two worker processes, one of them
SIGKILLed and restarted at random moments twice. Every delivery is published exactly once.

Size and window: ``PUBLISHER_SOAK_SIZE`` (default 300) and ``PUBLISHER_SOAK_WINDOW`` seconds
(default 30); CI runs it small. The random seed is printed so that a failure can be replayed
with ``PUBLISHER_SOAK_SEED``.
"""

from __future__ import annotations

import os
import random
import time

import pytest

from tests.workers.conftest import Cluster


@pytest.mark.slow
def test_soak_every_delivery_published_exactly_once(cluster: Cluster) -> None:
    size = int(os.environ.get("PUBLISHER_SOAK_SIZE", "300"))
    window = float(os.environ.get("PUBLISHER_SOAK_WINDOW", "30"))
    seed = int(os.environ.get("PUBLISHER_SOAK_SEED", str(time.time_ns() % 1_000_000)))
    print(f"soak seed={seed} size={size} window={window}")
    rng = random.Random(seed)
    pages = [cluster.add_page(f"xa-{i}") for i in range(3)]
    messages = cluster.queue(pages, size, due_in=2.0, spread=window)
    victim = cluster.start_worker("w1", PUBLISHER_TEST_NO_RATE="1")
    cluster.start_worker("w2", PUBLISHER_TEST_NO_RATE="1")
    cluster.start_dispatcher()
    started = time.monotonic()
    for kill_at in sorted(rng.uniform(2.0, window) for _ in range(2)):
        time.sleep(max(0.0, started + kill_at - time.monotonic()))
        cluster.kill(victim)
        time.sleep(rng.uniform(0.0, 2.0))
        victim = cluster.start_worker("w1", PUBLISHER_TEST_NO_RATE="1")
    assert cluster.wait_settled(window + 90) == {"published": size}
    counts = cluster.graph.state.counts()
    assert sorted(counts.values()) == [1] * size
    assert set(counts) == set(messages)
