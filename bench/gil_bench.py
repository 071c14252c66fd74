"""GIL benchmark: a CPU-heavy bolt (~100 us of pure-Python work per tuple) at par 1 vs par 2.

Usage::

    python bench/gil_bench.py               # 20,000 tuples per run
    python bench/gil_bench.py --tuples 5000 --repeat 1

Each tuple costs the bolt a fixed pure-Python loop (calibrated to ~100 us on this
machine before the runs). With one process per task, par 2 should run close to 2x
faster on 2 idle cores (goal: >= 1.7x).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from squall import Bolt, Grouping, Spout, Topology
from squall.engine import run_local

LOOPS = {"n": 1000}


def burn(loops: int) -> int:
    total = 0
    for i in range(loops):
        total += i * i % 7
    return total


class Numbers(Spout):
    outputs = ["n"]

    def initialize(self, conf, context):
        self.n = 0
        self.count = conf["bench.tuples"]
        self.acked = 0
        self.out = Path(conf["bench.out"])

    def next_tuple(self):
        if self.n < self.count:
            if self.n == 0:
                (self.out / "start").write_text(repr(time.time()))
            self.emit([self.n], tup_id=self.n)
            self.n += 1

    def ack(self, tup_id):
        self.acked += 1
        if self.acked == self.count:
            (self.out / "end").write_text(repr(time.time()))


class Heavy(Bolt):
    def initialize(self, conf, context):
        self.loops = conf["bench.loops"]

    def process(self, tup):
        burn(self.loops)


class GilTopology(Topology):
    numbers = Numbers.spec()
    heavy = Heavy.spec(inputs={numbers: Grouping.SHUFFLE})


def calibrate(target_us: float = 100.0) -> int:
    loops = 1000
    start = time.perf_counter()
    for _ in range(200):
        burn(loops)
    per_call = (time.perf_counter() - start) / 200
    return max(1, int(loops * target_us / 1e6 / per_call))


def run(par: int, tuples: int, loops: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        options = {"bench.tuples": tuples, "bench.loops": loops, "bench.out": tmp, "topology.max.spout.pending": 2000}
        run_local(GilTopology, par={"heavy": par}, options=options, until_idle=True, idle_secs=1.0,
                  log_dir=Path(tmp) / "logs")
        return float((Path(tmp) / "end").read_text()) - float((Path(tmp) / "start").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tuples", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (interleaved); the best of each counts")
    args = parser.parse_args()
    loops = calibrate()
    print(f"GIL bench: {args.tuples:,} tuples, {loops} loop iterations (~100 us) per tuple, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    best = {1: float("inf"), 2: float("inf")}
    for _ in range(args.repeat):  # interleaved, so a burst of load from elsewhere hits both alike
        for par in (1, 2):
            secs = run(par, args.tuples, loops)
            best[par] = min(best[par], secs)
            print(f"par {par}: {args.tuples / secs:>10,.0f} tuples/s ({secs:.2f}s)")
    one, two = best[1], best[2]
    print(f"speed-up par 2 / par 1 = {one / two:.2f}x (best of {args.repeat} each; goal >= 1.7x), "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    sys.exit(main())
