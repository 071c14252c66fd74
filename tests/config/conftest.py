"""Fixtures for config tests: a private project folder and a clean import state."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable

import pytest

from tests._imports import clean_imports  # noqa: F401  (autouse for this folder)

COMPONENTS = '''
from squall import Bolt, Grouping, Spout, Topology


class Numbers(Spout):
    outputs = ["n"]


class Printer(Bolt):
    pass
'''


def topology_source(name: str, extra_import: str = "") -> str:
    """Return the source of a file defining Topology ``name`` (numbers -> printer)."""
    return COMPONENTS + extra_import + f'''

class {name}(Topology):
    numbers = Numbers.spec()
    printer = Printer.spec(inputs={{numbers: Grouping.SHUFFLE}}, par=2)
'''


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a (dedented) file under tmp_path and return its path."""

    def _write(relative: str, text: str) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    return _write
