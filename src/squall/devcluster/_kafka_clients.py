"""Produce and consume records on any Kafka cluster (what ``squall kafka produce|consume`` run).

Thin, blocking wrappers over confluent-kafka's Producer and Consumer for development and
scripts; topologies read and write Kafka through squall's connectors instead.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from squall.connectors.kafka import KafkaRecord
from squall.devcluster._kafka_admin import client_config, confluent, unreachable
from squall.errors import BrokerError

_BATCH = 500



def kafka_produce(bootstrap: str, topic: str, records: Iterable[tuple[bytes | None, bytes]],
            timeout: float = 30.0) -> int:
    """Send ``(key, value)`` records to ``topic``; return how many were delivered.

    Blocks until every record is acknowledged by the broker, or raises BrokerError naming
    the first delivery error (or the records still unacknowledged after ``timeout``
    seconds). ``records`` is read lazily, so a large stream is never held in memory.

    >>> kafka_produce("127.0.0.1:9092", "events", [(None, b"hello")])   # doctest: +SKIP
    1
    """
    kafka = confluent()
    producer = kafka.Producer(client_config(
        bootstrap, **{"linger.ms": 5, "message.timeout.ms": int(timeout * 1000)}))
    _require_topic(producer, bootstrap, topic)
    reports = _Deliveries()
    for key, value in records:
        _send(producer, topic, key, value, reports.on_delivery)
    unacked = producer.flush(timeout)
    if reports.error:
        raise BrokerError(f"cannot deliver to topic '{topic}' on {bootstrap}: {reports.error}")
    if unacked:
        raise BrokerError(f"{unacked} records to topic '{topic}' on {bootstrap} were not "
                          f"acknowledged within {timeout:.0f}s")
    return reports.delivered


class _Deliveries:
    """Counts delivery reports (called on the producing thread, from ``poll``/``flush``)."""

    def __init__(self) -> None:
        self.delivered = 0
        self.error = ""

    def on_delivery(self, error: Any, _message: Any) -> None:
        if error is None:
            self.delivered += 1
        elif not self.error:
            self.error = str(error.str())


def _send(producer: Any, topic: str, key: bytes | None, value: bytes, on_delivery: Any) -> None:
    """Queue one record, serving delivery reports while librdkafka's queue is full."""
    while True:
        try:
            producer.produce(topic, value=value, key=key, on_delivery=on_delivery)
            producer.poll(0)
            return
        except BufferError:
            producer.poll(0.5)


def kafka_consume(bootstrap: str, topic: str, *, from_beginning: bool = False,
            max_records: int | None = None, idle_timeout: float = 10.0,
            group: str | None = None) -> Iterator[KafkaRecord]:
    """Yield records of ``topic`` until ``max_records`` or ``idle_timeout`` s without one.

    Without ``group`` the consumer joins a throw-away group and commits nothing; with it,
    the offset of a record is stored once the caller asks for the next one and committed
    in the background and on close, so a later run with the same group goes on after the
    last record the caller finished with. ``from_beginning`` starts where no offset is committed at the oldest
    record instead of the next new one. Raises BrokerError when the topic does not exist
    or the broker cannot be reached.
    """
    kafka = confluent()
    consumer = kafka.Consumer(client_config(bootstrap, **{
        "group.id": group or f"squall-cli-{uuid.uuid4().hex[:12]}",
        "enable.auto.commit": group is not None,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest" if from_beginning else "latest",
    }))
    try:
        _require_topic(consumer, bootstrap, topic)
        consumer.subscribe([topic])
        yield from _records(consumer, max_records, idle_timeout, store=group is not None)
    finally:
        consumer.close()


def _records(consumer: Any, max_records: int | None, idle_timeout: float,
             store: bool) -> Iterator[KafkaRecord]:
    seen = 0
    last = time.monotonic()
    while max_records is None or seen < max_records:
        wait = last + idle_timeout - time.monotonic()
        if wait <= 0:
            return
        want = _BATCH if max_records is None else min(_BATCH, max_records - seen)
        for message in consumer.consume(num_messages=want, timeout=min(wait, 1.0)):
            if message.error() is not None:
                raise BrokerError(f"cannot consume topic '{message.topic()}': "
                                  f"{message.error().str()}")
            seen += 1
            yield KafkaRecord.of(message)
            if store:
                consumer.store_offsets(message=message)
            last = time.monotonic()


def _require_topic(client: Any, bootstrap: str, topic: str) -> None:
    """Raise BrokerError unless ``topic`` exists on the cluster ``client`` talks to."""
    try:
        metadata = client.list_topics(topic=topic, timeout=10)
    except confluent().KafkaException as exc:
        raise unreachable(bootstrap, exc) from None
    found = metadata.topics.get(topic)
    if found is None or found.error is not None:
        raise BrokerError(f"no topic '{topic}' on {bootstrap}: create it with "
                          f"`squall kafka topic create {topic}`")
