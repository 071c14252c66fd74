"""Small topologies the dashboard tests run on the embedded engine (forked: importable here)."""

from __future__ import annotations

import time

from squall import Bolt, Grouping, Spout, Topology


class Ticker(Spout):
    """Emit about 2,000 numbers a second, forever (gentle on a shared 2-core machine)."""

    outputs = ["n"]

    def initialize(self, conf, context):
        self.n = 0

    def next_tuple(self):
        time.sleep(0.005)
        for _ in range(10):
            self.n += 1
            self.emit([self.n], tup_id=self.n)


class Double(Bolt):
    outputs = ["n2"]

    def process(self, tup):
        self.emit([tup.values.n * 2])


class Picky(Bolt):
    """Crash once, on the number 50, with a recognisable message."""

    outputs = ["n"]

    def process(self, tup):
        if tup.values.n2 == 100:
            raise ValueError("picky bolt refuses 50")


class Numbers(Topology):
    config = {"topology.message.timeout.secs": 5}
    ticker = Ticker.spec()
    double = Double.spec(inputs={ticker: Grouping.SHUFFLE}, par=2)
    picky = Picky.spec(inputs={double: Grouping.fields("n2")})
