"""Run a jar's launcher as Storm would (cwd resources/, argv [python, script]) over pipes."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from squall.storm import build_jar
from tests.storm._project import make_project


def _unpack(tmp_path: Path, **kwargs) -> Path:
    root = tmp_path / "proj"
    _, module = make_project(root)
    jar = build_jar(module.Demo.model, root, tmp_path / "demo.jar", vendor=False, **kwargs)
    dest = tmp_path / "stormdist"
    with zipfile.ZipFile(jar) as zf:
        zf.extractall(dest)
    return dest / "resources"


def _start(resources: Path, script: str) -> subprocess.Popen:
    # Like Storm: exactly [python, script], cwd resources/, no PYTHONPATH help.
    env = {"PATH": "/usr/bin:/bin"}
    return subprocess.Popen([sys.executable, script], cwd=resources, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_launcher_answers_the_handshake_of_its_component(tmp_path):
    resources = _unpack(tmp_path)
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    context = {"taskid": 3, "componentid": "upper", "task->component": {"3": "upper"},
               "stream->outputfields": {"default": ["word"]}, "source->stream->fields": {}}
    proc = _start(resources, "squall_launch_upper.py")
    try:
        handshake = json.dumps({"pidDir": str(pid_dir), "conf": {}, "context": context})
        proc.stdin.write(f"{handshake}\nend\n".encode())
        proc.stdin.flush()
        reply = json.loads(proc.stdout.readline())
        assert reply == {"pid": proc.pid}
        assert (pid_dir / str(proc.pid)).exists()
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()


def test_launcher_refuses_an_interpreter_of_another_python_version(tmp_path):
    resources = _unpack(tmp_path)
    manifest_path = resources / "squall-manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["python"] = "2.7"
    manifest_path.write_text(json.dumps(manifest))
    proc = _start(resources, "squall_launch_upper.py")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert b"squall launcher: the jar vendors wheels for Python 2.7" in err


def test_launcher_names_missing_dependencies_of_an_unvendored_jar(tmp_path):
    # A bare virtualenv: the workers' interpreter lacks squall's runtime dependencies.
    import venv

    venv.EnvBuilder(with_pip=False).create(tmp_path / "bare")
    resources = _unpack(tmp_path)
    proc = subprocess.Popen([str(tmp_path / "bare" / "bin" / "python"), "squall_launch_upper.py"],
                            cwd=resources, env={"PATH": "/usr/bin:/bin"}, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("squall launcher: cannot import squall's runtime on ")
    assert "No module named " in lines[0] and "install orjson and msgpack" in lines[0]


def test_launch_script_compiles_for_any_component_and_topology_name():
    from squall.storm._launcher import launch_script

    for name in ['a"""b', "a'''b", "back\\slash", "ünï", 'q"\'']:
        source = launch_script(f"topo {name}", name)
        compile(source, "squall_launch_x.py", "exec")
        assert f"squall_launcher.main({name!r})" in source


def _family() -> str:
    import platform

    libc = "manylinux" if platform.libc_ver()[0] == "glibc" else "musllinux"
    return f"{libc}_{platform.machine().lower()}"


def _set_vendor(resources: Path, vendors: dict[str, str]) -> None:
    path = resources / "squall-manifest.json"
    manifest = json.loads(path.read_text())
    manifest["vendor"] = vendors
    path.write_text(json.dumps(manifest))


def test_vendored_packages_are_a_site_directory_whose_pth_files_work(tmp_path):
    resources = _unpack(tmp_path)
    vendor = resources / "_vendor" / _family()
    (vendor / "lib_behind_pth").mkdir(parents=True)
    (vendor / "lib_behind_pth" / "pthmod.py").write_text("WHERE = 'pth'\n")
    (vendor / "extra.pth").write_text("lib_behind_pth\nimport os; os.environ['SQUALL_PTH_RAN'] = '1'\n")
    _set_vendor(resources, {_family(): f"_vendor/{_family()}"})
    probe = ("import json, os, sys, squall_launcher\n"
             "squall_launcher.setup_path(json.load(open('squall-manifest.json')))\n"
             "import pthmod\n"
             "print(json.dumps([pthmod.WHERE, os.environ.get('SQUALL_PTH_RAN'), sys.path[:3]]))\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=resources, env={"PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=30, check=True).stdout
    where, ran, first = json.loads(out)
    assert where == "pth" and ran == "1"
    assert first == [str(resources), str(vendor), str(vendor / "lib_behind_pth")]


def test_launcher_refuses_a_worker_of_a_platform_the_jar_has_no_wheels_for(tmp_path):
    resources = _unpack(tmp_path)
    _set_vendor(resources, {"musllinux_s390x": "_vendor/musllinux_s390x"})
    proc = _start(resources, "squall_launch_upper.py")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert err.decode().strip() == (
        f"squall launcher: the jar vendors wheels for musllinux_s390x but this worker is {_family()}; "
        f"add a platform tag for it (e.g. {_family().replace('_', '_2_28_', 1) if _family().startswith('many') else _family()}) "
        "to the environment's platforms")
