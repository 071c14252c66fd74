"""submit/list/stats/kill and failure handling against a real Storm dev cluster."""

from __future__ import annotations

import dataclasses
import signal
import sys
from pathlib import Path

import psutil
import pytest

from squall.devcluster import DevCluster
from squall.errors import ClusterError, TopologyError
from squall.storm import StormEnv
from squall.storm._control import activate, find_topology, kill, list_topologies
from squall.storm._logs import tail, worker_logs
from squall.storm._stats import stats
from squall.storm._submit import submit
from squall.storm.nimbus import TopologyAlreadyRunning, TopologyNotRunning
from tests.conformance import topologies as topo
from tests.conformance.cases import acked_ids, records
from tests.conformance.engines import wait_for

pytestmark = [pytest.mark.storm, pytest.mark.slow]
TIMEOUT = 120.0


@pytest.fixture()
def storm_env(storm_cluster: DevCluster) -> StormEnv:
    return storm_cluster.storm_env()


@pytest.fixture()
def out(tmp_path: Path) -> Path:
    path = tmp_path / "out"
    path.mkdir()
    return path


@pytest.fixture()
def cleanup(storm_env: StormEnv):
    """Kill, at the end of the test, every topology the test names."""
    names: list[str] = []
    yield names
    for name in names:
        if find_topology(storm_env, name) is not None:
            kill(name, storm_env, wait_secs=0, wait_gone=TIMEOUT)


def _options(out: Path, count: int, **extra) -> dict:
    return {topo.OUT_KEY: str(out), topo.COUNT_KEY: count, **extra}


def _launcher_processes(topology_id: str, component: str) -> list[psutil.Process]:
    script = f"squall_launch_{component}.py"
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if script in (proc.info["cmdline"] or []) and topology_id in proc.cwd():
                found.append(proc)
        except psutil.Error:
            continue
    return found


