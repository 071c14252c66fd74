"""Where and how a topology runs on Storm: the target cluster and packaging choices."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping



@dataclass(frozen=True)
class StormEnv:
    """A Storm cluster to submit to, and how to package for its workers.

    ``python`` is the interpreter command the workers run; None means ``python3``
    on a remote cluster and this interpreter on the local dev cluster. ``vendor``
    None means: vendor the dependencies unless ``python`` names an interpreter
    (which is then trusted to have them). ``log_dir`` is the cluster's
    ``storm.log.dir`` when it is on this machine (``tail`` needs it). ``options``
    are environment-level topology conf (the lowest precedence after defaults).
    ``nimbus_seeds`` (Storm's ``nimbus.seeds``, with ports) lists several Nimbus
    daemons: clients then ask them for the leader and talk to it.

    >>> env = StormEnv(name="prod", nimbus_host="nimbus.example.com", python="/opt/py/bin/python")
    >>> env.worker_python, env.vendors
    ('/opt/py/bin/python', False)
    """

    name: str = "local"
    nimbus_host: str = "127.0.0.1"
    nimbus_port: int = 6627
    ui_url: str | None = None
    python: str | None = None
    vendor: bool | None = None
    serializer: str = "json"
    options: Mapping[str, Any] = field(default_factory=dict)
    log_dir: Path | None = None
    local: bool = False
    python_version: str | None = None
    platform: str | tuple[str, ...] | None = None  # the workers' wheel platform tag(s)
    timeout: float = 30.0
    nimbus_seeds: tuple[tuple[str, int], ...] = ()

    @property
    def seeds(self) -> tuple[tuple[str, int], ...]:
        """Return the Nimbus ``(host, port)`` seeds: ``nimbus_seeds``, else the one Nimbus."""
        return self.nimbus_seeds or ((self.nimbus_host, self.nimbus_port),)

    @property
    def worker_python(self) -> str:
        """Return the interpreter command Storm runs for each component."""
        if self.python:
            return self.python
        return sys.executable if self.local else "python3"

    @property
    def vendors(self) -> bool:
        """Return whether the jar must carry the dependencies as wheels."""
        if self.vendor is not None:
            return self.vendor
        return self.python is None and not self.local
