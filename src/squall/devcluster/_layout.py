"""Lay out a storm.home directory for the dev cluster.

::

    <home>/lib -> <cache>/lib            storm-server, storm-core, their deps (symlink)
    <home>/lib-worker -> <cache>/...     the worker classpath (symlink)
    <home>/lib-webapp -> <cache>/...     the UI's jars, when served (symlink)
    <home>/conf/storm.yaml               loopback-only config, free ports
    <home>/conf/zoo.cfg                  ZooKeeper on 127.0.0.1 only
    <home>/log4j2/cluster.xml            daemon logging
    <home>/log4j2/worker.xml             worker logging
    <home>/public/                       WEB-INF of the storm-webapp jar (UI static files)
    <home>/logs/                         daemon logs; workers-artifacts/<id>/<port>/worker.log
    <home>/storm-local/                  storm.local.dir (emptied by every `up`)
    <home>/zookeeper/                    ZooKeeper's data (emptied by every `up`)
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from squall.devcluster._config import (
    ClusterPorts,
    cluster_log4j_xml,
    storm_yaml_text,
    worker_log4j_xml,
    zoo_cfg,
)
from squall.devcluster._maven import StormJars


@dataclass(frozen=True)
class StormHome:
    """The paths of a laid-out storm.home."""

    root: Path

    @property
    def conf_dir(self) -> Path:
        """Directory holding storm.yaml and zoo.cfg (on the daemons' classpath)."""
        return self.root / "conf"

    @property
    def log_dir(self) -> Path:
        """``storm.log.dir``: daemon logs and ``workers-artifacts/``."""
        return self.root / "logs"

    @property
    def local_dir(self) -> Path:
        """``storm.local.dir``: Nimbus' and the Supervisor's state, workers' cwd roots."""
        return self.root / "storm-local"

    @property
    def zookeeper_dir(self) -> Path:
        """ZooKeeper's data directory."""
        return self.root / "zookeeper"

    @property
    def workers_artifacts(self) -> Path:
        """Root of the worker logs: ``<this>/<topology-id>/<port>/worker.log``."""
        return self.log_dir / "workers-artifacts"

    def daemon_log(self, name: str) -> Path:
        """Return the log file of daemon ``name``."""
        return self.log_dir / f"{name}.log"

    def daemon_console(self, name: str) -> Path:
        """Return the file receiving daemon ``name``'s stdout and stderr."""
        return self.log_dir / f"{name}.out"


def lay_out_home(root: Path, jars: StormJars, ports: ClusterPorts) -> StormHome:
    """Create or refresh the storm.home at ``root`` for ``jars`` and ``ports``.

    Rewrites the configuration and empties ZooKeeper's data and storm.local.dir, so every
    cluster starts empty (a stale leader node left in ZooKeeper would delay Nimbus'
    election by a session timeout); keeps the logs. Call only while no daemon runs.
    """
    home = StormHome(root)
    for state_dir in (home.local_dir, home.zookeeper_dir):
        shutil.rmtree(state_dir, ignore_errors=True)
    for directory in (home.conf_dir, root / "log4j2", home.log_dir, home.local_dir,
                      home.zookeeper_dir):
        directory.mkdir(parents=True, exist_ok=True)
    _link(root / "lib", jars.lib)
    _link(root / "lib-worker", jars.lib_worker)
    if jars.lib_webapp is not None:
        _link(root / "lib-webapp", jars.lib_webapp)
        _extract_webapp_public(jars.lib_webapp, root / "public")
    (home.conf_dir / "storm.yaml").write_text(storm_yaml_text(home.local_dir, ports))
    (home.conf_dir / "zoo.cfg").write_text(zoo_cfg(home.zookeeper_dir, ports.zookeeper))
    (root / "log4j2" / "cluster.xml").write_text(cluster_log4j_xml())
    (root / "log4j2" / "worker.xml").write_text(worker_log4j_xml())
    return home


def _link(link: Path, target: Path) -> None:
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.is_dir():
        shutil.rmtree(link)
    link.symlink_to(target.resolve(), target_is_directory=True)


def _extract_webapp_public(lib_webapp: Path, public: Path) -> None:
    """Extract the ``WEB-INF/`` entries of the storm-webapp jar into ``public/``."""
    jars = sorted(lib_webapp.glob("storm-webapp-*.jar"))
    if not jars or (public / ".extracted").exists():
        return
    prefix = "WEB-INF/"
    with zipfile.ZipFile(jars[0]) as jar:
        for info in jar.infolist():
            if not info.filename.startswith(prefix) or info.is_dir():
                continue
            relative = Path(info.filename[len(prefix):])
            if relative.is_absolute() or ".." in relative.parts:
                continue
            target = public / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(jar.read(info))
    (public / ".extracted").touch()
