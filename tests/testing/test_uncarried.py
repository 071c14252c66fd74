"""squall.testing applies the engine's codec rule: values must survive a msgpack round trip."""

from __future__ import annotations

from typing import Any

import pytest

from squall import Bolt, Grouping, Spout, Topology, TopologyError
from squall.testing import BoltHarness, run_topology
from tests.engine.test_uncarried import bad_value


class Emitter(Bolt):
    outputs = ["n", "payload"]

    def process(self, tup: Any) -> None:
        self.emit([tup.values[0], bad_value(tup.values[1]) if tup.values[1] else (1, 2)])


@pytest.mark.parametrize("kind, type_name", [
    ("lambda", "function"), ("generator", "generator"), ("surrogate", "str"), ("deep", "list"), ("tuple_key", "dict"),
])
def test_the_harness_refuses_an_uncarried_value_at_emit(kind: str, type_name: str) -> None:
    bolt = BoltHarness(Emitter, component_id="emitter")
    with pytest.raises(TopologyError, match=(
        rf"^emitter: cannot send a tuple on stream 'default': field 'payload' holds a {type_name} "
        r"the engine cannot carry \(.*\); that tuple's tree fails\. Fix: emit values that survive"
    )):
        bolt.process([1, kind])


class Rows(Spout):
    outputs = ["n", "kind"]


class TypeOf(Bolt):
    """Emit the type name of the payload it received."""

    outputs = ["n", "type"]

    def process(self, tup: Any) -> None:
        self.emit([tup.values[0], type(tup.values[1]).__name__])


class Pipeline(Topology):
    rows = Rows.spec()
    emitter = Emitter.spec(inputs={rows: Grouping.SHUFFLE})
    types = TypeOf.spec(inputs={emitter: Grouping.SHUFFLE})


def test_run_topology_fails_only_the_tree_of_an_uncarried_value() -> None:
    rows = [(n, "lambda" if n == 3 else "") for n in range(6)]
    result = run_topology(Pipeline, {"rows": rows})
    assert result.acked["rows"] == [0, 1, 2, 4, 5] and result.failed["rows"] == [3]
    (error,) = result.errors["emitter"]
    assert error.startswith("emitter: cannot send a tuple on stream 'default': field 'payload' holds a function")
    # values arrive as the engine's codec delivers them: a tuple becomes a list
    assert set(result.values("types")) == {(n, "list") for n in (0, 1, 2, 4, 5)}
