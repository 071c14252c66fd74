"""Fixtures for CLI tests: a private project folder with a small topology."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._imports import clean_imports  # noqa: F401  (autouse for this folder)

SMALL_TOPOLOGY = '''
from squall import Bolt, Grouping, Spout, Topology


class Numbers(Spout):
    outputs = ["n"]

    def initialize(self, conf, context):
        self.left = 20

    def next_tuple(self):
        if self.left > 0:
            self.left -= 1
            self.emit([self.left])


class Double(Bolt):
    outputs = ["n2"]

    def process(self, tup):
        self.emit([tup.values.n * 2])


class Small(Topology):
    numbers = Numbers.spec()
    double = Double.spec(inputs={numbers: Grouping.SHUFFLE}, par=2)
'''


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (the cwd) holding small_flow.py, with no squall.toml.

    ``$SQUALL_CLUSTER_HOME`` points to a private folder next to it.
    """
    root = tmp_path / "proj"
    root.mkdir()
    (root / "small_flow.py").write_text(SMALL_TOPOLOGY)
    monkeypatch.chdir(root)
    monkeypatch.setenv("SQUALL_CLUSTER_HOME", str(tmp_path / "cluster"))
    return root
