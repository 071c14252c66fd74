"""Mistakes a user's type checker must catch: each marked line is one expected error.

The typing test asserts that mypy --strict reports exactly these (code and line), so a
squall change that turned an API into ``Any`` would make this test fail.
"""

from __future__ import annotations

from squall import Bolt, Grouping, Spout, Tuple


class Words(Spout):
    outputs = ["word"]

    def next_tuple(self) -> None:
        self.emit(["w"], stream=1)  # expect: arg-type


class Lengths(Bolt):
    outputs = ["length"]

    def process(self, tup: Tuple) -> None:
        size: int = tup.values  # expect: assignment
        self.emit([size], direct_task="2")  # expect: arg-type
        self.log(42)  # expect: arg-type
        tup.is_tick()  # expect: operator


def grouping() -> Grouping:
    return Grouping.fields(1)  # expect: arg-type


def spec() -> None:
    Lengths.spec(par="2")  # expect: arg-type
