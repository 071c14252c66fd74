"""Leader lookup through nimbus seeds and the auth messages, against fake Nimbus servers."""

from __future__ import annotations

import re

import pytest

from squall.devcluster._config import free_ports
from squall.storm._thrift import storm_thrift
from squall.storm.nimbus import NimbusAuthRequired, NimbusClient, NimbusUnreachable
from tests.storm.fake_nimbus import dropping_server, fake_nimbus


class Leader:
    """A Nimbus that leads and knows one topology."""

    def __init__(self) -> None:
        self.port = 0

    def getLeader(self):
        return storm_thrift().NimbusSummary("127.0.0.1", self.port, 1, True, "2.8.3")

    def getClusterInfo(self):
        t = storm_thrift()
        topo = t.TopologySummary("a-1-1", "a", 1, 1, 1, 5, "ACTIVE")
        return t.ClusterSummary([], [topo], [self.getLeader()])


class Follower:
    """A non-leader Nimbus: it names the leader and must never be asked anything else."""

    def __init__(self, leader_port: int) -> None:
        self.leader_port = leader_port

    def getLeader(self):
        return storm_thrift().NimbusSummary("127.0.0.1", self.leader_port, 1, True, "2.8.3")


class NoLeader:
    def getLeader(self):
        raise RuntimeError("No leader elected")


class Denying:
    def getClusterInfo(self):
        raise storm_thrift().AuthorizationException("getClusterInfo is not authorized")


def test_a_follower_seed_sends_the_client_to_the_leader():
    leader = Leader()
    with fake_nimbus(leader) as leader_port:
        leader.port = leader_port
        with fake_nimbus(Follower(leader_port)) as follower_port:
            dead = free_ports(1)[0]
            seeds = [("127.0.0.1", dead), ("127.0.0.1", follower_port)]
            with NimbusClient(seeds=seeds, timeout=2) as client:
                assert [t.name for t in client.list_topologies()] == ["a"]
                assert client.address == f"127.0.0.1:{leader_port}"


def test_no_leader_among_the_seeds_names_each_and_the_fix():
    with fake_nimbus(NoLeader()) as lost:
        dead = free_ports(1)[0]
        seeds = [("127.0.0.1", lost), ("127.0.0.1", dead)]
        expected = (rf"^no leader Nimbus reachable through the seeds 127.0.0.1:{lost}, 127.0.0.1:{dead} "
                    rf"\(127.0.0.1:{lost} named no leader; 127.0.0.1:{dead} "
                    r"unreachable\); check that the cluster is up and the env's nimbus list$")
        with pytest.raises(NimbusUnreachable, match=expected):
            NimbusClient(seeds=seeds, timeout=2).cluster_info()


def test_an_unreachable_leader_named_by_a_seed_is_reported():
    dead = free_ports(1)[0]
    with fake_nimbus(Follower(dead)) as follower:
        with pytest.raises(NimbusUnreachable, match=rf"leader 127.0.0.1:{dead} \(named by 127.0.0.1:{follower}\) unreachable"):
            NimbusClient(seeds=[("127.0.0.1", follower), ("127.0.0.1", follower)], timeout=2).cluster_info()


def test_an_authorizer_refusal_says_what_is_missing():
    with fake_nimbus(Denying()) as port:
        expected = (rf"^Nimbus at 127.0.0.1:{port} refused the call: getClusterInfo is not authorized; "
                    r"the cluster has an authorizer \(nimbus.authorizer\) and squall connects without "
                    r"authentication, so Nimbus sees no user: ask the cluster's admins")
        with pytest.raises(NimbusAuthRequired, match=expected):
            NimbusClient("127.0.0.1", port, timeout=2).cluster_info()


def test_a_nimbus_wanting_sasl_or_tls_is_told_apart_from_a_dead_one():
    with dropping_server() as port:
        expected = (f"Nimbus at 127.0.0.1:{port} accepted the connection but closed it without answering: "
                    "it most likely requires authentication (storm.thrift.transport is a SASL/Kerberos or "
                    "TLS plugin), which squall's plain framed Thrift client does not speak; use a Nimbus "
                    "port served by SimpleTransportPlugin")
        with pytest.raises(NimbusAuthRequired, match=f"^{re.escape(expected)}$"):
            NimbusClient("127.0.0.1", port, timeout=2).cluster_info()
