"""Lateness of a single post (issue 15, item 1): claim ahead with an ETA against the old behaviour.

For each mode, in the same run: a real ``publisher run`` (Celery worker + beat on the embedded
broker, no Redis, 5 s tick, the sandbox platform: no network latency) is started on a fresh data
directory; a warm-up post proves it is up; then N single posts due at distinct whole seconds are
queued. The lateness of each post's first platform call is the first attempt's ``started_at`` (the
attempt row is committed just before the call, after the not-before-due wait) minus ``due_at``.
Mode ``ahead`` is the default (``PUBLISHER_CLAIM_AHEAD=true``); mode ``old`` sets
``PUBLISHER_CLAIM_AHEAD=false`` (claim only what is due: up to one tick late).

    .venv/bin/python bench/lateness.py            # both modes, 12 posts each
    .venv/bin/python bench/lateness.py --n 12 --tick 5 --modes ahead,old

Targets (ahead): p50 <= 0.1 s, max <= 0.5 s, none early.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _env(data: Path, tick: float, ahead: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUBLISHER_")}
    env.update(
        PYTHONPATH=str(ROOT),
        PUBLISHER_DATA_DIR=str(data),
        PUBLISHER_TICK_SECONDS=str(tick),
        PUBLISHER_CLAIM_AHEAD="true" if ahead else "false",
        PUBLISHER_USER="can-bo",
        PUBLISHER_WEB__ENABLED="false",
        PUBLISHER_LANGUAGE="en",
    )
    return env


def _first_calls(store: Any) -> dict[str, tuple[datetime, datetime | None]]:
    """Post key → (due_at, started_at of its first attempt or None)."""
    from sqlalchemy import func, select

    from publisher.store import schema as s

    D, A, P = s.deliveries, s.attempts, s.posts
    first = (
        select(A.c.delivery_id, func.min(A.c.started_at).label("started"))
        .group_by(A.c.delivery_id)
        .subquery()
    )
    q = (
        select(P.c.key, D.c.due_at, first.c.started)
        .join(D, D.c.post_id == P.c.id)
        .outerjoin(first, first.c.delivery_id == D.c.id)
    )
    with store.db.read() as conn:
        out: dict[str, tuple[datetime, datetime | None]] = {}
        for r in conn.execute(q):
            started = r.started
            if started is not None and started.tzinfo is None:
                started = started.replace(tzinfo=UTC)
            out[str(r.key)] = (r.due_at, started)
        return out


def run_mode(n: int, tick: float, ahead: bool, lead: float) -> list[float]:
    from publisher.actions.demo import queue_demo
    from publisher.settings import Settings
    from publisher.store import Store

    with tempfile.TemporaryDirectory(prefix="lateness-") as tmp:
        data = Path(tmp) / "var"
        env = _env(data, tick, ahead)
        subprocess.run(
            [sys.executable, "-m", "publisher.cli.main", "init"],
            env=env,
            cwd=tmp,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        log = (Path(tmp) / "run.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "publisher.cli.main", "run", "-c", "2"],
            env=env,
            cwd=tmp,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        settings = Settings(_env_file=None, data_dir=data, user="can-bo", tick_seconds=tick)
        store = Store(settings)
        try:
            warm = queue_demo(store, settings, 1.0)
            deadline = time.monotonic() + 90
            while _first_calls(store).get(warm.key, (None, None))[1] is None:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit(
                        "publisher run did not start:\n" + (Path(tmp) / "run.log").read_text()[-3000:]
                    )
                time.sleep(0.2)
            # due at distinct whole seconds, ``lead`` s from now onwards
            keys = [queue_demo(store, settings, lead + i).key for i in range(n)]
            deadline = time.monotonic() + lead + n + 4 * tick + 30
            while True:
                calls = _first_calls(store)
                if all(calls[k][1] is not None for k in keys) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            late: list[float] = []
            for k in keys:
                due, started = calls[k]
                late.append(float("nan") if started is None else (started - due).total_seconds())
            return late
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            store.db.dispose()


def summary(late: list[float]) -> dict[str, Any]:
    sent = [x for x in late if x == x]
    return {
        "sent": len(sent),
        "p50": statistics.median(sent) if sent else float("nan"),
        "max": max(sent) if sent else float("nan"),
        "min": min(sent) if sent else float("nan"),
        "early": sum(1 for x in sent if x < 0),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=12)
    ap.add_argument("--tick", type=float, default=5.0)
    ap.add_argument(
        "--lead", type=float, default=8.0, help="the first post is due this many s after queueing"
    )
    ap.add_argument("--modes", default="ahead,old")
    args = ap.parse_args()
    load = os.getloadavg()
    print(
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; "
        f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        f"publisher run (embedded broker, sandbox), tick {args.tick:g} s, {args.n} posts"
    )
    ok = True
    for mode in args.modes.split(","):
        late = run_mode(args.n, args.tick, mode == "ahead", args.lead)
        r = summary(late)
        print(
            f"{mode:5} (PUBLISHER_CLAIM_AHEAD={'true' if mode == 'ahead' else 'false'}): "
            f"sent {r['sent']}/{args.n}, lateness p50 {r['p50']:.3f} s, max {r['max']:.3f} s, "
            f"min {r['min']:.3f} s, early {r['early']}"
        )
        print("       each: " + " ".join(f"{x:.3f}" for x in late))
        if mode == "ahead":
            met = r["sent"] == args.n and r["p50"] <= 0.1 and r["max"] <= 0.5 and r["early"] == 0
            ok = ok and met
            print(f"       targets p50 <= 0.1 s, max <= 0.5 s, none early: {'met' if met else 'NOT met'}")
    load = os.getloadavg()
    print(f"# load average at end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
