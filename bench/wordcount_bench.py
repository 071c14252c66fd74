"""Word-count benchmark: squall's embedded engine against bytewax 0.21.1 and a plain loop, in one run.

Usage::

    python bench/wordcount_bench.py                 # 2,000,000 words, every variant, scaling line
    python bench/wordcount_bench.py --quick         # 400,000 words, shorter scaling line (~1 min)
    python bench/wordcount_bench.py --repeat 3      # medians of 3 interleaved rounds
    python bench/wordcount_bench.py --skip-bytewax --skip-scaling

The squall topology: one spout of 10-word lines, a split bolt (par 2, shuffle) and a
count bolt (par 2, fields grouping on the word). Variants: the compiled hot path with
acking (lines emitted with ids), the same with the split bolt using the batch API
(``emit_many``), the pure-Python fallback (SQUALL_PURE_PYTHON=1) with acking, and the
compiled path without acking. Rates run from the spout's first emit to
the ack of its last line (without acking: to the last word counted); bytewax's from its
first read to its sinks' close (2 processes, ``python -m bytewax.testing -p 2``); the
plain loop counts the same lines in this process. Each run reports words/s, complete
latency p50/p99 (acking runs), the peak of the summed RSS of all its processes, and CPU
microseconds per word (squall: every process of the run, start-up and stop included;
bytewax: its two processes from first read to close, start-up excluded). The scaling
line runs bench/gil_bench.py's CPU-heavy bolt (~100 us per tuple) at par 1, 2 and 4.
Counts are checked against the plain loop. The goals are printed as ratios of this run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gil_bench  # noqa: E402
from _wordcount_data import make_lines  # noqa: E402

from squall import Bolt, Grouping, Spout, Topology  # noqa: E402
from squall.engine import run_local  # noqa: E402
from squall.engine._routing import key_hash  # noqa: E402

try:
    from squall.engine._hotpath import PURE_PYTHON_ENV, compiled_available
except ImportError:  # a squall from before the compiled hot path: this bench measures it too (the "before")
    PURE_PYTHON_ENV = "SQUALL_PURE_PYTHON"

    def compiled_available() -> bool:
        return False

LINES: list[str] = []


class LineSpout(Spout):
    outputs = ["line"]

    def initialize(self, conf, context):
        self.lines = LINES
        self.pos = 0
        self.acked = 0
        self.tracked = conf.get("bench.acking", True)
        self.out = Path(conf["bench.out"])

    def next_tuple(self):
        if self.pos < len(self.lines):
            if self.pos == 0:
                (self.out / "start").write_text(repr(time.time()))
            self.emit([self.lines[self.pos]], tup_id=self.pos if self.tracked else None)
            self.pos += 1

    def ack(self, tup_id):
        self.acked += 1
        if self.acked == len(self.lines):
            (self.out / "end").write_text(repr(time.time()))

    def fail(self, tup_id):
        self.emit([self.lines[tup_id]], tup_id=tup_id)


class SplitBolt(Bolt):
    outputs = ["word"]

    def process(self, tup):
        emit = self.emit
        for word in tup.values[0].split():
            emit([word])


class SplitManyBolt(Bolt):
    """SplitBolt with the batch API: one ``emit_many`` per line."""

    outputs = ["word"]

    def process(self, tup):
        self.emit_many([[word] for word in tup.values[0].split()])


class CountBolt(Bolt):
    outputs = ["word", "count"]

    def initialize(self, conf, context):
        self.counts = Counter()
        self.out = Path(conf["bench.out"]) / f"counts-{self.task_id}.json"
        tasks = context.component_tasks(context.component_id)
        self.left = conf.get("bench.shares", [0] * len(tasks))[tasks.index(context.task_id)]
        if not conf.get("bench.acking", True):  # no acks to time by: the count bolts say when all words are in
            self.process = self._process_until_done

    def process(self, tup):
        self.counts[tup.values[0]] += 1

    def _process_until_done(self, tup):
        self.counts[tup.values[0]] += 1
        self.left -= 1
        if not self.left:
            (self.out.parent / f"end-{self.task_id}").write_text(repr(time.time()))

    def process_tick(self, tup):
        self.out.write_text(json.dumps(self.counts))


class WordCount(Topology):
    config = {"topology.message.timeout.secs": 60}
    lines = LineSpout.spec()
    split = SplitBolt.spec(inputs={lines: Grouping.SHUFFLE}, par=2)
    count = CountBolt.spec(inputs={split: Grouping.fields("word")}, par=2,
                           config={"topology.tick.tuple.freq.secs": 0.5})


class WordCountMany(Topology):
    """WordCount whose split bolt emits each line's words with one ``emit_many``."""

    config = WordCount.config
    lines = LineSpout.spec()
    split = SplitManyBolt.spec(inputs={lines: Grouping.SHUFFLE}, par=2)
    count = CountBolt.spec(inputs={split: Grouping.fields("word")}, par=2,
                           config={"topology.tick.tuple.freq.secs": 0.5})


# -- measuring ----------------------------------------------------------------------------


