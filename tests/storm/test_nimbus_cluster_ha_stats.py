"""On the real dev cluster: seeds with leader lookup, Nimbus's page-info stats, --json output."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from squall.cli import main
from squall.devcluster import DevCluster
from squall.devcluster._config import free_ports
from squall.storm import StormEnv
from squall.storm._control import find_topology, kill, list_topologies, nimbus
from squall.storm._stats import stats
from squall.storm._submit import submit
from tests.conformance import topologies as topo
from tests.conformance.cases import acked_ids
from tests.conformance.engines import wait_for
from tests.storm.fake_nimbus import fake_nimbus
from tests.storm.test_nimbus_seeds_auth import Follower

pytestmark = [pytest.mark.storm, pytest.mark.slow]
TIMEOUT = 120.0


@pytest.fixture()
def storm_env(storm_cluster: DevCluster) -> StormEnv:
    return storm_cluster.storm_env()


def _submit_paced(env: StormEnv, out: Path, name: str, progress=None) -> str:
    result = submit(topo.Paced.model, env, name=name, wait=True, progress=progress,
                    options={topo.OUT_KEY: str(out), topo.COUNT_KEY: 100_000})
    return result.id


def test_submit_through_seeds_goes_to_the_leader(storm_env, tmp_path):
    real = (storm_env.nimbus_host, storm_env.nimbus_port)
    with fake_nimbus(Follower(real[1])) as follower:
        seeds = (("127.0.0.1", free_ports(1)[0]), ("127.0.0.1", follower), real)
        env = dataclasses.replace(storm_env, nimbus_host="127.0.0.1", nimbus_port=follower,
                                  nimbus_seeds=seeds)
        with nimbus(env) as client:
            client.cluster_info()
            assert client.address == f"{real[0]}:{real[1]}"
        try:
            topology_id = _submit_paced(env, tmp_path, "SeedsPaced")
            assert [t.id for t in list_topologies(env) if t.name == "SeedsPaced"] == [topology_id]
        finally:
            if find_topology(storm_env, "SeedsPaced") is not None:
                kill("SeedsPaced", env, wait_secs=0, wait_gone=TIMEOUT)


def test_stats_are_nimbus_page_figures_and_print_as_json(storm_cluster, storm_env, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    try:
        seen: list[str] = []
        topology_id = _submit_paced(storm_env, out, "PagePaced", seen.append)
        startup = [line.split("] ", 1)[1] for line in seen if line.startswith("[")]
        assert "starting:" in startup[0]  # the first look finds something still starting
        assert startup[-1] == "up: words 1/1, sink 1/1"
        wait_for(lambda: len(acked_ids(out)) > 20, TIMEOUT, "acks")
        # Storm samples 1 tuple in 20 (topology.stats.sample.rate): acked counts move by 20
        wait_for(lambda: stats("PagePaced", storm_env).components["sink"].acked > 0,
                 TIMEOUT, "Nimbus reporting the sink's acks")
        report = stats("PagePaced", storm_env)
        with nimbus(storm_env) as client:
            page = client.topology_page_info(topology_id)
        bolt = page.id_to_bolt_agg_stats["sink"].specific_stats.bolt
        sink, words = report.components["sink"], report.components["words"]
        assert sink.kind == "bolt" and words.kind == "spout"
        # Storm's capacity (executed x execute latency / window): a shell bolt's is near 0
        assert sink.capacity is not None and 0 <= sink.capacity < 0.5
        # a shell bolt's execute() only hands the tuple to Python; its ack comes after a 50 ms sleep
        assert sink.process_latency_ms is not None and sink.process_latency_ms >= 45
        assert sink.execute_latency_ms is not None and sink.execute_latency_ms < sink.process_latency_ms
        assert bolt.executed >= sink.executed > 10  # counters only grow between the two reads
        assert words.complete_latency_ms is not None and words.complete_latency_ms > 0

        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("SQUALL_CLUSTER_HOME", str(storm_cluster.home))
        listed = CliRunner().invoke(main, ["list", "--json"], catch_exceptions=False)
        assert listed.exit_code == 0, listed.output
        rows = {row["name"]: row for row in json.loads(listed.output)}
        assert rows["PagePaced"]["id"] == topology_id and rows["PagePaced"]["status"] == "ACTIVE"
        shown = CliRunner().invoke(main, ["stats", "PagePaced", "--json"], catch_exceptions=False)
        assert shown.exit_code == 0, shown.output
        [data] = json.loads(shown.output)
        assert data["id"] == topology_id
        assert data["components"]["sink"]["process_latency_ms"] >= 45
        assert data["components"]["words"]["kind"] == "spout" and data["errors"] == []
    finally:
        if find_topology(storm_env, "PagePaced") is not None:
            kill("PagePaced", storm_env, wait_secs=0, wait_gone=TIMEOUT)
