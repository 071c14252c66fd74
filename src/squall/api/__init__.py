"""The component API: spouts, bolts, tuples, and the host contract they run against.

This layer does no I/O: hosts (the multi-lang runtime, the embedded engine, the test
harness) implement :class:`ComponentHost` and drive components through it.
"""

from squall.api._bolt import BatchingBolt, Bolt, TicklessBatchingBolt
from squall.api._component import Component, storm_level
from squall.api._context import TopologyContext, storm_context
from squall.api._host import DEBUG, ERROR, INFO, LEVELS, TRACE, WARN, ComponentHost
from squall.api._spout import ReliableSpout, Spout
from squall.api._tuple import HEARTBEAT_STREAM, TICK_COMPONENT, TICK_STREAM, Tuple, TupleFactory, tick_tuple

__all__ = [
    "DEBUG",
    "ERROR",
    "HEARTBEAT_STREAM",
    "INFO",
    "LEVELS",
    "TICK_COMPONENT",
    "TICK_STREAM",
    "TRACE",
    "WARN",
    "BatchingBolt",
    "Bolt",
    "Component",
    "ComponentHost",
    "ReliableSpout",
    "Spout",
    "TicklessBatchingBolt",
    "TopologyContext",
    "Tuple",
    "TupleFactory",
    "storm_context",
    "storm_level",
    "tick_tuple",
]