def cpu_seconds() -> float:
    """CPU of this process and of its reaped children (the engine's tasks, a finished subprocess)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class PeakRss:
    """Sample the summed RSS of this process and all its descendants until stopped; keep the peak."""

    def __init__(self, interval: float = 0.2) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self, interval: float) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass  # exited meanwhile
            self.peak = max(self.peak, total)
            self._stop.wait(interval)


@dataclass
class Figures:
    """One run of one variant."""

    words_per_s: float
    cpu_us_per_word: Optional[float] = None
    p50_ms: Optional[float] = None
    p99_ms: Optional[float] = None
    peak_rss_mb: Optional[float] = None
    note: str = ""


@dataclass
class Variant:
    name: str
    run: Callable[[], Figures]
    runs: list[Figures] = field(default_factory=list)

    def median(self, attr: str) -> Optional[float]:
        values = [getattr(r, attr) for r in self.runs if getattr(r, attr) is not None]
        return statistics.median(values) if values else None


# -- the runs -----------------------------------------------------------------------------


def plain_loop(lines: list[str]) -> tuple[float, Counter]:
    start = time.perf_counter()
    counts: Counter = Counter()
    for line in lines:
        for word in line.split():
            counts[word] += 1
    return time.perf_counter() - start, counts


def count_shares(lines: list[str], tasks: int = 2) -> list[int]:
    """Words per count task under the fields grouping (the engine's own hash), for runs without acking."""
    shares = [0] * tasks
    for line in lines:
        for word in line.split():
            shares[key_hash([word], (0,)) % tasks] += 1
    return shares


def run_squall(expected: Counter, pending: int, acking: bool, pure: bool, batch: Optional[int],
               shares: list[int], log_dir: Optional[Path], topology: Any = WordCount) -> Figures:
    words = len(LINES) * 10
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        options: dict[str, Any] = {"bench.out": str(out), "topology.max.spout.pending": pending,
                                   "bench.acking": acking, "bench.shares": shares}
        if batch:
            options["squall.engine.batch.size"] = batch
        previous = os.environ.pop(PURE_PYTHON_ENV, None)
        if pure:
            os.environ[PURE_PYTHON_ENV] = "1"
        try:
            cpu = cpu_seconds()
            with PeakRss() as rss:
                result = run_local(topology, until_idle=True, idle_secs=1.5, log_dir=log_dir or out / "logs",
                                   options=options)
            cpu = cpu_seconds() - cpu
        finally:
            os.environ.pop(PURE_PYTHON_ENV, None)
            if previous is not None:
                os.environ[PURE_PYTHON_ENV] = previous
        ends = [float(p.read_text()) for p in out.glob("end*")]
        if len(ends) != (1 if acking else 2):
            raise SystemExit(f"squall run did not finish: {result.problem() or 'no end marker'}")
        elapsed = max(ends) - float((out / "start").read_text())
        counts: Counter = Counter()
        for path in out.glob("counts-*.json"):
            counts.update(json.loads(path.read_text()))
        spout = result["lines"]
        return Figures(words / elapsed, cpu * 1e6 / words, spout.complete_p50_ms if acking else None,
                       spout.complete_p99_ms if acking else None, rss.peak / 2**20,
                       "" if counts == expected else "COUNTS DIFFER")


def run_bytewax(words: int) -> Figures:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        env = dict(os.environ, BENCH_WORDS=str(words), BENCH_OUT=str(out),
                   PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parent), os.environ.get("PYTHONPATH", "")]))
        with PeakRss() as rss:
            subprocess.run([sys.executable, "-m", "bytewax.testing", "_wordcount_bytewax:flow", "-p", "2"],
                           check=True, env=env, cwd=out)
        starts = [float(p.read_text()) for p in out.glob("bytewax-start-*")]
        ends = [p.read_text().split() for p in out.glob("bytewax-end-*")]
        total = sum(int(e[1]) for e in ends)
        if total != words:
            raise SystemExit(f"bytewax counted {total} words, expected {words}")
        cpu = sum(float(p.read_text()) for p in out.glob("bytewax-cpu-*"))
        elapsed = max(float(e[0]) for e in ends) - min(starts)
        return Figures(words / elapsed, cpu * 1e6 / words if cpu else None, peak_rss_mb=rss.peak / 2**20)


def scaling(tuples: int, repeat: int) -> dict[int, float]:
    """Tuples/s of gil_bench's CPU-heavy bolt at par 1, 2, 4 (median of ``repeat`` interleaved rounds)."""
    loops = gil_bench.calibrate()
    rates: dict[int, list[float]] = {1: [], 2: [], 4: []}
    for _ in range(repeat):
        for par in rates:
            rates[par].append(tuples / gil_bench.run(par, tuples, loops))
    return {par: statistics.median(r) for par, r in rates.items()}


# -- report -------------------------------------------------------------------------------


