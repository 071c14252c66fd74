"""Where a real word-count run's CPU goes between the spout's first emit and its last ack.

Usage::

    python bench/engine_window.py                  # 2,000,000 words, one run
    python bench/engine_window.py --repeat 3 --words 1000000

Runs ``wordcount_bench.WordCount`` (compiled hot path, acking, max.spout.pending 1000
lines) on the embedded engine, like ``wordcount_bench.py`` does, and samples every
process of the run (``/proc``) when the spout's start marker and its end marker
appear. Prints per process: CPU seconds inside that window (the rate's window; the
engine's start-up is outside it), voluntary and involuntary context switches; then
the run's CPU per word inside the window, how much CPU other processes of the machine
took meanwhile, and the idle CPU left. Each task's log line ("N messages received, M
executed, W waits (S s waiting), ...") is printed too. Compare the task CPU with
``bench/engine_stages.py``, which runs the same task hosts in one process. Linux only.

``--trace`` has every task record its waits (``SQUALL_ENGINE_WAIT_TRACE``) and adds:
each task's share of the window spent waiting, how long 0, 1, ... 5 tasks were not
waiting (at most one: a core of the two had nothing of this run to do), which task
ran alone then, and how many of the spout's waits began at max.spout.pending.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import cloudpickle
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

import wordcount_bench  # noqa: E402
from _wordcount_data import make_lines  # noqa: E402

from squall.engine import run_local  # noqa: E402
from squall.engine._task import WAIT_TRACE_ENV  # noqa: E402

_HZ = os.sysconf("SC_CLK_TCK")


def _proc_sample(proc: psutil.Process) -> tuple[str, float, int, int]:
    """(role, CPU seconds, voluntary switches, involuntary switches) of one process."""
    stat = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    status = Path(f"/proc/{proc.pid}/status").read_text()
    switches = [int(re.search(rf"^{key}:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]
                for key in ("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")]
    role = "engine" if proc.pid == os.getpid() else "zygote/task"
    return role, (int(stat[11]) + int(stat[12])) / _HZ, switches[0], switches[1]


def sample() -> tuple[dict[int, tuple[str, float, int, int]], list[int], float]:
    """Per-process samples of this process tree, the machine's /proc/stat CPU line, and the time."""
    me = psutil.Process()
    procs = {}
    for proc in [me, *me.children(recursive=True)]:
        try:
            procs[proc.pid] = _proc_sample(proc)
        except (OSError, AttributeError):
            pass  # exited meanwhile
    machine = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return procs, machine, time.perf_counter()


