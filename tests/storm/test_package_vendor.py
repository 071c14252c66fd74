"""Vendoring real wheels from PyPI for the workers' platform (needs network on first run)."""

from __future__ import annotations

import json
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


def test_a_requirement_without_a_wheel_for_the_target_is_named_with_the_fix(tmp_path: Path):
    spec = VendorSpec(("no-such-distribution-squall-test==0.0.1",), python_version="3.11")
    with pytest.raises(PackagingError, match=(
            r"^no wheel of no-such-distribution-squall-test==0.0.1 for the workers \(manylinux_2_28_x86_64 / "
            r"Python 3.11\) on the package index; pin a version that publishes wheels for that target")):
        fetch_wheels(spec, tmp_path)


def test_numpy_without_wheels_for_an_old_glibc_names_numpy(tmp_path: Path):
    # numpy 2.3 publishes manylinux_2_28 wheels only: a manylinux2014 worker cannot have it
    spec = VendorSpec(("numpy==2.3.1",), platform="manylinux2014_x86_64", python_version="3.12")
    with pytest.raises(PackagingError, match=r"^no wheel of numpy==2.3.1 for the workers \(manylinux2014_x86_64"):
        fetch_wheels(spec, tmp_path)


def test_one_vendor_tree_per_platform_family(tmp_path: Path):
    root = tmp_path / "proj"
    _, module = make_project(root)
    jar = build_jar(module.Demo.model, root, tmp_path / "multi.jar", python_version="3.12",
                    platform=("manylinux_2_28_x86_64", "manylinux2014_x86_64", "manylinux_2_28_aarch64"),
                    requirements=["six==1.16.0"])
    with zipfile.ZipFile(jar) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("resources/squall-manifest.json"))
    assert manifest["vendor"] == {"manylinux_x86_64": "_vendor/manylinux_x86_64",
                                  "manylinux_aarch64": "_vendor/manylinux_aarch64"}
    for family, arch in (("manylinux_x86_64", "x86_64"), ("manylinux_aarch64", "aarch64")):
        assert f"resources/_vendor/{family}/six.py" in names
        assert any(n.startswith(f"resources/_vendor/{family}/orjson/") and n.endswith(f"cpython-312-{arch}-linux-gnu.so")
                   for n in names)
