"""Make a throwaway user project on disk and import its topology, for packaging tests."""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from pathlib import Path
from types import ModuleType

TOPOLOGY_SOURCE = textwrap.dedent('''
    from squall import Bolt, Grouping, Spout, Stream, Topology

    class Words(Spout):
        outputs = ["word", Stream(["word", "n"], name="counted")]

    class Upper(Bolt):
        outputs = ["word"]

    class Sink(Bolt):
        pass

    class Demo(Topology):
        config = {"squall.test": 1}
        words = Words.spec()
        upper = Upper.spec(inputs={words: Grouping.fields("word")}, par=2,
                           config={"topology.tick.tuple.freq.secs": 3})
        sink = Sink.spec(name="sink-all", inputs={upper: Grouping.GLOBAL, words["counted"]: Grouping.ALL})
''')


def make_project(root: Path, source: str = TOPOLOGY_SOURCE) -> tuple[Path, ModuleType]:
    """Write a package with one topology module under ``root``; import and return it."""
    package = f"proj_{uuid.uuid4().hex[:8]}"
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    (root / package / "topo.py").write_text(source)
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(f"{package}.topo")
    finally:
        sys.path.remove(str(root))
    return root / package, module
