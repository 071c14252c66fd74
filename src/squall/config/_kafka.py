"""Where the Kafka connectors find their brokers when nothing names them."""

from __future__ import annotations

from typing import Any

from squall.config._project import EnvConfig
from squall.topology import TopologyModel

__all__ = ["kafka_defaults"]


def kafka_defaults(model: TopologyModel, env: EnvConfig) -> dict[str, Any]:
    """Return ``{"squall.kafka.brokers": ...}`` of the running dev broker, when it applies.

    It applies to a topology with Kafka connectors, run on the local environment (the
    dev cluster or the embedded engine), whose environment names no ``kafka`` brokers and
    while ``squall kafka up`` runs. Used as the lowest-precedence default, so ``-o``, the
    topology's config and the environment's options all win over it.

    >>> kafka_defaults(WordCount.model, EnvConfig("local"))  # doctest: +SKIP
    {'squall.kafka.brokers': '127.0.0.1:40123'}
    """
    if env.kafka is not None or not env.uses_dev_cluster or not _uses_kafka(model):
        return {}
    from squall.devcluster import KafkaBroker

    status = KafkaBroker().status()
    if not status.running or status.bootstrap is None:
        return {}
    return {"squall.kafka.brokers": status.bootstrap}


def _uses_kafka(model: TopologyModel) -> bool:
    from squall.connectors.kafka import KafkaBolt, KafkaSpout

    return any(isinstance(spec.component_class, type) and issubclass(spec.component_class, (KafkaSpout, KafkaBolt))
               for spec in model.components.values())
