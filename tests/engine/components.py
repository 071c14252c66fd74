"""Reusable components and helpers for engine tests: they record what they saw to files.

Every component reads ``test.dir`` from its conf and writes one JSON line per event,
flushed at once, so records survive a SIGKILL of the task.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from squall import BatchingBolt, Bolt, ReliableSpout, Spout, Stream


def record(conf: Any, name: str, **fields: Any) -> None:
    """Append one JSON line to ``<test.dir>/<name>.jsonl``."""
    with open(Path(conf["test.dir"]) / f"{name}.jsonl", "a", encoding="utf-8") as out:
        out.write(json.dumps(fields) + "\n")


def read(directory: Path, prefix: str) -> list[dict[str, Any]]:
    """Return every record of the files ``<prefix>*.jsonl`` in ``directory``."""
    rows = []
    for path in sorted(Path(directory).glob(f"{prefix}*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


class Numbers(Spout):
    """Emit 0 .. test.count-1 as ``[n, key]`` (key = n % 7), with ids when test.tracked."""

    outputs = ["n", "key"]

    def initialize(self, conf: Any, context: Any) -> None:
        self.n = 0
        self.count = conf.get("test.count", 100)
        self.tracked = conf.get("test.tracked", True)

    def next_tuple(self) -> None:
        if self.n < self.count:
            n = self.n
            self.n += 1
            ids = self.emit([n, f"k{n % 7}"], tup_id=n if self.tracked else None, need_task_ids=True)
            if self.conf.get("test.record_task_ids"):
                record(self.conf, "emit", n=n, tasks=ids)

    def ack(self, tup_id: Any) -> None:
        record(self.conf, "spout-ack", n=tup_id)

    def fail(self, tup_id: Any) -> None:
        record(self.conf, "spout-fail", n=tup_id)

    def activate(self) -> None:
        record(self.conf, "spout-life", event="activate", task=self.task_id)

    def deactivate(self) -> None:
        record(self.conf, "spout-life", event="deactivate", task=self.task_id)


class ReliableNumbers(ReliableSpout):
    """Emit 0 .. test.count-1 with ids, replaying failures; record acks."""

    outputs = ["n", "key"]
    max_fails = 1000

    def initialize(self, conf: Any, context: Any) -> None:
        self.n = 0
        self.count = conf.get("test.count", 100)
        self.delay = conf.get("test.spout_delay", 0.0)

    def next_tuple(self) -> None:
        if self.n < self.count:
            if self.delay:
                time.sleep(self.delay)
            self.emit([self.n, f"k{self.n % 7}"], tup_id=self.n)
            self.n += 1

    def ack(self, tup_id: Any) -> None:
        super().ack(tup_id)
        record(self.conf, "spout-ack", n=tup_id)

    def fail(self, tup_id: Any) -> None:
        record(self.conf, "spout-fail", n=tup_id)
        super().fail(tup_id)


class DirectNumbers(Spout):
    """Emit n on the direct stream 'direct' to task test.targets[n % len]."""

    outputs = [Stream(["n", "key"], name="direct", direct=True)]

    def initialize(self, conf: Any, context: Any) -> None:
        self.n = 0
        self.targets = context.component_tasks(conf["test.direct_consumer"])

    def next_tuple(self) -> None:
        if self.n < self.conf.get("test.count", 20):
            target = self.targets[self.n % len(self.targets)]
            self.emit([self.n, "k"], stream="direct", direct_task=target)
            record(self.conf, "direct-sent", n=self.n, task=target)
            self.n += 1


class Sink(Bolt):
    """Record (component, task, stream, values) of every tuple; ack it."""

    outputs: list[Any] = []

    def initialize(self, conf: Any, context: Any) -> None:
        record(conf, f"pid-{self.component_name}-{self.task_id}", pid=os.getpid())

    def process(self, tup: Any) -> None:
        record(self.conf, f"sink-{self.component_name}", task=self.task_id, values=list(tup.values), stream=tup.stream)


class Relay(Bolt):
    """Pass ``[n, key]`` on (auto-anchored); record the pid in initialize."""

    outputs = ["n", "key"]

    def initialize(self, conf: Any, context: Any) -> None:
        record(conf, f"pid-{self.component_name}-{self.task_id}", pid=os.getpid())
        self.delay = conf.get("test.relay_delay", 0.0)

    def process(self, tup: Any) -> None:
        if self.delay:
            time.sleep(self.delay)
        self.emit(list(tup.values))


class FailFirstTime(Bolt):
    """Fail each n the first time this task sees it; pass it on the next time."""

    outputs = ["n", "key"]
    auto_ack = False

    def initialize(self, conf: Any, context: Any) -> None:
        self.seen: set[int] = set()

    def process(self, tup: Any) -> None:
        n = tup.values.n
        if n not in self.seen:
            self.seen.add(n)
            self.fail(tup)
            return
        self.emit(list(tup.values), anchors=[tup])
        self.ack(tup)


class NeverAck(Bolt):
    """Hold every tuple forever (no ack): its spout tuples time out."""

    auto_ack = False

    def process(self, tup: Any) -> None:
        record(self.conf, "held", n=tup.values.n)


class CrashOnce(Bolt):
    """Raise on n == test.crash_at, once per test (a marker file survives restarts)."""

    outputs = ["n", "key"]

    def process(self, tup: Any) -> None:
        marker = Path(self.conf["test.dir"]) / "crashed"
        if tup.values.n == self.conf.get("test.crash_at", 5) and not marker.exists():
            marker.write_text("x")
            raise ZeroDivisionError("boom at n=5")
        self.emit(list(tup.values))


class AlwaysCrash(Bolt):
    """Raise on every tuple."""

    def process(self, tup: Any) -> None:
        raise RuntimeError("always broken")


class DoubleAck(Bolt):
    """Ack inputs explicitly twice: the explicit ack replaces auto_ack, the second is an error."""

    def process(self, tup: Any) -> None:
        self.ack(tup)
        self.ack(tup)


class AckThenEmit(Bolt):
    """Emit (auto-anchored), ack the input, then emit again: the second emit is an error."""

    outputs = ["n"]
    auto_ack = False

    def process(self, tup: Any) -> None:
        self.emit([tup.values[0]])
        self.ack(tup)
        self.emit([tup.values[0]])


class TickRecorder(Bolt):
    """Record every tick tuple."""

    def process(self, tup: Any) -> None:
        pass

    def process_tick(self, tup: Any) -> None:
        record(self.conf, "tick", task=self.task_id, id=tup.id, component=tup.component, stream=tup.stream,
               source_task=tup.task, values=list(tup.values), at=time.monotonic())


class CountBatches(BatchingBolt):
    """Count each key's tuples per flush and emit ``[key, count]``."""

    outputs = ["key", "count"]

    def group_key(self, tup: Any) -> Any:
        return tup.values.key

    def process_batch(self, key: Any, tups: list[Any]) -> None:
        self.emit([key, len(tups)])


