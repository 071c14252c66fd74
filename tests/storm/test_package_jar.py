"""The topology jar: what is packed, what never is, the launchers and the manifest."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from squall.errors import PackagingError
from squall.storm import build_jar
from squall.storm._files import is_excluded_file
from squall.storm._launcher import launch_script_name
from squall.storm._vendor import project_requirements
from tests.storm._project import make_project


def _names(jar: Path) -> set[str]:
    with zipfile.ZipFile(jar) as zf:
        return set(zf.namelist())


def _read(jar: Path, name: str) -> str:
    with zipfile.ZipFile(jar) as zf:
        return zf.read(name).decode()


@pytest.fixture()
def project(tmp_path: Path):
    root = tmp_path / "proj"
    package_dir, module = make_project(root)
    return root, package_dir.name, module


def test_packs_project_code_data_and_squall(project, tmp_path):
    root, package, module = project
    (root / "words.txt").write_text("dog cat\n")
    jar = build_jar(module.Demo.model, root, tmp_path / "out.jar", vendor=False)
    names = _names(jar)
    assert f"resources/{package}/topo.py" in names
    assert "resources/words.txt" in names
    assert "resources/squall/__init__.py" in names
    assert "resources/squall/storm/_thrift/storm.thrift" in names
    assert "META-INF/MANIFEST.MF" in names
    assert not any(n.startswith("resources/_vendor/") for n in names)


@pytest.mark.parametrize("relpath", [
    ".git/config", "venv/bin/python", "myenv/lib/x.py",
    "pkg/__pycache__/a.cpython-311.pyc", "a.pyc", ".pytest_cache/v", ".mypy_cache/x",
    "node_modules/left-pad/index.js", "dist/proj.whl", "build/lib/x.py", "old.jar",
    "proj.egg-info/PKG-INFO", ".squall/runs/Demo-1/engine.log", "logs/worker.log",
    "run.log.1", "topology.svg", "out/topology.PNG", "graph.dot", ".cache/x",
])
def test_never_packs_vcs_envs_caches_logs_pictures_or_build_output(project, tmp_path, relpath):
    root, _, module = project
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("secret")
    (root / "myenv" / "pyvenv.cfg").parent.mkdir(exist_ok=True)
    (root / "myenv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    jar = build_jar(module.Demo.model, root, tmp_path / "out.jar", vendor=False)
    assert f"resources/{relpath}" not in _names(jar)


def test_jar_written_inside_the_project_does_not_contain_itself(project):
    root, _, module = project
    first = build_jar(module.Demo.model, root, root / "demo.jar", vendor=False)
    second = build_jar(module.Demo.model, root, root / "demo.jar", vendor=False)
    assert "resources/demo.jar" not in _names(second)
    assert first == second


def test_jar_written_inside_the_project_does_not_pack_its_unfinished_self(project):
    root, _, module = project
    jar = build_jar(module.Demo.model, root, root / "demo.jar", vendor=False)
    assert [n for n in _names(jar) if "demo.jar" in n] == []


def test_manifest_maps_components_to_classes_and_scripts(project, tmp_path):
    root, package, module = project
    jar = build_jar(module.Demo.model, root, tmp_path / "out.jar", vendor=False, python="/usr/bin/python3")
    manifest = json.loads(_read(jar, "resources/squall-manifest.json"))
    assert manifest["topology"] == "Demo"
    assert manifest["serializer"] == "json"
    assert manifest["python"] is None  # nothing vendored: no Python version pinned
    assert manifest["python_executable"] == "/usr/bin/python3"
    assert manifest["paths"] == ["."]
    assert manifest["components"]["upper"] == {
        "class": f"{package}.topo:Upper", "kind": "bolt", "script": "squall_launch_upper.py"}
    assert manifest["components"]["sink-all"]["script"] == "squall_launch_sink_all.py"
    assert manifest["model"]["components"]["upper"]["par"] == 2


def test_each_component_gets_a_launcher_naming_it(project, tmp_path):
    root, _, module = project
    jar = build_jar(module.Demo.model, root, tmp_path / "out.jar", vendor=False)
    launcher = _read(jar, "resources/squall_launch_sink_all.py")
    assert "squall_launcher.main('sink-all')" in launcher
    boot = _read(jar, "resources/squall_launcher.py")
    assert "squall-manifest.json" in boot and "squall.multilang" in boot
    compile(boot, "squall_launcher.py", "exec")
    compile(launcher, "launch.py", "exec")


def test_launcher_names_are_file_safe_and_unique():
    taken: set[str] = set()
    assert launch_script_name("a/b", taken) == "squall_launch_a_b.py"
    assert launch_script_name("a.b", taken) == "squall_launch_a_b_2.py"


def test_jars_are_reproducible(project, tmp_path):
    root, _, module = project
    one = build_jar(module.Demo.model, root, tmp_path / "one.jar", vendor=False).read_bytes()
    two = build_jar(module.Demo.model, root, tmp_path / "two.jar", vendor=False).read_bytes()
    assert one == two


def test_progress_reports_the_built_jar(project, tmp_path):
    root, _, module = project
    seen: list[str] = []
    build_jar(module.Demo.model, root, tmp_path / "out.jar", vendor=False, progress=seen.append)
    assert any(msg.startswith("built out.jar") for msg in seen)


def test_component_defined_in_main_is_refused(tmp_path):
    from squall import Spout, Topology

    class MainSpout(Spout):
        outputs = ["x"]

    MainSpout.__module__ = "__main__"

    class T(Topology):
        s = MainSpout.spec()

    with pytest.raises(PackagingError, match=r"component 's'.*defined in __main__.*move it"):
        build_jar(T.model, tmp_path, tmp_path / "t.jar", vendor=False)


def test_module_outside_the_project_and_not_vendored_is_refused(project, tmp_path):
    _, _, module = project
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(PackagingError, match=r"component 'words': module .* is outside the project"):
        build_jar(module.Demo.model, elsewhere, tmp_path / "t.jar", vendor=True, requirements=[])


def test_unknown_serializer_is_refused(project, tmp_path):
    root, _, module = project
    with pytest.raises(PackagingError, match="serializer 'pickle' is not one of json, msgpack"):
        build_jar(module.Demo.model, root, tmp_path / "t.jar", serializer="pickle", vendor=False)


def test_requirements_txt_with_pip_options_is_refused(tmp_path):
    (tmp_path / "requirements.txt").write_text("requests==2.31\n-e .\n")
    with pytest.raises(PackagingError, match=r"requirements.txt:2: pip option '-e' cannot be vendored"):
        project_requirements(tmp_path)


def test_requirements_come_from_requirements_txt_or_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname="p"\ndependencies=["squall>=0.1", "six==1.16.0"]\n')
    assert project_requirements(tmp_path) == ["six==1.16.0"]
    (tmp_path / "requirements.txt").write_text("# pinned\nsix==1.16.0  # why\n\n")
    assert project_requirements(tmp_path) == ["six==1.16.0"]


def test_excluded_file_patterns():
    assert is_excluded_file("id_ed25519.pub")
    assert not is_excluded_file("keys.py")


def test_a_lock_file_wins_and_pip_compile_output_is_read(tmp_path):
    (tmp_path / "requirements.txt").write_text("numpy\n")
    (tmp_path / "requirements.lock").write_text(
        "# pip-compile output\nnumpy==2.2.6 \\\n    --hash=sha256:abc \\\n    --hash=sha256:def\n"
        "    # via -r requirements.in\nsix==1.16.0 --hash=sha256:123\n")
    assert project_requirements(tmp_path) == ["numpy==2.2.6", "six==1.16.0"]


def test_platform_tags_expand_to_the_levels_a_worker_runs():
    from squall.storm._vendor import VendorSpec, expand_platform, platform_families

    assert expand_platform("manylinux_2_28_x86_64")[0] == "manylinux_2_28_x86_64"
    assert "manylinux2014_x86_64" in expand_platform("manylinux_2_28_x86_64")
    assert "manylinux_2_28_x86_64" not in expand_platform("manylinux2014_x86_64")
    assert expand_platform("musllinux_1_2_aarch64") == [
        "musllinux_1_2_aarch64", "musllinux_1_1_aarch64", "musllinux_1_0_aarch64"]
    assert platform_families(["manylinux_2_28_x86_64", "musllinux_1_2_x86_64", "manylinux2014_x86_64"]) == {
        "manylinux_x86_64": "manylinux_2_28_x86_64,manylinux2014_x86_64", "musllinux_x86_64": "musllinux_1_2_x86_64"}
    assert VendorSpec((), platform="manylinux_2_17_x86_64,manylinux2014_x86_64").tags().count(
        "manylinux2014_x86_64") == 1


def test_runtime_requirements_are_pinned_only_for_this_python():
    import sys

    from squall.storm._vendor import RUNTIME_FLOORS, runtime_requirements

    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert all("==" in r for r in runtime_requirements(python_version=here))
    assert runtime_requirements(python_version="3.99") == list(RUNTIME_FLOORS)


def test_a_local_worker_python_of_another_version_is_refused(project, tmp_path):
    import sys

    root, _, module = project
    fake = tmp_path / "python9"
    fake.write_text("#!/bin/sh\necho 3.99\n")
    fake.chmod(0o755)
    ours = f"{sys.version_info.major}.{sys.version_info.minor}"
    with pytest.raises(PackagingError, match=(
            rf"^the workers' python {fake} is Python 3.99 but the vendored wheels would be for Python "
            rf"{ours}; set python_version = \"3.99\" in the env so they match it, or point python at a "
            rf"Python {ours} interpreter$")):
        build_jar(module.Demo.model, root, tmp_path / "t.jar", python=str(fake), vendor=True)


def test_msgpack_jars_carry_the_java_serializer_at_the_root(project, tmp_path):
    root, _, module = project
    jar = build_jar(module.Demo.model, root, tmp_path / "m.jar", serializer="msgpack", vendor=False)
    names = _names(jar)
    assert "squall/storm/MsgpackSerializer.class" in names
    assert "squall/storm/shaded/org/msgpack/core/MessageUnpacker.class" in names
    assert json.loads(_read(jar, "resources/squall-manifest.json"))["serializer"] == "msgpack"
    plain = build_jar(module.Demo.model, root, tmp_path / "j.jar", vendor=False)
    assert not any(n.endswith(".class") for n in _names(plain))


def test_a_missing_serializer_jar_says_how_to_rebuild_it(tmp_path):
    from squall.storm._serializer_jar import serializer_classes

    with pytest.raises(PackagingError, match=r"squall's msgpack serializer jar '.*nope.jar' is missing "
                                             r"or unreadable .*; reinstall squall, or rebuild it with"):
        list(serializer_classes(tmp_path / "nope.jar"))
