"""On the real dev cluster: Nimbus calls and fields the old hand-cut IDL subset lacked."""

from __future__ import annotations

from pathlib import Path

import pytest

from squall.devcluster import DevCluster
from squall.storm import StormEnv
from squall.storm._control import find_topology, kill, nimbus
from squall.storm._submit import submit
from squall.storm._thrift import storm_thrift
from tests.conformance import topologies as topo

pytestmark = [pytest.mark.storm, pytest.mark.slow]
TIMEOUT = 120.0


def test_supervisor_resources_come_with_the_cluster_info(storm_cluster: DevCluster) -> None:
    with nimbus(storm_cluster.storm_env()) as client:
        [supervisor] = client.cluster_info().supervisors
    assert supervisor.version.startswith("2.8.")  # field 6: "VERSION_NOT_PROVIDED" by default
    assert supervisor.total_resources["memory.mb"] > 0  # field 7 on
    assert supervisor.blacklisted is False


def test_log_levels_components_and_summaries_of_a_running_topology(
        storm_cluster: DevCluster, tmp_path: Path) -> None:
    env: StormEnv = storm_cluster.storm_env()
    try:
        topology_id = submit(topo.Paced.model, env, name="FullIdlPaced", wait=True,
                             options={topo.OUT_KEY: str(tmp_path), topo.COUNT_KEY: 100_000}).id
        with nimbus(env) as client:
            assert topology_id in [t.id for t in client.topology_summaries()]
            assert client.log_config(topology_id) == {}
            client.set_log_level(topology_id, "org.apache.storm", "DEBUG", timeout_secs=60)
            level = client.log_config(topology_id)["org.apache.storm"]
            page = client.component_page_info(topology_id, "sink")
            client.set_log_level(topology_id, "org.apache.storm", None)
            assert client.log_config(topology_id) == {}
        assert level.target_log_level == "DEBUG"
        assert level.reset_log_level_timeout_secs == 60
        assert level.reset_log_level_timeout_epoch > 0  # Nimbus computes when to reset
        assert page.component_type == storm_thrift().ComponentType.BOLT
        assert (page.topology_name, page.num_executors, page.num_tasks) == ("FullIdlPaced", 1, 1)
        assert [e.exec_summary.component_id for e in page.exec_stats] == ["sink"]
    finally:
        if find_topology(env, "FullIdlPaced") is not None:
            kill("FullIdlPaced", env, wait_secs=0, wait_gone=TIMEOUT)
