"""A topology that runs until stopped, for tests that run the engine in a subprocess."""

from squall import Topology
from tests.engine.components import Numbers, Sink


class Forever(Topology):
    config = {"test.count": 10**9, "topology.max.spout.pending": 100}
    numbers = Numbers.spec()
    relay = Sink.spec(inputs=[numbers])
    sink = Sink.spec(inputs=[numbers])
