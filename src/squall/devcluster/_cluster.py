"""DevCluster: a real one-machine Storm cluster (ZooKeeper, Nimbus, Supervisor, UI)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

if TYPE_CHECKING:
    from squall.storm import StormEnv

from squall.devcluster._config import DEFAULT_SLOTS, LOOPBACK, ClusterPorts, pick_ports
from squall.devcluster._layout import StormHome, lay_out_home
from squall.devcluster._loopback import build_shim
from squall.devcluster._maven import DEFAULT_STORM_VERSION, StormJars, resolve_storm_jars
from squall.devcluster._paths import default_home, jar_cache_dir
from squall.devcluster._procs import (
    DaemonSpec,
    cluster_processes,
    java_executable,
    log_tail,
    spawn_daemon,
    terminate,
)
from squall.devcluster._readiness import wait_ready
from squall.devcluster._watchdog import start_watchdog
from squall.devcluster._state import (
    ClusterState,
    ProcessRecord,
    clear_state,
    load_state,
    save_state,
)
from squall.errors import ClusterError

Progress = Callable[[str], None]

ZOOKEEPER = "zookeeper"
NIMBUS = "nimbus"
SUPERVISOR = "supervisor"
UI = "ui"
# Start order; `down` stops the supervisor (and workers) first, ZooKeeper last.
_START_ORDER = (ZOOKEEPER, NIMBUS, SUPERVISOR, UI)
_WORKER_MAIN = "org.apache.storm.daemon.worker.Worker"


@dataclass(frozen=True)
class DaemonStatus:
    """One daemon of the cluster: its pid, whether it runs, and its log file."""

    name: str
    pid: int
    alive: bool
    log: Path


@dataclass(frozen=True)
class ClusterStatus:
    """A snapshot of a dev cluster's processes."""

    home: Path
    version: str | None
    ports: ClusterPorts | None
    daemons: dict[str, DaemonStatus] = field(default_factory=dict)
    worker_pids: tuple[int, ...] = ()
    watchdog_pid: int | None = None

    @property
    def running(self) -> bool:
        """Return whether every recorded daemon runs (False when none is recorded)."""
        return bool(self.daemons) and all(d.alive for d in self.daemons.values())

    @property
    def nimbus_address(self) -> tuple[str, int] | None:
        """Return Nimbus' (host, Thrift port), or None when no cluster is recorded."""
        return (LOOPBACK, self.ports.nimbus) if self.ports else None


