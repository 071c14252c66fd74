"""The tracked sentence spouts the spout round-trip benchmark runs (squall and pystorm 3.1.4)."""

from __future__ import annotations

import sys

from squall import Spout

SENTENCE = "the quick brown fox jumps over the lazy dog again"


class Sentences(Spout):
    """Emit one tracked 10-word sentence per next_tuple, with an increasing id."""

    outputs = ["sentence"]

    def initialize(self, conf, context):
        self.n = 0

    def next_tuple(self):
        self.n += 1
        self.emit([SENTENCE], tup_id=self.n)


def pystorm_main(serializer: str) -> None:
    """Run pystorm's equivalent spout on this process's stdio."""
    from pystorm import Spout as PystormSpout

    class PystormSentences(PystormSpout):
        def initialize(self, conf, context):
            self.n = 0

        def next_tuple(self):
            self.n += 1
            self.emit([SENTENCE], tup_id=self.n, need_task_ids=False)

    PystormSentences(serializer=serializer).run()


if __name__ == "__main__":
    pystorm_main(sys.argv[1])
