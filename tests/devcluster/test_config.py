"""storm.yaml, zoo.cfg, log4j2 and pom generation: no JVM, no Maven."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

from squall.devcluster._config import (
    cluster_log4j_xml,
    free_ports,
    pick_ports,
    storm_yaml_text,
    worker_log4j_xml,
    zoo_cfg,
)
from squall.devcluster._maven import pom_xml


def test_ports_are_distinct_and_four_slots_by_default() -> None:
    ports = pick_ports()
    every = [ports.zookeeper, ports.nimbus, ports.supervisor, ports.ui, ports.logviewer,
             *ports.slots]
    assert len(ports.slots) == 4
    assert len(set(every)) == len(every)


def test_storm_yaml_is_loopback_only_with_the_picked_ports(tmp_path: Path) -> None:
    ports = pick_ports(slots=2)
    conf = yaml.safe_load(storm_yaml_text(tmp_path / "local", ports))
    assert conf["storm.zookeeper.servers"] == ["127.0.0.1"]
    assert conf["nimbus.seeds"] == ["127.0.0.1"]
    assert conf["storm.local.hostname"] == "127.0.0.1"
    assert conf["ui.host"] == "127.0.0.1"
    assert conf["storm.zookeeper.port"] == ports.zookeeper
    assert conf["nimbus.thrift.port"] == ports.nimbus
    assert conf["supervisor.thrift.port"] == ports.supervisor
    assert conf["supervisor.slots.ports"] == list(ports.slots)
    assert conf["storm.local.dir"] == str(tmp_path / "local")


def test_worker_childopts_carry_no_pre_java_9_gc_flags(tmp_path: Path) -> None:
    conf = yaml.safe_load(storm_yaml_text(tmp_path, pick_ports()))
    assert "PrintGC" not in conf["worker.childopts"]
    assert "CMS" not in conf["worker.childopts"]


def test_zookeeper_listens_on_loopback_only(tmp_path: Path) -> None:
    port = free_ports(1)[0]
    cfg = dict(line.split("=", 1) for line in zoo_cfg(tmp_path, port).splitlines())
    assert cfg["clientPortAddress"] == "127.0.0.1"
    assert cfg["clientPort"] == str(port)
    assert cfg["dataDir"] == str(tmp_path)


def test_worker_log_lands_in_workers_artifacts_id_port() -> None:
    root = ET.fromstring(worker_log4j_xml())
    files = [f.get("fileName") for f in root.iter("RollingFile")]
    assert files == ["${sys:workers.artifacts}/${sys:storm.id}/${sys:worker.port}/"
                     "${sys:logfile.name}"]
    _assert_rolls(root, "100 MB", "5")
    loggers = {lg.get("name") for lg in root.iter("Logger")}
    assert {"STDOUT", "STDERR"} <= loggers


def test_daemon_log_is_named_by_logfile_name() -> None:
    root = ET.fromstring(cluster_log4j_xml())
    assert [f.get("fileName") for f in root.iter("RollingFile")] == [
        "${sys:storm.log.dir}/${sys:logfile.name}"]
    _assert_rolls(root, "50 MB", "5")


def _assert_rolls(root: ET.Element, size: str, keep: str) -> None:
    [rolling] = root.iter("RollingFile")
    assert rolling.get("filePattern") == rolling.get("fileName") + ".%i"
    assert rolling.find("SizeBasedTriggeringPolicy").get("size") == size
    assert rolling.find("DefaultRolloverStrategy").get("max") == keep


def test_lib_pom_excludes_storm_clojure_and_adds_snappy() -> None:
    pom = ET.fromstring(pom_xml("2.8.3", "lib"))
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    deps = {d.findtext("m:artifactId", namespaces=ns): d
            for d in pom.findall("m:dependencies/m:dependency", ns)}
    assert set(deps) == {"storm-server", "storm-core", "snappy-java"}
    assert deps["storm-core"].findtext("m:version", namespaces=ns) == "2.8.3"
    excluded = deps["storm-core"].findtext("m:exclusions/m:exclusion/m:artifactId",
                                           namespaces=ns)
    assert excluded == "storm-clojure"


def test_worker_pom_holds_storm_client_only() -> None:
    pom = pom_xml("2.8.3", "lib-worker")
    assert "<artifactId>storm-client</artifactId>" in pom
    assert "storm-server" not in pom