class DevCluster:
    """Start, stop and inspect a local Storm cluster living in ``home``.

    ``home`` defaults to ``$SQUALL_CLUSTER_HOME`` or ``~/.squall/cluster``; jars are cached
    in ``cache_dir`` (default ``$SQUALL_CACHE_DIR/storm-<version>`` or
    ``~/.squall/cache/storm-<version>``). Methods block; use one instance per thread.
    ``progress`` receives one-line human-readable messages; nothing is printed.

    >>> cluster = DevCluster(home=tmp_home)                  # doctest: +SKIP
    >>> cluster.up(exit_with_pid=os.getpid()).running       # doctest: +SKIP
    True
    """

    def __init__(self, home: Path | str | None = None, *,
                 version: str = DEFAULT_STORM_VERSION,
                 cache_dir: Path | str | None = None,
                 progress: Progress | None = None,
                 slots: int = DEFAULT_SLOTS,
                 startup_timeout: float = 180.0,
                 stop_grace: float = 5.0) -> None:
        self.home = Path(home).expanduser().resolve() if home else default_home().resolve()
        self.version = version
        self.cache_dir = Path(cache_dir) if cache_dir else jar_cache_dir(version)
        self.slots = slots
        self.startup_timeout = startup_timeout
        self.stop_grace = stop_grace
        self._progress = progress or (lambda _msg: None)
        self._children: list[subprocess.Popen[bytes]] = []

    # -- paths and addresses ----------------------------------------------------------

    @property
    def storm_home(self) -> StormHome:
        """Return the storm.home layout of this cluster."""
        return StormHome(self.home)

    @property
    def log_dir(self) -> Path:
        """Return ``storm.log.dir`` (daemon logs, ``workers-artifacts/``)."""
        return self.storm_home.log_dir

    @property
    def storm_local_dir(self) -> Path:
        """Return ``storm.local.dir``."""
        return self.storm_home.local_dir

    @property
    def nimbus_host(self) -> str:
        """Return the host Nimbus serves on (always 127.0.0.1)."""
        return LOOPBACK

    @property
    def nimbus_port(self) -> int:
        """Return Nimbus' Thrift port; raises ClusterError when no cluster is recorded."""
        return self._recorded_state().ports.nimbus

    @property
    def ui_url(self) -> str | None:
        """Return the UI's base URL, or None when the UI is not part of this cluster."""
        state = self._recorded_state()
        return f"http://{LOOPBACK}:{state.ports.ui}/" if UI in state.daemons else None

    def _recorded_state(self) -> ClusterState:
        state = load_state(self.home)
        if state is None:
            raise ClusterError(f"no dev cluster recorded in {self.home}: run `squall cluster up`")
        return state

    # -- up ---------------------------------------------------------------------------

    def up(self, wait: bool = True, exit_with_pid: int | None = None) -> ClusterStatus:
        """Start the cluster (no-op if it already runs) and return its status.

        With ``wait``, block until Nimbus leads, a Supervisor has registered and the UI (if
        any) answers, or raise ClusterError naming the daemon at fault and its log after
        ``startup_timeout`` seconds. With ``exit_with_pid``, a watchdog brings the cluster
        down when that process ends. On any failure, whatever was started is stopped.
        """
        current = self.status()
        if current.running:
            self._progress(f"dev cluster already running in {self.home}")
            if exit_with_pid is not None and current.watchdog_pid is None:
                self._attach_watchdog(exit_with_pid)
            return self.status()
        if current.daemons:
            self._progress("stopping the remains of an earlier cluster")
            self.down()
        jars = resolve_storm_jars(self.version, self.cache_dir, self._progress)
        started = time.monotonic()
        state = ClusterState(version=self.version, ports=pick_ports(self.slots),
                             owner_pid=exit_with_pid)
        try:
            self._start(jars, state, exit_with_pid)
            if wait:
                self._wait_ready(state, started)
        except BaseException:
            self.down()
            raise
        self._progress(f"dev cluster up in {time.monotonic() - started:.1f}s "
                       f"(nimbus 127.0.0.1:{state.ports.nimbus})")
        return self.status()

    def _start(self, jars: StormJars, state: ClusterState, exit_with_pid: int | None) -> None:
        home = lay_out_home(self.home, jars, state.ports)
        java = java_executable()
        shim = build_shim(self.cache_dir, self._progress)
        save_state(self.home, state)
        if exit_with_pid is not None:
            state.watchdog = self._start_watchdog(exit_with_pid)
            save_state(self.home, state)
        for spec in _daemon_specs(jars):
            if spec.name == NIMBUS:
                self._wait_for_port(state, ZOOKEEPER, state.ports.zookeeper)
            self._progress(f"starting {spec.name}")
            child = spawn_daemon(java, home, spec, loopback_shim=shim)
            self._children.append(child)
            state.daemons[spec.name] = ProcessRecord.of(child.pid)
            save_state(self.home, state)

    def _attach_watchdog(self, owner_pid: int) -> None:
        state = self._recorded_state()
        state.watchdog = self._start_watchdog(owner_pid)
        state.owner_pid = owner_pid
        save_state(self.home, state)

    def _start_watchdog(self, owner_pid: int) -> ProcessRecord:
        child = start_watchdog(owner_pid, "storm", self.home,
                               self.storm_home.daemon_console("watchdog"))
        self._children.append(child)
        return ProcessRecord.of(child.pid)

    def _wait_for_port(self, state: ClusterState, name: str, port: int) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            self._check_alive(state)
            try:
                with socket.create_connection((LOOPBACK, port), timeout=1.0):
                    return
            except OSError:
                if time.monotonic() >= deadline:
                    raise self._failure(name, f"not listening on port {port}") from None
            time.sleep(0.2)

    def _wait_ready(self, state: ClusterState, started: float) -> None:
        ui_url = f"http://{LOOPBACK}:{state.ports.ui}/" if UI in state.daemons else None
        readiness = wait_ready(state.ports.nimbus, ui_url, started + self.startup_timeout,
                               lambda: self._check_alive(state))
        if readiness.missing:
            culprit = readiness.missing[0]
            what = {NIMBUS: "no Nimbus became leader",
                    SUPERVISOR: "no Supervisor registered with Nimbus",
                    UI: "the UI does not answer HTTP"}[culprit]
            raise self._failure(culprit, f"{what} within {self.startup_timeout:.0f}s")

    def _check_alive(self, state: ClusterState) -> None:
        for name, record in state.daemons.items():
            if record.process() is None:
                raise self._failure(name, "exited during start-up")

    def _failure(self, name: str, what: str) -> ClusterError:
        log = self.storm_home.daemon_log(name)
        console = self.storm_home.daemon_console(name)
        tail = log_tail(console, 10) + "\n" + log_tail(log, 20)
        return ClusterError(f"dev cluster: {name} {what} (log: {log}, console: {console})\n"
                            f"{tail.strip()}")

    # -- down -------------------------------------------------------------------------

    def down(self, *, from_watchdog: bool = False) -> list[int]:
        """Stop every process of this cluster, workers included; return the pids ended.

        Sends SIGTERM, then SIGKILL after ``stop_grace`` seconds. Only processes started
        for this home are touched: recorded daemons, their descendants, and processes whose
        command line or working directory lies in this cluster's storm.local.dir.
        """
        state = load_state(self.home)
        daemons = state.daemons if state else {}
        ended: list[int] = []
        supervisor = _live(daemons.get(SUPERVISOR))
        if supervisor is not None:
            ended += terminate(self._tree([supervisor]), self.stop_grace)
        ended += terminate(self._sweep(exclude=daemons), self.stop_grace)
        for names in ((UI, NIMBUS), (ZOOKEEPER,)):
            others = [p for n in names if (p := _live(daemons.get(n)))]
            ended += terminate(self._tree(others), self.stop_grace)
        if state is not None and state.watchdog is not None and not from_watchdog:
            watchdog = state.watchdog.process()
            if watchdog is not None:
                ended += terminate([watchdog], 1.0)
        ended += terminate(self._sweep(exclude={}), 1.0)
        for child in self._children:
            child.poll()
        self._children.clear()
        clear_state(self.home)
        if ended:
            self._progress(f"dev cluster down ({len(set(ended))} processes stopped)")
        return sorted(set(ended))

    def _tree(self, roots: list[psutil.Process]) -> list[psutil.Process]:
        found: dict[int, psutil.Process] = {p.pid: p for p in roots}
        for root in roots:
            try:
                found.update({c.pid: c for c in root.children(recursive=True)})
            except psutil.Error:
                pass
        found.pop(os.getpid(), None)
        return list(found.values())

    def _sweep(self, exclude: dict[str, ProcessRecord]) -> list[psutil.Process]:
        skip = {record.pid for record in exclude.values()}
        return [p for p in cluster_processes([], self.storm_home) if p.pid not in skip]

    # -- status -----------------------------------------------------------------------

    def storm_env(self, **overrides: Any) -> "StormEnv":
        """Return the submission target for this running cluster (raises ClusterError if down).

        On the dev cluster, workers run this very interpreter, so nothing is vendored by
        default. ``overrides`` are further :class:`squall.storm.StormEnv` fields.

        >>> env = DevCluster().storm_env()            # doctest: +SKIP
        """
        from squall.storm import StormEnv

        status = self.status()
        if status.ports is None or not status.running:
            raise ClusterError(f"no running dev cluster in {self.home}: start one with `squall cluster up`")
        values: dict[str, Any] = {
            "name": "local",
            "nimbus_port": status.ports.nimbus,
            "ui_url": f"http://127.0.0.1:{status.ports.ui}" if "ui" in status.daemons else None,
            "log_dir": self.log_dir,
            "local": True,
        }
        values.update(overrides)
        return StormEnv(**values)

    def status(self) -> ClusterStatus:
        """Return what of this cluster runs now (reads the state file and the process table)."""
        state = load_state(self.home)
        if state is None:
            return ClusterStatus(home=self.home, version=None, ports=None)
        daemons = {
            name: DaemonStatus(name=name, pid=rec.pid, alive=rec.process() is not None,
                               log=self.storm_home.daemon_log(name))
            for name, rec in state.daemons.items()
        }
        workers = tuple(p.pid for p in cluster_processes([], self.storm_home)
                        if _WORKER_MAIN in " ".join(_cmdline(p)))
        watchdog = state.watchdog.pid if state.watchdog and state.watchdog.process() else None
        return ClusterStatus(home=self.home, version=state.version, ports=state.ports,
                             daemons=daemons, worker_pids=workers, watchdog_pid=watchdog)


def _daemon_specs(jars: StormJars) -> list[DaemonSpec]:
    specs = [
        DaemonSpec(ZOOKEEPER, "org.apache.zookeeper.server.ZooKeeperServerMain", 128,
                   args=("conf/zoo.cfg",)),
        DaemonSpec(NIMBUS, "org.apache.storm.daemon.nimbus.Nimbus", 384),
        DaemonSpec(SUPERVISOR, "org.apache.storm.daemon.supervisor.Supervisor", 256),
    ]
    if jars.lib_webapp is not None:
        specs.append(DaemonSpec(UI, "org.apache.storm.daemon.ui.UIServer", 256,
                                extra_classpath=("lib-webapp/*",)))
    return specs


def _live(record: ProcessRecord | None) -> psutil.Process | None:
    return record.process() if record is not None else None


def _cmdline(proc: psutil.Process) -> list[str]:
    try:
        return list(proc.cmdline())
    except psutil.Error:
        return []

