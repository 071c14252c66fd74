"""The dev broker's failure messages, with a fake ``java`` and a fake jar cache (no JVM)."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest

from squall.devcluster import KafkaBroker, resolve_kafka_jars
from squall.devcluster import _maven
from squall.errors import BrokerError, ClusterError


def _fake_cache(cache: Path, version: str = "4.1.1") -> Path:
    (cache / "libs").mkdir(parents=True)
    (cache / "libs" / f"kafka_2.13-{version}.jar").write_bytes(b"")
    (cache / "resolved.json").write_text(json.dumps({"version": version}))
    return cache


def _fake_java(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\n" + script)
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))


def test_cached_jars_are_used_without_maven(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    cache = _fake_cache(tmp_path / "cache")
    monkeypatch.setattr(_maven.shutil, "which", lambda _name: None)
    messages: list[str] = []
    jars = resolve_kafka_jars("4.1.1", cache, messages.append)
    assert jars.libs == cache / "libs" and jars.classpath == f"{cache}/libs/*"
    assert messages == [f"Kafka 4.1.1 jars cached in {cache}"]


def test_missing_maven_is_an_error_with_the_fix(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_maven.shutil, "which", lambda _name: None)
    with pytest.raises(ClusterError, match=r"^Maven \(mvn\) not found on PATH: install it"):
        resolve_kafka_jars("4.1.1", _fake_cache(tmp_path / "other", version="4.0.0"))


@pytest.mark.skipif(shutil.which("mvn") is None, reason="needs Maven")
def test_a_version_maven_cannot_resolve_is_named(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match=r"^cannot resolve Apache Kafka 0\.0\.1-no-such from "
                                           r"Maven: "):
        resolve_kafka_jars("0.0.1-no-such", tmp_path / "cache")
    assert not (tmp_path / "cache" / "libs").exists()


def test_a_failed_format_is_an_error_and_starts_nothing(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_java(tmp_path, monkeypatch, "echo 'Invalid cluster.id' >&2\nexit 1\n")
    broker = KafkaBroker(home=tmp_path / "kafka", cache_dir=_fake_cache(tmp_path / "cache"))
    with pytest.raises(BrokerError, match=rf"^dev broker: formatting {tmp_path}/kafka/data "
                                          r"failed: Invalid cluster\.id$"):
        broker.up(wait=False)
    assert broker.status().pid is None


def test_a_broker_that_never_answers_is_stopped_and_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_java(tmp_path, monkeypatch, 'case "$*" in *StorageTool*) exit 0;; esac\n'
                                      "echo 'fake broker: silent' >&2\nexec sleep 60\n")
    broker = KafkaBroker(home=tmp_path / "kafka", cache_dir=_fake_cache(tmp_path / "cache"),
                         startup_timeout=3)
    with pytest.raises(BrokerError, match=r"^dev broker \(node 1\) did not answer on "
                                          r"127\.0\.0\.1:\d+ within 3s \(log: ") as caught:
        broker.up()
    assert "fake broker: silent" in str(caught.value)
    status = broker.status()
    assert status.running is False and status.pid is None


def test_a_hanging_format_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_java(tmp_path, monkeypatch, "exec sleep 30\n")
    broker = KafkaBroker(home=tmp_path / "kafka", cache_dir=_fake_cache(tmp_path / "cache"),
                         startup_timeout=1)
    with pytest.raises(BrokerError, match=rf"^dev broker: formatting {tmp_path}/kafka/data took "
                                          r"more than 1s \(startup_timeout\)$"):
        broker.up(wait=False)
