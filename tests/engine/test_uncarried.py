"""One value the engine cannot carry fails that tuple's tree only, and says why."""

from __future__ import annotations

from typing import Any

import pytest

from squall import Bolt, Grouping, Topology
from squall.engine import run_local
from tests.engine.components import ReliableNumbers, Sink, read

BAD = 13


def _deep(depth: int) -> list[Any]:
    top: list[Any] = []
    cur = top
    for _ in range(depth):
        nxt: list[Any] = []
        cur.append(nxt)
        cur = nxt
    return top


def _gen() -> Any:
    yield 1


def bad_value(kind: str) -> Any:
    return {
        "lambda": lambda: 1,
        "generator": _gen(),
        "surrogate": "\ud800",
        "deep": _deep(100_000),
        "tuple_key": {(1, 2): "x"},
    }[kind]


class GiveUpSoon(ReliableNumbers):
    max_fails = 2


class Poison(Bolt):
    """Pass [n, key] on; for n == 13 put the conf's bad value in the 'key' field."""

    outputs = ["n", "key"]

    def process(self, tup: Any) -> None:
        n = tup.values.n
        self.emit([n, bad_value(self.conf["test.bad"]) if n == BAD else tup.values.key])


class PoisonTopology(Topology):
    numbers = GiveUpSoon.spec()
    poison = Poison.spec(inputs={numbers: Grouping.SHUFFLE})
    sink = Sink.spec(inputs={poison: Grouping.SHUFFLE})


EXPECTED_CAUSE = {
    "lambda": "field 'key' holds a function the engine cannot carry (AttributeError: Can't pickle local object",
    "generator": "field 'key' holds a generator the engine cannot carry (TypeError: cannot pickle 'generator'",
    "surrogate": "field 'key' holds a str the engine cannot carry (UnicodeEncodeError",
    "deep": "field 'key' holds a list the engine cannot carry (ValueError",
    "tuple_key": "cannot decode (sent by poison[2]) a tuple on stream 'default': field 'key' holds a value "
                 "the engine cannot carry (TypeError: unhashable type: 'list')",
}


@pytest.mark.parametrize("kind", sorted(EXPECTED_CAUSE))
def test_one_uncarried_value_fails_only_its_own_tree(kind: str, opts: dict[str, Any], tmp_path: Any) -> None:
    options = dict(opts, **{"test.count": 100, "test.bad": kind})
    result = run_local(PoisonTopology, options=options, until_idle=True, idle_secs=0.5, log_dir=tmp_path / "r")
    others = set(range(100)) - {BAD}
    assert {r["values"][0] for r in read(opts["test.dir"], "sink-sink")} == others
    assert {r["n"] for r in read(opts["test.dir"], "spout-ack")} == others
    assert {r["n"] for r in read(opts["test.dir"], "spout-fail")} == {BAD}  # replayed, then given up
    assert result.crashes == ()
    log = (tmp_path / "r" / "engine.log").read_text()
    where = "sink[3]" if kind == "tuple_key" else "poison[2]: cannot send a tuple on stream 'default'"
    assert where in log and EXPECTED_CAUSE[kind] in log, log[-3000:]