class Window:
    """Take a sample when ``out/start`` appears and one when ``out/end`` appears."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.samples: list[Any] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for marker in ("start", "end"):
            while not (self.out / marker).exists():
                time.sleep(0.005)  # a sample up to 5 ms late; polling faster costs the run CPU (this process's)
            self.samples.append(sample())

    def join(self) -> None:
        self._thread.join(timeout=5.0)


def one_run(words: int, pending: int, trace: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        if trace:
            os.environ[WAIT_TRACE_ENV] = str(out)
        options = {"bench.out": str(out), "topology.max.spout.pending": pending, "bench.acking": True}
        window = Window(out)
        result = run_local(wordcount_bench.WordCount, until_idle=True, idle_secs=1.5, log_dir=out / "logs",
                           options=options)
        window.join()
        if len(window.samples) != 2:
            raise SystemExit(f"the run did not finish: {result.problem() or 'no end marker'}")
        (before, m0, t0), (after, m1, t1) = window.samples
        secs = t1 - t0  # between the samples: the CPU figures' window
        first, last = float((out / "start").read_text()), max(float(p.read_text()) for p in out.glob("end*"))
        print(f"{words:,} words: {words / (last - first):,.0f} words/s (first emit to last ack {last - first:.2f}s), "
              f"p99 {result['lines'].complete_p99_ms:.1f} ms, load average {os.getloadavg()[0]:.1f}")
        names, ends = task_logs(out / "logs")
        ours = 0.0
        for pid, (role, cpu, vol, invol) in sorted(after.items()):
            role = names.get(pid, role)
            base = before.get(pid, (role, 0.0, 0, 0))  # forked after the first emit: all of it is in the window
            used = cpu - base[1]
            ours += used
            print(f"  pid {pid:>7} {role:<11} CPU {used:5.2f}s ({used / secs:4.0%} of the window, {secs:.2f}s), "
                  f"switches: {vol - base[2]} voluntary, {invol - base[3]} involuntary")
        delta = [b - a for a, b in zip(m0, m1)]
        total, idle = sum(delta) / _HZ, (delta[3] + delta[4]) / _HZ
        print(f"  this run: {ours:.2f} CPU-s = {ours * 1e6 / words:.2f} us/word in the window; machine: "
              f"{total:.2f} CPU-s, {idle:.2f} idle ({idle / total:.0%}), other processes {total - idle - ours:.2f}")
        for line in ends:
            print(f"  {line}")
        if trace:
            print_waits(out, float((out / "start").read_text()), max(float(p.read_text()) for p in out.glob("end*")),
                        pending)


def print_waits(out: Path, start: float, end: float, pending: int) -> None:
    """Summarise the tasks' wait traces inside the window [start, end] (wall-clock seconds)."""
    waits: dict[str, list[tuple[float, float, int]]] = {}
    for path in sorted(out.glob("*.waits.json")):
        data = json.loads(path.read_text())
        waits[data["task"]] = [(max(a, start), min(b, end), p) for a, b, p in data["waits"] if b > start and a < end]
    span = end - start
    events: list[tuple[float, int, str]] = []
    for task, spans in waits.items():
        waited = sum(b - a for a, b, _ in spans)
        paused = sum(1 for *_, p in spans if p >= pending)
        print(f"  {task}: {len(spans)} waits in the window, {waited / span:.0%} of it waiting"
              + (f"; {paused} waits began at max.spout.pending" if paused else ""))
        for a, b, _ in spans:
            events += [(a, 0, task), (b, 1, task)]  # 0: begins waiting, 1: runs again
    events.sort()
    running = set(waits)
    busy: Counter = Counter()  # tasks not waiting -> seconds
    alone: Counter = Counter()  # the one task not waiting -> seconds
    now = start
    for when, kind, task in events:
        busy[len(running)] += when - now
        if len(running) <= 1:
            alone[next(iter(running), "none")] += when - now
        now = when
        (running.discard if kind == 0 else running.add)(task)
    busy[len(running)] += end - now
    print("  time with N tasks not waiting: " + ", ".join(f"{n}: {secs / span:.1%}" for n, secs in sorted(busy.items())))
    print("  at most one task not waiting: " + ", ".join(f"{task} {secs * 1000:.0f} ms" for task, secs in alone.most_common()))


def task_logs(logs: Path) -> tuple[dict[int, str], list[str]]:
    """Map each task's pid to its name ("split[4]") and collect their exit lines (lifetime figures)."""
    names: dict[int, str] = {}
    ends: list[str] = []
    for log in sorted(logs.glob("*.log")):
        for line in log.read_text().splitlines():
            start = re.search(r" (\S+\[\d+\]): task .* starting \(pid (\d+)", line)
            if start:
                names[int(start.group(2))] = start.group(1)
            elif " exiting with code " in line:
                ends.append(line.split(" INFO ", 1)[-1])
    return names, ends


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=2_000_000)
    parser.add_argument("--pending", type=int, default=1000, help="topology.max.spout.pending (lines)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--trace", action="store_true", help="record every task's waits and summarise them")
    args = parser.parse_args()
    wordcount_bench.LINES.extend(make_lines(args.words))
    cloudpickle.register_pickle_by_value(wordcount_bench)  # the tasks get the lines with the classes
    words = len(wordcount_bench.LINES) * 10
    for _ in range(args.repeat):
        one_run(words, args.pending, args.trace)


if __name__ == "__main__":
    main()
