"""KafkaBroker on a real Apache Kafka JVM: topics, records, loopback, restarts, no orphans."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import uuid
from pathlib import Path

import psutil
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from squall.devcluster import KafkaBroker, kafka_consume, kafka_produce
from squall.devcluster._procs import processes_naming
from squall.errors import BrokerError, ClusterError

pytestmark = pytest.mark.kafka


def _topic() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


def _produce(bootstrap: str, topic: str, count: int, start: int = 0) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(start, start + count):
        producer.produce(topic, key=f"k{i}".encode(), value=f"v{i}".encode())
    assert producer.flush(30) == 0


def _consume(bootstrap: str, topic: str, count: int, group: str | None = None,
             commit: bool = False) -> list[tuple[int, str]]:
    """Read ``count`` records (partition, value); with ``commit``, commit their offsets."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group or f"g-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    got: list[tuple[int, str]] = []
    try:
        while len(got) < count:
            batch = consumer.consume(num_messages=count - len(got), timeout=30)
            assert batch, f"no record within 30 s after {len(got)} of {count}"
            for message in batch:
                assert message.error() is None, message.error()
                got.append((message.partition(), message.value().decode()))
                if commit:
                    consumer.commit(message=message, asynchronous=False)
    finally:
        consumer.close()
    return got


