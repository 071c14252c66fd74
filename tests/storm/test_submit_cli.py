"""The Storm CLI commands against a real dev cluster, in a fresh project directory."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from squall.cli import main
from squall.devcluster import DevCluster

pytestmark = [pytest.mark.storm, pytest.mark.slow]
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "wordcount.py"


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, storm_cluster: DevCluster) -> Path:
    # A distinct module name per test: one process cannot import two files as one module.
    shutil.copy(EXAMPLE, tmp_path / f"wc_{tmp_path.name.replace('-', '_')}.py")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQUALL_CLUSTER_HOME", str(storm_cluster.home))
    return tmp_path


def _target(project: Path) -> str:
    return next(project.glob("wc_*.py")).name


def _ok(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_submit_list_stats_tail_kill(project: Path) -> None:
    try:
        out = _ok("submit", _target(project), "-N", "cli-wc", "--wait", "-o", "topology.max.spout.pending=50")
        assert "Submitted cli-wc (cli-wc-" in out
        assert "cli-wc" in _ok("list")
        again = CliRunner().invoke(main, ["submit", _target(project), "-N", "cli-wc"])
        assert again.exit_code != 0
        assert "topology 'cli-wc' is already running on local" in again.output
        stats = _ok("stats", "cli-wc")
        assert "sentences" in stats and "split" in stats and "count" in stats
        assert "Prepared bolt count" in _ok("tail", "cli-wc", "-n", "1000", "-p", "Prepared bolt")
        _ok("deactivate", "cli-wc")
        _ok("activate", "cli-wc")
    finally:
        out = _ok("kill", "cli-wc", "--wait", "0")
    assert "Killed cli-wc." in out
    assert "cli-wc" not in _ok("list")


def test_jar_writes_a_jar_without_a_cluster_call(project: Path) -> None:
    out = _ok("jar", _target(project), "-o", "dist/wc.jar")
    assert "Wrote" in out
    with zipfile.ZipFile(project / "dist" / "wc.jar") as zf:
        names = set(zf.namelist())
    assert f"resources/{_target(project)}" in names and "resources/squall_launch_count.py" in names


def test_submit_with_msgpack_from_squall_toml_needs_no_java(project: Path) -> None:
    (project / "squall.toml").write_text('[env.local]\nserializer = "msgpack"\n')
    try:
        out = _ok("submit", _target(project), "-N", "cli-mp", "--wait")
        assert "Submitted cli-mp (cli-mp-" in out
        logged = _ok("tail", "cli-mp", "-n", "5000", "-p", "Storm multilang serializer")
        assert "Storm multilang serializer: squall.storm.MsgpackSerializer" in logged
        assert "Prepared bolt count" in _ok("tail", "cli-mp", "-n", "5000", "-p", "Prepared bolt")
    finally:
        _ok("kill", "cli-mp", "--wait", "0")
    _ok("jar", _target(project), "-o", "dist/mp.jar")
    with zipfile.ZipFile(project / "dist" / "mp.jar") as zf:
        assert "squall/storm/MsgpackSerializer.class" in zf.namelist()
