"""Generate the dev cluster's configuration files: storm.yaml, zoo.cfg and log4j2 XML.

Pure functions of their arguments: no I/O except where a function says it writes.
"""

from __future__ import annotations

import socket
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

LOOPBACK = "127.0.0.1"
DEFAULT_SLOTS = 4
WORKER_HEAP_MB = 256

# Java 17: no CMS/ParNew or PrintGC* flags (they crash the JVM); serial GC suits small heaps.
# IPv4 sockets only, so the loopback shim binds the worker's Netty server to 127.0.0.1.
WORKER_CHILDOPTS = ("-Xmx%HEAP-MEM%m -XX:+UseSerialGC -XX:+HeapDumpOnOutOfMemoryError "
                    "-Djava.net.preferIPv4Stack=true")


@dataclass(frozen=True)
class ClusterPorts:
    """The TCP ports of one dev cluster, all on 127.0.0.1."""

    zookeeper: int
    nimbus: int
    supervisor: int
    ui: int
    logviewer: int
    slots: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        """Return the ports as JSON-ready data."""
        data = asdict(self)
        data["slots"] = list(self.slots)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClusterPorts:
        """Rebuild ports recorded by :meth:`to_json`."""
        return cls(**{**data, "slots": tuple(data["slots"])})


def free_ports(count: int) -> list[int]:
    """Return ``count`` distinct TCP ports that are free on 127.0.0.1 right now.

    All sockets are held open until every port is picked, so the ports differ; another
    process may still take one before the caller binds it.
    """
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((LOOPBACK, 0))
            ports.append(sock.getsockname()[1])
        return ports


def pick_ports(slots: int = DEFAULT_SLOTS) -> ClusterPorts:
    """Pick free ports for every daemon and ``slots`` worker slots."""
    zookeeper, nimbus, supervisor, ui, logviewer, *slot_ports = free_ports(5 + slots)
    return ClusterPorts(zookeeper=zookeeper, nimbus=nimbus, supervisor=supervisor, ui=ui,
                        logviewer=logviewer, slots=tuple(slot_ports))


def storm_yaml(local_dir: Path, ports: ClusterPorts) -> dict[str, Any]:
    """Return the storm.yaml settings of a loopback-only one-machine cluster."""
    return {
        "storm.zookeeper.servers": [LOOPBACK],
        "storm.zookeeper.port": ports.zookeeper,
        "storm.local.hostname": LOOPBACK,
        "storm.local.dir": str(local_dir),
        "nimbus.seeds": [LOOPBACK],
        "nimbus.thrift.port": ports.nimbus,
        "supervisor.thrift.port": ports.supervisor,
        "supervisor.slots.ports": list(ports.slots),
        "ui.host": LOOPBACK,
        "ui.port": ports.ui,
        "logviewer.port": ports.logviewer,
        "worker.heap.memory.mb": WORKER_HEAP_MB,
        "worker.childopts": WORKER_CHILDOPTS,
        "worker.gc.childopts": "",
        "topology.worker.max.heap.size.mb": WORKER_HEAP_MB * 4,
        "supervisor.monitor.frequency.secs": 1,
        "nimbus.monitor.freq.secs": 2,
        # executor stats reach Nimbus (and `squall stats`) every 2 s instead of 60 s
        "executor.metrics.frequency.secs": 2,
    }


def storm_yaml_text(local_dir: Path, ports: ClusterPorts) -> str:
    """Return :func:`storm_yaml` rendered as YAML text."""
    header = "# Written by squall's dev cluster; rewritten on every `up`.\n"
    body: str = yaml.safe_dump(storm_yaml(local_dir, ports), sort_keys=True)
    return header + body


def zoo_cfg(data_dir: Path, port: int) -> str:
    """Return a standalone ZooKeeper config serving on 127.0.0.1:``port`` only."""
    return (
        "tickTime=2000\n"
        f"dataDir={data_dir}\n"
        f"clientPort={port}\n"
        f"clientPortAddress={LOOPBACK}\n"
        "admin.enableServer=false\n"
        "maxClientCnxns=0\n"
        "4lw.commands.whitelist=ruok\n"
    )


LOG_PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %c{1.} %t [%p] %msg%n"


def log4j_xml(comment: str, appender: str, levels: dict[str, str]) -> str:
    """Return a log4j2 config whose root logs at info to ``appender`` (an XML element).

    ``appender`` is named by its ``name`` attribute; ``levels`` sets other loggers' levels.
    """
    ref = appender.split('name="', 1)[1].split('"', 1)[0]
    loggers = "".join(f'    <Logger name="{name}" level="{level}"/>\n'
                      for name, level in levels.items())
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- {comment} -->
<Configuration monitorInterval="60" shutdownHook="disable">
  <Appenders>
{appender}  </Appenders>
  <Loggers>
{loggers}    <Root level="info"><AppenderRef ref="{ref}"/></Root>
  </Loggers>
</Configuration>
"""


# Rolling: a file rolls to NAME.1 (NAME.2, ...) past this size; this many old files are kept.
DAEMON_LOG_ROLL = ("50 MB", 5)
WORKER_LOG_ROLL = ("100 MB", 5)


def rolling_appender(name: str, path: str, roll: tuple[str, int]) -> str:
    """Return a log4j2 RollingFile appender: ``path`` rolls past ``roll[0]``, keeping ``roll[1]``."""
    size, keep = roll
    return (
        f'    <RollingFile name="{name}" fileName="{path}" filePattern="{path}.%i" append="true">\n'
        f'      <PatternLayout pattern="{LOG_PATTERN}"/>\n'
        f'      <SizeBasedTriggeringPolicy size="{size}"/>\n'
        f'      <DefaultRolloverStrategy max="{keep}"/>\n'
        "    </RollingFile>\n"
    )


def cluster_log4j_xml() -> str:
    """Return the log4j2 config of the daemons: ``${storm.log.dir}/${logfile.name}``, rolled."""
    appender = rolling_appender("daemon", "${sys:storm.log.dir}/${sys:logfile.name}",
                                DAEMON_LOG_ROLL)
    return log4j_xml("squall dev cluster: daemon logging (Nimbus, Supervisor, UI, ZooKeeper).",
                     appender, {"org.apache.storm.shade.org.apache.zookeeper": "warn",
                                "org.apache.zookeeper": "warn"})


def worker_log4j_xml() -> str:
    """Return the log4j2 config of workers and their LogWriter.

    Everything lands in ``${workers.artifacts}/<topology-id>/<port>/worker.log`` (rolled
    to ``worker.log.1``... past ``WORKER_LOG_ROLL``): the
    worker's own logging, the multi-lang subprocesses' ``log`` commands (logged by the
    shell components' loggers) and, through the LogWriter's STDOUT/STDERR loggers, whatever
    the worker JVM writes to its stdout and stderr.
    """
    path = "${sys:workers.artifacts}/${sys:storm.id}/${sys:worker.port}/${sys:logfile.name}"
    appender = rolling_appender("worker", path, WORKER_LOG_ROLL)
    return log4j_xml("squall dev cluster: worker logging.", appender,
                     {"STDOUT": "info", "STDERR": "info"})
