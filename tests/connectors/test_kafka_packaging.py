"""A topology with Kafka connectors carries confluent-kafka (and librdkafka) to Storm workers."""

from __future__ import annotations

import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from squall import Topology
from squall.connectors.kafka import KafkaBolt, KafkaSpout
from squall.storm import build_jar
from squall.storm._vendor import runtime_requirements


class Events(KafkaSpout):
    topics = ["events"]


class Out(KafkaBolt):
    topic = "out"


class Copy(Topology):
    events = Events.spec()
    out = Out.spec(inputs=[events])


def test_connectors_declare_their_client_for_the_workers() -> None:
    pins = runtime_requirements(Copy.model)
    assert pins.count(f"confluent-kafka=={metadata.version('confluent-kafka')}") == 1
    assert not any(p.startswith("confluent-kafka") for p in runtime_requirements())


@pytest.mark.slow
def test_the_jar_vendors_confluent_kafka_with_librdkafka(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    jar = build_jar(Copy.model, repo, tmp_path / "k.jar", python_version="3.11", requirements=[])
    with zipfile.ZipFile(jar) as zf:
        names = zf.namelist()
    assert "resources/_vendor/confluent_kafka/__init__.py" in names
    assert any("librdkafka" in n and ".so" in n for n in names), "the wheel bundles librdkafka"
