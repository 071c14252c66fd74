"""DevCluster up/down on real JVMs: no orphans, watchdog, clear start-up errors."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import psutil
import pytest

from squall.devcluster import DevCluster
from squall.errors import ClusterError

pytestmark = pytest.mark.storm


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def test_down_leaves_no_recorded_process_alive(tmp_path: Path) -> None:
    cluster = DevCluster(home=tmp_path / "home")
    status = cluster.up(exit_with_pid=os.getpid())
    assert status.running
    recorded = [d.pid for d in status.daemons.values()]
    assert status.watchdog_pid is not None
    procs = [psutil.Process(pid) for pid in [*recorded, status.watchdog_pid]]
    ended = cluster.down()
    assert set(recorded) <= set(ended)
    assert [p.pid for p in procs if _alive(p)] == []
    assert cluster.status().daemons == {}


def test_watchdog_brings_the_cluster_down_when_the_owner_dies(tmp_path: Path) -> None:
    owner = subprocess.Popen(["sleep", "600"], start_new_session=True)
    cluster = DevCluster(home=tmp_path / "home")
    try:
        status = cluster.up(exit_with_pid=owner.pid)
        procs = [psutil.Process(d.pid) for d in status.daemons.values()]
        owner.kill()
        owner.wait()
        _gone, alive = psutil.wait_procs(procs, timeout=60)
        assert alive == []
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
        cluster.down()


def test_a_daemon_dying_at_start_up_is_named_with_its_log(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_home = tmp_path / "jdk"
    java = fake_home / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\necho 'fake java: no JVM here' >&2\nexit 3\n")
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("JAVA_HOME", str(fake_home))
    cluster = DevCluster(home=tmp_path / "home", startup_timeout=30)
    with pytest.raises(ClusterError, match=r"^dev cluster: zookeeper (exited during start-up|"
                                           r"not listening on port \d+) \(log: .*zookeeper\.log"
                       ) as caught:
        cluster.up()
    assert "fake java: no JVM here" in str(caught.value)
    assert cluster.status().daemons == {}
