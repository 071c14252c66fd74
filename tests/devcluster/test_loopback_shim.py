"""The LD_PRELOAD bind shim: built with the real gcc, loaded into a real Python process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from squall.devcluster._config import ClusterPorts, storm_yaml
from squall.devcluster._layout import StormHome
from squall.devcluster._loopback import (
    NO_GCC_WARNING,
    SHIM_SOURCE,
    build_shim,
    preload_env,
    shim_path,
)
from squall.devcluster._procs import DaemonSpec, daemon_command, daemon_env

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not on PATH")

# Binds each kind of socket to its wildcard address and prints the address it got.
_PROBE = """
import json, socket
got = {}
for name, family, kind, host in (("tcp4", socket.AF_INET, socket.SOCK_STREAM, "0.0.0.0"),
                                 ("udp4", socket.AF_INET, socket.SOCK_DGRAM, "0.0.0.0"),
                                 ("tcp6", socket.AF_INET6, socket.SOCK_STREAM, "::")):
    try:
        with socket.socket(family, kind) as sock:
            sock.bind((host, 0))
            got[name] = sock.getsockname()[0]
    except OSError:
        got[name] = None  # no IPv6 on this machine
print(json.dumps(got))
"""


def _bound_addresses(env: dict[str, str]) -> dict[str, str | None]:
    done = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    result: dict[str, str | None] = json.loads(done.stdout)
    return result


@needs_gcc
def test_the_shim_turns_wildcard_tcp_binds_into_loopback_binds(tmp_path: Path) -> None:
    messages: list[str] = []
    shim = build_shim(tmp_path / "cache", messages.append)
    assert shim is not None and shim.is_file(), messages
    without = _bound_addresses(daemon_env())
    with_shim = _bound_addresses(daemon_env(shim))
    assert without["tcp4"] == "0.0.0.0"
    assert with_shim["tcp4"] == "127.0.0.1"
    assert with_shim["udp4"] == "0.0.0.0"  # outbound UDP clients keep working
    if without["tcp6"] is not None:
        assert with_shim["tcp6"] == "::ffff:127.0.0.1"  # IPv4 clients of 127.0.0.1 still connect


@needs_gcc
def test_the_shim_is_built_once_per_source_version(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    first = build_shim(cache, lambda _msg: None)
    assert first == shim_path(cache)
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))  # no gcc: the cached build serves
    assert build_shim(cache, pytest.fail) == first
    monkeypatch.undo()
    changed = tmp_path / "changed.c"
    changed.write_text(SHIM_SOURCE.read_text() + "\n/* changed */\n")
    rebuilt = build_shim(cache, lambda _msg: None, source=changed)
    assert rebuilt is not None and rebuilt != first and rebuilt.is_file()


def test_without_gcc_up_goes_on_with_a_warning(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    messages: list[str] = []
    assert build_shim(tmp_path / "cache", messages.append) is None
    assert messages == [NO_GCC_WARNING]
    assert "gcc not found" in NO_GCC_WARNING and "install gcc" in NO_GCC_WARNING


@needs_gcc
def test_a_shim_that_does_not_compile_is_a_warning(tmp_path: Path) -> None:
    broken = tmp_path / "broken.c"
    broken.write_text("int bind(;\n")
    messages: list[str] = []
    assert build_shim(tmp_path / "cache", messages.append, source=broken) is None
    assert len(messages) == 1
    assert messages[0].startswith("building the loopback shim failed (")
    assert messages[0].endswith("Storm daemons will listen on all interfaces")
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_cache_path_ld_preload_would_split_is_a_warning(tmp_path: Path) -> None:
    messages: list[str] = []
    assert build_shim(tmp_path / "my cache", messages.append) is None
    assert "LD_PRELOAD splits paths at spaces and colons" in messages[0]


def test_the_shim_goes_first_in_ld_preload() -> None:
    shim = Path("/cache/loopback.so")
    assert preload_env({}, shim)["LD_PRELOAD"] == "/cache/loopback.so"
    assert preload_env({"LD_PRELOAD": "a.so b.so"}, shim)["LD_PRELOAD"] == \
        "/cache/loopback.so:a.so:b.so"
    assert "LD_PRELOAD" not in preload_env({}, None)


def test_daemons_and_workers_use_ipv4_sockets(tmp_path: Path) -> None:
    home = StormHome(tmp_path)
    command = daemon_command("java", home, DaemonSpec("nimbus", "x.Nimbus", 64))
    assert "-Djava.net.preferIPv4Stack=true" in command
    ports = ClusterPorts(1, 2, 3, 4, 5, (6,))
    assert "-Djava.net.preferIPv4Stack=true" in storm_yaml(home.local_dir, ports)["worker.childopts"]


def test_a_missing_shim_source_is_a_warning(tmp_path: Path) -> None:
    messages: list[str] = []
    assert build_shim(tmp_path / "cache", messages.append, source=tmp_path / "gone.c") is None
    assert messages == [f"{tmp_path / 'gone.c'} is missing (reinstall squall): "
                        "Storm daemons will listen on all interfaces"]
