"""Helpers of the Kafka connector tests: produce input, watch output, read commits."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter

from confluent_kafka import Consumer, Producer, TopicPartition


_names = itertools.count()


def unique(prefix: str) -> str:
    """Return a topic or group name no other test uses."""
    return f"{prefix}-{time.time_ns() % 10**9}-{next(_names)}"


def produce(bootstrap: str, topic: str, count: int, start: int = 0) -> None:
    """Write records key=str(i), value=f"line-{i}" for i in [start, start+count)."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "enable.idempotence": True})
    for i in range(start, start + count):
        while True:
            try:
                producer.produce(topic, f"line-{i}".encode(), str(i).encode())
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    assert producer.flush(30) == 0, "the test's producer could not deliver its input"


def committed(bootstrap: str, group: str, topic: str, partitions: int) -> dict[int, int]:
    """Return the committed offset of each partition (-1001 when none)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        found = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return {tp.partition: tp.offset for tp in found}
    finally:
        consumer.close()


def end_offsets(bootstrap: str, topic: str, partitions: int) -> dict[int, int]:
    """Return the high watermark of each partition."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("probe")})
    try:
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)}
    finally:
        consumer.close()


class OutputWatcher:
    """Read a topic from the beginning in a thread; count every value seen."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.values: Counter[str] = Counter()
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("watch"),
                                   "auto.offset.reset": "earliest", "enable.auto.commit": False})
        self._consumer.subscribe([topic])
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for message in self._consumer.consume(500, 0.2):
                if message.error() is None:
                    with self._lock:
                        self.values[message.value().decode()] += 1
                        self._lock.notify_all()
        self._consumer.close()

    def wait_for(self, distinct: int, timeout: float) -> bool:
        """Block until ``distinct`` different values were seen; return False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self.values) >= distinct, timeout)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)


def input_positions(bootstrap: str, topic: str, partitions: int) -> dict[str, tuple[int, int]]:
    """Return value -> (partition, offset) of every record of ``topic``."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("scan"),
                         "auto.offset.reset": "earliest", "enable.partition.eof": True})
    consumer.subscribe([topic])
    where: dict[str, tuple[int, int]] = {}
    at_end: set[int] = set()
    try:
        while len(at_end) < partitions:
            for message in consumer.consume(1000, 1.0):
                if message.error() is not None:
                    at_end.add(message.partition())
                else:
                    where[message.value().decode()] = (message.partition(), message.offset())
    finally:
        consumer.close()
    return where
