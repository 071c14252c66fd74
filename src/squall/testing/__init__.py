"""Test spouts, bolts and whole topologies in-process, in milliseconds, with pytest.

Component level: :class:`BoltHarness` and :class:`SpoutHarness` drive one component
through a recording host. Topology level: :func:`run_topology` replaces the spouts
you give inputs for by list-fed spouts, runs until idle and returns what every
component emitted and which spout tuples were acked or failed.

Example::

    from squall.testing import BoltHarness, run_topology

    def test_split():
        result = BoltHarness(SplitBolt).process({"line": "a b"})
        assert result.values() == [("a",), ("b",)]

    def test_wordcount():
        result = run_topology(WordCount, {"lines": [("a b",)]})
        assert result.acked["lines"] == [0]
"""

from squall.testing._component import BoltHarness, CallResult, SpoutHarness
from squall.testing._feed import FeedSpout
from squall.testing._inprocess import InProcessRunner
from squall.testing._recording import Emission, LogEntry, RecordingHost
from squall.testing._result import TopologyResult
from squall.testing._run import feed_spouts, run_topology
from squall.testing._tuples import make_tuple, tick_tuple

__all__ = [
    "BoltHarness",
    "CallResult",
    "Emission",
    "FeedSpout",
    "InProcessRunner",
    "LogEntry",
    "RecordingHost",
    "SpoutHarness",
    "TopologyResult",
    "feed_spouts",
    "make_tuple",
    "run_topology",
    "tick_tuple",
]
