"""`squall cluster up/status/down` and `squall run --engine storm` on real Storm daemons."""

from __future__ import annotations

import os
import re

import pytest

from tests.cli.test_process import squall

pytestmark = [pytest.mark.storm, pytest.mark.slow]


def test_cluster_lifecycle_and_run_on_storm(project, tmp_path):
    home = str(tmp_path / "cluster")
    try:
        up = squall("cluster", "up", "--home", home, "--exit-with-pid", str(os.getpid()), timeout=300)
        assert up.returncode == 0, up.stderr
        assert "squall: starting nimbus" in up.stdout
        nimbus = re.search(r"^  Nimbus:   127\.0\.0\.1:(\d+)$", up.stdout, re.MULTILINE)
        assert nimbus, up.stdout
        assert f"  Logs:     {tmp_path / 'cluster' / 'logs'}" in up.stdout

        status = squall("cluster", "status", "--home", home)
        assert status.returncode == 0, status.stderr
        assert re.search(r"^  nimbus +pid \d+ +running ", status.stdout, re.MULTILINE)
        assert f"127.0.0.1:{nimbus.group(1)}" in status.stdout

        run = squall("run", "small_flow.py", "--engine", "storm", "-t", "3", cwd=project, timeout=300)
        assert run.returncode == 0, run.stderr
        assert f"Running Small on Storm (local: Nimbus 127.0.0.1:{nimbus.group(1)}) as Small-" in run.stdout
        assert run.stdout.rstrip().endswith("Killed Small on Storm.")
    finally:
        down = squall("cluster", "down", "--home", home, timeout=120)
    assert down.returncode == 0, down.stderr
    assert down.stdout.startswith(f"Dev cluster in {tmp_path / 'cluster'} stopped (")
    after = squall("cluster", "status", "--home", home)
    assert after.returncode == 3
