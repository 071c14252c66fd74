"""The pass-through bolts the multi-lang benchmark runs (squall and pystorm 3.1.4)."""

from __future__ import annotations

import sys

from squall import Bolt


class PassThrough(Bolt):
    """Read a tuple, emit its values anchored to it, ack it (auto_anchor/auto_ack)."""

    outputs = ["word"]

    def process(self, tup):
        self.emit(tup.values)


def pystorm_main(serializer: str) -> None:
    """Run pystorm's equivalent bolt on this process's stdio."""
    from pystorm import Bolt as PystormBolt

    class PystormPassThrough(PystormBolt):
        def process(self, tup):
            self.emit(tup.values)

    PystormPassThrough(serializer=serializer).run()


if __name__ == "__main__":
    pystorm_main(sys.argv[1])
