"""docs/streamparse.md: the streamparse quickstart project, ported by the page's exact diff, runs."""

from __future__ import annotations

from pathlib import Path

import pytest

import squall
from squall.devcluster import DevCluster
from tests.docs.blocks import blocks
from tests.docs.test_tutorial import Reader

PAGE = "streamparse.md"
SQUALL_SRC = str(Path(squall.__file__).resolve().parents[1])  # the squall under test


def _reader(home: Path, cluster_home: Path | None = None) -> Reader:
    reader = Reader(home)
    reader.env["PYTHONPATH"] = SQUALL_SRC
    if cluster_home is not None:
        reader.env["SQUALL_CLUSTER_HOME"] = str(cluster_home)
    return reader


def test_every_block_is_marked():
    unmarked = [b.line for b in blocks(PAGE) if b.action is None]
    assert not unmarked, f"docs/{PAGE}: blocks at lines {unmarked} have no <!-- test ... --> marker"


def test_the_port_applies_and_runs(tmp_path):
    reader = _reader(tmp_path)
    for block in blocks(PAGE):
        if block.action != "storm":
            reader.run(block)
    project = tmp_path / "wordcount"
    assert not (project / "config.json").exists() and (project / "squall.toml").is_file()
    assert "from squall import Bolt" in (project / "src" / "bolts" / "wordcount.py").read_text()
    assert list((project / ".squall" / "runs").glob("WordCount-*"))


@pytest.mark.storm
@pytest.mark.slow
def test_the_ported_project_submits_to_storm_unchanged(tmp_path, storm_cluster: DevCluster):
    reader = _reader(tmp_path, storm_cluster.home)
    for block in blocks(PAGE):
        reader.run(block, timeout=600)
