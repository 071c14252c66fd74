"""Components the multilang runtime tests run in real child processes."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import threading
import time

from squall import BatchingBolt, Bolt, ReliableSpout, Spout, Stream, TicklessBatchingBolt


class EchoBolt(Bolt):
    """Emit the input's values unchanged (anchored, acked by the api)."""

    outputs = ["word"]

    def process(self, tup):
        self.emit([tup.values[0]])


class SplitManyBolt(Bolt):
    """Emit each word of the input with one emit_many call."""

    outputs = ["word"]

    def process(self, tup):
        self.emit_many([[word] for word in tup.values[0].split()])


class TaskIdsBolt(Bolt):
    """Emit with need_task_ids and emit the returned ids on stream 'ids'."""

    outputs = ["word", Stream(["ids"], name="ids")]

    def process(self, tup):
        ids = self.emit([tup.values[0]], need_task_ids=True)
        self.emit([ids], stream="ids")


class DirectBolt(Bolt):
    """Direct-emit to task 7 and report the returned ids."""

    outputs = [Stream(["word"], name="direct", direct=True), Stream(["ids"], name="ids")]

    def process(self, tup):
        ids = self.emit([tup.values[0]], stream="direct", direct_task=7, need_task_ids=True)
        self.emit([ids], stream="ids")


class WaitingBolt(Bolt):
    """Block in process() while the file named by the tuple exists (the test removes it)."""

    outputs = ["word"]

    def process(self, tup):
        path = tup.values[0]
        while os.path.exists(path):
            time.sleep(0.01)
        self.emit(["done"])


class ThreadedBolt(Bolt):
    """Emit n tuples from a user thread while the main thread emits n too."""

    outputs = ["who", "i", "pad"]

    def process(self, tup):
        n = tup.values[0]
        pad = "x" * 5000
        worker = threading.Thread(target=lambda: [self.emit(["thread", i, pad], anchors=[tup]) for i in range(n)])
        worker.start()
        for i in range(n):
            self.emit(["main", i, pad])
        worker.join()


class CrashBolt(Bolt):
    """Raise on the value 'boom'; echo anything else."""

    outputs = ["word"]

    def process(self, tup):
        if tup.values[0] == "boom":
            raise ValueError("boom requested")
        self.emit([tup.values[0]])


class LingeringThreadCrashBolt(CrashBolt):
    """CrashBolt that also starts a non-daemon thread which never ends on its own."""

    def initialize(self, conf, ctx):
        self._never = threading.Event()
        threading.Thread(target=self._never.wait, name="user-lingering").start()


class TolerantCrashBolt(CrashBolt):
    """Like CrashBolt, but keeps going after an exception."""

    exit_on_exception = False


class PrintBolt(Bolt):
    """print() from Python, write to fd 1 from C, and from a child process."""

    outputs = ["word"]

    def process(self, tup):
        print("python print", tup.values[0])
        libc = ctypes.CDLL(None)
        libc.write(1, b"c-level write\n", 14)
        subprocess.run([sys.executable, "-c", "print('child process print')"], check=True)
        self.emit([tup.values[0]])


class LoggingBolt(Bolt):
    """Log at every level through self.log and self.logger."""

    outputs = ["word"]

    def process(self, tup):
        self.log("trace msg", "trace")
        self.log("debug msg", "debug")
        self.logger.info("info msg")
        self.logger.warning("warn msg")
        self.log("error msg", "error")


class CountBatch(BatchingBolt):
    """Emit (key, count) per group every 3 ticks."""

    outputs = ["word", "count"]
    ticks_between_batches = 3

    def group_key(self, tup):
        return tup.values[0]

    def process_batch(self, key, tups):
        self.emit([key, len(tups)])


class NumberSpout(Spout):
    """Emit 0, 1, 2, ... one per next, with the number as tuple id."""

    outputs = ["n"]

    def initialize(self, conf, context):
        self.n = 0
        self.events = []

    def next_tuple(self):
        self.emit([self.n], tup_id=self.n)
        self.n += 1

    def ack(self, tup_id):
        self.log(f"acked {tup_id}")

    def fail(self, tup_id):
        self.log(f"failed {tup_id}")

    def activate(self):
        self.log("activated")

    def deactivate(self):
        self.log("deactivated")


class ReplaySpout(ReliableSpout):
    """Emit 'a' once (id 'a1'); replay on fail up to max_fails."""

    outputs = ["word"]
    max_fails = 2

    def initialize(self, conf, context):
        self.sent = False

    def next_tuple(self):
        if not self.sent:
            self.sent = True
            self.emit(["a"], tup_id="a1")


class CrashSpout(Spout):
    """Raise in next_tuple."""

    outputs = ["n"]

    def next_tuple(self):
        raise RuntimeError("spout broke")


class BadInitBolt(Bolt):
    """Raise in initialize."""

    def initialize(self, conf, context):
        raise KeyError("missing setting")


class NotAComponent:
    """Not a Spout or Bolt."""


class TicklessCrash(TicklessBatchingBolt):
    """process_batch raises on the timer thread."""

    outputs = ["word"]
    secs_between_batches = 0.05

    def process_batch(self, key, tups):
        raise RuntimeError("batch broke")


class TaskIdsSpout(Spout):
    """Emit with need_task_ids and log the ids Storm returned."""

    outputs = ["n"]

    def next_tuple(self):
        ids = self.emit([1], tup_id="x", need_task_ids=True)
        self.log(f"ids {ids}")
