"""Soak benchmark: a slow bolt and 1 s timeouts for minutes; does every process's memory stay flat?

Usage::

    python bench/soak_bench.py                # 5 minutes
    python bench/soak_bench.py --minutes 1    # a quick look

The topology: a ``ReliableSpout`` emitting 10 KB tuples with ids forever (every failure
replayed), ``topology.max.spout.pending`` 1000, ``topology.message.timeout.secs`` 1, into
a bolt that sleeps 2 ms per tuple (500 tuples/s), so trees keep timing out and being
replayed. Every ``--every`` seconds it prints the RSS of the engine (the parent) and of
each task process. The reference is the run itself: each process's RSS once warmed up
(at a fifth of the run) against its RSS at the end. A process is flat when it grew by
less than 10 % and less than 8 MB.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from squall import Bolt, Grouping, ReliableSpout, Topology
from squall.engine import run_local

PAYLOAD = "x" * 10_000
_STARTED = re.compile(r"started task (\d+) of '([^']+)' \(pid (\d+)")


class Replaying(ReliableSpout):
    """Emit 10 KB tuples with ids forever; replay every failure."""

    outputs = ["n", "payload"]
    max_fails = 1 << 30

    def initialize(self, conf: Any, context: Any) -> None:
        self.n = 0

    def next_tuple(self) -> None:
        self.emit([self.n, PAYLOAD], tup_id=self.n)
        self.n += 1


class SlowBolt(Bolt):
    """Take 2 ms per tuple."""

    def process(self, tup: Any) -> None:
        time.sleep(0.002)


class Soak(Topology):
    config = {"topology.max.spout.pending": 1000, "topology.message.timeout.secs": 1}
    spout = Replaying.spec()
    slow = SlowBolt.spec(inputs={spout: Grouping.SHUFFLE})


def task_pids(log_dir: Path) -> dict[int, str]:
    """Return pid -> 'component-task' of every task the engine started (from engine.log)."""
    path = log_dir / "engine.log"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return {int(pid): f"{name}-{task}" for task, name, pid in _STARTED.findall(text)}


def sample(log_dir: Path) -> dict[str, float]:
    """Return the RSS in MB of the engine and each live task process."""
    rss = {"engine": psutil.Process().memory_info().rss / 1e6}
    for pid, name in task_pids(log_dir).items():
        try:
            rss[name] = psutil.Process(pid).memory_info().rss / 1e6
        except psutil.NoSuchProcess:
            continue  # an earlier incarnation
    return rss


def verdict(samples: list[tuple[float, dict[str, float]]]) -> bool:
    """Print each process's warmed-up and final RSS; return whether all stayed flat."""
    warm = samples[len(samples) // 5][1]
    last = samples[-1][1]
    flat = True
    for name in last:
        start = warm.get(name, last[name])
        growth = last[name] - start
        ok = growth < 8.0 and growth < 0.10 * start
        flat &= ok
        print(f"  {name:10s} {start:7.1f} MB -> {last[name]:7.1f} MB  ({growth:+.1f} MB)  {'flat' if ok else 'GREW'}")
    return flat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0, help="how long to run (default 5)")
    parser.add_argument("--every", type=float, default=15.0, help="seconds between RSS samples (default 15)")
    args = parser.parse_args()
    secs = args.minutes * 60.0
    log_dir = Path(tempfile.mkdtemp(prefix="squall-soak-"))
    print(f"soak: slow bolt (2 ms/tuple), 10 KB tuples, max.spout.pending 1000, timeout 1 s, {args.minutes:g} min; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; logs {log_dir}")
    results: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: results.update(run=run_local(Soak, time=secs, log_dir=log_dir)))
    runner.start()
    samples: list[tuple[float, dict[str, float]]] = []
    start = time.monotonic()
    while runner.is_alive():
        runner.join(args.every)
        if not runner.is_alive():
            break
        elapsed = time.monotonic() - start
        rss = sample(log_dir)
        samples.append((elapsed, rss))
        print(f"{elapsed:6.0f}s  " + "  ".join(f"{k} {v:6.1f} MB" for k, v in rss.items()), flush=True)
    run = results["run"]
    spout = run["spout"]
    print(f"done: {spout.emitted:,} emitted, {spout.acked:,} acked, {spout.failed:,} failed (timed out and replayed), "
          f"slow bolt executed {run['slow'].executed:,}; load average {os.getloadavg()[0]:.1f}")
    if len(samples) < 5:
        print("too few samples to judge: run longer or sample more often (--every)")
        return 1
    flat = verdict(samples)
    print("RSS stayed flat" if flat else "RSS GREW: memory is not bounded")
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
