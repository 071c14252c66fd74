"""On the real dev cluster with a topology running, every server listens on loopback only."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import psutil
import pytest

from squall.devcluster import DevCluster
from squall.devcluster._procs import cluster_processes
from squall.storm.nimbus import NimbusClient
from tests.storm.test_shell_topology_smoke import _smoke_jar, _smoke_topology

pytestmark = pytest.mark.storm

LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def _listening(cluster: DevCluster) -> dict[tuple[str, int], str]:
    """Return (address, port) -> owner for every LISTEN socket of the cluster's processes."""
    found = {}
    for proc in cluster_processes([], cluster.storm_home):
        try:
            owner = f"pid {proc.pid} {' '.join(proc.cmdline())[-80:]}"
            for conn in proc.net_connections(kind="inet"):
                if conn.status == psutil.CONN_LISTEN:
                    found[(conn.laddr.ip, conn.laddr.port)] = owner
        except psutil.Error:
            continue  # ended meanwhile
    return found


def _wait_for_worker(cluster: DevCluster, slots: set[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not any(port in slots for _ip, port in _listening(cluster)):
        assert time.monotonic() < deadline, f"no worker listens on a slot port {sorted(slots)}"
        time.sleep(0.5)


def test_daemons_and_workers_listen_on_loopback_only(storm_cluster: DevCluster,
                                                     tmp_path: Path) -> None:
    if shutil.which("gcc") is None and not os.environ.get("CI"):
        pytest.skip("gcc not on PATH: without the bind shim Storm listens on all interfaces")
    ports = storm_cluster.status().ports
    assert ports is not None
    out = tmp_path / "out"
    out.mkdir()
    with NimbusClient(storm_cluster.nimbus_host, storm_cluster.nimbus_port) as nimbus:
        location = nimbus.upload_jar(_smoke_jar(tmp_path / "smoke.jar"))
        nimbus.submit("loopback", location, {"squall.smoke.dir": str(out),
                                             "topology.workers": 1}, _smoke_topology())
        try:
            _wait_for_worker(storm_cluster, set(ports.slots), 120)
            listening = _listening(storm_cluster)
        finally:
            nimbus.kill("loopback", wait_secs=0)
    wide = {f"{ip}:{port}": owner for (ip, port), owner in listening.items()
            if ip not in LOOPBACK}
    assert not wide, f"servers listening beyond loopback: {wide}"
    served = {port for _ip, port in listening}
    assert {ports.zookeeper, ports.nimbus, ports.supervisor} <= served