def _listening_addresses(pid: int) -> set[tuple[str, int]]:
    connections = psutil.Process(pid).net_connections(kind="inet")
    return {(c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN}


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


# -- the session broker ---------------------------------------------------------------

def test_status_of_the_running_broker(kafka_broker: KafkaBroker) -> None:
    status = kafka_broker.status()
    assert status.running and status.pid is not None and _alive(status.pid)
    assert status.bootstrap == kafka_broker.bootstrap
    assert status.bootstrap.startswith("127.0.0.1:")
    assert status.version == "4.1.1"
    assert status.watchdog_pid is not None and _alive(status.watchdog_pid)
    assert status.log == kafka_broker.home / "logs" / "server.log"
    assert "Kafka Server started" in status.log.read_text()


def test_every_listener_binds_127_0_0_1_only(kafka_broker: KafkaBroker) -> None:
    status = kafka_broker.status()
    assert status.pid is not None
    listening = _listening_addresses(status.pid)
    port = int(kafka_broker.bootstrap.rsplit(":", 1)[1])
    assert ("127.0.0.1", port) in listening
    assert len(listening) >= 2  # the clients' listener and the controller's
    assert {ip for ip, _port in listening} == {"127.0.0.1"}


def test_four_partitions_carry_1000_records(kafka_broker: KafkaBroker) -> None:
    topic = _topic()
    kafka_broker.create_topic(topic, partitions=4)
    assert kafka_broker.topics()[topic] == 4
    _produce(kafka_broker.bootstrap, topic, 1000)
    got = _consume(kafka_broker.bootstrap, topic, 1000)
    assert sorted(value for _p, value in got) == sorted(f"v{i}" for i in range(1000))
    assert {partition for partition, _v in got} == {0, 1, 2, 3}


def test_topics_lists_created_and_forgets_deleted(kafka_broker: KafkaBroker) -> None:
    topic = _topic()
    kafka_broker.create_topic(topic)
    assert kafka_broker.topics().get(topic) == 1
    assert not any(name.startswith("__") for name in kafka_broker.topics())
    kafka_broker.delete_topic(topic)
    assert topic not in kafka_broker.topics()


def test_creating_an_existing_topic_is_an_error(kafka_broker: KafkaBroker) -> None:
    topic = _topic()
    kafka_broker.create_topic(topic, partitions=2)
    with pytest.raises(BrokerError, match=rf"^cannot create topic '{topic}' on 127\.0\.0\.1:\d+: "
                                          r".*already exists"):
        kafka_broker.create_topic(topic, partitions=2)


def test_zero_partitions_is_an_error(kafka_broker: KafkaBroker) -> None:
    with pytest.raises(BrokerError, match=r"^topic 'x': partitions must be >= 1, got 0$"):
        kafka_broker.create_topic("x", partitions=0)


def test_deleting_a_missing_topic_is_an_error(kafka_broker: KafkaBroker) -> None:
    with pytest.raises(BrokerError, match=r"^cannot delete topic 'no-such-topic' on .*: "):
        kafka_broker.delete_topic("no-such-topic")


def test_up_on_a_running_broker_is_a_no_op(kafka_broker: KafkaBroker) -> None:
    before = kafka_broker.status()
    messages: list[str] = []
    again = KafkaBroker(home=kafka_broker.home, progress=messages.append).up()
    assert again.pid == before.pid and again.bootstrap == before.bootstrap
    assert messages == [f"Kafka broker already running in {kafka_broker.home}"]


# -- private brokers ------------------------------------------------------------------

def test_restart_keeps_address_topic_records_and_committed_offsets(tmp_path: Path) -> None:
    broker = KafkaBroker(home=tmp_path / "kafka")
    try:
        first = broker.up(exit_with_pid=os.getpid())
        topic, group = _topic(), "keeper"
        broker.create_topic(topic, partitions=2)
        _produce(broker.bootstrap, topic, 100)
        before = _consume(broker.bootstrap, topic, 60, group=group, commit=True)
        assert first.pid is not None and first.watchdog_pid is not None
        ended = broker.down()
        assert {first.pid, first.watchdog_pid} <= set(ended)
        assert not _alive(first.pid) and not _alive(first.watchdog_pid)
        assert processes_naming([str(broker.home / "config" / "server.properties")]) == []
        assert broker.status().running is False
        assert broker.bootstrap == first.bootstrap  # still recorded while down
        second = broker.up()
        assert second.bootstrap == first.bootstrap and second.pid != first.pid
        # the owner (this process) still lives: a new watchdog watches it again
        assert second.watchdog_pid not in (None, first.watchdog_pid)
        assert broker.topics()[topic] == 2
        assert _committed_total(broker.bootstrap, topic, group) == 60
        after = _consume(broker.bootstrap, topic, 40, group=group)
        assert sorted(v for _p, v in before + after) == sorted(f"v{i}" for i in range(100))
    finally:
        broker.down(wipe=True)
    assert not (tmp_path / "kafka" / "data").exists()
    assert broker.status().bootstrap is None


def _committed_total(bootstrap: str, topic: str, group: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        committed = consumer.committed([TopicPartition(topic, p) for p in range(2)], timeout=30)
    finally:
        consumer.close()
    return sum(max(tp.offset, 0) for tp in committed)


def test_a_taken_port_moves_the_broker_and_keeps_the_data(tmp_path: Path) -> None:
    broker = KafkaBroker(home=tmp_path / "kafka")
    messages: list[str] = []
    try:
        old = broker.up().bootstrap
        assert old is not None
        topic = _topic()
        broker.create_topic(topic, partitions=3)
        broker.down()
        with socket.socket() as squatter:
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # despite TIME_WAIT
            squatter.bind(("127.0.0.1", int(old.rsplit(":", 1)[1])))
            squatter.listen()
            moved = KafkaBroker(home=tmp_path / "kafka", progress=messages.append).up()
        assert moved.bootstrap not in (None, old)
        assert any(f"the broker moves to {moved.bootstrap}" in m for m in messages)
        assert broker.topics() == {topic: 3}
    finally:
        broker.down(wipe=True)


def test_watchdog_stops_the_broker_when_its_owner_dies(tmp_path: Path) -> None:
    owner = subprocess.Popen(["sleep", "600"], start_new_session=True)
    broker = KafkaBroker(home=tmp_path / "kafka")
    try:
        status = broker.up(exit_with_pid=owner.pid)
        assert status.pid is not None and status.watchdog_pid is not None
        procs = [psutil.Process(status.pid), psutil.Process(status.watchdog_pid)]
        owner.kill()
        owner.wait()
        _gone, alive = psutil.wait_procs(procs, timeout=60)
        assert alive == []
        assert broker.status().running is False
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
        broker.down(wipe=True)


def test_a_broker_dying_at_start_up_is_an_error_with_its_log(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_java = shutil.which("java")
    assert real_java is not None
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f'#!/bin/sh\ncase "$*" in *StorageTool*) exec "{real_java}" "$@";; esac\n'
                    "echo 'fake java: no broker here' >&2\nexit 3\n")
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    broker = KafkaBroker(home=tmp_path / "kafka", startup_timeout=30)
    with pytest.raises(ClusterError, match=r"^dev broker \(node 1\) exited during start-up "
                                           r"\(log: .*server\.log, console: .*console\.out\)"
                       ) as caught:
        broker.up()
    assert isinstance(caught.value, BrokerError)
    assert "fake java: no broker here" in str(caught.value)
    assert broker.status().running is False


def test_consume_with_a_group_commits_what_the_caller_finished_with(
        kafka_broker: KafkaBroker) -> None:
    topic, address = _topic(), kafka_broker.bootstrap
    kafka_broker.create_topic(topic)
    assert kafka_produce(address, topic, [(None, b"a"), (b"k", b"b"), (None, b"c")]) == 3
    records = kafka_consume(address, topic, from_beginning=True, group="g", idle_timeout=30)
    first, second = next(records), next(records)  # asking for "b" finishes with "a"
    records.close()  # "b" was handed out but not finished with: read again next time
    assert (first.key, first.value, second.key, second.value) == (None, b"a", b"k", b"b")
    again = kafka_consume(address, topic, from_beginning=True, group="g", idle_timeout=30,
                          max_records=2)
    assert [r.value for r in again] == [b"b", b"c"]
