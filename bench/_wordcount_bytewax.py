"""The word count as a bytewax 0.21.1 dataflow (run by wordcount_bench.py in 2 processes).

Input is split into 2 partitions (one per process), so splitting runs in parallel like
squall's split bolt at par 2; counting is keyed by word across both processes.
Each partition writes its start time, the sink its end time, to $BENCH_OUT; each process
also writes the CPU seconds it spent from its first read to its sink's close.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from bytewax.outputs import DynamicSink, StatelessSinkPartition

from _wordcount_data import make_lines

PARTS = 2
BATCH = 256
OUT = Path(os.environ.get("BENCH_OUT", "."))
LINES = make_lines(int(os.environ.get("BENCH_WORDS", "2000000")))
_CPU_START: dict[int, float] = {}  # pid -> process_time() at this process's first read


class _Part(StatefulSourcePartition):
    def __init__(self, index: int) -> None:
        self.lines = LINES[index::PARTS]
        self.pos = 0
        self.index = index

    def next_batch(self):
        if self.pos == 0:
            (OUT / f"bytewax-start-{self.index}").write_text(repr(time.time()))
            _CPU_START.setdefault(os.getpid(), time.process_time())
        if self.pos >= len(self.lines):
            raise StopIteration()
        batch = self.lines[self.pos:self.pos + BATCH]
        self.pos += BATCH
        return batch

    def snapshot(self):
        return self.pos


class Lines(FixedPartitionedSource):
    def list_parts(self):
        return [str(i) for i in range(PARTS)]

    def build_part(self, step_id, for_part, resume_state):
        return _Part(int(for_part))


class _SinkPart(StatelessSinkPartition):
    def __init__(self, worker: int) -> None:
        self.worker = worker
        self.total = 0

    def write_batch(self, items):
        self.total += sum(count for _, count in items)

    def close(self):
        (OUT / f"bytewax-end-{os.getpid()}-{self.worker}").write_text(f"{time.time()!r} {self.total}")
        start = _CPU_START.pop(os.getpid(), None)  # once per process (its first sink to close)
        if start is not None:
            (OUT / f"bytewax-cpu-{os.getpid()}").write_text(repr(time.process_time() - start))


class Totals(DynamicSink):
    def build(self, step_id, worker_index, worker_count):
        return _SinkPart(worker_index)


flow = Dataflow("wordcount")
lines = op.input("lines", flow, Lines())
words = op.flat_map("split", lines, str.split)
counts = op.count_final("count", words, lambda word: word)
op.output("out", counts, Totals())