def _worker_jvms(topology_id: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if ("org.apache.storm.daemon.worker.Worker" in cmd and topology_id in cmd
                and "org.apache.storm.LogWriter" not in cmd):
            found.append(proc)
    return found


def test_submit_list_stats_kill(storm_env, out, cleanup):
    cleanup.append("Paced")
    result = submit(topo.Paced.model, storm_env, options=_options(out, 100_000), wait=True)
    assert result.name == "Paced" and result.id.startswith("Paced-")
    assert result.conf["topology.workers"] == 1
    listed = {t.name: t for t in list_topologies(storm_env)}
    assert listed["Paced"].id == result.id and listed["Paced"].status == "ACTIVE"

    with pytest.raises(TopologyAlreadyRunning, match=r"topology 'Paced' is already running on local .*use --force"):
        submit(topo.Paced.model, storm_env, options=_options(out, 10))

    wait_for(lambda: len(acked_ids(out)) > 5, TIMEOUT, "the first acks")
    report = stats("Paced", storm_env)
    assert set(report.components) == {"words", "sink"}
    assert report.components["sink"].tasks == 1 and report.status == "ACTIVE"
    with pytest.raises(Exception, match="has no component 'nope'"):
        stats("Paced", storm_env, component="nope")

    kill("Paced", storm_env, wait_secs=0, wait_gone=TIMEOUT)
    assert find_topology(storm_env, "Paced") is None
    with pytest.raises(TopologyNotRunning, match="topology 'Paced' is not running on local"):
        stats("Paced", storm_env)


def test_force_replaces_a_running_topology(storm_env, out, cleanup):
    cleanup.append("Paced")
    first = submit(topo.Paced.model, storm_env, options=_options(out, 100_000))
    second = submit(topo.Paced.model, storm_env, options=_options(out, 10), force=True)
    assert second.id != first.id
    assert [t.id for t in list_topologies(storm_env) if t.name == "Paced"] == [second.id]


def test_inactive_then_activate(storm_env, out, cleanup):
    cleanup.append("Paced")
    submit(topo.Paced.model, storm_env, options=_options(out, 20), inactive=True, wait=True)
    assert not acked_ids(out)
    assert find_topology(storm_env, "Paced").status == "INACTIVE"
    activate("Paced", storm_env)
    wait_for(lambda: acked_ids(out) >= set(range(20)), TIMEOUT, "every id acked after activate")
    assert find_topology(storm_env, "Paced").status == "ACTIVE"


def test_direct_streams_are_refused_before_submitting(storm_env, out):
    with pytest.raises(TopologyError, match=r"component 'router' stream 'routed' is direct, which Storm 2\.\d+\.\d+ cannot run"):
        submit(topo.Direct.model, storm_env, options=_options(out, 10))
    assert find_topology(storm_env, "Direct") is None


def test_killed_python_subprocess_is_restarted_and_nothing_is_lost(storm_env, out, cleanup):
    cleanup.append("Paced")
    count = 150
    result = submit(topo.Paced.model, storm_env, options=_options(out, count), wait=True)
    wait_for(lambda: len(acked_ids(out)) >= 10, TIMEOUT, "the first acks")
    victims = _launcher_processes(result.id, "sink")
    assert len(victims) == 1
    victims[0].send_signal(signal.SIGKILL)
    wait_for(lambda: acked_ids(out) >= set(range(count)), TIMEOUT, "every id acked after the kill")
    restarted = _launcher_processes(result.id, "sink")
    assert restarted and restarted[0].pid != victims[0].pid


@pytest.mark.parametrize("serializer", ["json", "msgpack"])
def test_killed_worker_jvm_is_restarted_and_nothing_is_lost(storm_env, out, cleanup, serializer):
    cleanup.append("Paced")
    count = 150
    env = dataclasses.replace(storm_env, serializer=serializer)
    result = submit(topo.Paced.model, env, options=_options(out, count), wait=True)
    assert result.conf.get("topology.multilang.serializer") == (
        "squall.storm.MsgpackSerializer" if serializer == "msgpack" else None)
    wait_for(lambda: len(acked_ids(out)) >= 10, TIMEOUT, "the first acks")
    jvms = _worker_jvms(result.id)
    assert len(jvms) == 1
    jvms[0].send_signal(signal.SIGKILL)
    wait_for(lambda: acked_ids(out) >= set(range(count)), TIMEOUT, "every id acked after the kill")
    assert {p.pid for p in _worker_jvms(result.id)} - {jvms[0].pid}


@pytest.mark.parametrize("serializer", ["json", "msgpack"])
def test_process_longer_than_the_subprocess_timeout_survives(storm_env, out, cleanup, serializer):
    cleanup.append("Slow")
    submit(topo.Slow.model, dataclasses.replace(storm_env, serializer=serializer), options=_options(out, 2, **{"squall.test.sleep": 8}))
    wait_for(lambda: acked_ids(out) >= {0, 1}, TIMEOUT, "both slow tuples acked")
    seen = [r["values"][1] for r in records(out, "seen", "slow")]
    assert sorted(seen) == [0, 1], f"tuples replayed: the worker restarted ({seen})"
    text = "".join(p.read_text(errors="replace") for p in worker_logs(storm_env, find_topology(storm_env, "Slow").id))
    assert "heartbeat timeout" not in text


@pytest.mark.parametrize("serializer", ["json", "msgpack"])
def test_log_levels_reach_the_worker_log(storm_env, out, cleanup, serializer):
    cleanup.append("Levels")
    submit(topo.Levels.model, dataclasses.replace(storm_env, serializer=serializer), options=_options(out, 3))
    wait_for(lambda: acked_ids(out) >= {0, 1, 2}, TIMEOUT, "three tuples acked")

    def line_for(marker: str) -> str:
        lines = list(tail("Levels", storm_env, lines=100_000, pattern=marker))
        return lines[0] if lines else ""

    wait_for(lambda: line_for("squall-level-marker error 2"), 30, "the log lines")
    assert "[ERROR]" in line_for("squall-level-marker error 0")
    assert "[WARN]" in line_for("squall-level-marker warn 0")
    assert "[INFO]" in line_for("squall-level-marker info 0")
    assert "[WARN]" in line_for("squall-logger-marker warning 0")


@pytest.mark.parametrize("serializer", ["json", "msgpack"])
def test_reported_errors_show_in_stats(storm_env, out, cleanup, serializer):
    cleanup.append("Replay")
    submit(topo.Replay.model, dataclasses.replace(storm_env, serializer=serializer), options=_options(out, 10))
    wait_for(lambda: acked_ids(out) >= set(range(10)), TIMEOUT, "every id acked")
    wait_for(lambda: stats("Replay", storm_env).errors, 60, "errors reported to Nimbus")
    errors = stats("Replay", storm_env).errors
    assert errors[0].component == "flaky"
    assert any("planned failure of" in e.message for e in errors)


def test_vendored_jar_runs_on_the_cluster(storm_env, out, cleanup):
    cleanup.append("Paced")
    env = dataclasses.replace(storm_env, vendor=True, python=sys.executable)
    submit(topo.Paced.model, env, options=_options(out, 5, **{"squall.test.pace": 0}))
    wait_for(lambda: acked_ids(out) >= set(range(5)), TIMEOUT, "every id acked")
    probe = records(out, "probe", "sink")[0]
    assert "/resources/_vendor/orjson/" in probe["orjson"]
    assert "/resources/squall/" in probe["squall"]


def test_tail_on_a_remote_env_points_to_the_logviewer(storm_env):
    remote = dataclasses.replace(storm_env, name="prod", log_dir=None, local=False)
    with pytest.raises(ClusterError, match="env 'prod' is a remote cluster: open the Storm logviewer"):
        list(tail("Paced", remote))
