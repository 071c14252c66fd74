"""run_topology on the embedded engine: real task processes, the same result shape."""

from collections import Counter

import pytest

from squall.errors import ComponentCrashed
from squall.testing import run_topology
from tests.testing.topologies import Batched, Crashy, Replays, WordCount

pytestmark = pytest.mark.slow

LINES = [("a b a",), ("b",), ("",)]


def _same(result):
    return {c: {s: Counter(v) for s, v in streams.items()} for c, streams in result.emitted.items()}


def test_embedded_matches_inprocess():
    embedded = run_topology(WordCount, {"lines": LINES}, engine="embedded", timeout=60)
    inprocess = run_topology(WordCount, {"lines": LINES})
    assert embedded.engine == "embedded" and embedded.idle
    assert _same(embedded) == _same(inprocess)
    assert sorted(embedded.acked["lines"]) == [0, 1, 2] and embedded.pending == {}
    assert embedded.streams == inprocess.streams  # so a misspelt name raises on both engines


def test_embedded_ticks_flush_batches_and_spouts_replay():
    batched = run_topology(Batched, {"lines": [("a b a",)]}, engine="embedded", timeout=60)
    assert sorted(batched.values("batch")) == [("a", 2), ("b", 1)]
    assert batched.acked == {"lines": [0]}
    replays = run_topology(Replays, engine="embedded", timeout=60, options={"numbers.limit": 3})
    assert sorted(replays.acked["numbers"]) == [0, 2]
    assert replays.failed["numbers"] == [1, 1, 1]


def test_embedded_crash_is_recorded_or_raised():
    fast = {"topology.message.timeout.secs": 2}  # the crashed task's tuples time out
    result = run_topology(Crashy, {"lines": [("boom",), ("fine",)]}, engine="embedded", timeout=60,
                          raise_errors=False, options=fast)
    assert 0 in result.failed["lines"]  # tuples queued at the crashed task fail too
    assert sorted(result.failed["lines"] + result.acked.get("lines", [])) == [0, 1]
    assert "ValueError: boom!" in result.errors["check"][0]
    with pytest.raises(ComponentCrashed, match=r"component 'check' \(task \d+\) crashed on the embedded engine"):
        run_topology(Crashy, {"lines": [("boom",)]}, engine="embedded", timeout=60, options=fast)
