"""Topologies every engine must run the same way: the conformance suite's subjects.

Spouts emit a finite, known set of tuples (ids 0..N-1) and record acked ids; sinks
append what they receive to files. Output goes to the directory named by the conf key
``squall.test.out`` (set by each test), one file per task, one JSON record per line,
so assertions read the same files whichever engine ran the topology.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

from squall import BatchingBolt, Bolt, Grouping, ReliableSpout, Stream, Topology

OUT_KEY = "squall.test.out"
COUNT_KEY = "squall.test.count"
WORDS = ["apple", "banana", "cherry", "damson", "elder", "fig", "grape", "hazel"]


def record(component: Any, kind: str, **fields: Any) -> None:
    """Append one JSON line to ``<out>/<kind>-<component>-<task>.jsonl``."""
    out = component.conf[OUT_KEY]
    path = os.path.join(out, f"{kind}-{component.component_name}-{component.task_id}.jsonl")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"task": component.task_id, **fields}) + "\n")


class NumberedWords(ReliableSpout):
    """Emit ``squall.test.count`` words with ids 0..N-1; record each acked id."""

    outputs = ["word", "n"]
    max_fails = 100

    def initialize(self, conf, context):
        self.total = int(conf.get(COUNT_KEY, 200))
        self.next_n = 0

    def next_tuple(self):
        if self.next_n < self.total:
            n = self.next_n
            self.emit([WORDS[n % len(WORDS)], n], tup_id=n)
            self.next_n += 1

    def ack(self, tup_id):
        super().ack(tup_id)
        record(self, "acked", id=tup_id)


class RecordingSink(Bolt):
    """Record every tuple received: word, n, source stream and this task."""

    def process(self, tup):
        record(self, "seen", stream=tup.stream, source=tup.component, values=list(tup.values))


class Passthrough(Bolt):
    """Re-emit its input, and also every n divisible by 5 on the named stream 'fives'."""

    outputs = ["word", "n", Stream(["n", "nested"], name="fives")]

    def process(self, tup):
        word, n = tup.values
        self.emit([word, n])
        if n % 5 == 0:
            self.emit([n, {"n": n, "tags": [word, {"deep": [1, 2.5, None, True]}]}], stream="fives")


class WordCount(Topology):
    """Spout -> shuffle -> passthrough -> fields(word) -> sink; fives -> ALL -> sink2."""

    words = NumberedWords.spec()
    split = Passthrough.spec(inputs={words: Grouping.SHUFFLE}, par=2)
    count = RecordingSink.spec(inputs={split: Grouping.fields("word")}, par=2)
    fives = RecordingSink.spec(inputs={split["fives"]: Grouping.ALL}, par=2)


class FlakyBolt(Bolt):
    """Fail the first delivery of every id divisible by 3 (by recording it in a file).

    The exception is reported and the input failed (auto_fail); the task goes on.
    """

    exit_on_exception = False

    def process(self, tup):
        word, n = tup.values
        marker = os.path.join(self.conf[OUT_KEY], f"failed-once-{n}")
        if n % 3 == 0 and not os.path.exists(marker):
            open(marker, "w").close()
            raise ValueError(f"planned failure of {n}")
        record(self, "seen", stream=tup.stream, source=tup.component, values=[word, n])


class Replay(Topology):
    """Tuples whose first try fails are replayed by the ReliableSpout until acked."""

    words = NumberedWords.spec()
    flaky = FlakyBolt.spec(inputs={words: Grouping.SHUFFLE}, par=1)


class SlowBolt(Bolt):
    """Sleep longer than the subprocess timeout in process(): heartbeats must keep it alive."""

    def process(self, tup):
        time.sleep(float(self.conf.get("squall.test.sleep", 8)))
        record(self, "seen", stream=tup.stream, source=tup.component, values=list(tup.values))


class TickCounter(Bolt):
    """Record tick tuples; pass nothing on."""

    def process_tick(self, tup):
        record(self, "tick", stream=tup.stream, source=tup.component, values=list(tup.values))

    def process(self, tup):
        pass


class Ticks(Topology):
    """A bolt with a 1 s tick frequency."""

    words = NumberedWords.spec()
    ticks = TickCounter.spec(inputs={words: Grouping.SHUFFLE},
                             config={"topology.tick.tuple.freq.secs": 1})


class WordBatches(BatchingBolt):
    """Batch by word on ticks; record each batch's word and ids."""

    ticks_between_batches = 1

    def group_key(self, tup):
        return tup.values.word

    def process_batch(self, key, tups):
        record(self, "batch", key=key, ids=[t.values.n for t in tups])


class Batching(Topology):
    """BatchingBolt grouped by word behind a fields grouping."""

    words = NumberedWords.spec()
    batches = WordBatches.spec(inputs={words: Grouping.fields("word")}, par=2)


class GlobalAndNone(Topology):
    """GLOBAL sends everything to the lowest task; NONE and LOCAL_OR_SHUFFLE spread."""

    words = NumberedWords.spec()
    glob = RecordingSink.spec(inputs={words: Grouping.GLOBAL}, par=2)
    anyone = RecordingSink.spec(inputs={words: Grouping.NONE}, par=2)
    local = RecordingSink.spec(inputs={words: Grouping.LOCAL_OR_SHUFFLE}, par=2)