class ConfRecorder(Bolt):
    """Record conf values and context facts in initialize; print and log something."""

    def initialize(self, conf: Any, context: Any) -> None:
        record(conf, "conf", task=self.task_id, timeout=conf.get("topology.message.timeout.secs"),
               custom=conf.get("test.custom"), own=conf.get("test.own"), context_task=context.task_id,
               tasks=context.component_tasks(self.component_name))
        print("hello from print")
        self.log("hello from self.log")
        self.logger.warning("hello from logger")

    def process(self, tup: Any) -> None:
        pass


class Slow(Bolt):
    """Take test.slow_secs per tuple."""

    def process(self, tup: Any) -> None:
        time.sleep(self.conf.get("test.slow_secs", 0.002))


class Firehose(Spout):
    """Emit untracked 1 KiB tuples as fast as allowed."""

    outputs = ["blob"]

    def initialize(self, conf: Any, context: Any) -> None:
        self.blob = "x" * 1024

    def next_tuple(self) -> None:
        self.emit([self.blob])


def distinct(rows: Iterable[dict[str, Any]], key: str) -> set[Any]:
    """Return the set of values of ``key`` over rows."""
    return {row[key] for row in rows}


class CrashWhileDraining(Spout):
    """Emit tracked ``[n, key]``; raise in the first ``ack()`` after ``deactivate()`` (once per test).

    Records each incarnation's ``activate`` and first ``next_tuple`` as ``spout-life``
    rows with the pid, so a test sees what a restarted incarnation did.
    """

    outputs = ["n", "key"]

    def initialize(self, conf: Any, context: Any) -> None:
        self.n = 0
        self.emitting = False
        self.deactivated = False

    def next_tuple(self) -> None:
        if not self.emitting:
            self.emitting = True
            record(self.conf, "spout-life", event="next_tuple", pid=os.getpid())
        self.emit([self.n, "k"], tup_id=self.n)
        self.n += 1

    def ack(self, tup_id: Any) -> None:
        record(self.conf, "spout-ack", n=tup_id)
        marker = Path(self.conf["test.dir"]) / "crashed-while-draining"
        if self.deactivated and not marker.exists():
            marker.write_text("x")
            raise RuntimeError("ack broke while draining")

    def activate(self) -> None:
        record(self.conf, "spout-life", event="activate", pid=os.getpid())

    def deactivate(self) -> None:
        self.deactivated = True


class HugeCrash(Bolt):
    """Raise with a message far larger than one engine report can carry."""

    def process(self, tup: Any) -> None:
        raise RuntimeError("x" * 2_000_000 + " the end")
