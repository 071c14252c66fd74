"""Kafka benchmark: KafkaSpout -> pass-through bolt -> KafkaBolt vs a plain confluent-kafka loop.

Usage::

    python bench/kafka_bench.py                     # 200,000 records of ~100 bytes, 2 rounds
    python bench/kafka_bench.py --records 50000 --rounds 1
    python bench/kafka_bench.py --bootstrap 127.0.0.1:9092   # an existing broker

Starts a private dev broker (``squall.devcluster.KafkaBroker``, stopped at the end) unless
``--bootstrap`` names one. Each round writes the input once to a 4-partition topic, then
alternates, each into its own output topic:

* plain: one process, a confluent-kafka Consumer (manual commits every second) feeding a
  Producer (idempotent, acks=all), i.e. what a hand-written consume -> produce loop does,
  without per-record at-least-once tracking;
* squall: the embedded engine running KafkaSpout (par 2) -> pass-through bolt (par 2) ->
  KafkaBolt (par 1), with full at-least-once tracking (tuple trees acked only once the
  broker has the output record; offsets committed behind the acks).

Both rates are records/s measured from the first to the last record arriving in the
output topic (start-up and the consumer group join excluded; the plain loop is timed the
same way), read by a separate consumer. Goal: squall >= 0.5x the plain loop.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from confluent_kafka import Consumer, Producer

from squall import Bolt, Grouping, Topology
from squall.connectors.kafka import KafkaBolt, KafkaSpout
from squall.devcluster import KafkaBroker
from squall.engine import run_local

PARTITIONS = 4


class Source(KafkaSpout):
    topics = ["placeholder"]
    poll_batch = 500


class Relay(Bolt):
    outputs = ["key", "value"]

    def process(self, tup):
        self.emit([tup.values.key, tup.values.value])


class Sink(KafkaBolt):
    topic = "placeholder"
    key_field = "key"
    value_field = "value"


class KafkaPassthrough(Topology):
    source = Source.spec(par=2)
    relay = Relay.spec(inputs={source: Grouping.SHUFFLE}, par=2)
    sink = Sink.spec(inputs={relay: Grouping.SHUFFLE})


class Arrivals:
    """Count records arriving in a topic (a separate consumer); note the first and last arrival."""

    def __init__(self, bootstrap: str, topic: str, expected: int) -> None:
        self.expected, self.count = expected, 0
        self.first = self.last = 0.0
        self.done = threading.Event()
        self._consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"arrivals-{topic}",
                                   "auto.offset.reset": "earliest", "enable.auto.commit": False})
        self._consumer.subscribe([topic])
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while self.count < self.expected:
            batch = [m for m in self._consumer.consume(1000, 0.2) if m.error() is None]
            if batch:
                now = time.monotonic()
                self.first = self.first or now
                self.last = now
                self.count += len(batch)
        self.done.set()
        self._consumer.close()

    def rate(self) -> float:
        return self.count / max(1e-9, self.last - self.first)


def produce_input(bootstrap: str, topic: str, records: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10000})
    payload = "x" * 90
    for i in range(records):
        while True:
            try:
                producer.produce(topic, f"{i:08d} {payload}".encode(), str(i).encode())
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(60)


def plain_loop(bootstrap: str, source: str, sink: str, records: int, group: str) -> None:
    """The reference: consume -> produce in one process, commits every second."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
    consumer.subscribe([source])
    seen, next_commit = 0, time.monotonic() + 1.0
    while seen < records:
        for message in consumer.consume(500, 0.1):
            if message.error() is not None:
                continue
            while True:
                try:
                    producer.produce(sink, message.value(), message.key())
                    break
                except BufferError:
                    producer.poll(0.05)
            seen += 1
        producer.poll(0)
        if time.monotonic() >= next_commit:
            consumer.commit(asynchronous=True)
            next_commit = time.monotonic() + 1.0
    producer.flush(60)
    consumer.commit(asynchronous=False)
    consumer.close()


def measure(kind: str, bootstrap: str, broker: KafkaBroker | None, source: str, records: int, round_: int) -> float:
    sink = f"out-{kind}-{round_}-{time.time_ns() % 10**9}"
    create = broker.create_topic if broker else _admin_create(bootstrap)
    create(sink, 1)
    arrivals = Arrivals(bootstrap, sink, records)
    group = f"bench-{kind}-{round_}-{time.time_ns() % 10**9}"
    if kind == "plain":
        plain_loop(bootstrap, source, sink, records, group)
    else:
        stop = threading.Event()
        threading.Thread(target=lambda: (arrivals.done.wait(), stop.set()), daemon=True).start()
        options = {"squall.kafka.brokers": bootstrap, "squall.kafka.topics": [source], "squall.kafka.group_id": group,
                   "squall.kafka.topic": sink, "topology.max.spout.pending": 2000}
        with tempfile.TemporaryDirectory() as logs:
            run_local(KafkaPassthrough, options=options, stop_event=stop, time=600, log_dir=logs)
    assert arrivals.done.wait(120), f"{kind}: only {arrivals.count} of {records} records arrived"
    return arrivals.rate()


def _admin_create(bootstrap: str):  # type: ignore[no-untyped-def]
    from squall.devcluster import KafkaAdmin

    admin = KafkaAdmin(bootstrap)
    return lambda name, partitions: admin.create_topic(name, partitions)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--bootstrap", help="use this broker instead of a private dev broker")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as home:
        broker = None
        if args.bootstrap is None:
            broker = KafkaBroker(home=Path(home), progress=lambda m: print(f"broker: {m}"))
            broker.up(exit_with_pid=os.getpid())
        bootstrap = args.bootstrap or broker.bootstrap  # type: ignore[union-attr]
        try:
            results: dict[str, list[float]] = {"plain": [], "squall": []}
            for round_ in range(args.rounds):
                source = f"bench-in-{round_}-{time.time_ns() % 10**9}"
                (broker.create_topic if broker else _admin_create(bootstrap))(source, PARTITIONS)
                produce_input(bootstrap, source, args.records)
                for kind in ("plain", "squall") if round_ % 2 == 0 else ("squall", "plain"):
                    rate = measure(kind, bootstrap, broker, source, args.records, round_)
                    results[kind].append(rate)
                    print(f"round {round_ + 1} {kind:6}: {rate:>10,.0f} records/s "
                          f"(load average {os.getloadavg()[0]:.2f})", flush=True)
        finally:
            if broker is not None:
                broker.down(wipe=True)
    best = {kind: max(rates) for kind, rates in results.items()}
    ratio = best["squall"] / best["plain"]
    print(f"\nbest of {args.rounds}: squall {best['squall']:,.0f} records/s, plain loop {best['plain']:,.0f} records/s")
    print(f"squall / plain = {ratio:.2f}x (goal >= 0.5x: {'met' if ratio >= 0.5 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
