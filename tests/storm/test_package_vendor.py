"""Vendoring real wheels from PyPI for the workers' platform (needs network on first run)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from squall.errors import PackagingError
from squall.storm import build_jar
from squall.storm._jar import default_wheel_cache
from squall.storm._vendor import VendorSpec, fetch_wheels
from tests.storm._project import make_project

pytestmark = pytest.mark.slow


def test_vendors_squall_runtime_deps_and_project_requirements(tmp_path: Path):
    root = tmp_path / "proj"
    _, module = make_project(root)
    (root / "requirements.txt").write_text("six==1.16.0\n")
    jar = build_jar(module.Demo.model, root, tmp_path / "v.jar", python_version="3.11")
    with zipfile.ZipFile(jar) as zf:
        names = set(zf.namelist())
        manifest = zf.read("resources/squall-manifest.json").decode()
    assert "resources/_vendor/six.py" in names
    assert any(n.startswith("resources/_vendor/orjson/") for n in names)
    assert any(n.startswith("resources/_vendor/msgpack/") for n in names)
    assert any(n.endswith(".cpython-311-x86_64-linux-gnu.so") for n in names)
    assert '"python": "3.11"' in manifest


def test_cached_wheels_are_reused_without_pip(tmp_path: Path):
    spec = VendorSpec(("six==1.16.0",), python_version="3.11")
    first = fetch_wheels(spec, default_wheel_cache())
    seen: list[str] = []
    assert fetch_wheels(spec, default_wheel_cache(), seen.append) == first
    assert seen and "cached" in seen[0]


def test_sdist_only_requirement_fails_with_the_fix(tmp_path: Path):
    spec = VendorSpec(("no-such-distribution-squall-test==0.0.1",), python_version="3.11")
    with pytest.raises(PackagingError, match=r"cannot vendor .*no-such-distribution.*set the environment's python"):
        fetch_wheels(spec, tmp_path)
