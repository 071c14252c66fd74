"""``squall kafka ...`` (CliRunner): the broker's status, topics, produce and consume."""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

import confluent_kafka  # noqa: F401  (imported before the CLI conftest snapshots sys.modules)
import pytest
from click.testing import CliRunner, Result

from squall.cli import main
from squall.devcluster import KafkaBroker
from squall.devcluster._config import free_ports

INSTALL_LINE = ("Error: confluent-kafka is not installed: pip install 'squall[kafka]' "
                "(from a checkout: pip install -e '.[kafka]')\n")


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="squall", input=input)


def _topic() -> str:
    return f"cli-{uuid.uuid4().hex[:8]}"


# -- without a broker -----------------------------------------------------------------

def test_status_without_a_broker_exits_3(tmp_path: Path) -> None:
    result = invoke("kafka", "status", "--home", str(tmp_path / "none"))
    assert result.exit_code == 3
    assert result.output == (f"No Kafka broker recorded in {(tmp_path / 'none').resolve()}: "
                             "start one with `squall kafka up`.\n")


def test_status_json_without_a_broker_exits_3(tmp_path: Path) -> None:
    result = invoke("kafka", "status", "--json", "--home", str(tmp_path))
    assert result.exit_code == 3
    data = json.loads(result.output)
    assert data["running"] is False and data["bootstrap"] is None
    assert data["home"] == str(tmp_path.resolve())


def test_down_without_a_broker(tmp_path: Path) -> None:
    result = invoke("kafka", "down", "--home", str(tmp_path))
    assert result.exit_code == 0
    assert result.output == (f"No Kafka broker was running in {tmp_path.resolve()}; "
                             "its data is kept (--wipe deletes it).\n")


@pytest.mark.parametrize("command", [("topic", "list"), ("produce", "t", "x"),
                                     ("consume", "t"), ("topic", "create", "t")])
def test_client_commands_without_a_broker_say_how_to_start_one(
        tmp_path: Path, command: tuple[str, ...]) -> None:
    result = invoke("kafka", *command, "--home", str(tmp_path))
    assert result.exit_code == 1
    assert result.output == (f"Error: no Kafka broker running in {tmp_path.resolve()}: start "
                             "one with `squall kafka up`, or pass --bootstrap HOST:PORT\n")


def test_an_unreachable_bootstrap_is_one_line() -> None:
    address = f"127.0.0.1:{free_ports(1)[0]}"
    result = invoke("kafka", "topic", "list", "--bootstrap", address)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot reach Kafka at {address} (")
    assert result.output.endswith("): is the broker running? (`squall kafka status`)\n")


def test_missing_confluent_kafka_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "confluent_kafka", None)  # import raises ImportError
    result = invoke("kafka", "topic", "list", "--bootstrap", "127.0.0.1:9")
    assert result.exit_code == 1
    assert result.output == INSTALL_LINE


def test_an_empty_key_separator_is_a_usage_error() -> None:
    result = invoke("kafka", "produce", "t", "x", "--key-separator", "", "--bootstrap", "h:1")
    assert result.exit_code == 2
    assert "Error: Invalid value for --key-separator: must not be empty" in result.output


# -- on the session broker ------------------------------------------------------------

pytest_kafka = pytest.mark.kafka


@pytest_kafka
def test_status_json_of_the_running_broker(kafka_broker: KafkaBroker) -> None:
    result = invoke("kafka", "status", "--json", "--home", str(kafka_broker.home))
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["bootstrap"] == kafka_broker.bootstrap
    assert data["running"] is True and data["version"] == "4.1.1"
    assert data["home"] == str(kafka_broker.home)


@pytest_kafka
def test_produce_and_consume_round_trip_with_keys(kafka_broker: KafkaBroker) -> None:
    home, topic = str(kafka_broker.home), _topic()
    created = invoke("kafka", "topic", "create", topic, "--partitions", "1", "--home", home)
    assert created.output == (f"Created topic '{topic}' with 1 partition(s) on "
                              f"{kafka_broker.bootstrap}.\n")
    lines = "".join(f"user{i}:event {i}\n" for i in range(50))
    sent = invoke("kafka", "produce", topic, "--key-separator", ":", "--home", home, input=lines)
    assert sent.exit_code == 0, sent.output
    assert sent.output == f"Delivered 50 record(s) to topic '{topic}' on {kafka_broker.bootstrap}.\n"
    got = invoke("kafka", "consume", topic, "--from-beginning", "-n", "50", "--timeout", "30",
                 "--home", home)
    assert got.exit_code == 0, got.output
    assert got.output == "".join(f"user{i}\tevent {i}\n" for i in range(50))


