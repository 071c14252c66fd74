"""KafkaBolt: write each input tuple as one Kafka record; ack it once the broker has it."""

from __future__ import annotations

import threading
from typing import Any, Callable, ClassVar, Mapping, Optional, Sequence

from squall.api import Bolt, TopologyContext, Tuple
from squall.connectors.kafka import _settings
from squall.connectors.kafka._client import Problems, confluent_kafka, describe, reach
from squall.connectors.kafka._record import encode
from squall.errors import ConnectorError, TopologyError
from squall.topology import ComponentSpec

_QUEUE_FULL_WAIT_SECS = 0.05
_REPORTS_WAIT_SECS = 0.1  # how long the delivery thread blocks per poll (it wakes on a report)


class KafkaBolt(Bolt):
    """Write every input tuple to Kafka as one record; ack the input when the broker confirms it.

    Configure it with class attributes (each overridable per component by the conf key
    ``squall.kafka.<attribute>``)::

        class Counts(KafkaBolt):
            topic = "counts"             # or topic_field = "topic": the topic named by the tuple
            key_field = "word"           # optional: the record key
            value_field = "count"        # optional: default is every other field (below)

    Values are encoded as: str as UTF-8, bytes as is, None as a null, anything else as
    JSON. Without ``value_field`` the value is the one remaining field when the tuple has
    a single field besides the topic and key fields, else a JSON object of those fields.
    Override :meth:`to_record` for anything else.

    Guarantee: the input is acked only when the broker acknowledged the record (the
    producer is idempotent and waits for all in-sync replicas), and failed on a delivery
    error (so its spout replays it). A tuple whose values cannot be encoded is failed and
    reported; the others go on. Delivery reports are handled by a thread of the task as
    they arrive, so acks never wait for more input. Stopping the task flushes the
    producer, so a clean stop loses nothing. ``producer_config`` adds librdkafka
    producer settings.
    """

    worker_requirements: ClassVar[tuple[str, ...]] = ("confluent-kafka",)
    outputs: ClassVar[list[Any]] = []
    auto_ack: ClassVar[bool] = False
    brokers: ClassVar[Optional[Any]] = None
    topic: ClassVar[Optional[str]] = None
    topic_field: ClassVar[Optional[str]] = None
    key_field: ClassVar[Optional[str]] = None
    value_field: ClassVar[Optional[str]] = None
    connect_timeout_secs: ClassVar[float] = 10.0
    flush_timeout_secs: ClassVar[float] = 30.0
    producer_config: ClassVar[Mapping[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _settings.check_class(cls, _settings.BOLT_SETTINGS)
        if cls.topic and cls.topic_field:
            raise TopologyError(f"{cls.__name__}: set topic or topic_field, not both")

    @classmethod
    def spec(cls, name: Optional[str] = None, inputs: Any = None, par: int = 1, config: Any = None) -> ComponentSpec:
        """Wire the bolt like ``Bolt.spec``; fails unless a topic is set somewhere."""
        keys = {_settings.CONF_PREFIX + "topic", _settings.CONF_PREFIX + "topic_field"}
        if not (cls.topic or cls.topic_field or keys & set(config or {})
                or cls.to_record is not KafkaBolt.to_record):
            raise TopologyError(f"{cls.__name__}: set `topic = \"...\"` or `topic_field = \"...\"` on the class")
        return super().spec(name=name, inputs=inputs, par=par, config=config)

    # -- user hook ---------------------------------------------------------------------

    def to_record(self, tup: Tuple) -> tuple[str, Optional[bytes], Optional[bytes]]:
        """Return ``(topic, key, value)`` for ``tup``; raise to fail the tuple as unwritable."""
        writer = self._kafka
        layout = writer.layouts.get((tup.component, tup.stream))
        if layout is None:
            layout = writer.layouts[(tup.component, tup.stream)] = writer.layout(tup)
        return layout(tup.values)

    # -- host callbacks ----------------------------------------------------------------

    def _squall_prepare(self, host: Any, conf: Any, context: TopologyContext) -> None:
        super()._squall_prepare(host, conf, context)  # runs the user's initialize first
        self._kafka = _Writer(self, conf, context)

    def process(self, tup: Tuple) -> None:
        """Hand the record to the producer; the input is acked from its delivery report."""
        self._kafka.write(tup)

    def _squall_close(self) -> None:
        """Wait for every record still in flight (hosts call this when the task stops)."""
        writer = getattr(self, "_kafka", None)
        if writer is not None:
            writer.close()


class _Writer:
    """The producer of one KafkaBolt task."""

    def __init__(self, bolt: KafkaBolt, conf: Mapping[str, Any], context: TopologyContext) -> None:
        self.bolt = bolt
        self.name = context.component_id
        self.problems = Problems(self.name, bolt.log)
        self.settings = _settings.resolve(bolt, _settings.BOLT_SETTINGS, conf)
        if self.settings["topic"] and self.settings["topic_field"]:
            raise ConnectorError(f"{self.name}: set topic or topic_field, not both")
        if not (self.settings["topic"] or self.settings["topic_field"]) and type(bolt).to_record is KafkaBolt.to_record:
            raise ConnectorError(f"{self.name}: no topic to write to; set topic or topic_field")
        self.brokers = _settings.brokers(bolt, conf)
        self.module = confluent_kafka()
        self.producer = self.module.Producer({
            "bootstrap.servers": self.brokers,
            "enable.idempotence": True,  # acks=all, no duplicates from the client's own retries
            "linger.ms": 5,
            "client.id": f"squall.{self.name}.{context.task_id}",
            "error_cb": self.problems.on_client_error,
            "logger": bolt.logger,
            **self.settings["producer_config"],
        })
        topic = self.settings["topic"]
        reach(self.producer, self.brokers, self.name, self.settings["connect_timeout_secs"],
              (topic,) if topic else ())
        self.layouts: dict[tuple[str, str], Any] = {}  # (source, stream) -> values-to-record function
        self.failure: Optional[BaseException] = None  # raised by the delivery thread
        self.stopping = threading.Event()
        self.reports = threading.Thread(target=self._serve_reports, name=f"squall-kafka-{self.name}", daemon=True)
        self.reports.start()

    def _serve_reports(self) -> None:
        """Run delivery callbacks (acks and fails) as reports arrive, until the task stops."""
        poll = self.producer.poll
        while not self.stopping.is_set():
            try:
                poll(_REPORTS_WAIT_SECS)
            except BaseException as exc:  # re-raised on the task's thread by the next write
                self.failure = exc
                return

    def write(self, tup: Tuple) -> None:
        if self.failure is not None:
            raise self.failure
        bolt = self.bolt
        try:
            topic, key, value = bolt.to_record(tup)
        except Exception as exc:  # one bad value fails its own tuple only
            bolt.raise_exception(ConnectorError(f"{self.name}: cannot write {tup.values!r} to Kafka: "
                                                f"{type(exc).__name__}: {exc}"), tup)
            bolt.fail(tup)
            return
        tup_id = tup.id

        def delivered(err: Any, _msg: Any) -> None:
            if err is None:
                bolt.ack(tup_id)
            else:
                self.problems.warn("delivery", f"Kafka delivery to {topic!r} failed: {describe(err)}; "
                                       "the tuple is failed and will be replayed")
                bolt.fail(tup_id)

        produce = self.producer.produce
        while True:
            try:
                produce(topic, value, key, on_delivery=delivered)
                break
            except BufferError:  # the local queue is full: wait for deliveries (backpressure)
                self.producer.flush(_QUEUE_FULL_WAIT_SECS)

    def layout(self, tup: Tuple) -> Callable[[Sequence[Any]], tuple[str, Optional[bytes], Optional[bytes]]]:
        """Return the function that turns values of ``tup``'s source stream into a record.

        Built once per source stream (field positions resolved once); raises KeyError
        naming a configured field the stream does not have.
        """
        fields: tuple[str, ...] = getattr(tup.values, "_fields", ())
        settings = self.settings
        topic, topic_field = settings["topic"], settings["topic_field"]
        key_field, value_field = settings["key_field"], settings["value_field"]
        topic_at = None if topic else _position(fields, topic_field, tup)
        key_at = None if key_field is None else _position(fields, key_field, tup)
        value_at = None if value_field is None else _position(fields, value_field, tup)
        rest = [(f, i) for i, f in enumerate(fields) if f not in (topic_field, key_field)]

        def record(values: Sequence[Any]) -> tuple[str, Optional[bytes], Optional[bytes]]:
            key = None if key_at is None else encode(values[key_at])
            if value_at is not None:
                value = encode(values[value_at])
            elif not fields:  # field names unknown: the values themselves
                value = encode(values[0] if len(values) == 1 else list(values))
            elif len(rest) == 1:
                value = encode(values[rest[0][1]])
            else:
                value = encode({f: values[i] for f, i in rest})
            return (topic if topic_at is None else values[topic_at]), key, value

        return record

    def close(self) -> None:
        self.stopping.set()
        self.reports.join()
        left = self.producer.flush(self.settings["flush_timeout_secs"])
        if left:
            self.bolt.log(f"{self.name}: {left} Kafka record(s) still undelivered after "
                          f"{self.settings['flush_timeout_secs']:g}s; their tuples will be replayed", "error")


def _position(fields: tuple[str, ...], name: str, tup: Tuple) -> int:
    if name not in fields:
        raise KeyError(f"tuple from {tup.component!r} has no field {name!r} (fields: {', '.join(fields) or 'unnamed'})")
    return fields.index(name)
