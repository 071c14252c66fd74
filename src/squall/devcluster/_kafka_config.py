"""Generate the dev broker's configuration: server.properties, log4j2 XML, a cluster id.

Pure functions of their arguments: no I/O.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from pathlib import Path

from squall.devcluster._config import LOG_PATTERN, LOOPBACK, free_ports, log4j_xml

NODE_ID = 1


@dataclass(frozen=True)
class KafkaPorts:
    """The two TCP ports of the dev broker, both on 127.0.0.1: clients' and the controller's."""

    broker: int
    controller: int

    @property
    def bootstrap(self) -> str:
        """Return the clients' ``bootstrap.servers`` value, ``"127.0.0.1:PORT"``."""
        return f"{LOOPBACK}:{self.broker}"


def pick_kafka_ports() -> KafkaPorts:
    """Pick two distinct ports that are free on 127.0.0.1 right now."""
    broker, controller = free_ports(2)
    return KafkaPorts(broker=broker, controller=controller)


def random_cluster_id() -> str:
    """Return a new KRaft cluster id, as ``kafka-storage random-uuid`` prints one.

    Kafka's ids are 16 random bytes in URL-safe base64 without padding, never starting
    with ``-`` (it would read as a command-line flag).
    """
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def server_properties(ports: KafkaPorts, data_dir: Path) -> str:
    """Return the config of a single combined broker+controller node on 127.0.0.1 only.

    The controller quorum is the static voter set ``1@127.0.0.1:CPORT``, read from this
    file at every start, so the broker may come back on other ports over the same data.
    Internal topics have one replica and one partition, and a new consumer group is served
    without the usual 3 s rebalance delay.
    """
    lines = [
        "process.roles=broker,controller",
        f"node.id={NODE_ID}",
        f"controller.quorum.voters={NODE_ID}@{LOOPBACK}:{ports.controller}",
        f"listeners=PLAINTEXT://{LOOPBACK}:{ports.broker},CONTROLLER://{LOOPBACK}:{ports.controller}",
        f"advertised.listeners=PLAINTEXT://{LOOPBACK}:{ports.broker}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        f"log.dirs={data_dir}",
        "num.partitions=1",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "auto.create.topics.enable=false",
        "num.network.threads=2",
        "num.io.threads=2",
        "num.recovery.threads.per.data.dir=1",
        "log.retention.hours=168",
    ]
    return "# squall dev broker: written by every `squall kafka up`\n" + "\n".join(lines) + "\n"


def kafka_log4j_xml(log_file: Path) -> str:
    """Return the log4j2 config sending all of the broker's logging to ``log_file``."""
    appender = (
        f'    <RollingFile name="server" fileName="{log_file}" filePattern="{log_file}.%i">\n'
        f'      <PatternLayout pattern="{LOG_PATTERN}"/>\n'
        '      <SizeBasedTriggeringPolicy size="20 MB"/>\n'
        '      <DefaultRolloverStrategy max="3"/>\n'
        "    </RollingFile>\n"
    )
    return log4j_xml("squall dev broker: one log file, rolled at 20 MB.", appender,
                     {"kafka.request.logger": "warn", "org.apache.kafka.clients": "warn"})