class DirectRouter(Bolt):
    """Send each n to the sink task number ``n % tasks`` with a direct emit."""

    outputs = [Stream(["word", "n"], name="routed", direct=True)]

    def initialize(self, conf, context):
        self.targets = context.component_tasks("sink")

    def process(self, tup):
        word, n = tup.values
        self.emit([word, n], stream="routed", direct_task=self.targets[n % len(self.targets)])


class Direct(Topology):
    """Direct grouping: the router picks the sink task."""

    words = NumberedWords.spec()
    router = DirectRouter.spec(inputs={words: Grouping.SHUFFLE})
    sink = RecordingSink.spec(inputs={router["routed"]: Grouping.DIRECT}, par=2)


class CarefulRouter(Bolt):
    """Try a direct emit to a task that does not read the stream, then route correctly.

    The bad emit must raise the same error on every host (Storm alone would drop the
    tuple silently); the bolt records the message and goes on.
    """

    outputs = [Stream(["word", "n"], name="routed", direct=True)]

    def initialize(self, conf, context):
        self.readers = context.component_tasks("sink")
        self.bystander = context.component_tasks("words")[0]  # a spout: it reads nothing

    def process(self, tup):
        word, n = tup.values
        try:
            self.emit([word, n], stream="routed", direct_task=self.bystander)
        except Exception as exc:
            record(self, "refused", n=n, error=type(exc).__name__, message=str(exc),
                   bystander=self.bystander, readers=self.readers)
        self.emit([word, n], stream="routed", direct_task=self.readers[n % len(self.readers)])


class BadDirect(Topology):
    """A direct emit to a task that does not read the stream, next to good ones."""

    words = NumberedWords.spec()
    router = CarefulRouter.spec(inputs={words: Grouping.SHUFFLE})
    sink = RecordingSink.spec(inputs={router["routed"]: Grouping.DIRECT}, par=2)


def skewed_word(n: int) -> str:
    """Every other tuple carries the hot key ``apple``; the rest cycle through WORDS."""
    return WORDS[0] if n % 2 == 0 else WORDS[n % len(WORDS)]


class SkewedWords(NumberedWords):
    """``NumberedWords`` with one hot key (``skewed_word``), to make partial_key split it."""

    def next_tuple(self):
        if self.next_n < self.total:
            n = self.next_n
            self.emit([skewed_word(n), n], tup_id=n)
            self.next_n += 1


class PartialKey(Topology):
    """partial_key on the stream's first field: each word reaches at most two tasks."""

    words = SkewedWords.spec()
    sink = RecordingSink.spec(inputs={words: Grouping.partial_key("word")}, par=3)


class TwoWorkers(Topology):
    """WordCount spread over two worker JVMs: nested values cross processes."""

    config = {"topology.workers": 2}
    words = NumberedWords.spec()
    split = Passthrough.spec(inputs={words: Grouping.SHUFFLE}, par=2)
    count = RecordingSink.spec(inputs={split: Grouping.fields("word")}, par=2)
    fives = RecordingSink.spec(inputs={split["fives"]: Grouping.ALL}, par=2)


class PacedSink(Bolt):
    """Record each tuple after sleeping ``squall.test.pace`` seconds, and where orjson
    and squall were imported from (to prove what a Storm jar's launcher set up)."""

    def initialize(self, conf, context):
        import sys

        self.pace = float(conf.get("squall.test.pace", 0.05))
        orjson = sys.modules.get("orjson")
        record(self, "probe", orjson=getattr(orjson, "__file__", None),
               squall=sys.modules["squall"].__file__, executable=sys.executable)

    def process(self, tup):
        time.sleep(self.pace)
        record(self, "seen", stream=tup.stream, source=tup.component, values=list(tup.values))


class Paced(Topology):
    """A slow sink, so a run lasts long enough to be disturbed."""

    words = NumberedWords.spec()
    sink = PacedSink.spec(inputs={words: Grouping.SHUFFLE})


class Slow(Topology):
    """process() sleeps longer than the subprocess timeout."""

    config = {"topology.subprocess.timeout.secs": 5}
    words = NumberedWords.spec()
    slow = SlowBolt.spec(inputs={words: Grouping.SHUFFLE})


class LevelLogger(Bolt):
    """Log one marker line per level for every tuple, through self.log and self.logger."""

    def process(self, tup):
        n = tup.values[1]
        for level in ("trace", "debug", "info", "warn", "error"):
            self.log(f"squall-level-marker {level} {n}", level=level)
        self.logger.warning("squall-logger-marker warning %s", n)


class Levels(Topology):
    """Log lines at every level."""

    words = NumberedWords.spec()
    logger = LevelLogger.spec(inputs={words: Grouping.SHUFFLE})


