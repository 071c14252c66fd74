"""The committed Storm IDL is what squall's generator reads from storm-client's jar today.

Needs a JDK and the resolved Storm jars (marked storm: ``.ci/run`` has both). Its error
paths run without Storm.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from squall.devcluster import _idlgen
from squall.devcluster._maven import DEFAULT_STORM_VERSION
from squall.errors import ClusterError
from squall.storm._thrift import IDL_PATH, storm_thrift

REGENERATE = f"python -m squall.devcluster._idlgen --storm-version {DEFAULT_STORM_VERSION}"


@pytest.mark.storm
def test_the_committed_idl_is_the_generators_output(tmp_path: Path) -> None:
    out = tmp_path / "storm.thrift"
    status = _idlgen.main(["--storm-version", DEFAULT_STORM_VERSION, "--out", str(out)])
    assert status == 0
    assert out.read_bytes() == IDL_PATH.read_bytes(), f"{IDL_PATH} is stale: run `{REGENERATE}`"
    assert len(storm_thrift().Nimbus.thrift_services) == 55


def _client_only_lib(tmp_path: Path) -> Path:
    """Return a lib dir holding a storm-client jar without the shaded Thrift it needs."""
    lib = tmp_path / "lib"
    lib.mkdir()
    real = Path.home() / ".squall" / "cache" / f"storm-{DEFAULT_STORM_VERSION}" / "lib-worker"
    jar = real / f"storm-client-{DEFAULT_STORM_VERSION}.jar"
    if not jar.is_file() or shutil.which("javac") is None:
        pytest.skip("needs the resolved storm-client jar and a JDK")
    (lib / jar.name).symlink_to(jar)
    return lib


def test_a_generator_that_cannot_compile_names_javacs_error(tmp_path: Path) -> None:
    lib = _client_only_lib(tmp_path)
    with pytest.raises(ClusterError, match=r"^compiling the IDL generator failed \(exit 1\): .+"):
        _idlgen.idl_from_jars(lib, DEFAULT_STORM_VERSION)


def test_a_missing_client_jar_says_how_to_resolve_it(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match=r"storm-client-9\.9\.9\.jar not found in .*: resolve "
                                           r"Storm 9\.9\.9 first \(squall cluster up --storm-version"):
        _idlgen.idl_from_jars(tmp_path, "9.9.9")


def test_a_missing_generator_source_says_to_use_a_checkout(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "storm-client-9.9.9.jar").write_bytes(b"")
    monkeypatch.setattr(_idlgen, "GENERATOR_SOURCE", tmp_path / "StormIdl.java")
    with pytest.raises(ClusterError, match=r"the IDL generator .*StormIdl\.java is missing: run it "
                                           r"from a squall source checkout"):
        _idlgen.idl_from_jars(tmp_path, "9.9.9")


def test_a_missing_jdk_says_to_install_one(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "storm-client-9.9.9.jar").write_bytes(b"")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ClusterError, match=r"^javac not found on PATH: install a JDK"):
        _idlgen.idl_from_jars(tmp_path, "9.9.9")


def test_main_prints_one_error_line_and_returns_2(tmp_path: Path, monkeypatch, capsys) -> None:
    def fail(version: str, progress: object) -> str:
        raise ClusterError(f"Storm {version} cannot be resolved")

    monkeypatch.setattr(_idlgen, "generate_idl", fail)
    assert _idlgen.main(["--storm-version", "9.9.9", "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err == "idlgen: error: Storm 9.9.9 cannot be resolved\n"
    assert not (tmp_path / "x").exists()
