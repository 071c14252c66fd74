import os
import subprocess
import sys
import tomllib

import pytest

from squall.config import read_project_file
from squall.errors import ConfigError
from squall.quickstart import PROJECT_FILES, create_project


def _run_python(code, cwd, timeout=120):
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return create_project("sentiment", tmp_path_factory.mktemp("projects"))


def test_creates_every_file(project):
    assert project.name == "sentiment" and project.is_absolute()
    for target in PROJECT_FILES.values():
        assert (project / target.format(name="sentiment")).is_file(), target
    assert len((project / "README.md").read_text().strip().splitlines()) == 3
    assert "from sentiment.bolts import" in (project / "topologies" / "wordcount.py").read_text()


def test_squall_toml_is_valid_for_squall_config(project):
    config = read_project_file(project / "squall.toml")
    assert config.default_env == "local" and config.topology == "topologies/wordcount.py"
    assert config.env("local").uses_dev_cluster
    commented = "\n".join(
        line[2:] for line in (project / "squall.toml").read_text().splitlines() if line.startswith("# ")
        and not line.startswith("# squall") and not line.startswith("# A remote") and not line.startswith("# The")
    )
    prod = tomllib.loads(commented)["env"]["prod"]  # the commented env is valid once uncommented
    assert prod["nimbus"].endswith(":6627") and prod["par"] == {"count": 4}


def test_generated_tests_pass(project):
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "6 passed" in proc.stdout


def test_topology_runs_in_process(project):
    proc = _run_python(
        "from squall.testing import run_topology\n"
        "from topologies.wordcount import WordCount\n"
        "r = run_topology(WordCount, options={'sentences.max': 8})\n"
        "print(len(r.acked['sentences']), sum(1 for _ in r.values('count')))\n",
        project,
    )
    assert proc.returncode == 0, proc.stderr
    acked, counted = map(int, proc.stdout.split())
    assert acked == 8 and counted > 8


@pytest.mark.slow
def test_topology_runs_on_the_embedded_engine(project):
    proc = _run_python(
        "from squall.testing import run_topology\n"
        "from topologies.wordcount import WordCount\n"
        "r = run_topology(WordCount, {'sentences': [('a b a',), ('b',)]}, engine='embedded', timeout=60)\n"
        "print(sorted(r.acked['sentences']), max(r.values('count')))\n",
        project,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[0, 1] ('b', 2)"


def test_refuses_an_existing_path(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(ConfigError, match=r"taken already exists: pick another project name or another folder"):
        create_project("taken", tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="already exists"):
        create_project("file", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "taken"]  # no staging left behind


@pytest.mark.parametrize("name, hint", [
    ("My-Project", "use e.g. 'my_project'"),
    ("9lives", "not starting with a digit"),
    ("class", "not a keyword"),
    ("", "not a valid Python package name"),
    ("json", "would shadow the module 'json'"),
    ("squall", "would shadow the module 'squall'"),
    ("x\n", r"project name 'x\\n' is not a valid Python package name .*; use e.g. 'x_'"),
    ("wc\t", "not a valid Python package name"),
    ("ça", "not a valid Python package name"),
])
def test_refuses_invalid_names(tmp_path, name, hint):
    with pytest.raises(ConfigError, match=hint):
        create_project(name, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_creates_missing_destination(tmp_path):
    root = create_project("deep", tmp_path / "a" / "b")
    assert (root / "squall.toml").is_file()


def test_project_folder_gets_the_umask_permissions_not_the_staging_folders(tmp_path):
    umask = os.umask(0o022)
    try:
        root = create_project("perms", tmp_path)
    finally:
        os.umask(umask)
    assert root.stat().st_mode & 0o777 == 0o755
    assert [p.name for p in tmp_path.iterdir()] == ["perms"]  # no staging folder left behind
