"""KafkaSpout and KafkaBolt one task at a time (squall.testing harnesses) against a real broker:
errors, giving up and dead letters, flow control, encoding, bad values."""

from __future__ import annotations

import sys
import time
from typing import Any

import pytest
from confluent_kafka import Consumer

from squall.connectors.kafka import KafkaBolt, KafkaSpout
from squall.connectors.kafka._client import confluent_kafka
from squall.errors import ConfigError, ConnectorError, TopologyError
from squall.testing import BoltHarness, SpoutHarness
from tests.connectors.kafka_support import produce, unique

pytestmark = pytest.mark.kafka


class Events(KafkaSpout):
    topics = ["placeholder"]
    poll_batch = 50
    retry_backoff_secs = 0.001
    retry_backoff_max_secs = 0.001
    max_retries = 2


class Sink(KafkaBolt):
    topic = "placeholder"


def spout_conf(broker: Any, topic: str, **extra: Any) -> dict[str, Any]:
    return {"squall.kafka.brokers": broker.bootstrap, "squall.kafka.topics": [topic],
            "squall.kafka.group_id": unique("g"), **extra}


def poll(spout: SpoutHarness, count: int, timeout: float = 60.0) -> list[Any]:
    """Call next_tuple until ``count`` tuples were emitted in total; return their emissions."""
    deadline = time.monotonic() + timeout
    while len(spout.emissions) < count:
        assert time.monotonic() < deadline, f"only {len(spout.emissions)} of {count} emitted"
        spout.next_tuple()
    return spout.emissions


def read_all(broker: Any, topic: str, count: int, timeout: float = 30.0) -> list[Any]:
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": unique("r"),
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    found: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < count and time.monotonic() < deadline:
            found += [m for m in consumer.consume(100, 0.5) if m.error() is None]
    finally:
        consumer.close()
    return found


# -- errors --------------------------------------------------------------------------


def test_unreachable_brokers_are_one_clear_error() -> None:
    conf = {"squall.kafka.brokers": "127.0.0.1:1", "squall.kafka.connect_timeout_secs": 1}
    with pytest.raises(ConnectorError, match=r"cannot reach Kafka at 127\.0\.0\.1:1 within 1s .*squall kafka status"):
        SpoutHarness(Events, conf=conf)
    with pytest.raises(ConnectorError, match=r"cannot reach Kafka at 127\.0\.0\.1:1 within 1s"):
        BoltHarness(Sink, conf=conf)


def test_unknown_topic_says_how_to_create_it(kafka_broker) -> None:
    with pytest.raises(ConnectorError, match=r"topic 'nope-x' does not exist .*squall kafka topic create nope-x"):
        SpoutHarness(Events, conf=spout_conf(kafka_broker, "nope-x"))


def test_no_brokers_says_where_to_set_them() -> None:
    with pytest.raises(ConnectorError, match=r"no Kafka brokers configured; .*squall kafka up"):
        SpoutHarness(Events)


def test_bad_conf_override_names_the_key() -> None:
    conf = {"squall.kafka.brokers": "127.0.0.1:1", "squall.kafka.max_retries": -1}
    with pytest.raises(ConfigError, match=r"conf key 'squall\.kafka\.max_retries' must be an integer >= 0, got -1"):
        SpoutHarness(Events, conf=conf)


def test_bad_class_attributes_fail_at_definition() -> None:
    with pytest.raises(TopologyError, match=r"Bad\.start must be 'earliest' or 'latest', got 'beginning'"):
        class Bad(KafkaSpout):
            start = "beginning"
    with pytest.raises(TopologyError, match=r"set topics or topic_pattern, not both"):
        class Both(KafkaSpout):
            topics = ["a"]
            topic_pattern = "a.*"
    with pytest.raises(TopologyError, match=r"Nothing: set `topics = \[\.\.\.\]`"):
        class Nothing(KafkaSpout):
            pass
        Nothing.spec()
    with pytest.raises(TopologyError, match=r"NoTopic: set `topic = "):
        class NoTopic(KafkaBolt):
            pass
        NoTopic.spec()


def test_missing_client_library_says_how_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "confluent_kafka", None)
    with pytest.raises(ConnectorError, match=r"need confluent-kafka: pip install 'squall\[kafka\]'"):
        confluent_kafka()


# -- the spout -----------------------------------------------------------------------


def test_records_become_text_tuples_with_their_position(kafka_broker) -> None:
    topic = unique("t")
    kafka_broker.create_topic(topic, 1)
    produce(kafka_broker.bootstrap, topic, 3)
    spout = SpoutHarness(Events, conf=spout_conf(kafka_broker, topic))
    try:
        emitted = poll(spout, 3)
        assert [e.values for e in emitted] == [(topic, 0, i, str(i), f"line-{i}") for i in range(3)]
        assert [e.tup_id for e in emitted] == [(topic, 0, i) for i in range(3)]
    finally:
        spout.close()


