"""A cached jar layout is reused without running Maven (works offline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from squall.devcluster import _maven
from squall.devcluster._maven import MARKER_NAME, resolve_storm_jars
from squall.errors import ClusterError


def _fake_cache(cache: Path, version: str, webapp: bool) -> None:
    (cache / "lib").mkdir(parents=True)
    (cache / "lib" / f"storm-server-{version}.jar").write_bytes(b"")
    (cache / "lib-worker").mkdir()
    (cache / "lib-worker" / f"storm-client-{version}.jar").write_bytes(b"")
    (cache / MARKER_NAME).write_text(json.dumps({"version": version, "webapp": webapp}))


def test_cached_layout_is_returned_without_maven(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_cache(tmp_path, "2.8.3", webapp=False)
    monkeypatch.setattr(_maven.shutil, "which", lambda _name: None)
    messages: list[str] = []
    jars = resolve_storm_jars("2.8.3", tmp_path, messages.append)
    assert jars.lib == tmp_path / "lib"
    assert jars.lib_webapp is None
    assert messages == [f"Storm 2.8.3 jars cached in {tmp_path}"]


def test_missing_maven_is_a_cluster_error_with_the_fix(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_maven.shutil, "which", lambda _name: None)
    with pytest.raises(ClusterError, match=r"^Maven \(mvn\) not found on PATH: install it"):
        resolve_storm_jars("2.8.3", tmp_path / "empty")


def test_marker_of_another_version_is_not_reused(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_cache(tmp_path, "2.7.1", webapp=False)
    monkeypatch.setattr(_maven.shutil, "which", lambda _name: None)
    with pytest.raises(ClusterError):
        resolve_storm_jars("2.8.3", tmp_path)
