"""Persist which processes a dev cluster started: ``<home>/state.json``; JSON file helpers."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from squall.devcluster._config import ClusterPorts

STATE_NAME = "state.json"


@dataclass(frozen=True)
class ProcessRecord:
    """A process squall started: its pid and start time (guards against reused pids)."""

    pid: int
    create_time: float

    def process(self) -> psutil.Process | None:
        """Return the live process, or None when it is gone or its pid was reused."""
        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.create_time) > 0.5:
                return None
            if proc.status() == psutil.STATUS_ZOMBIE:
                return None
            return proc
        except psutil.Error:
            return None

    @classmethod
    def of(cls, pid: int) -> ProcessRecord:
        """Record the running process ``pid``."""
        return cls(pid=pid, create_time=psutil.Process(pid).create_time())


@dataclass
class ClusterState:
    """What a running dev cluster consists of, as written to its state file."""

    version: str
    ports: ClusterPorts
    daemons: dict[str, ProcessRecord] = field(default_factory=dict)
    watchdog: ProcessRecord | None = None
    owner_pid: int | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the state as JSON-ready data."""
        return {
            "version": self.version,
            "ports": self.ports.to_json(),
            "daemons": {name: vars(rec) for name, rec in self.daemons.items()},
            "watchdog": vars(self.watchdog) if self.watchdog else None,
            "owner_pid": self.owner_pid,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClusterState:
        """Rebuild a state written by :meth:`to_json`."""
        watchdog = data.get("watchdog")
        return cls(
            version=data["version"],
            ports=ClusterPorts.from_json(data["ports"]),
            daemons={n: ProcessRecord(**r) for n, r in data.get("daemons", {}).items()},
            watchdog=ProcessRecord(**watchdog) if watchdog else None,
            owner_pid=data.get("owner_pid"),
        )


def load_state(home: Path) -> ClusterState | None:
    """Return the recorded state of the cluster in ``home``, or None if none is recorded."""
    data = read_json(home / STATE_NAME)
    try:
        return ClusterState.from_json(data) if data is not None else None
    except (KeyError, TypeError, ValueError):
        return None


def save_state(home: Path, state: ClusterState) -> None:
    """Write ``state`` atomically to ``home/state.json``."""
    write_json(home / STATE_NAME, state.to_json())


def read_json(path: Path) -> dict[str, Any] | None:
    """Return the JSON object in ``path``, or None when it is absent or unreadable."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically (a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)


def clear_state(home: Path) -> None:
    """Remove the state file of ``home`` (no error if absent)."""
    (home / STATE_NAME).unlink(missing_ok=True)
