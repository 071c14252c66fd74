"""The package keeps its shape: layers, a documented public API, types."""

from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import squall

ROOT = Path(__file__).resolve().parents[1]


def test_layers_import_only_downwards():
    lint = shutil.which("lint-imports")
    assert lint, "import-linter is a test dependency: pip install -e '.[test]'"
    done = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]


def test_mypy_passes():
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]


def test_mypy_is_strict_and_silences_only_named_modules():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["strict"] is True
    assert "ignore_missing_imports" not in config
    for override in config.get("overrides", []):
        assert all(not module.startswith("squall") for module in override["module"]), override


def test_ruff_passes():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "src", "tests", "bench", "examples"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]


@pytest.mark.parametrize("name", squall.__all__)
def test_public_names_are_exported_once_and_documented(name):
    obj = getattr(squall, name)
    assert squall.__all__.count(name) == 1
    if name == "__version__":
        assert isinstance(obj, str)
        return
    assert inspect.getdoc(obj), f"squall.{name} has no docstring"


def test_the_version_is_written_once():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    hard_coded = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "src" / "squall").rglob("*.py")
        if path.name != "_version.py" and f'"{squall.__version__}"' in path.read_text()
    ]
    assert hard_coded == []


def test_nothing_imports_the_cli():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "src" / "squall").rglob("*.py")
        if "cli" not in path.relative_to(ROOT / "src" / "squall").parts
        and "squall.cli" in path.read_text()
    ]
    assert offenders == []
