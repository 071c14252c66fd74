"""KafkaSpout: read topics through a consumer group with at-least-once offset commits."""

from __future__ import annotations

import time
from typing import Any, ClassVar, Mapping, Optional, Sequence

from squall.api import Spout, TopologyContext
from squall.connectors.kafka import _settings
from squall.connectors.kafka._client import Problems, confluent_kafka, describe, reach
from squall.connectors.kafka._offsets import Backoff, OffsetBook, TopicPartition
from squall.connectors.kafka._record import KafkaRecord, text
from squall.errors import ConnectorError, TopologyError
from squall.topology import ComponentSpec



class KafkaSpout(Spout):
    """Emit the records of Kafka topics; commit an offset only once its tuple tree is acked.

    Configure it with class attributes (each overridable per component by the conf key
    ``squall.kafka.<attribute>``)::

        class Events(KafkaSpout):
            topics = ["events"]          # or topic_pattern = r"events\\..*"
            group_id = "wordcount"
            start = "earliest"           # where a new group starts: "earliest" | "latest"

    The spout's tasks form one consumer group and share the topics' partitions. Each
    record becomes one tracked tuple with the fields ``topic, partition, offset, key,
    value`` (key and value decoded as UTF-8 text, None stays None); override ``outputs``
    and :meth:`to_values` for anything else. Its tuple id is ``(topic, partition, offset)``.

    Guarantee (at-least-once): auto-commit is off; each partition commits the position
    after its longest run of acked records, every ``commit_interval_secs``, when
    partitions are revoked and when the task stops. A failed (or timed-out) tuple is
    emitted again after an exponential backoff (``retry_backoff_secs`` doubling up to
    ``retry_backoff_max_secs``), at most ``max_retries`` times; then the record is given
    up: written to ``dead_letter_topic`` if set (with headers naming its origin and the
    reason), logged and reported in any case, and commits move past it. A record that
    ``to_values`` rejects is given up the same way at once. A partition holding
    ``max_uncommitted`` offsets that cannot be committed yet is paused until commits
    catch up, so memory stays bounded. After a crash, the group gives the dead task's
    partitions to a live member once its session times out (10 s by default), which
    resumes from the committed offsets: records after them are read again.

    Brokers: the ``brokers`` attribute, else the conf key ``squall.kafka.brokers`` (set
    by ``-o``, by the ``kafka`` setting of the squall.toml environment, or by ``squall
    run``/``squall submit`` from a running ``squall kafka up`` broker).
    ``consumer_config`` adds librdkafka consumer settings (security, timeouts...).
    """

    worker_requirements: ClassVar[tuple[str, ...]] = ("confluent-kafka",)
    outputs: ClassVar[list[Any]] = ["topic", "partition", "offset", "key", "value"]
    brokers: ClassVar[Optional[Any]] = None
    topics: ClassVar[Sequence[str]] = ()
    topic_pattern: ClassVar[Optional[str]] = None
    group_id: ClassVar[Optional[str]] = None
    start: ClassVar[str] = "earliest"
    max_retries: ClassVar[int] = 10
    retry_backoff_secs: ClassVar[float] = 0.1
    retry_backoff_max_secs: ClassVar[float] = 10.0
    dead_letter_topic: ClassVar[Optional[str]] = None
    max_uncommitted: ClassVar[int] = 10_000
    commit_interval_secs: ClassVar[float] = 1.0
    poll_batch: ClassVar[int] = 100
    connect_timeout_secs: ClassVar[float] = 10.0
    consumer_config: ClassVar[Mapping[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _settings.check_class(cls, _settings.SPOUT_SETTINGS)
        if cls.topics and cls.topic_pattern:
            raise TopologyError(f"{cls.__name__}: set topics or topic_pattern, not both")

    @classmethod
    def spec(cls, name: Optional[str] = None, inputs: Any = None, par: int = 1, config: Any = None) -> ComponentSpec:
        """Wire the spout like ``Spout.spec``; fails unless topics or topic_pattern is set somewhere."""
        keys = {_settings.CONF_PREFIX + "topics", _settings.CONF_PREFIX + "topic_pattern"}
        if not (cls.topics or cls.topic_pattern or keys & set(config or {})):
            raise TopologyError(f"{cls.__name__}: set `topics = [...]` or `topic_pattern = r\"...\"` on the class")
        return super().spec(name=name, inputs=inputs, par=par, config=config)

    # -- user hook ---------------------------------------------------------------------

    def to_values(self, record: KafkaRecord) -> list[Any]:
        """Return the tuple values of ``record`` (default: topic, partition, offset, key, value as text).

        Raise to reject the record: it is given up (dead-lettered or logged), never
        silently dropped, and other records go on.
        """
        return [record.topic, record.partition, record.offset, text(record.key), text(record.value)]

    def partitions_assigned(self, partitions: list[TopicPartition]) -> None:
        """Called (on the task's thread) when this task starts reading ``[(topic, partition)]``."""

    def partitions_revoked(self, partitions: list[TopicPartition]) -> None:
        """Called when this task stops reading ``partitions`` (after committing what was safe)."""

    # -- host callbacks ----------------------------------------------------------------

    def _squall_prepare(self, host: Any, conf: Any, context: TopologyContext) -> None:
        super()._squall_prepare(host, conf, context)  # runs the user's initialize first
        self._kafka = _Reader(self, conf, context)

    def next_tuple(self) -> None:
        """Emit due retries and newly polled records (never blocks)."""
        self._kafka.next_tuple()

    def ack(self, tup_id: Any) -> None:
        """Mark the record done; its offset becomes committable once all before it are."""
        topic, partition, offset = tup_id
        self._kafka.book.ack((topic, partition), offset)

    def fail(self, tup_id: Any) -> None:
        """Schedule the record for a retry, or give it up after ``max_retries``."""
        topic, partition, offset = tup_id
        self._kafka.failed((topic, partition), offset)

    def deactivate(self) -> None:
        """Commit what is committable (no records are read while deactivated)."""
        self._kafka.commit(sync=False)

    def _squall_close(self) -> None:
        """Commit what is committable and leave the consumer group (hosts call this at the end)."""
        kafka = getattr(self, "_kafka", None)
        if kafka is not None:
            kafka.close()


class _Reader:
    """The consumer, offset book and dead-letter producer of one KafkaSpout task."""

    def __init__(self, spout: KafkaSpout, conf: Mapping[str, Any], context: TopologyContext) -> None:
        self.spout = spout
        self.name = context.component_id
        self.problems = Problems(self.name, spout.log)
        settings = _settings.resolve(spout, _settings.SPOUT_SETTINGS, conf)
        if bool(settings["topics"]) == bool(settings["topic_pattern"]):
            raise ConnectorError(f"{self.name}: set exactly one of topics and topic_pattern")
        self.settings = settings
        self.brokers = _settings.brokers(spout, conf)
        self.book = OffsetBook(settings["max_retries"],
                               Backoff(settings["retry_backoff_secs"], settings["retry_backoff_max_secs"]))
        self.custom_values = type(spout).to_values is not KafkaSpout.to_values
        self.paused: set[TopicPartition] = set()
        self.dead_letters_to_retry: list[tuple[TopicPartition, int, str]] = []
        self.next_commit = time.monotonic() + settings["commit_interval_secs"]
        self.module = confluent_kafka()
        topology = conf.get("topology.name") or "squall"
        group = settings["group_id"] or f"{topology}.{self.name}"
        self.consumer = self.module.Consumer({
            "bootstrap.servers": self.brokers,
            "group.id": group,
            # a dynamic member: a static one (group.instance.id) is fenced for good when its
            # session expires during a broker outage; 10 s (not 45) hands a dead task's
            # partitions on quickly
            "session.timeout.ms": 10_000,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": settings["start"],
            "client.id": f"squall.{self.name}.{context.task_id}",
            "on_commit": self._on_commit,
            "error_cb": self.problems.on_client_error,
            "logger": spout.logger,
            **settings["consumer_config"],
        })
        self.producer = None
        try:
            topics = settings["topics"]
            reach(self.consumer, self.brokers, self.name, settings["connect_timeout_secs"], topics)
            if settings["dead_letter_topic"]:
                self.producer = self.module.Producer({
                    "bootstrap.servers": self.brokers, "enable.idempotence": True,
                    "client.id": f"squall.{self.name}.{context.task_id}.dlq", "logger": spout.logger,
                    "error_cb": self.problems.on_client_error,
                })
                reach(self.producer, self.brokers, self.name, settings["connect_timeout_secs"],
                      (settings["dead_letter_topic"],))
            subscription = list(topics) or ["^" + settings["topic_pattern"]]
            self.consumer.subscribe(subscription, on_assign=self._on_assign, on_revoke=self._on_revoke,
                                    on_lost=self._on_lost)
        except BaseException:
            self.consumer.close()
            raise

    # -- reading -----------------------------------------------------------------------

    def next_tuple(self) -> None:
        now = time.monotonic()
        emit = self.spout.emit
        for tp, offset, (values, _raw) in self.book.due_retries(now):
            emit(values, tup_id=(tp[0], tp[1], offset))
        if now >= self.next_commit:
            self.commit(sync=False)
        if self.producer is not None:
            self._serve_dead_letters()
        if self.paused:
            self.resume_caught_up()
        messages = self.consumer.consume(self.settings["poll_batch"], 0)
        if messages:
            self._emit_all(messages)

    def _emit_all(self, messages: list[Any]) -> None:
        emit, track, spout = self.spout.emit, self.book.track, self.spout
        keep_raw = self.producer is not None
        cap = self.settings["max_uncommitted"]
        touched: set[TopicPartition] = set()
        for message in messages:
            if message.error() is not None:
                self._on_message_error(message.error())
                continue
            topic, partition, offset = message.topic(), message.partition(), message.offset()
            tp = (topic, partition)
            try:
                if self.custom_values:
                    values = spout.to_values(KafkaRecord.of(message))
                else:
                    key, value = message.key(), message.value()
                    values = [topic, partition, offset,
                              None if key is None else key.decode("utf-8"),
                              None if value is None else value.decode("utf-8")]
            except Exception as exc:
                track(tp, offset, (None, message))
                self._give_up(tp, offset, f"to_values rejected it: {type(exc).__name__}: {exc}")
                continue
            track(tp, offset, (values, message if keep_raw else None))
            emit(values, tup_id=(topic, partition, offset))
            touched.add(tp)
        for tp in touched:
            if self.book.uncommitted(tp) >= cap and tp not in self.paused:
                self._pause(tp)

    def failed(self, tp: TopicPartition, offset: int) -> None:
        if self.book.fail(tp, offset, time.monotonic()) == "give-up":
            self._give_up(tp, offset, f"its tuple failed {self.book.failures(tp, offset)} times "
                                      f"(max_retries={self.settings['max_retries']})")

    # -- giving up on a record ---------------------------------------------------------

    def _give_up(self, tp: TopicPartition, offset: int, reason: str) -> None:
        where = f"{tp[0]}[{tp[1]}]@{offset}"
        dead_letters = self.settings["dead_letter_topic"]
        if self.producer is None:  # skipped: counts as given up (a run that gave up on any fails)
            self.spout._squall_given_up += 1
            self.spout.log(f"{self.name}: gave up on Kafka record {where}: {reason}; skipped "
                           "(set dead_letter_topic to keep such records)", "error")
            self.book.give_up_done(tp, offset)
            return
        self.spout.log(f"{self.name}: gave up on Kafka record {where}: {reason}; "
                       f"writing it to {dead_letters!r}", "warn")
        self._dead_letter(tp, offset, reason)

    def _dead_letter(self, tp: TopicPartition, offset: int, reason: str) -> None:
        message = self.book.payload(tp, offset)[1]
        headers = [("squall.topic", tp[0].encode()), ("squall.partition", str(tp[1]).encode()),
                   ("squall.offset", str(offset).encode()), ("squall.reason", reason.encode("utf-8", "replace"))]

        def delivered(err: Any, _msg: Any) -> None:
            if err is None:
                self.book.give_up_done(tp, offset)
            else:  # the offset stays uncommitted; write it again on a later poll
                self.problems.warn("dead-letter", f"cannot write {tp[0]}[{tp[1]}]@{offset} to the dead-letter "
                                          f"topic: {describe(err)}; retrying")
                self.dead_letters_to_retry.append((tp, offset, reason))

        assert self.producer is not None
        self.producer.produce(self.settings["dead_letter_topic"], message.value(), message.key(),
                              headers=headers, on_delivery=delivered)

    def _serve_dead_letters(self) -> None:
        assert self.producer is not None
        self.producer.poll(0)  # runs the delivery callbacks
        retry, self.dead_letters_to_retry = self.dead_letters_to_retry, []
        for tp, offset, reason in retry:
            if self.book.payload(tp, offset) is not None:  # still ours (not revoked since)
                self._dead_letter(tp, offset, reason)

    # -- commits and rebalances --------------------------------------------------------

    def commit(self, sync: bool, only: Optional[list[TopicPartition]] = None) -> None:
        self.next_commit = time.monotonic() + self.settings["commit_interval_secs"]
        positions = self.book.committable()
        if only is not None:
            positions = {tp: pos for tp, pos in positions.items() if tp in only}
        if not positions:
            return
        partitions = [self.module.TopicPartition(t, p, pos) for (t, p), pos in positions.items()]
        try:
            done = self.consumer.commit(offsets=partitions, asynchronous=not sync)
        except self.module.KafkaException as exc:
            self.problems.warn("commit", f"commit failed ({describe(exc)}); retrying at the next commit")
            return
        if sync and done:
            self._on_commit(None, done)

    def _on_commit(self, err: Any, partitions: list[Any]) -> None:
        if err is not None:
            self.problems.warn("commit", f"commit failed ({describe(err)}); retrying at the next commit")
            return
        for part in partitions:
            if part.error is None and part.offset >= 0:
                self.book.committed((part.topic, part.partition), part.offset)

    def _on_assign(self, _consumer: Any, partitions: list[Any]) -> None:
        tps = [(p.topic, p.partition) for p in partitions]
        self.book.forget(tps)  # anything left from an earlier assignment is stale
        self.spout.log(f"{self.name}: assigned {_names(tps)}", "info")
        self._user_hook(self.spout.partitions_assigned, tps)

    def _on_revoke(self, _consumer: Any, partitions: list[Any]) -> None:
        tps = [(p.topic, p.partition) for p in partitions]
        self.commit(sync=True, only=tps)
        self._drop(tps)
        self.spout.log(f"{self.name}: revoked {_names(tps)}", "info")
        self._user_hook(self.spout.partitions_revoked, tps)

    def _on_lost(self, _consumer: Any, partitions: list[Any]) -> None:
        tps = [(p.topic, p.partition) for p in partitions]
        self._drop(tps)
        self.spout.log(f"{self.name}: lost {_names(tps)} (their new owner reads from the last commit)", "warn")
        self._user_hook(self.spout.partitions_revoked, tps)

    def _user_hook(self, hook: Any, tps: list[TopicPartition]) -> None:
        try:
            hook(sorted(tps))
        except Exception as exc:  # a rebalance must complete whatever user code does
            self.spout.raise_exception(exc)

    def _drop(self, tps: list[TopicPartition]) -> None:
        self.book.forget(tps)
        self.paused.difference_update(tps)

    # -- flow control ------------------------------------------------------------------

    def _pause(self, tp: TopicPartition) -> None:
        self.consumer.pause([self.module.TopicPartition(tp[0], tp[1])])
        self.paused.add(tp)

    def resume_caught_up(self) -> None:
        low = self.settings["max_uncommitted"] // 2
        ready = [tp for tp in self.paused if self.book.uncommitted(tp) <= low]
        if ready:
            self.consumer.resume([self.module.TopicPartition(t, p) for t, p in ready])
            self.paused.difference_update(ready)

    # -- errors ------------------------------------------------------------------------

    def _on_message_error(self, error: Any) -> None:
        code = error.code()
        if code == self.module.KafkaError._PARTITION_EOF:
            return
        if error.fatal() or code == self.module.KafkaError.UNKNOWN_TOPIC_OR_PART:
            raise ConnectorError(f"{self.name}: Kafka consumer error: {describe(error)}")
        self.problems.warn(str(code), f"Kafka consumer error: {describe(error)}")

    def close(self) -> None:
        try:
            self.commit(sync=True)
            if self.producer is not None:
                self.producer.flush(10.0)
        finally:
            self.consumer.close()


def _names(tps: list[TopicPartition]) -> str:
    return ", ".join(f"{t}[{p}]" for t, p in sorted(tps)) or "no partitions"
