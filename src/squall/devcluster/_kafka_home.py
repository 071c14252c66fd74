"""The dev broker's home folder and its record, ``<home>/broker.json``.

::

    <home>/broker.json               version, ports, cluster id; pids while running
    <home>/config/server.properties  written by every `up` (loopback only)
    <home>/config/log4j2.xml         the broker's logging -> logs/server.log
    <home>/data/                     log.dirs: topics, committed offsets, KRaft metadata
    <home>/logs/server.log           the broker's log
    <home>/logs/console.out          the JVM's stdout and stderr
    <home>/logs/watchdog.out         the watchdog's output

``down`` keeps ``data/`` and the recorded ports, so the next ``up`` serves the same topics
on the same address; ``down(wipe=True)`` deletes both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from squall.devcluster._kafka_config import KafkaPorts
from squall.devcluster._state import ProcessRecord, read_json, write_json

RECORD_NAME = "broker.json"


@dataclass(frozen=True)
class KafkaHome:
    """The paths of a dev broker's home."""

    root: Path

    @property
    def record(self) -> Path:
        """The JSON record of ports, cluster id and pids."""
        return self.root / RECORD_NAME

    @property
    def server_properties(self) -> Path:
        """The broker's configuration file."""
        return self.root / "config" / "server.properties"

    @property
    def log4j_config(self) -> Path:
        """The broker's log4j2 configuration."""
        return self.root / "config" / "log4j2.xml"

    @property
    def data_dir(self) -> Path:
        """``log.dirs``: the topics' data and the KRaft metadata log."""
        return self.root / "data"

    @property
    def log_dir(self) -> Path:
        """Where the broker's log and console output go."""
        return self.root / "logs"

    @property
    def server_log(self) -> Path:
        """The broker's log file."""
        return self.log_dir / "server.log"

    def console(self, name: str) -> Path:
        """Return the file receiving process ``name``'s stdout and stderr."""
        return self.log_dir / f"{name}.out"

    @property
    def formatted(self) -> bool:
        """Return whether ``data/`` holds formatted KRaft storage."""
        return (self.data_dir / "meta.properties").is_file()


@dataclass
class BrokerRecord:
    """What ``broker.json`` holds: kept across ``down``, except the broker and watchdog pids.

    ``owner`` is the process whose end stops the broker (``exit_with_pid``); it stays
    recorded across ``down``, so the next ``up`` watches it again while it lives.
    """

    version: str
    ports: KafkaPorts
    cluster_id: str
    broker: ProcessRecord | None = None
    watchdog: ProcessRecord | None = None
    owner: ProcessRecord | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the record as JSON-ready data."""
        return {
            "version": self.version,
            "ports": {"broker": self.ports.broker, "controller": self.ports.controller},
            "cluster_id": self.cluster_id,
            "broker": vars(self.broker) if self.broker else None,
            "watchdog": vars(self.watchdog) if self.watchdog else None,
            "owner": vars(self.owner) if self.owner else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BrokerRecord:
        """Rebuild a record written by :meth:`to_json`."""
        processes = {name: ProcessRecord(**data[name]) if data.get(name) else None
                     for name in ("broker", "watchdog", "owner")}
        return cls(version=data["version"], ports=KafkaPorts(**data["ports"]),
                   cluster_id=data["cluster_id"], **processes)


def load_record(home: KafkaHome) -> BrokerRecord | None:
    """Return the record of ``home``, or None when none (or an unreadable one) exists."""
    data = read_json(home.record)
    try:
        return BrokerRecord.from_json(data) if data is not None else None
    except (KeyError, TypeError, ValueError):
        return None


def save_record(home: KafkaHome, record: BrokerRecord) -> None:
    """Write ``record`` atomically to ``<home>/broker.json``."""
    write_json(home.record, record.to_json())
