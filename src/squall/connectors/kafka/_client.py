"""Import confluent-kafka on demand, with the install hint when it is missing."""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any, Callable

from squall.errors import ConnectorError

INSTALL_HINT = "pip install 'squall[kafka]' (from a checkout: pip install -e '.[kafka]')"


def confluent_kafka() -> ModuleType:
    """Return the ``confluent_kafka`` module, or raise ConnectorError saying how to install it."""
    try:
        import confluent_kafka as module
    except ImportError as exc:
        raise ConnectorError(f"the Kafka connectors need confluent-kafka: {INSTALL_HINT} ({exc})") from None
    return module


def describe(error: object) -> str:
    """Return a librdkafka error (KafkaError, KafkaException or anything) as one short line."""
    inner = error.args[0] if isinstance(error, Exception) and error.args else error
    text = getattr(inner, "str", None)
    line = text() if callable(text) else str(inner)
    return line.strip().splitlines()[0] if line.strip() else type(error).__name__


def reach(client: object, brokers: str, component: str, timeout: float, topics: tuple[str, ...] = ()) -> None:
    """Ask the cluster for metadata; raise ConnectorError if unreachable or a topic is unknown.

    ``client`` is a confluent-kafka Consumer, Producer or AdminClient.
    """
    module = confluent_kafka()
    try:
        metadata = client.list_topics(timeout=timeout)  # type: ignore[attr-defined]
    except module.KafkaException as exc:
        raise ConnectorError(
            f"{component}: cannot reach Kafka at {brokers} within {timeout:g}s ({describe(exc)}); "
            "is the broker running? (`squall kafka status`), else fix the brokers setting"
        ) from None
    for topic in topics:
        found = metadata.topics.get(topic)
        if found is None or found.error is not None:
            raise ConnectorError(
                f"{component}: Kafka topic {topic!r} does not exist on {brokers}; create it "
                f"(`squall kafka topic create {topic} --partitions N`) or fix the topics setting"
            )


class Problems:
    """Report a connector's recoverable client problems, each kind at most every ``every`` seconds.

    ``log(message, level)`` is the component's ``log``. ``on_client_error`` is the
    librdkafka ``error_cb``: a fatal error raises ConnectorError (out of ``poll``/``consume``
    on the task's thread), anything else is a throttled warning (the client retries).
    """

    def __init__(self, component: str, log: Callable[[str, str], None], every: float = 10.0) -> None:
        self.component = component
        self._log = log
        self._every = every
        self._last: dict[str, float] = {}

    def warn(self, kind: str, message: str) -> None:
        """Log ``message`` at warn level unless a ``kind`` warning was logged in the last ``every`` s."""
        now = time.monotonic()
        if now - self._last.get(kind, -self._every) >= self._every:
            self._last[kind] = now
            self._log(f"{self.component}: {message}", "warn")

    def on_client_error(self, error: Any) -> None:
        """Handle a librdkafka global error (its ``error_cb``)."""
        if error.fatal():
            raise ConnectorError(f"{self.component}: fatal Kafka client error: {describe(error)}")
        self.warn(str(error.code()), f"Kafka client error: {describe(error)} (retrying)")
