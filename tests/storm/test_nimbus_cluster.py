"""NimbusClient against a real dev cluster: leader, supervisor, empty topology list."""

from __future__ import annotations

import pytest

from squall.devcluster import DevCluster
from squall.storm.nimbus import NimbusClient, TopologyNotRunning

pytestmark = pytest.mark.storm


def test_cluster_has_a_leader_and_a_supervisor(storm_cluster: DevCluster) -> None:
    with NimbusClient(storm_cluster.nimbus_host, storm_cluster.nimbus_port) as nimbus:
        info = nimbus.cluster_info()
        leader = nimbus.leader()
    assert any(n.isLeader for n in info.nimbuses)
    assert leader.port == storm_cluster.nimbus_port
    assert len(info.supervisors) == 1
    assert info.supervisors[0].num_workers == 4


def test_empty_cluster_lists_no_topologies(storm_cluster: DevCluster) -> None:
    with NimbusClient(storm_cluster.nimbus_host, storm_cluster.nimbus_port) as nimbus:
        names = [t.name for t in nimbus.list_topologies()]
    assert "never-submitted" not in names


def test_nimbus_conf_is_the_generated_storm_yaml(storm_cluster: DevCluster) -> None:
    with NimbusClient(storm_cluster.nimbus_host, storm_cluster.nimbus_port) as nimbus:
        conf = nimbus.nimbus_conf()
    assert conf["nimbus.thrift.port"] == storm_cluster.nimbus_port
    assert conf["storm.local.dir"] == str(storm_cluster.storm_local_dir)


def test_killing_an_unknown_topology_says_it_is_not_running(storm_cluster: DevCluster) -> None:
    with NimbusClient(storm_cluster.nimbus_host, storm_cluster.nimbus_port) as nimbus:
        with pytest.raises(TopologyNotRunning, match="^topology 'ghost' is not running$"):
            nimbus.kill("ghost")


def test_status_reports_every_daemon_running(storm_cluster: DevCluster) -> None:
    status = storm_cluster.status()
    assert status.running
    assert set(status.daemons) == {"zookeeper", "nimbus", "supervisor"}
    assert status.watchdog_pid is not None


def test_kill_of_an_unknown_name_lists_what_runs(storm_cluster: DevCluster) -> None:
    from squall.storm._control import kill

    with pytest.raises(TopologyNotRunning,
                       match=r"^topology 'ghost' is not running on local \(running: .*\); see `squall list`$"):
        kill("ghost", storm_cluster.storm_env(), wait_secs=0)
