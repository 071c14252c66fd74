"""KafkaBroker: a real Apache Kafka broker (KRaft, one combined node) on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from squall.devcluster._config import LOOPBACK
from squall.devcluster._kafka_admin import KafkaAdmin, confluent
from squall.devcluster._kafka_config import (
    NODE_ID,
    KafkaPorts,
    kafka_log4j_xml,
    pick_kafka_ports,
    random_cluster_id,
    server_properties,
)
from squall.devcluster._kafka_home import BrokerRecord, KafkaHome, load_record, save_record
from squall.devcluster._kafka_jars import DEFAULT_KAFKA_VERSION, KafkaJars, resolve_kafka_jars
from squall.devcluster._paths import default_kafka_home, kafka_jar_cache_dir
from squall.devcluster._procs import (
    java_executable,
    log_tail,
    processes_naming,
    spawn_logged,
    terminate,
)
from squall.devcluster._state import ProcessRecord
from squall.devcluster._watchdog import start_watchdog
from squall.errors import BrokerError

Progress = Callable[[str], None]

_JVM_FLAGS = ("-Xmx512m", "-XX:+UseSerialGC", "-Djava.net.preferIPv4Stack=true",
              "-Djava.awt.headless=true")
_TOOL_FLAGS = ("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
_POLL_SECS = 0.2


@dataclass(frozen=True)
class BrokerStatus:
    """A snapshot of a dev broker.

    ``bootstrap`` is the address the broker serves on (or will serve on at the next ``up``)
    while ports are recorded, else None; ``running`` says whether its JVM is alive now.
    """

    home: Path
    version: str | None
    bootstrap: str | None
    pid: int | None
    running: bool
    log: Path
    watchdog_pid: int | None = None


class KafkaBroker:
    """Start, stop and inspect a single-node Apache Kafka broker living in ``home``.

    ``home`` defaults to ``$SQUALL_KAFKA_HOME`` or ``~/.squall/kafka``; jars are cached in
    ``cache_dir`` (default ``$SQUALL_CACHE_DIR/kafka-<version>`` or
    ``~/.squall/cache/kafka-<version>``). Topics, committed offsets and the ports survive
    ``down()``; ``down(wipe=True)`` deletes them. Methods block; use one instance per
    thread. ``progress`` receives one-line messages; nothing is printed.

    >>> broker = KafkaBroker(home=tmp_home, progress=print)     # doctest: +SKIP
    >>> broker.up(exit_with_pid=os.getpid()).bootstrap          # doctest: +SKIP
    '127.0.0.1:40123'
    >>> broker.create_topic("events", partitions=4)             # doctest: +SKIP
    """

    def __init__(self, home: Path | str | None = None, *,
                 version: str = DEFAULT_KAFKA_VERSION,
                 cache_dir: Path | str | None = None,
                 progress: Progress | None = None,
                 startup_timeout: float = 120.0,
                 stop_grace: float = 10.0) -> None:
        root = Path(home).expanduser() if home else default_kafka_home()
        self.home = root.resolve()
        self.version = version
        self.cache_dir = Path(cache_dir) if cache_dir else kafka_jar_cache_dir(version)
        self.startup_timeout = startup_timeout
        self.stop_grace = stop_grace
        self._progress = progress or (lambda _msg: None)
        self._layout = KafkaHome(self.home)
        self._children: list[subprocess.Popen[bytes]] = []

    # -- addresses and status ---------------------------------------------------------

    @property
    def bootstrap(self) -> str:
        """Return ``"127.0.0.1:PORT"``; raises BrokerError when no broker is recorded.

        The address stays recorded across ``down()`` (not ``down(wipe=True)``), and the
        next ``up()`` serves on it again while its ports are free.
        """
        return self._recorded().ports.bootstrap

    @property
    def log(self) -> Path:
        """Return the broker's log file, ``<home>/logs/server.log``."""
        return self._layout.server_log

    def status(self) -> BrokerStatus:
        """Return what of this broker runs now (reads the record and the process table)."""
        record = load_record(self._layout)
        if record is None:
            return BrokerStatus(home=self.home, version=None, bootstrap=None, pid=None,
                                running=False, log=self.log)
        alive = record.broker.process() if record.broker else None
        watchdog = record.watchdog.process() if record.watchdog else None
        return BrokerStatus(home=self.home, version=record.version,
                            bootstrap=record.ports.bootstrap,
                            pid=record.broker.pid if record.broker else None,
                            running=alive is not None, log=self.log,
                            watchdog_pid=watchdog.pid if watchdog else None)

    # -- up ---------------------------------------------------------------------------

    def up(self, wait: bool = True, exit_with_pid: int | None = None) -> BrokerStatus:
        """Start the broker (no-op if it already runs) and return its status.

        Reuses the data and, while they are free, the ports of an earlier ``up`` in this
        home. With ``wait``, block until the broker answers a metadata request (needs
        confluent-kafka), or raise BrokerError with the log's tail after
        ``startup_timeout`` seconds. With ``exit_with_pid``, a watchdog stops the broker
        when that process ends; that owner stays recorded across ``down()``, so a later
        ``up()`` without it is watched again while the owner lives. On any failure,
        whatever was started is stopped.
        """
        current = self.status()
        if current.running:
            self._progress(f"Kafka broker already running in {self.home}")
            if exit_with_pid is not None and current.watchdog_pid is None:
                self._attach_watchdog(exit_with_pid)
            return self.status()
        owner = exit_with_pid if exit_with_pid is not None else self._living_owner()
        self.down()
        if wait:
            confluent()
        jars = resolve_kafka_jars(self.version, self.cache_dir, self._progress)
        java = java_executable()
        started = time.monotonic()
        try:
            record = self._prepare(java, jars)
            self._start(java, jars, record, owner)
            if wait:
                self._wait_ready(record, started)
        except BaseException:
            self.down()
            raise
        self._progress(f"Kafka {self.version} broker up in {time.monotonic() - started:.1f}s "
                       f"(bootstrap {record.ports.bootstrap})")
        return self.status()

    def _living_owner(self) -> int | None:
        """Return the pid of the recorded owner (``exit_with_pid``) while it still runs."""
        record = load_record(self._layout)
        owner = record.owner.process() if record and record.owner else None
        return owner.pid if owner else None

    def _prepare(self, java: str, jars: KafkaJars) -> BrokerRecord:
        """Pick ports, write the config and format the storage when it is new."""
        layout = self._layout
        for folder in (layout.server_properties.parent, layout.log_dir):
            folder.mkdir(parents=True, exist_ok=True)
        earlier = load_record(layout)
        fresh = earlier is None or not layout.formatted
        record = BrokerRecord(
            version=self.version,
            ports=self._ports(earlier.ports if earlier else None),
            cluster_id=earlier.cluster_id if earlier and not fresh else random_cluster_id(),
        )
        layout.server_properties.write_text(server_properties(record.ports, layout.data_dir))
        layout.log4j_config.write_text(kafka_log4j_xml(layout.server_log))
        save_record(layout, record)
        if fresh:
            self._format(java, jars, record.cluster_id)
        return record

    def _ports(self, recorded: KafkaPorts | None) -> KafkaPorts:
        if recorded is not None and all(map(_port_free, (recorded.broker, recorded.controller))):
            return recorded
        ports = pick_kafka_ports()
        if recorded is not None:
            self._progress(f"the recorded port {recorded.broker} or {recorded.controller} "
                           f"is taken: the broker moves to {ports.bootstrap}")
        return ports

    def _format(self, java: str, jars: KafkaJars, cluster_id: str) -> None:
        self._progress(f"formatting new KRaft storage in {self._layout.data_dir}")
        shutil.rmtree(self._layout.data_dir, ignore_errors=True)
        command = [java, *_TOOL_FLAGS, *self._log_flags(), "-cp", jars.classpath,
                   "kafka.tools.StorageTool", "format", "-t", cluster_id,
                   "-c", str(self._layout.server_properties)]
        try:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=self.startup_timeout, check=False)
        except subprocess.TimeoutExpired:
            raise BrokerError(f"dev broker: formatting {self._layout.data_dir} took more than "
                              f"{self.startup_timeout:.0f}s (startup_timeout)") from None
        if done.returncode != 0:
            output = (done.stdout + done.stderr).strip().splitlines() or ["no output"]
            raise BrokerError(f"dev broker: formatting {self._layout.data_dir} failed: "
                              f"{output[-1]}")

    def _log_flags(self) -> list[str]:
        return [f"-Dlog4j2.configurationFile={self._layout.log4j_config}",
                f"-Dkafka.logs.dir={self._layout.log_dir}"]

    def _start(self, java: str, jars: KafkaJars, record: BrokerRecord,
               exit_with_pid: int | None) -> None:
        if exit_with_pid is not None:
            record.watchdog = self._watchdog(exit_with_pid)
            record.owner = ProcessRecord.of(exit_with_pid)
            save_record(self._layout, record)
        self._progress(f"starting the Kafka {self.version} broker on {record.ports.bootstrap}")
        command = [java, *_JVM_FLAGS, *self._log_flags(), "-cp", jars.classpath,
                   "kafka.Kafka", str(self._layout.server_properties)]
        child = spawn_logged(command, self._layout.console("console"), self.home,
                             dict(os.environ))
        self._children.append(child)
        record.broker = ProcessRecord.of(child.pid)
        save_record(self._layout, record)

    def _watchdog(self, owner_pid: int) -> ProcessRecord:
        child = start_watchdog(owner_pid, "kafka", self.home, self._layout.console("watchdog"))
        self._children.append(child)
        return ProcessRecord.of(child.pid)

    def _attach_watchdog(self, owner_pid: int) -> None:
        record = self._recorded()
        record.watchdog = self._watchdog(owner_pid)
        record.owner = ProcessRecord.of(owner_pid)
        save_record(self._layout, record)

    def _wait_ready(self, record: BrokerRecord, started: float) -> None:
        self._progress("waiting for the broker to answer")
        admin = KafkaAdmin(record.ports.bootstrap)
        deadline = started + self.startup_timeout
        while True:
            if record.broker is None or record.broker.process() is None:
                raise self._failure("exited during start-up")
            if admin.ping(timeout=1.0):
                return
            if time.monotonic() >= deadline:
                raise self._failure(f"did not answer on {record.ports.bootstrap} within "
                                    f"{self.startup_timeout:.0f}s")
            time.sleep(_POLL_SECS)

    def _failure(self, what: str) -> BrokerError:
        console = self._layout.console("console")
        tail = log_tail(console, 10) + "\n" + log_tail(self.log, 20)
        return BrokerError(f"dev broker (node {NODE_ID}) {what} (log: {self.log}, "
                           f"console: {console})\n{tail.strip()}")

    # -- down -------------------------------------------------------------------------

    def down(self, *, wipe: bool = False, from_watchdog: bool = False) -> list[int]:
        """Stop the broker and its watchdog; return the pids ended.

        Sends SIGTERM (the broker shuts down cleanly), then SIGKILL after ``stop_grace``
        seconds. Keeps the data, the recorded ports and owner unless ``wipe``. Only
        processes started for this home are touched.
        """
        record = load_record(self._layout)
        ended = terminate(self._broker_processes(record), self.stop_grace)
        if record is not None and record.watchdog is not None and not from_watchdog:
            watchdog = record.watchdog.process()
            ended += terminate([watchdog], 1.0) if watchdog else []
        for child in self._children:
            child.poll()
        self._children.clear()
        if record is not None:
            record.broker = record.watchdog = None
            save_record(self._layout, record)
        if wipe:
            shutil.rmtree(self._layout.data_dir, ignore_errors=True)
            self._layout.record.unlink(missing_ok=True)
        if ended:
            self._progress(f"Kafka broker down ({len(set(ended))} processes stopped)")
        return sorted(set(ended))

    def _broker_processes(self, record: BrokerRecord | None) -> list[psutil.Process]:
        found = {p.pid: p for p in processes_naming([str(self._layout.server_properties)])}
        live = record.broker.process() if record and record.broker else None
        if live is not None:
            found[live.pid] = live
        return list(found.values())

    # -- topics -----------------------------------------------------------------------

    def admin(self) -> KafkaAdmin:
        """Return a KafkaAdmin for this running broker (raises BrokerError when it is down)."""
        status = self.status()
        if not status.running or status.bootstrap is None:
            raise BrokerError(f"no Kafka broker running in {self.home}: "
                              "start one with `squall kafka up`")
        return KafkaAdmin(status.bootstrap)

    def create_topic(self, name: str, partitions: int = 1) -> None:
        """Create topic ``name``; return once all ``partitions`` have a leader.

        Raises BrokerError when the broker is down or the topic exists.
        """
        self.admin().create_topic(name, partitions)

    def delete_topic(self, name: str) -> None:
        """Delete topic ``name``; return once the broker no longer lists it."""
        self.admin().delete_topic(name)

    def topics(self) -> dict[str, int]:
        """Return ``{topic: partition count}`` of the broker's (non-internal) topics."""
        return self.admin().topics()

    def _recorded(self) -> BrokerRecord:
        record = load_record(self._layout)
        if record is None:
            raise BrokerError(f"no Kafka broker recorded in {self.home}: "
                              "start one with `squall kafka up`")
        return record


def _port_free(port: int) -> bool:
    """Return whether ``port`` can be bound on 127.0.0.1 as Kafka binds it (SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True
