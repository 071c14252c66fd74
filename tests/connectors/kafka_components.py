"""Components of the Kafka connector tests (importable by module path: engine and Storm)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from squall import Bolt, Grouping, Topology
from squall.connectors.kafka import KafkaBolt, KafkaSpout


class Lines(KafkaSpout):
    """Topics, group and brokers come from the conf (squall.kafka.* keys) of each test.

    Writes its current partitions to ``<test.dir>/assigned-<task>.json``.
    """

    topics = ["placeholder"]
    poll_batch = 200

    def partitions_assigned(self, partitions: list[tuple[str, int]]) -> None:
        path = Path(self.conf["test.dir"]) / f"assigned-{self.task_id}.json"
        path.write_text(json.dumps([p for _t, p in partitions]))

    def partitions_revoked(self, partitions: list[tuple[str, int]]) -> None:
        (Path(self.conf["test.dir"]) / f"assigned-{self.task_id}.json").write_text("[]")


class Relay(Bolt):
    """Pass key and value on; with ``test.fail_every`` = N, fail every N-th record on first sight."""

    outputs = ["key", "value"]
    auto_ack = False  # acks and fails explicitly

    def initialize(self, conf: Any, context: Any) -> None:
        self.fail_every = int(conf.get("test.fail_every", 0))
        self.delay = float(conf.get("test.delay_secs", 0))  # a slow bolt
        self.seen: set[str] = set()

    def process(self, tup: Any) -> None:
        key, value = tup.values.key, tup.values.value
        if self.fail_every and int(key) % self.fail_every == 0 and value not in self.seen:
            self.seen.add(value)
            self.fail(tup)
            return
        if self.delay:
            time.sleep(self.delay)
        self.emit([key, value])
        self.ack(tup)


class Out(KafkaBolt):
    """The output topic comes from the conf key squall.kafka.topic."""

    topic = "placeholder"
    key_field = "key"
    value_field = "value"


class KillingLines(Lines):
    """Record the committed positions, then SIGKILL itself after ``test.kill_after`` acks (first life only)."""

    def initialize(self, conf: Any, context: Any) -> None:
        self.out = Path(conf["test.dir"])
        (self.out / f"life-{os.getpid()}").touch()
        self.kill_after = int(conf["test.kill_after"])
        self.acks = 0
        self.first_life = not (self.out / "killed").exists()

    def ack(self, tup_id: Any) -> None:
        super().ack(tup_id)
        self.acks += 1
        if self.first_life and self.acks >= self.kill_after:
            self._kafka.commit(sync=True)
            book = self._kafka.book
            positions = {f"{t}:{p}": book.last_committed((t, p)) for (t, p) in book.partitions()}
            (self.out / "killed").write_text(json.dumps(positions))
            os.kill(os.getpid(), signal.SIGKILL)


class Passthrough(Topology):
    lines = Lines.spec(par=2)
    relay = Relay.spec(inputs={lines: Grouping.fields("value")}, par=2)
    out = Out.spec(inputs={relay: Grouping.SHUFFLE})


class KillPassthrough(Topology):
    lines = KillingLines.spec(par=1)
    relay = Relay.spec(inputs={lines: Grouping.fields("value")}, par=2)
    out = Out.spec(inputs={relay: Grouping.SHUFFLE})
