"""A user's tests with squall.testing."""

from __future__ import annotations

from squall.testing import BoltHarness, run_topology

from .bolts import SplitBolt
from .topologies import WordCount


def test_split() -> None:
    result = BoltHarness(SplitBolt).process({"sentence": "a b"})
    assert result.values() == [("a",), ("b",)]


def test_wordcount() -> None:
    run = run_topology(WordCount, inputs={"sentences": [("a b",), ("b c",)]})
    assert len(run.acked["sentences"]) == 2