def test_given_up_and_rejected_records_go_to_the_dead_letter_topic(kafka_broker) -> None:
    topic, dead = unique("t"), unique("dead")
    kafka_broker.create_topic(topic, 1)
    kafka_broker.create_topic(dead, 1)
    produce(kafka_broker.bootstrap, topic, 3)
    from confluent_kafka import Producer
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap})
    producer.produce(topic, b"\xff not utf-8", b"3")  # rejected by the default to_values
    producer.flush(10)
    conf = spout_conf(kafka_broker, topic, **{"squall.kafka.dead_letter_topic": dead})
    spout = SpoutHarness(Events, conf=conf)
    try:
        poll(spout, 3)
        spout.ack((topic, 0, 0))
        spout.ack((topic, 0, 2))
        for _ in range(3):  # fails beyond max_retries=2: given up
            spout.fail((topic, 0, 1))
            poll(spout, len(spout.emissions))  # lets the retry come out
        deadline = time.monotonic() + 30
        while spout.component._kafka.book.committable() != {(topic, 0): 4}:
            assert time.monotonic() < deadline, spout.component._kafka.book.committable()
            spout.next_tuple()  # serves the dead-letter delivery reports
        letters = read_all(kafka_broker, dead, 2)
        reasons = {m.value(): dict(m.headers())["squall.reason"].decode() for m in letters}
        assert reasons.keys() == {b"line-1", b"\xff not utf-8"}
        assert "failed 3 times (max_retries=2)" in reasons[b"line-1"]
        assert "to_values rejected it: UnicodeDecodeError" in reasons[b"\xff not utf-8"]
        assert dict(letters[0].headers())["squall.topic"] == topic.encode()
    finally:
        spout.close()


def test_without_dead_letter_topic_a_given_up_record_is_logged_and_skipped(kafka_broker) -> None:
    topic = unique("t")
    kafka_broker.create_topic(topic, 1)
    produce(kafka_broker.bootstrap, topic, 1)
    spout = SpoutHarness(Events, conf=spout_conf(kafka_broker, topic, **{"squall.kafka.max_retries": 0}))
    try:
        poll(spout, 1)
        spout.fail((topic, 0, 0))
        assert spout.component._kafka.book.committable() == {(topic, 0): 1}
        assert spout.component._squall_given_up == 1, "a skipped record counts as given up"
        assert any("gave up on Kafka record" in e.message and "set dead_letter_topic" in e.message
                   for e in spout.logs)
    finally:
        spout.close()


def test_a_partition_pauses_at_max_uncommitted(kafka_broker) -> None:
    topic = unique("t")
    kafka_broker.create_topic(topic, 1)
    produce(kafka_broker.bootstrap, topic, 500)
    spout = SpoutHarness(Events, conf=spout_conf(kafka_broker, topic, **{"squall.kafka.max_uncommitted": 100}))
    try:
        poll(spout, 100)
        for _ in range(200):
            spout.next_tuple()
        assert len(spout.emissions) <= 100 + Events.poll_batch, "reading stops at the cap"
        held = len(spout.emissions)
        spout.ack_all()
        poll(spout, held + 100)  # caught up: reading resumes
    finally:
        spout.close()


def test_close_commits_what_was_acked(kafka_broker) -> None:
    topic = unique("t")
    kafka_broker.create_topic(topic, 1)
    produce(kafka_broker.bootstrap, topic, 10)
    conf = spout_conf(kafka_broker, topic)
    spout = SpoutHarness(Events, conf=conf)
    poll(spout, 10)
    for offset in range(6):
        spout.ack((topic, 0, offset))
    spout.close()
    from tests.connectors.kafka_support import committed
    assert committed(kafka_broker.bootstrap, conf["squall.kafka.group_id"], topic, 1) == {0: 6}


# -- the bolt ------------------------------------------------------------------------


class Routed(KafkaBolt):
    topic_field = "topic"
    key_field = "word"


def test_bolt_encodes_keys_values_and_routes_by_field(kafka_broker) -> None:
    topic = unique("t")
    kafka_broker.create_topic(topic, 1)
    bolt = BoltHarness(Routed, conf={"squall.kafka.brokers": kafka_broker.bootstrap},
                       sources={"source": ["topic", "word", "count"]})
    bolt.process([topic, "dog", 3])
    bolt.process([topic, "cat", 1])
    bolt.close()  # flushes: every input acked once delivered
    assert len(bolt.acked) == 2 and not bolt.failed
    records = read_all(kafka_broker, topic, 2)
    assert sorted((m.key(), m.value()) for m in records) == [(b"cat", b"1"), (b"dog", b"3")]


def test_bolt_fails_only_the_tuple_it_cannot_encode(kafka_broker) -> None:
    topic = unique("t")
    kafka_broker.create_topic(topic, 1)
    bolt = BoltHarness(Sink, conf={"squall.kafka.brokers": kafka_broker.bootstrap, "squall.kafka.topic": topic},
                       sources={"source": ["value"]})
    good1 = bolt.process(["a"])
    bad = bolt.process([{1, 2}])  # a set: not JSON
    good2 = bolt.process([{"n": 1}])
    bolt.close()
    assert bolt.failed == [bad.input.id]
    assert sorted(bolt.acked) == sorted([good1.input.id, good2.input.id])
    assert any("cannot write" in e and "TypeError" in e for e in bolt.errors)
    assert sorted(m.value() for m in read_all(kafka_broker, topic, 2)) == [b"a", b'{"n":1}']
