"""Topic administration on any Kafka cluster through confluent-kafka's AdminClient.

confluent-kafka is an optional dependency (the ``kafka`` extra): it is imported only when a
client is made, and its absence is a one-line BrokerError with the install command.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import time
from types import ModuleType
from typing import Any

from squall.errors import BrokerError

INSTALL_HINT = ("confluent-kafka is not installed: pip install 'squall[kafka]' "
                "(from a checkout: pip install -e '.[kafka]')")
_POLL_SECS = 0.2


def confluent() -> ModuleType:
    """Return the ``confluent_kafka`` module; raise BrokerError with the install command."""
    try:
        return importlib.import_module("confluent_kafka")
    except ImportError:
        raise BrokerError(INSTALL_HINT) from None


def client_config(bootstrap: str, **extra: Any) -> dict[str, Any]:
    """Return a librdkafka config for ``bootstrap``: quiet (errors surface as exceptions)."""
    return {"bootstrap.servers": bootstrap, "log_level": 0, **extra}


class KafkaAdmin:
    """Create, list and delete topics on the Kafka cluster at ``bootstrap``.

    Every method blocks until the change is visible in the cluster's metadata, or raises
    BrokerError after ``timeout`` seconds. Not thread-safe: one instance per thread.

    >>> admin = KafkaAdmin("127.0.0.1:9092")                  # doctest: +SKIP
    >>> admin.create_topic("events", partitions=4)            # doctest: +SKIP
    >>> admin.topics()                                        # doctest: +SKIP
    {'events': 4}
    """

    def __init__(self, bootstrap: str, timeout: float = 30.0) -> None:
        self.bootstrap = bootstrap
        self.timeout = timeout
        admin_module = importlib.import_module(confluent().__name__ + ".admin")
        self._admin = admin_module.AdminClient(client_config(bootstrap))
        self._new_topic = admin_module.NewTopic

    def ping(self, timeout: float = 1.0) -> bool:
        """Return whether a broker answers a metadata request within ``timeout`` seconds."""
        try:
            return bool(self._admin.list_topics(timeout=timeout).brokers)
        except confluent().KafkaException:
            return False

    def topics(self) -> dict[str, int]:
        """Return ``{topic: partition count}`` of every topic except internal ``__`` ones."""
        metadata = self._metadata(None)
        return {name: len(topic.partitions) for name, topic in sorted(metadata.topics.items())
                if not name.startswith("__")}

    def create_topic(self, name: str, partitions: int = 1) -> None:
        """Create topic ``name`` (one replica); return once every partition has a leader.

        Raises BrokerError when the topic exists or the cluster refuses it.
        """
        if partitions < 1:
            raise BrokerError(f"topic '{name}': partitions must be >= 1, got {partitions}")
        futures = self._admin.create_topics([self._new_topic(name, partitions, 1)],
                                            request_timeout=self.timeout)
        self._result(futures[name], f"cannot create topic '{name}'")
        self._wait(lambda: self._has_leaders(name, partitions),
                   f"topic '{name}' has no leader for all {partitions} partitions")

    def delete_topic(self, name: str) -> None:
        """Delete topic ``name``; return once metadata no longer lists it."""
        futures = self._admin.delete_topics([name], request_timeout=self.timeout)
        self._result(futures[name], f"cannot delete topic '{name}'")
        self._wait(lambda: name not in self._metadata(None).topics,
                   f"topic '{name}' is still listed")

    def _metadata(self, topic: str | None) -> Any:
        try:
            return self._admin.list_topics(topic=topic, timeout=min(self.timeout, 10.0))
        except confluent().KafkaException as exc:
            raise unreachable(self.bootstrap, exc) from None

    def _has_leaders(self, name: str, partitions: int) -> bool:
        topic = self._metadata(name).topics.get(name)
        if topic is None or topic.error is not None or len(topic.partitions) != partitions:
            return False
        return all(p.error is None and p.leader >= 0 for p in topic.partitions.values())

    def _result(self, future: Any, what: str) -> None:
        try:
            future.result(timeout=self.timeout)
        except confluent().KafkaException as exc:
            raise BrokerError(f"{what} on {self.bootstrap}: {kafka_reason(exc)}") from None
        except concurrent.futures.TimeoutError:
            raise BrokerError(f"{what} on {self.bootstrap}: no answer within "
                              f"{self.timeout:.0f}s") from None

    def _wait(self, condition: Any, what: str) -> None:
        deadline = time.monotonic() + self.timeout
        while not condition():
            if time.monotonic() >= deadline:
                raise BrokerError(f"{what} after {self.timeout:.0f}s on {self.bootstrap}")
            time.sleep(_POLL_SECS)


def unreachable(bootstrap: str, exc: Exception) -> BrokerError:
    """Return the error for a cluster that did not answer a metadata request."""
    return BrokerError(f"cannot reach Kafka at {bootstrap} ({kafka_reason(exc)}): "
                       "is the broker running? (`squall kafka status`)")


def kafka_reason(exc: Exception) -> str:
    """Return the Kafka error text of a KafkaException (its KafkaError's ``str()``)."""
    error: Any = exc.args[0] if exc.args else exc
    text = error.str() if hasattr(error, "str") else str(error)
    return str(text).rstrip(".")
