"""Per-stage CPU cost of the word count on the embedded engine, in one process.

Usage::

    python bench/engine_stages.py                 # 400,000 words
    python bench/engine_stages.py --words 100000 --profile split
    python bench/engine_stages.py --emit-many      # the split bolt uses Bolt.emit_many

Builds the real task hosts of ``wordcount_bench.WordCount`` (same plans, sockets and
code as ``run_local``) in this process and drives them in rounds: the spout emits a
burst of lines, each split task handles its inbox, each count task its inbox, the
spout its acks. CPU time is measured per component, so the figures do not depend on
how the scheduler interleaves processes on a loaded machine. A development aid: the
end-to-end figures come from ``wordcount_bench.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import wordcount_bench  # noqa: E402
from _wordcount_data import make_lines  # noqa: E402

from squall.engine._supervisor import Supervisor  # noqa: E402
from squall.engine._task import TaskHost  # noqa: E402


def build(tmp: Path, pending: int, topology: type = wordcount_bench.WordCount) -> dict[int, TaskHost]:
    model = topology.model.with_config({"bench.out": str(tmp), "topology.max.spout.pending": pending})
    sup = Supervisor(model, tmp, time_limit=None, until_idle=False, idle_secs=1.0, on_progress=None)
    sup._build_plans()
    sup._build_wiring()
    hosts = {}
    for task, plan in sorted(sup.plans.items()):
        sup.wiring.new_control(plan.task)
        host = TaskHost(plan, sup.wiring)
        host.instance = plan.component_class()
        host.instance._squall_prepare(host, plan.conf, plan.context)
        hosts[task] = host
    return hosts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=400_000)
    parser.add_argument("--burst", type=int, default=256, help="lines per round (the real spout's burst depends on acks)")
    parser.add_argument("--profile", help="cProfile this component and print the top functions")
    parser.add_argument("--emit-many", action="store_true", help="the split bolt emits each line with one emit_many")
    args = parser.parse_args()
    wordcount_bench.LINES.extend(make_lines(args.words))
    lines = len(wordcount_bench.LINES)
    with tempfile.TemporaryDirectory() as tmp:
        hosts = build(Path(tmp), args.burst,
                      wordcount_bench.WordCountMany if args.emit_many else wordcount_bench.WordCount)
        by_comp = defaultdict(list)
        for host in hosts.values():
            by_comp[host.plan.component].append(host)
        spout = by_comp["lines"][0]
        spout.batch = args.burst  # lines per _spout_burst
        cpu: Counter = Counter()
        profiler = cProfile.Profile() if args.profile else None

        def stage(name: str, func, *a) -> None:
            prof = profiler if name == args.profile else None
            start = time.process_time()
            if prof:
                prof.enable()
            func(*a)
            if prof:
                prof.disable()
            cpu[name] += time.process_time() - start

        def drain(host: TaskHost) -> None:
            while host._read_inbox(64):
                pass
            host.collector.flush()

        def burst() -> None:
            spout._spout_burst(None)
            spout.collector.flush()

        gc.freeze()
        gc.set_threshold(50_000, 20, 20)  # as task_main does
        wall = time.perf_counter()
        while spout.instance.acked < lines:
            if spout.instance.pos < lines:
                stage("lines", burst)
            for host in by_comp["split"]:
                stage("split", drain, host)
            for host in by_comp["count"]:
                stage("count", drain, host)
            stage("lines", drain, spout)
        wall = time.perf_counter() - wall
        counts: Counter = Counter()
        for host in by_comp["count"]:
            counts.update(host.instance.counts)
        expected: Counter = Counter(w for line in wordcount_bench.LINES for w in line.split())
        words = lines * 10
        total = sum(cpu.values())
        print(f"{words:,} words, {'counts match' if counts == expected else 'COUNTS DIFFER'}; CPU per word: "
              + ", ".join(f"{k} {v * 1e6 / words:.2f} us" for k, v in cpu.items())
              + f"; total {total * 1e6 / words:.2f} us (=> {words / total:,.0f} words/s per core; wall {wall:.2f}s)")
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
