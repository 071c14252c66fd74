"""Wait until a freshly started dev cluster serves: leader Nimbus, a Supervisor, the UI."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from squall.errors import NimbusError
from squall.storm.nimbus import NimbusClient

_POLL_SECS = 0.5


@dataclass(frozen=True)
class Readiness:
    """Which parts of the cluster answer (the ``missing`` strings name what does not)."""

    leader: bool
    supervisors: int
    ui: bool | None

    @property
    def missing(self) -> list[str]:
        """Return the daemons not ready yet, as ``"nimbus"``, ``"supervisor"``, ``"ui"``."""
        absent = []
        if not self.leader:
            absent.append("nimbus")
        if self.supervisors == 0:
            absent.append("supervisor")
        if self.ui is False:
            absent.append("ui")
        return absent


def probe(nimbus_port: int, ui_url: str | None, timeout: float = 2.0) -> Readiness:
    """Ask Nimbus (Thrift) and the UI (HTTP) once whether they serve; never raises."""
    leader, supervisors = False, 0
    try:
        with NimbusClient("127.0.0.1", nimbus_port, timeout=timeout) as nimbus:
            info = nimbus.cluster_info()
        leader = any(n.isLeader for n in info.nimbuses or [])
        supervisors = len(info.supervisors or [])
    except NimbusError:
        pass
    return Readiness(leader=leader, supervisors=supervisors,
                     ui=None if ui_url is None else _http_ok(ui_url, timeout))


def _http_ok(url: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(200 <= response.status < 500)
    except (urllib.error.URLError, OSError):
        return False


def wait_ready(nimbus_port: int, ui_url: str | None, deadline: float,
               check_alive: Callable[[], None]) -> Readiness:
    """Poll until every part is ready or ``deadline`` (``time.monotonic``) passes.

    ``check_alive`` raises when a daemon has died, ending the wait early. Returns the last
    readiness seen; the caller decides what a not-ready result means.
    """
    while True:
        check_alive()
        state = probe(nimbus_port, ui_url)
        if not state.missing or time.monotonic() >= deadline:
            return state
        time.sleep(_POLL_SECS)
