"""KafkaSpout -> bolt -> KafkaBolt on the embedded engine, against a real Apache Kafka broker."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.connectors.kafka_components import KillPassthrough, Passthrough
from tests.connectors.kafka_support import (
    OutputWatcher,
    committed,
    end_offsets,
    produce,
    run_until,
    unique,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def setup(broker: Any, tmp_path: Path, partitions: int = 4, **extra: Any) -> dict[str, Any]:
    """Create private input and output topics; return the run's options."""
    source, sink = unique("in"), unique("out")
    broker.create_topic(source, partitions)
    broker.create_topic(sink, 2)
    out = tmp_path / "out"
    out.mkdir()
    return {"squall.kafka.brokers": broker.bootstrap, "squall.kafka.topics": [source],
            "squall.kafka.group_id": unique("group"), "squall.kafka.topic": sink,
            "topology.max.spout.pending": 2000, "squall.engine.metrics.interval.secs": 0.2,
            "test.dir": str(out), **extra}


def deliver(broker: Any, options: dict[str, Any], topology: Any, expected: int, log_dir: Path,
            timeout: float = 240.0) -> tuple[Any, OutputWatcher]:
    """Run until ``expected`` distinct values reached the output topic; return result and watcher."""
    watcher = OutputWatcher(broker.bootstrap, options["squall.kafka.topic"])
    try:
        result = run_until(topology, options, lambda: watcher.wait_for(expected, timeout), log_dir, timeout)
    finally:
        watcher.close()
    return result, watcher


def all_committed(broker: Any, options: dict[str, Any], partitions: int = 4) -> bool:
    source = options["squall.kafka.topics"][0]
    ends = end_offsets(broker.bootstrap, source, partitions)
    return committed(broker.bootstrap, options["squall.kafka.group_id"], source, partitions) == ends


def test_100k_records_all_delivered_and_committed(kafka_broker, tmp_path):
    options = setup(kafka_broker, tmp_path)
    produce(kafka_broker.bootstrap, options["squall.kafka.topics"][0], 100_000)
    result, watcher = deliver(kafka_broker, options, Passthrough, 100_000, tmp_path / "run")
    assert set(watcher.values) == {f"line-{i}" for i in range(100_000)}
    assert result["lines"].acked >= 100_000 and result["lines"].failed == 0
    assert all_committed(kafka_broker, options), "a clean stop commits every acked offset"


def test_failed_tuples_are_retried_until_delivered(kafka_broker, tmp_path):
    options = setup(kafka_broker, tmp_path, **{"test.fail_every": 20})
    produce(kafka_broker.bootstrap, options["squall.kafka.topics"][0], 10_000)
    result, watcher = deliver(kafka_broker, options, Passthrough, 10_000, tmp_path / "run")
    assert set(watcher.values) == {f"line-{i}" for i in range(10_000)}
    assert result["lines"].failed == 500  # every 20th record failed once, then went through
    assert all_committed(kafka_broker, options)


def test_two_spout_tasks_share_four_partitions(kafka_broker, tmp_path):
    options = setup(kafka_broker, tmp_path)
    source = options["squall.kafka.topics"][0]
    produce(kafka_broker.bootstrap, source, 4_000)
    watcher = OutputWatcher(kafka_broker.bootstrap, options["squall.kafka.topic"])

    def share_then_more() -> None:
        assert watcher.wait_for(4_000, 120)
        assert wait_until(lambda: sorted(map(len, final_assignments(tmp_path / "run", "lines").values())) == [2, 2])
        produce(kafka_broker.bootstrap, source, 4_000, start=4_000)  # keys spread over all 4 partitions
        assert watcher.wait_for(8_000, 120)

    try:
        result = run_until(Passthrough, options, share_then_more, tmp_path / "run")
    finally:
        watcher.close()
    assert set(watcher.values) == {f"line-{i}" for i in range(8_000)}
    final = final_assignments(tmp_path / "run", "lines")
    assert sorted(p for parts in final.values() for p in parts) == [0, 1, 2, 3], final
    spout_tasks = [m for m in result.tasks.values() if m.component == "lines"]
    assert all(m.emitted > 0 for m in spout_tasks), "both tasks read their share"
    assert all_committed(kafka_broker, options)


def test_stop_and_restart_resumes_from_the_committed_offsets(kafka_broker, tmp_path):
    options = setup(kafka_broker, tmp_path)
    source = options["squall.kafka.topics"][0]
    produce(kafka_broker.bootstrap, source, 5_000)
    deliver(kafka_broker, options, Passthrough, 5_000, tmp_path / "run1")
    produce(kafka_broker.bootstrap, source, 5_000, start=5_000)
    result, watcher = deliver(kafka_broker, options, Passthrough, 10_000, tmp_path / "run2")
    assert result["lines"].emitted == 5_000, "the second run reads only what the first did not commit"
    assert all_committed(kafka_broker, options)


def test_sigkill_of_the_spout_loses_nothing(kafka_broker, tmp_path):
    options = setup(kafka_broker, tmp_path, **{"test.kill_after": 3_000, "topology.message.timeout.secs": 5})
    source = options["squall.kafka.topics"][0]
    produce(kafka_broker.bootstrap, source, 20_000)
    result, watcher = deliver(kafka_broker, options, KillPassthrough, 20_000, tmp_path / "run")
    assert set(watcher.values) == {f"line-{i}" for i in range(20_000)}
    assert result["lines"].restarts == 1
    at_kill = json.loads((tmp_path / "out" / "killed").read_text())
    where = input_positions(kafka_broker.bootstrap, source)
    duplicated = [value for value, seen in watcher.values.items() if seen > 1]
    assert duplicated, "records after the last commit are read again"
    for value in duplicated:
        partition, offset = where[value]
        assert offset >= at_kill[f"{source}:{partition}"], f"{value} was committed before the kill"
    assert all_committed(kafka_broker, options)


def wait_until(condition: Any, timeout: float = 60.0) -> bool:
    """Poll ``condition`` (reads files) every 50 ms until it holds or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def final_assignments(log_dir: Path, component: str) -> dict[str, list[int]]:
    """Return each task's last 'assigned' partitions, read from the task logs."""
    found: dict[str, list[int]] = {}
    for log in sorted(log_dir.glob(f"{component}-*.log")):
        for line in log.read_text().splitlines():
            if ": assigned " in line:
                parts = line.split(": assigned ", 1)[1]
                found[log.stem] = [int(p.split("[")[1].rstrip("]")) for p in parts.split(", ") if "[" in p]
    return found


def input_positions(bootstrap: str, topic: str) -> dict[str, tuple[int, int]]:
    """Return value -> (partition, offset) of every record of ``topic``."""
    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("scan"),
                         "auto.offset.reset": "earliest", "enable.partition.eof": True})
    consumer.subscribe([topic])
    where: dict[str, tuple[int, int]] = {}
    eofs: set[int] = set()
    try:
        while len(eofs) < 4:
            for message in consumer.consume(1000, 1.0):
                if message.error() is not None:
                    eofs.add(message.partition())
                else:
                    where[message.value().decode()] = (message.partition(), message.offset())
    finally:
        consumer.close()
    return where