def _fmt(value: Optional[float], spec: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{unit}"


def print_table(variants: list[Variant]) -> None:
    print(f"{'variant':<34} {'words/s':>11} {'CPU us/word':>11} {'p50':>9} {'p99':>9} {'peak RSS':>9}")
    for v in variants:
        notes = "; ".join(sorted({r.note for r in v.runs if r.note}))
        print(f"{v.name:<34} {_fmt(v.median('words_per_s'), ',.0f'):>11} {_fmt(v.median('cpu_us_per_word'), '.2f'):>11} "
              f"{_fmt(v.median('p50_ms'), '.1f', ' ms'):>9} {_fmt(v.median('p99_ms'), '.1f', ' ms'):>9} "
              f"{_fmt(v.median('peak_rss_mb'), '.0f', ' MB'):>9}  {notes}")


def goal(label: str, value: Optional[float], target: float, higher: bool = True, unit: str = "x") -> str:
    if value is None:
        return f"  {label}: not measured"
    met = value >= target if higher else value < target
    sign = ">=" if higher else "<"
    return f"  {label}: {value:.2f}{unit} (goal {sign} {target}{unit}) {'PASS' if met else 'MISS'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, help="words to count (default 2,000,000; --quick 400,000)")
    parser.add_argument("--quick", action="store_true", help="a short run: 400,000 words, 4,000 heavy tuples")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved rounds; figures are medians")
    parser.add_argument("--pending", type=int, default=1000, help="topology.max.spout.pending (lines)")
    parser.add_argument("--batch", type=int, help="squall.engine.batch.size (tuples per message; default: the engine's)")
    parser.add_argument("--skip-bytewax", action="store_true")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--log-dir", type=Path, help="keep squall's task logs here")
    args = parser.parse_args()
    words_wanted = args.words or (400_000 if args.quick else 2_000_000)

    LINES.extend(make_lines(words_wanted))
    words = len(LINES) * 10
    print(f"word count: {words:,} words in {len(LINES):,} lines, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}, compiled hot path {'built' if compiled_available() else 'NOT BUILT'}")
    loop_secs, expected = plain_loop(LINES)
    shares = count_shares(LINES)

    def squall(acking: bool, pure: bool, topology: Any = WordCount) -> Callable[[], Figures]:
        return lambda: run_squall(expected, args.pending, acking, pure, args.batch, shares, args.log_dir, topology)

    def loop() -> Figures:
        cpu = time.process_time()
        secs = plain_loop(LINES)[0]
        return Figures(words / secs, (time.process_time() - cpu) * 1e6 / words)

    variants = [Variant("plain loop (1 process)", loop)]
    if compiled_available():
        variants.append(Variant("squall compiled, acking", squall(True, False)))
    if compiled_available():
        variants.append(Variant("squall compiled, acking, emit_many", squall(True, False, WordCountMany)))
    variants.append(Variant("squall pure Python, acking", squall(True, True)))
    if compiled_available():
        variants.append(Variant("squall compiled, no acking", squall(False, False)))
    if not args.skip_bytewax and importlib.util.find_spec("bytewax") is None:
        print("bytewax is not installed (pip install -e '.[bench]'): its run is skipped")
    elif not args.skip_bytewax:
        variants.append(Variant("bytewax 0.21.1, 2 processes", lambda: run_bytewax(words)))
    for round_ in range(args.repeat):  # interleaved, so a burst of load from elsewhere hits all alike
        for v in variants:
            v.runs.append(v.run())
            print(f"  round {round_ + 1}: {v.name}: {v.runs[-1].words_per_s:,.0f} words/s", flush=True)
    print(f"load average after the word counts: {os.getloadavg()[0]:.1f}")
    print_table(variants)

    rates: dict[int, float] = {}
    if not args.skip_scaling:
        tuples = 4_000 if args.quick else 20_000
        rates = scaling(tuples, args.repeat)
        print(f"scaling, CPU-heavy bolt (~100 us/tuple, {tuples:,} tuples): "
              + ", ".join(f"par {p} {r:,.0f} tuples/s ({r / rates[1]:.2f}x)" for p, r in rates.items())
              + f"; load average {os.getloadavg()[0]:.1f}")

    by_name = {v.name: v for v in variants}
    best = by_name.get("squall compiled, acking") or by_name["squall pure Python, acking"]
    rate = best.median("words_per_s") or 0.0
    bytewax = by_name.get("bytewax 0.21.1, 2 processes")
    print(f"goals ({best.name}):")
    print(goal("squall / bytewax words/s", rate / bytewax.median("words_per_s") if bytewax else None, 1.2))
    many = by_name.get("squall compiled, acking, emit_many")
    if many is not None and bytewax:
        print(goal("squall / bytewax words/s with emit_many", (many.median("words_per_s") or 0.0)
                   / bytewax.median("words_per_s"), 1.2))
    print(goal("squall / plain loop words/s", rate / (by_name["plain loop (1 process)"].median("words_per_s") or 1), 0.3))
    print(goal("CPU-heavy par 2 / par 1", rates[2] / rates[1] if rates else None, 1.8))
    print(goal("complete latency p99", best.median("p99_ms"), 50.0, higher=False, unit=" ms"))


if __name__ == "__main__":
    main()
