"""Memory of ``publisher run`` with the web app idle: RSS of the whole process tree.

Baseline in the same run: the same tree with the web app off (``PUBLISHER_WEB__ENABLED=false``),
so the ratio shows what the web app costs. Target (issue 13): ≤ 350 MB for the whole tree.

    .venv/bin/python bench/run_rss.py [--settle 20]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def tree_rss(web: bool, settle: float) -> tuple[float, float]:
    """(summed RSS, summed PSS) of the tree in MB; RSS counts pages shared by forked children once
    per process, PSS shares them out (what the tree really holds)."""
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PUBLISHER_")}
        env.update(
            PUBLISHER_DATA_DIR=str(Path(tmp) / "var"),
            PUBLISHER_USER="quan-tri",
            PUBLISHER_WEB__PORT=str(port),
            PUBLISHER_WEB__ENABLED="true" if web else "false",
            PYTHONPATH=str(ROOT),
        )
        subprocess.run(
            [sys.executable, "-m", "publisher.cli.main", "init"], env=env, check=True, capture_output=True
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "publisher.cli.main", "run"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            time.sleep(settle)
            top = psutil.Process(proc.pid)
            procs = [top, *top.children(recursive=True)]
            infos = [p.memory_full_info() for p in procs if p.is_running()]
            return sum(i.rss for i in infos) / 2**20, sum(i.pss for i in infos) / 2**20
        finally:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--settle", type=float, default=20.0)
    args = ap.parse_args()
    base, base_pss = tree_rss(False, args.settle)
    with_web, web_pss = tree_rss(True, args.settle)
    print(f"publisher run, web app off: {base:.0f} MB RSS summed, {base_pss:.0f} MB PSS (process tree)")
    print(
        f"publisher run, web app idle: {with_web:.0f} MB RSS summed, {web_pss:.0f} MB PSS; "
        f"ratio {with_web / base:.2f} (RSS)"
    )
    print(f"target ≤ 350 MB (summed RSS): {'met' if with_web <= 350 else 'NOT met'}")


if __name__ == "__main__":
    main()
