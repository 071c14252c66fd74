"""The conformance cases on a real Storm cluster (the same cases and assertions as
tests/conformance/test_conformance_embedded.py), plus tuples crossing two workers, with
each multi-lang serializer: Storm's JSON and squall's msgpack (its Java half in the jar)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from squall.devcluster import DevCluster
from squall.storm import StormEnv
from tests.conformance import topologies as topo
from tests.conformance.cases import CASES, COUNT, Case, check_wordcount, records, all_acked, run_case
from tests.conformance.engines import storm_starter

pytestmark = [pytest.mark.storm, pytest.mark.slow]


@pytest.fixture(params=["json", "msgpack"])
def storm_env(storm_cluster: DevCluster, request: pytest.FixtureRequest) -> StormEnv:
    return dataclasses.replace(storm_cluster.storm_env(), serializer=request.param)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_on_storm(case: Case, storm_env: StormEnv, tmp_path: Path) -> None:
    if storm_env.serializer not in case.storm_serializers:
        pytest.skip(f"{case.name} needs one of {case.storm_serializers} on Storm (direct streams)")
    run_case(storm_starter(storm_env), case, tmp_path)


def test_nested_values_cross_two_worker_jvms(storm_env: StormEnv, tmp_path: Path) -> None:
    case = Case("two_workers", topo.TwoWorkers, check_wordcount,
                lambda out: all_acked(out) and len(records(out, "seen", "count")) >= 120)
    out = run_case(storm_starter(storm_env), case, tmp_path)
    ports = {p.parent.name for p in storm_env.log_dir.glob("workers-artifacts/TwoWorkers-*/*/worker.log")}
    assert len(ports) >= 2, f"expected two worker JVMs, saw ports {ports}"
    assert records(out, "seen", "fives")


def test_direct_grouping_runs_with_msgpack(storm_cluster: DevCluster, tmp_path: Path) -> None:
    env = dataclasses.replace(storm_cluster.storm_env(), serializer="msgpack")
    case = Case("direct", topo.Direct, _check_direct, _all_seen_by("sink"))
    run_case(storm_starter(env), case, tmp_path)


def _all_seen_by(component: str):
    return lambda out: {r["values"][1] for r in records(out, "seen", component)} >= set(range(COUNT))


def _check_direct(out: Path) -> None:
    seen = records(out, "seen", "sink")
    tasks = sorted({r["task"] for r in seen})
    assert len(tasks) == 2, f"direct emits reached tasks {tasks}, expected both sink tasks"
    for r in seen:
        assert r["task"] == tasks[r["values"][1] % 2], f"{r} reached the wrong task"


def test_msgpack_carries_bytes_and_big_integers_across_two_workers(storm_cluster: DevCluster,
                                                                    tmp_path: Path) -> None:
    env = dataclasses.replace(storm_cluster.storm_env(), serializer="msgpack")
    case = Case("rich_values", topo.RichValuesTwoWorkers, _check_rich,
                lambda out: {r["values"][0] for r in records(out, "seen", "check")} >= set(range(COUNT)))
    run_case(storm_starter(env), case, tmp_path)
    ports = {p.parent.name for p in env.log_dir.glob("workers-artifacts/RichValuesTwoWorkers-*/*/worker.log")}
    assert len(ports) >= 2, f"expected two worker JVMs, saw ports {ports}"


def _check_rich(out: Path) -> None:
    seen = records(out, "seen", "check")
    wrong = [r["got"] for r in seen if not r["values"][1]]
    assert not wrong, f"values changed on the way: {wrong[:2]}"
    assert all_acked(out)
