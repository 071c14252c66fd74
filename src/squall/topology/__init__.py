"""The topology layer: the DSL users write and the plain-data model engines read.

This layer does no I/O and imports nothing above it.
"""

from squall.topology._grouping import Grouping, GroupingKind, unknown_grouping
from squall.topology._model import BOLT, SPOUT, ComponentModel, InputModel, TopologyModel
from squall.topology._spec import ComponentSpec, StreamRef
from squall.topology._stream import DEFAULT_STREAM, Stream, streams_from_outputs
from squall.topology._topology import Topology

__all__ = [
    "BOLT",
    "DEFAULT_STREAM",
    "SPOUT",
    "ComponentModel",
    "ComponentSpec",
    "Grouping",
    "GroupingKind",
    "InputModel",
    "Stream",
    "StreamRef",
    "Topology",
    "TopologyModel",
    "streams_from_outputs",
    "unknown_grouping",
]
