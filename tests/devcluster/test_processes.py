"""Finding and stopping a cluster's processes, and the owner watchdog: no JVM needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from squall.devcluster._config import pick_ports
from squall.devcluster._layout import StormHome
from squall.devcluster._procs import cluster_processes, terminate
from squall.devcluster._state import ClusterState, ProcessRecord, load_state, save_state

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _sleeper(cwd: Path | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sleep", "300"], cwd=cwd, start_new_session=True)


def test_processes_working_under_storm_local_belong_to_the_cluster(tmp_path: Path) -> None:
    home = StormHome(tmp_path)
    resources = home.local_dir / "supervisor" / "stormdist" / "t-1" / "resources"
    resources.mkdir(parents=True)
    inside, outside = _sleeper(cwd=resources), _sleeper(cwd=tmp_path)
    try:
        found = {p.pid for p in cluster_processes([], home)}
        assert inside.pid in found
        assert outside.pid not in found
        assert os.getpid() not in found
    finally:
        for proc in (inside, outside):
            proc.kill()
            proc.wait()


def test_terminate_ends_every_process_given(tmp_path: Path) -> None:
    procs = [_sleeper(), _sleeper()]
    ended = terminate([psutil.Process(p.pid) for p in procs], grace_secs=2.0)
    assert sorted(ended) == sorted(p.pid for p in procs)
    assert all(p.wait(timeout=5) is not None for p in procs)


def test_state_round_trips_and_spots_reused_pids(tmp_path: Path) -> None:
    record = ProcessRecord.of(os.getpid())
    state = ClusterState(version="2.8.3", ports=pick_ports(), owner_pid=1,
                         daemons={"nimbus": record})
    save_state(tmp_path, state)
    loaded = load_state(tmp_path)
    assert loaded == state
    assert record.process() is not None
    assert ProcessRecord(pid=os.getpid(), create_time=record.create_time - 60).process() is None


def test_watchdog_stops_the_cluster_when_its_owner_exits(tmp_path: Path) -> None:
    home = StormHome(tmp_path)
    home.local_dir.mkdir(parents=True)
    daemon, owner = _sleeper(cwd=home.local_dir), _sleeper()
    save_state(tmp_path, ClusterState(version="2.8.3", ports=pick_ports(),
                                      daemons={"nimbus": ProcessRecord.of(daemon.pid)}))
    created = psutil.Process(owner.pid).create_time()
    watchdog = subprocess.Popen(
        [sys.executable, "-m", "squall.devcluster._watchdog", "--owner", str(owner.pid),
         "--owner-create-time", repr(created), "--home", str(tmp_path)],
        env={**os.environ, "PYTHONPATH": SRC}, start_new_session=True)
    try:
        assert daemon.poll() is None
        owner.kill()
        owner.wait()
        assert watchdog.wait(timeout=60) == 0
        assert daemon.wait(timeout=10) is not None
        assert load_state(tmp_path) is None
    finally:
        for proc in (daemon, owner, watchdog):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.parametrize("pid_gone", [True])
def test_watchdog_returns_at_once_for_a_dead_owner(tmp_path: Path, pid_gone: bool) -> None:
    from squall.devcluster._watchdog import wait_for_exit

    owner = _sleeper()
    created = psutil.Process(owner.pid).create_time()
    owner.kill()
    owner.wait()
    wait_for_exit(owner.pid, created)


def _named(*args: str) -> subprocess.Popen[bytes]:
    """A sleeping process whose command line carries ``args``."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", *args],
                            start_new_session=True)


def test_a_cluster_home_that_prefixes_another_spares_the_other(tmp_path: Path) -> None:
    mine, other = tmp_path / "cluster", tmp_path / "cluster2"
    home = StormHome(mine)
    ours = [_named(f"-Dstorm.home={mine}"), _named("--home", str(mine)),
            _named(f"-Dstorm.local.dir={mine / 'storm-local'}"),
            _named("-cp", f"/opt/x.jar:{mine / 'storm-local' / 'supervisor' / 'stormjar.jar'}")]
    theirs = [_named(f"-Dstorm.home={other}"), _named("--home", str(other)),
              _named(f"-Dstorm.local.dir={other / 'storm-local'}"),
              _named(f"-Dstorm.local.dir={mine / 'storm-local2'}")]
    try:
        found = {p.pid for p in cluster_processes([], home)}
        assert {p.pid for p in ours} <= found
        assert not {p.pid for p in theirs} & found
    finally:
        for proc in ours + theirs:
            proc.kill()
            proc.wait()
