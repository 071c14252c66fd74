"""The dev broker's generated files and record, without a JVM."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from squall.devcluster import KafkaBroker
from squall.devcluster._kafka_config import (
    KafkaPorts,
    kafka_log4j_xml,
    pick_kafka_ports,
    random_cluster_id,
    server_properties,
)
from squall.devcluster._kafka_home import BrokerRecord, KafkaHome, load_record, save_record
from squall.devcluster._kafka_jars import kafka_pom
from squall.devcluster._state import ProcessRecord
from squall.errors import BrokerError


def _properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return dict(pairs)


def test_server_properties_bind_loopback_only_on_the_picked_ports(tmp_path: Path) -> None:
    props = _properties(server_properties(KafkaPorts(broker=9001, controller=9002), tmp_path / "d"))
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9001,CONTROLLER://127.0.0.1:9002"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:9001"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:9002"
    assert props["process.roles"] == "broker,controller" and props["node.id"] == "1"
    assert props["log.dirs"] == str(tmp_path / "d")
    assert "0.0.0.0" not in server_properties(KafkaPorts(1, 2), tmp_path)


def test_server_properties_suit_a_single_node(tmp_path: Path) -> None:
    props = _properties(server_properties(KafkaPorts(1, 2), tmp_path))
    for key in ("offsets.topic.replication.factor", "transaction.state.log.replication.factor",
                "transaction.state.log.min.isr", "offsets.topic.num.partitions"):
        assert props[key] == "1", key
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["auto.create.topics.enable"] == "false"


def test_picked_ports_differ_and_make_the_bootstrap() -> None:
    ports = pick_kafka_ports()
    assert ports.broker != ports.controller
    assert ports.bootstrap == f"127.0.0.1:{ports.broker}"


def test_cluster_ids_look_like_kafkas() -> None:
    ids = {random_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)
    assert all(set(i) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
               for i in ids)


def test_log4j_config_writes_the_server_log(tmp_path: Path) -> None:
    xml = kafka_log4j_xml(tmp_path / "logs" / "server.log")
    assert f'fileName="{tmp_path}/logs/server.log"' in xml
    assert '<AppenderRef ref="server"/>' in xml


def test_pom_adds_the_log4j_backend_kafka_4_binds() -> None:
    pom = kafka_pom("4.1.1")
    assert "<artifactId>kafka_2.13</artifactId>\n      <version>4.1.1</version>" in pom
    assert "<artifactId>log4j-slf4j-impl</artifactId>" in pom
    assert "log4j-slf4j2-impl" not in pom


def test_the_record_survives_a_round_trip(tmp_path: Path) -> None:
    home = KafkaHome(tmp_path)
    record = BrokerRecord(version="4.1.1", ports=KafkaPorts(1, 2), cluster_id="abc",
                          broker=ProcessRecord(pid=5, create_time=1.5),
                          owner=ProcessRecord(pid=7, create_time=2.5))
    save_record(home, record)
    assert load_record(home) == record
    home.record.write_text("{not json")
    assert load_record(home) is None


def test_a_stopped_home_reports_its_kept_address(tmp_path: Path) -> None:
    save_record(KafkaHome(tmp_path), BrokerRecord("4.1.1", KafkaPorts(9101, 9102), "abc"))
    broker = KafkaBroker(home=tmp_path)
    status = broker.status()
    assert (status.running, status.bootstrap, status.pid) == (False, "127.0.0.1:9101", None)
    assert broker.bootstrap == "127.0.0.1:9101"


def test_no_record_means_no_bootstrap(tmp_path: Path) -> None:
    with pytest.raises(BrokerError, match=r"^no Kafka broker recorded in .*: start one with "
                                          r"`squall kafka up`$"):
        KafkaBroker(home=tmp_path).bootstrap  # noqa: B018


def test_topic_requests_on_a_stopped_broker_are_errors(tmp_path: Path) -> None:
    broker = KafkaBroker(home=tmp_path)
    with pytest.raises(BrokerError, match=r"^no Kafka broker running in .*: start one with "
                                          r"`squall kafka up`$"):
        broker.create_topic("events", 4)


def test_up_without_confluent_kafka_starts_nothing(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "confluent_kafka", None)
    broker = KafkaBroker(home=tmp_path / "kafka")
    with pytest.raises(BrokerError, match=r"^confluent-kafka is not installed: pip install "
                                          r"'squall\[kafka\]' \(from a checkout: pip install "
                                          r"-e '\.\[kafka\]'\)$"):
        broker.up()
    assert not (tmp_path / "kafka" / "data").exists()
    assert broker.status().pid is None