class OwnLogger(Bolt):
    """Log each input through ``self.logger``; a handler on that logger records what reaches it.

    Each task must have its own logger: a record from another task reaching this task's
    handler means two instances share one (hosts that run several tasks in one process).
    """

    def initialize(self, conf, context):
        owner = self

        class Tap(logging.Handler):
            def emit(self, log_record: logging.LogRecord) -> None:
                record(owner, "logged", sender=log_record.getMessage(), logger=log_record.name)

        self.logger.addHandler(Tap())

    def process(self, tup):
        self.logger.info("%s", self.task_id)
        record(self, "seen", stream=tup.stream, source=tup.component, values=list(tup.values))


class OwnLoggers(Topology):
    """Two tasks of one bolt, each logging through its own logger."""

    words = NumberedWords.spec()
    own = OwnLogger.spec(inputs={words: Grouping.SHUFFLE}, par=2)


class ExplicitSettle(Bolt):
    """Ack or fail every input explicitly although auto_ack and auto_fail are on.

    The first delivery of every n divisible by 4 is failed explicitly (then replayed),
    every other delivery acked explicitly. The explicit call must win on every host:
    no second ack, no crash, no restart (``init`` is recorded once per task).
    """

    def initialize(self, conf, context):
        record(self, "init")

    def process(self, tup):
        word, n = tup.values
        marker = os.path.join(self.conf[OUT_KEY], f"failed-once-{n}")
        if n % 4 == 0 and not os.path.exists(marker):
            open(marker, "w").close()
            self.fail(tup)
            return
        self.ack(tup)
        record(self, "seen", stream=tup.stream, source=tup.component, values=[word, n])


class Explicit(Topology):
    """Explicit ack/fail inside process() with the auto flags on."""

    words = NumberedWords.spec()
    settle = ExplicitSettle.spec(inputs={words: Grouping.SHUFFLE}, par=2)


class BatchedWords(NumberedWords):
    """Emit the numbered words in batches of up to 7 with ``emit_many`` (ids 0..N-1)."""

    def next_tuple(self):
        ns = list(range(self.next_n, min(self.next_n + 7, self.total)))
        if ns:
            self.emit_many([[WORDS[n % len(WORDS)], n] for n in ns], tup_ids=ns)
            self.next_n = ns[-1] + 1


class Copies(Bolt):
    """Emit two copies of each input with ``emit_many``, auto-anchored to it."""

    outputs = ["word", "n", "copy"]

    def process(self, tup):
        word, n = tup.values
        self.emit_many([[word, n, 0], [word, n, 1]])


class FlakyCopies(Bolt):
    """Fail the first delivery of copy 1 of every n divisible by 3: the anchored tree replays."""

    exit_on_exception = False

    def process(self, tup):
        word, n, copy = tup.values
        marker = os.path.join(self.conf[OUT_KEY], f"failed-once-{n}")
        if copy == 1 and n % 3 == 0 and not os.path.exists(marker):
            open(marker, "w").close()
            raise ValueError(f"planned failure of {n}")
        record(self, "seen", stream=tup.stream, source=tup.component, values=[word, n, copy])


class EmitMany(Topology):
    """emit_many on a spout (with ids) and a bolt (auto-anchored): replays prove the anchoring."""

    words = BatchedWords.spec()
    copies = Copies.spec(inputs={words: Grouping.SHUFFLE}, par=2)
    sink = FlakyCopies.spec(inputs={copies: Grouping.fields("word")}, par=2)


#: Values msgpack carries beyond JSON (bytes, integers past 64 bits) and the usual ones.
RICH_VALUES = [b"\x00\xff", 2**70, -(2**70), 2**64 - 1, None, {"k": [1, {"n": None}]}, 1.5, "h\u00e9"]


class RichValues(ReliableSpout):
    """Emit ``squall.test.count`` tuples ``[n, RICH_VALUES...]`` with ids 0..N-1 (msgpack only)."""

    outputs = ["n", "raw", "big", "small", "u64", "none", "nested", "real", "text"]
    max_fails = 100

    def initialize(self, conf, context):
        self.total = int(conf.get(COUNT_KEY, 200))
        self.next_n = 0

    def next_tuple(self):
        if self.next_n < self.total:
            n = self.next_n
            self.emit([n, *RICH_VALUES], tup_id=n)
            self.next_n += 1

    def ack(self, tup_id):
        super().ack(tup_id)
        record(self, "acked", id=tup_id)


class Relay(Bolt):
    """Re-emit every tuple's values unchanged."""

    outputs = RichValues.outputs

    def process(self, tup):
        self.emit(list(tup.values))


class CheckValues(Bolt):
    """Record, per tuple, whether its values arrived equal and of the same Python types."""

    def process(self, tup):
        n, *values = tup.values
        same = values == RICH_VALUES and [type(v) for v in values] == [type(v) for v in RICH_VALUES]
        record(self, "seen", values=[n, same], got=repr(values))


class RichValuesTwoWorkers(Topology):
    """Rich values through a bolt in another worker JVM and back (msgpack on Storm)."""

    config = {"topology.workers": 2}
    values = RichValues.spec()
    relay = Relay.spec(inputs={values: Grouping.SHUFFLE}, par=2)
    check = CheckValues.spec(inputs={relay: Grouping.SHUFFLE}, par=2)