@pytest_kafka
def test_consume_commits_only_with_a_group(kafka_broker: KafkaBroker) -> None:
    topic, address = _topic(), kafka_broker.bootstrap
    kafka_broker.create_topic(topic)
    assert invoke("kafka", "produce", topic, "a", "b", "c", "--bootstrap", address).exit_code == 0
    read = ["kafka", "consume", topic, "--from-beginning", "--bootstrap", address]
    three = [*read, "-n", "3", "--timeout", "30"]
    assert invoke(*three).output == "a\nb\nc\n"
    assert invoke(*three).output == "a\nb\nc\n"  # nothing was committed
    assert invoke(*three, "--group", "g1").output == "a\nb\nc\n"
    rest = invoke(*read, "--timeout", "3", "--group", "g1")
    assert (rest.exit_code, rest.output) == (0, "")  # the group's offsets were committed


@pytest_kafka
def test_topic_list_and_delete(kafka_broker: KafkaBroker) -> None:
    home, topic = str(kafka_broker.home), _topic()
    kafka_broker.create_topic(topic, partitions=4)
    assert f"{topic}\t4\n" in invoke("kafka", "topic", "list", "--home", home).output
    deleted = invoke("kafka", "topic", "delete", topic, "--home", home)
    assert deleted.output == f"Deleted topic '{topic}' on {kafka_broker.bootstrap}.\n"
    assert topic not in invoke("kafka", "topic", "list", "--home", home).output


@pytest_kafka
def test_producing_to_a_missing_topic_says_how_to_create_it(kafka_broker: KafkaBroker) -> None:
    result = invoke("kafka", "produce", "absent-topic", "x", "--home", str(kafka_broker.home))
    assert result.exit_code == 1
    assert result.output == (f"Error: no topic 'absent-topic' on {kafka_broker.bootstrap}: create "
                             "it with `squall kafka topic create absent-topic`\n")


@pytest_kafka
def test_a_line_without_the_key_separator_is_one_line(kafka_broker: KafkaBroker) -> None:
    topic = _topic()
    kafka_broker.create_topic(topic)
    result = invoke("kafka", "produce", topic, "k:v", "nokey", "--key-separator", ":",
                    "--bootstrap", kafka_broker.bootstrap)
    assert result.exit_code == 1
    assert result.output == "Error: line 2 has no key separator ':': 'nokey' (write KEY:VALUE)\n"


@pytest_kafka
def test_up_on_the_running_broker_prints_its_address(kafka_broker: KafkaBroker) -> None:
    result = invoke("kafka", "up", "--home", str(kafka_broker.home))
    assert result.exit_code == 0
    assert f"Kafka broker already running in {kafka_broker.home}" in result.output
    assert f"  bootstrap: {kafka_broker.bootstrap}\n" in result.output


def test_down_wipe_without_a_broker(tmp_path: Path) -> None:
    result = invoke("kafka", "down", "--wipe", "--home", str(tmp_path))
    assert result.output == (f"No Kafka broker was running in {tmp_path.resolve()}; "
                             "its data was deleted.\n")


@pytest_kafka
def test_up_status_down_up_keeps_the_address_then_wipe(tmp_path: Path) -> None:
    home = str(tmp_path / "kafka")
    started = invoke("kafka", "up", "--home", home, "--exit-with-pid", str(os.getpid()))
    assert started.exit_code == 0, started.output
    assert "squall: formatting new KRaft storage in " in started.output
    address = KafkaBroker(home=home).bootstrap
    try:
        shown = invoke("kafka", "status", "--home", home)
        assert (shown.exit_code, f"  bootstrap: {address}\n" in shown.output) == (0, True)
        stopped = invoke("kafka", "down", "--home", home)
        assert stopped.output == (f"Kafka broker in {tmp_path.resolve()}/kafka stopped "
                                  "(2 processes); its data is kept (--wipe deletes it).\n")
        after = invoke("kafka", "status", "--home", home)
        assert after.exit_code == 3
        assert after.output == (f"Kafka broker in {tmp_path.resolve()}/kafka is stopped (its "
                                f"address stays {address}): start it with `squall kafka up`.\n")
        again = invoke("kafka", "up", "--home", home)
        assert f"  bootstrap: {address}\n" in again.output
        assert "formatting" not in again.output
    finally:
        wiped = invoke("kafka", "down", "--wipe", "--home", home)
    assert wiped.output.endswith("; its data was deleted.\n")
    assert not (tmp_path / "kafka" / "data").exists()
