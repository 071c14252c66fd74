"""Worker environments on the real dev cluster: wheels resolved for the workers' Python, not ours.

The client here runs Python 3.11 without numpy; the workers run another interpreter
(Python 3.12 when this machine has one) and import numpy at the version the project pins,
from the wheels vendored into the jar for that Python.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from squall.devcluster import DevCluster
from squall.errors import PackagingError
from squall.storm import StormEnv
from squall.storm._control import find_topology, kill
from squall.storm._submit import submit
from tests.conformance.engines import wait_for
from tests.storm._project import make_project

pytestmark = [pytest.mark.storm, pytest.mark.slow]
NUMPY_PIN = "2.2.6"  # not what a client would have by default: the project's own pin
TIMEOUT = 240.0

SOURCE = '''
import json, os, sys

from squall import Bolt, Grouping, Spout, Topology


class Numbers(Spout):
    outputs = ["n"]

    def initialize(self, conf, context):
        self.n = 0

    def next_tuple(self):
        if self.n < 5:
            self.n += 1
            self.emit([self.n])


class NumpyProbe(Bolt):
    def initialize(self, conf, context):
        import numpy
        self.out = conf["squall.test.out"]
        self.probe = {"numpy": numpy.__version__, "numpy_file": numpy.__file__,
                      "python": "%d.%d" % sys.version_info[:2], "mean": float(numpy.mean([1, 2, 3]))}

    def process(self, tup):
        with open(os.path.join(self.out, "probe-%d.json" % os.getpid()), "w") as fh:
            json.dump(self.probe, fh)


class NumpyTopo(Topology):
    numbers = Numbers.spec()
    probe = NumpyProbe.spec(inputs={numbers: Grouping.SHUFFLE})
'''


def _other_python() -> str:
    """Return an interpreter of another minor version than ours, or skip."""
    for minor in (12, 13, 10):
        if minor == sys.version_info.minor:
            continue
        candidates = [shutil.which(f"python3.{minor}"), f"/usr/bin/python3.{minor}",
                      *map(str, sorted(Path.home().glob(f".pyenv/versions/3.{minor}.*/bin/python3.{minor}")))]
        for found in (c for c in candidates if c and Path(c).is_file()):
            real = subprocess.run([found, "-c", "import sys; print(sys.executable)"],
                                  capture_output=True, text=True, check=False).stdout.strip()
            if real:
                return real
    pytest.skip("needs a Python 3.10, 3.12 or 3.13 besides this one")


@pytest.fixture()
def project(tmp_path: Path):
    root = tmp_path / "proj"
    _, module = make_project(root, SOURCE)
    (root / "requirements.txt").write_text(f"numpy=={NUMPY_PIN}\n")
    return root, module


def test_a_bolt_imports_numpy_at_the_pinned_version_on_workers_of_another_python(
        storm_cluster: DevCluster, project, tmp_path):
    root, module = project
    worker_python = _other_python()
    version = subprocess.run([worker_python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    out = tmp_path / "out"
    out.mkdir()
    env: StormEnv = storm_cluster.storm_env(python=worker_python, python_version=version, vendor=True)
    try:
        submit(module.NumpyTopo.model, env, name="NumpyTopo", project_root=root, wait=True,
               options={"squall.test.out": str(out)}, progress=print)
        wait_for(lambda: list(out.glob("probe-*.json")), TIMEOUT, "the bolt's numpy probe")
        probe = json.loads(next(out.glob("probe-*.json")).read_text())
    finally:
        if find_topology(env, "NumpyTopo") is not None:
            kill("NumpyTopo", env, wait_secs=0, wait_gone=TIMEOUT)
    assert probe["numpy"] == NUMPY_PIN and probe["mean"] == 2.0
    assert probe["python"] == version != f"{sys.version_info.major}.{sys.version_info.minor}"
    assert "/resources/_vendor/numpy/" in probe["numpy_file"]


def test_a_worker_python_unlike_the_wheels_is_refused_at_submit(storm_cluster: DevCluster, project):
    root, module = project
    worker_python = _other_python()
    env = dataclasses.replace(storm_cluster.storm_env(python=worker_python, vendor=True))
    ours = f"{sys.version_info.major}.{sys.version_info.minor}"
    with pytest.raises(PackagingError, match=(rf"^the workers' python {worker_python} is Python 3\.\d+ but the "
                                              rf"vendored wheels would be for Python {ours}; set python_version")):
        submit(module.NumpyTopo.model, env, name="NumpyRefused", project_root=root)
    assert find_topology(env, "NumpyRefused") is None
