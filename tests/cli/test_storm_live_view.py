"""`squall run --engine storm` shows the embedded engine's live lines and summary, from Nimbus."""

from __future__ import annotations

import re

import pytest

from squall.devcluster import DevCluster
from tests.cli.test_process import squall

pytestmark = [pytest.mark.storm, pytest.mark.slow]


def test_run_on_storm_shows_live_figures_and_a_summary(project, storm_cluster: DevCluster, monkeypatch):
    monkeypatch.setenv("SQUALL_CLUSTER_HOME", str(storm_cluster.home))
    run = squall("run", "small_flow.py", "--engine", "storm", "-t", "12", cwd=project, timeout=400)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    live = re.findall(r"^\[ *(\d+\.\d)s\] (numbers|double): emitted=\d+", out, re.MULTILINE)
    assert {name for _, name in live} == {"numbers", "double"}
    assert len({at for at, _ in live}) >= 2  # refreshed while running (plain lines every 5 s)
    assert re.search(r"^\[ *\d+\.\ds\] double: emitted=\d+ \([\d.k]+/s\) executed=\d+ .*capacity=\d\.\d\d "
                     r"acked=\d+ failed=0 latency=", out, re.MULTILINE)
    # the stop begins at the time limit, not after a Nimbus answer that came late
    assert re.search(r"^Small: ran 1\d\.\ds, stopped at the time limit; stopping took \d+\.\ds$",
                     out, re.MULTILINE)
    assert re.search(r"^\|numbers \(spout\) +\| +1 \|", out, re.MULTILINE)
    assert re.search(r"^\|double \(bolt\) +\| +2 \|", out, re.MULTILINE)
    assert "from Nimbus" in out and out.rstrip().endswith("Killed Small on Storm.")
