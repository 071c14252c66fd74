"""Word-count benchmark: squall (acking on) vs a plain Python loop vs bytewax 0.21.1.

Usage::

    python bench/wordcount_bench.py                 # 2,000,000 words
    python bench/wordcount_bench.py --words 200000  # a quick run
    python bench/wordcount_bench.py --skip-bytewax

The squall topology: one spout of 10-word lines (emitted with ids: acking on), a split
bolt (par 2, shuffle) and a count bolt (par 2, fields grouping on the word). Its rate is
measured from the spout's first emit to the ack of its last line; bytewax's from its
first read to its sinks' close (2 processes, ``python -m bytewax.testing -p 2``); the
plain loop counts the same pre-generated lines in this process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _wordcount_data import make_lines  # noqa: E402

from squall import Bolt, Grouping, Spout, Topology  # noqa: E402
from squall.engine import run_local  # noqa: E402

LINES: list[str] = []


class LineSpout(Spout):
    outputs = ["line"]

    def initialize(self, conf, context):
        self.lines = LINES
        self.pos = 0
        self.acked = 0
        self.out = Path(conf["bench.out"])

    def next_tuple(self):
        if self.pos < len(self.lines):
            if self.pos == 0:
                (self.out / "start").write_text(repr(time.time()))
            self.emit([self.lines[self.pos]], tup_id=self.pos)
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


class CountBolt(Bolt):
    outputs = ["word", "count"]

    def initialize(self, conf, context):
        self.counts = Counter()
        self.out = Path(conf["bench.out"]) / f"counts-{self.task_id}.json"

    def process(self, tup):
        self.counts[tup.values[0]] += 1

    def process_tick(self, tup):
        self.out.write_text(json.dumps(self.counts))


class WordCount(Topology):
    config = {"topology.message.timeout.secs": 60}
    lines = LineSpout.spec()
    split = SplitBolt.spec(inputs={lines: Grouping.SHUFFLE}, par=2)
    count = CountBolt.spec(inputs={split: Grouping.fields("word")}, par=2,
                           config={"topology.tick.tuple.freq.secs": 0.5})


def plain_loop(lines: list[str]) -> tuple[float, Counter]:
    start = time.perf_counter()
    counts: Counter = Counter()
    for line in lines:
        for word in line.split():
            counts[word] += 1
    return time.perf_counter() - start, counts


def run_squall(words: int, pending: int, out: Path, log_dir: Path | None, batch: int | None = None) -> tuple[float, object, Counter]:
    options = {"bench.out": str(out), "topology.max.spout.pending": pending}
    if batch:
        options["squall.engine.batch.size"] = batch
    result = run_local(WordCount, until_idle=True, idle_secs=1.5, log_dir=log_dir or out / "logs", options=options)
    elapsed = float((out / "end").read_text()) - float((out / "start").read_text())
    counts: Counter = Counter()
    for path in out.glob("counts-*.json"):
        counts.update(json.loads(path.read_text()))
    return elapsed, result, counts


def run_bytewax(words: int, out: Path) -> float:
    env = dict(os.environ, BENCH_WORDS=str(words), BENCH_OUT=str(out),
               PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parent), os.environ.get("PYTHONPATH", "")]))
    subprocess.run([sys.executable, "-m", "bytewax.testing", "_wordcount_bytewax:flow", "-p", "2"],
                   check=True, env=env, cwd=out)
    starts = [float(p.read_text()) for p in out.glob("bytewax-start-*")]
    ends = [p.read_text().split() for p in out.glob("bytewax-end-*")]
    total = sum(int(e[1]) for e in ends)
    if total != words:
        raise SystemExit(f"bytewax counted {total} words, expected {words}")
    return max(float(e[0]) for e in ends) - min(starts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=2_000_000)
    parser.add_argument("--pending", type=int, default=1000, help="topology.max.spout.pending (lines)")
    parser.add_argument("--batch", type=int, help="squall.engine.batch.size (tuples per message; default: the engine's)")
    parser.add_argument("--skip-bytewax", action="store_true")
    parser.add_argument("--log-dir", type=Path, help="keep squall's task logs here")
    args = parser.parse_args()

    LINES.extend(make_lines(args.words))
    words = len(LINES) * 10
    print(f"word count: {words:,} words in {len(LINES):,} lines, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")

    loop_secs, expected = plain_loop(LINES)
    print(f"plain loop     : {words / loop_secs:>12,.0f} words/s  ({loop_secs:.2f}s, 1 process)")

    with tempfile.TemporaryDirectory() as tmp:
        squall_secs, result, counts = run_squall(words, args.pending, Path(tmp), args.log_dir, args.batch)
        spout = result["lines"]
        correct = "counts match" if counts == expected else "COUNTS DIFFER"
        print(f"squall         : {words / squall_secs:>12,.0f} words/s  ({squall_secs:.2f}s, acking on, "
              f"max.spout.pending {args.pending}; complete latency p50 {spout.complete_p50_ms:.1f} ms, "
              f"p99 {spout.complete_p99_ms:.1f} ms; {correct})")

    ratios = [f"squall/plain loop = {loop_secs / squall_secs:.2f}x"]
    if not args.skip_bytewax:
        with tempfile.TemporaryDirectory() as tmp:
            bw_secs = run_bytewax(words, Path(tmp))
        print(f"bytewax 0.21.1 : {words / bw_secs:>12,.0f} words/s  ({bw_secs:.2f}s, 2 processes, no acking)")
        ratios.insert(0, f"squall/bytewax = {bw_secs / squall_secs:.2f}x")
    print("ratios         : " + ", ".join(ratios) + "  (goals: >= 1.2x bytewax, >= 0.3x plain loop)")


if __name__ == "__main__":
    main()
