"""The Kafka connectors' brokers from squall.toml, and from the running dev broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from squall import Spout, Topology
from squall.config import EnvConfig, apply_settings, kafka_defaults, read_project_file
from squall.connectors.kafka import KafkaSpout
from squall.errors import ConfigError


class Events(KafkaSpout):
    topics = ["events"]


class Reads(Topology):
    events = Events.spec()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "squall.toml"
    path.write_text(text)
    return path


def test_env_kafka_becomes_the_brokers_conf_key(tmp_path: Path) -> None:
    project = read_project_file(write(tmp_path, '[env.prod]\nkafka = "k1:9092,k2:9092"\n'))
    env = project.env("prod")
    assert env.kafka == "k1:9092,k2:9092"
    model = apply_settings(Reads.model, env)
    assert model.config["squall.kafka.brokers"] == "k1:9092,k2:9092"
    cli = apply_settings(Reads.model, env, {"squall.kafka.brokers": "other:1"})
    assert cli.config["squall.kafka.brokers"] == "other:1", "-o wins over the environment"


def test_a_bad_kafka_address_names_the_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[env.prod]\nkafka = "k1"\n')
    with pytest.raises(ConfigError, match=r'squall\.toml: \[env\.prod\] kafka = \'k1\' must be "host:port"'):
        read_project_file(path)


def test_the_dev_broker_is_the_default_only_where_it_applies(kafka_broker, monkeypatch) -> None:
    monkeypatch.setenv("SQUALL_KAFKA_HOME", str(kafka_broker.home))
    local = EnvConfig("local")
    assert kafka_defaults(Reads.model, local) == {"squall.kafka.brokers": kafka_broker.bootstrap}
    assert kafka_defaults(Reads.model, EnvConfig("local", kafka="k:1")) == {}
    assert kafka_defaults(Reads.model, EnvConfig("prod", nimbus="n:6627")) == {}

    class Plain(Spout):
        outputs = ["n"]

    class NoKafka(Topology):
        plain = Plain.spec()

    assert kafka_defaults(NoKafka.model, local) == {}, "only topologies with Kafka connectors"
