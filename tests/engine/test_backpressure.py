"""A slow bolt throttles its spout: bounded buffers, bounded memory, no deadlock with acks."""

from __future__ import annotations

import threading

import psutil

from squall import Topology
from squall.engine import run_local
from tests.engine.components import Firehose, ReliableNumbers, Slow


class Overload(Topology):
    firehose = Firehose.spec()
    slow = Slow.spec(inputs=[firehose])


def _rss_of_tree(exclude: set[psutil.Process]) -> int:
    """RSS of this process and the children it started (not e.g. a session's Storm cluster)."""
    me = psutil.Process()
    return sum(p.memory_info().rss for p in [me, *me.children(recursive=True)] if p not in exclude)


def test_slow_bolt_throttles_the_spout_and_memory_stays_bounded(opts, tmp_path):
    samples = []
    already_running = set(psutil.Process().children(recursive=True))

    def progress(snapshot):
        rss = _rss_of_tree(already_running)
        samples.append((snapshot.components["firehose"].emitted, snapshot.components["slow"].executed, rss))

    options = dict(opts, **{"test.slow_secs": 0.002, "squall.engine.buffer.bytes": 256 * 1024,
                            "squall.engine.shutdown.timeout.secs": 1, "squall.engine.drain.timeout.secs": 1})
    result = run_local(Overload, options=options, time=4.5, log_dir=tmp_path / "r", on_progress=progress)
    assert len(samples) >= 3
    for emitted, executed, _ in samples[1:]:
        assert emitted - executed < 3000  # a few hundred KiB of 1 KiB tuples in flight, not millions
    rss = [r for _, _, r in samples[1:]]
    assert max(rss) - min(rss) < 50 * 1024 * 1024
    assert result["firehose"].emitted < 10_000  # unthrottled it would emit hundreds of thousands


class AckedOverload(Topology):
    numbers = ReliableNumbers.spec()
    slow = Slow.spec(inputs=[numbers], par=2)


def test_acks_keep_flowing_while_the_spout_is_blocked(opts, tmp_path):
    options = dict(opts, **{"test.count": 10**9, "test.slow_secs": 0.001, "squall.engine.buffer.bytes": 65536,
                            "squall.engine.shutdown.timeout.secs": 1, "squall.engine.drain.timeout.secs": 1})
    enough = threading.Event()  # the run stops once acks flowed (an event, not a fixed delay)

    def progress(snapshot):
        if snapshot.components["numbers"].acked > 500:
            enough.set()

    result = run_local(AckedOverload, options=options, time=120.0, log_dir=tmp_path / "r",
                       on_progress=progress, stop_event=enough)
    assert enough.is_set(), "acks stopped flowing while the spout was blocked"
    assert result["numbers"].acked > 500
    assert result["numbers"].failed == 0
