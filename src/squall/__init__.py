"""squall: real-time stream processing in Python that defeats the GIL.

Write spouts and bolts, wire them into a ``Topology``, run it on every core with the
embedded engine (``squall run``) or submit it unchanged to Apache Storm 2.x
(``squall submit``).

>>> from squall import Bolt, Grouping, Spout, Topology
>>> class Numbers(Spout):
...     outputs = ["n"]
>>> class Printer(Bolt):
...     pass
>>> class Demo(Topology):
...     numbers = Numbers.spec()
...     printer = Printer.spec(inputs={numbers: Grouping.SHUFFLE}, par=2)
>>> Demo.model.components["printer"].par
2
"""

from squall._version import __version__
from squall.api import (
    BatchingBolt,
    Bolt,
    Component,
    ReliableSpout,
    Spout,
    TicklessBatchingBolt,
    TopologyContext,
    Tuple,
)
from squall.engine import RunResult, run_local
from squall.errors import SquallError, TopologyError
from squall.topology import Grouping, Stream, Topology, TopologyModel

__all__ = [
    "BatchingBolt",
    "Bolt",
    "Component",
    "Grouping",
    "ReliableSpout",
    "RunResult",
    "SquallError",
    "Spout",
    "Stream",
    "TicklessBatchingBolt",
    "Topology",
    "TopologyContext",
    "TopologyModel",
    "TopologyError",
    "Tuple",
    "__version__",
    "run_local",
]
