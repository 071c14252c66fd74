"""The conformance cases on a real Storm cluster (the same cases and assertions as
tests/conformance/test_conformance_embedded.py), plus tuples crossing two workers."""

from __future__ import annotations

from pathlib import Path

import pytest

from squall.devcluster import DevCluster
from squall.storm import StormEnv
from tests.conformance import topologies as topo
from tests.conformance.cases import CASES, Case, check_wordcount, records, all_acked, run_case
from tests.conformance.engines import storm_starter

pytestmark = [pytest.mark.storm, pytest.mark.slow]


@pytest.fixture()
def storm_env(storm_cluster: DevCluster) -> StormEnv:
    return storm_cluster.storm_env()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_on_storm(case: Case, storm_env: StormEnv, tmp_path: Path) -> None:
    run_case(storm_starter(storm_env), case, tmp_path)


def test_nested_values_cross_two_worker_jvms(storm_env: StormEnv, tmp_path: Path) -> None:
    case = Case("two_workers", topo.TwoWorkers, check_wordcount,
                lambda out: all_acked(out) and len(records(out, "seen", "count")) >= 120)
    out = run_case(storm_starter(storm_env), case, tmp_path)
    ports = {p.parent.name for p in storm_env.log_dir.glob("workers-artifacts/TwoWorkers-*/*/worker.log")}
    assert len(ports) >= 2, f"expected two worker JVMs, saw ports {ports}"
    assert records(out, "seen", "fives")
