"""Submit a two-component shell topology of hand-written multi-lang scripts to the dev cluster."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import pytest

from squall import Bolt, Grouping, Spout, Topology
from squall.devcluster import DevCluster
from squall.storm import storm_topology
from squall.storm.nimbus import NimbusClient, TopologyAlreadyRunning

pytestmark = pytest.mark.storm

SMOKE_DIR = Path(__file__).with_name("smoke")
WORDS = 20  # echo_spout.LIMIT


def _smoke_jar(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as jar:
        for script in ("echo_spout.py", "sink_bolt.py", "smoke_multilang.py"):
            jar.write(SMOKE_DIR / script, f"resources/{script}")
    return path


class _Echo(Spout):
    outputs = ["word"]


class _Sink(Bolt):
    pass


class Smoke(Topology):
    """The shape of the hand-written scripts in smoke/: echo -> sink."""

    echo = _Echo.spec()
    sink = _Sink.spec(inputs={echo: Grouping.SHUFFLE})


def _smoke_topology() -> object:
    """squall's own builder, with the hand-written multi-lang scripts as the components."""
    return storm_topology(Smoke.model, "python3", {"echo": "echo_spout.py", "sink": "sink_bolt.py"})


def _wait_for(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.25)
    return False


def test_shell_topology_runs_on_the_dev_cluster(storm_cluster: DevCluster,
                                                tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    words = out / "words.txt"
    with NimbusClient(storm_cluster.nimbus_host, storm_cluster.nimbus_port) as nimbus:
        location = nimbus.upload_jar(_smoke_jar(tmp_path / "smoke.jar"))
        conf = {"squall.smoke.dir": str(out), "topology.workers": 1}
        nimbus.submit("smoke", location, conf, _smoke_topology())
        try:
            with pytest.raises(TopologyAlreadyRunning, match="'smoke' already running"):
                nimbus.submit("smoke", location, conf, _smoke_topology())
            assert _wait_for(lambda: words.exists()
                             and len(set(words.read_text().split())) == WORDS, 120)
            info = nimbus.topology_info_by_name("smoke")
            assert info.status == "ACTIVE"
            assert {e.component_id for e in info.executors} >= {"echo", "sink"}
            assert nimbus.topology_conf(info.id)["squall.smoke.dir"] == str(out)
        finally:
            nimbus.kill("smoke", wait_secs=0)
        assert _wait_for(lambda: not any(t.name == "smoke"
                                         for t in nimbus.list_topologies()), 60)
    facts = json.loads((out / "bolt-env.json").read_text())
    resources = storm_cluster.storm_local_dir / "supervisor" / "stormdist" / info.id
    assert facts["cwd"] == str(resources / "resources")
    worker_log = storm_cluster.log_dir / "workers-artifacts" / info.id
    logs = "".join(p.read_text() for p in worker_log.glob("*/worker.log"))
    assert "ShellLog pid:" in logs and "sink_bolt ready" in logs
