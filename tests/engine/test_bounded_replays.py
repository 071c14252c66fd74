"""Replays of timed-out trees wait while the spout is blocked: memory stays bounded."""

from __future__ import annotations

import time
from typing import Any

from squall import Bolt, Grouping, ReliableSpout, Topology
from squall.engine import run_local
from tests.engine.components import read, record

PAYLOAD = "x" * 10_000


class Endless(ReliableSpout):
    """Emit 10 KB tuples with ids forever; replay every failure."""

    outputs = ["n", "payload"]
    max_fails = 1_000_000

    def initialize(self, conf: Any, context: Any) -> None:
        self.n = 0

    def next_tuple(self) -> None:
        self.emit([self.n, PAYLOAD], tup_id=self.n)
        self.n += 1

    def fail(self, tup_id: Any) -> None:
        super().fail(tup_id)
        record(self.conf, "spout-fail", n=tup_id)


class Stuck(Bolt):
    """Take one tuple, then hang in process(): the spout's output stays blocked."""

    def process(self, tup: Any) -> None:
        time.sleep(60)


class Blocked(Topology):
    spout = Endless.spec()
    stuck = Stuck.spec(inputs={spout: Grouping.SHUFFLE})


def test_a_blocked_spout_does_not_buffer_replays_of_timed_out_trees(opts: dict[str, Any], tmp_path: Any) -> None:
    options = dict(opts, **{
        "topology.max.spout.pending": 1000, "topology.message.timeout.secs": 0.3,
        "squall.engine.buffer.bytes": 65536, "squall.engine.batch.size": 16,
        "squall.engine.drain.timeout.secs": 0.1, "squall.engine.shutdown.timeout.secs": 0.5,
    })
    result = run_local(Blocked, options=options, time=3.0, log_dir=tmp_path / "r")
    failed = read(opts["test.dir"], "spout-fail")
    assert len(failed) >= 10  # trees did time out
    # what the spout emitted fits in the stuck bolt's inbox and one batch per port: the
    # replays of the ~10 timeout rounds were not piled up in its output buffer
    assert result["spout"].emitted < 200, result["spout"]
