"""Fixtures shared by every test folder: the real Storm dev cluster (marker ``storm``) and
the real Kafka broker (marker ``kafka``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from squall.devcluster import DevCluster, KafkaBroker


@pytest.fixture(scope="session")
def storm_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevCluster]:
    """Start a dev cluster in a private home with free ports; stop it after the session.

    Yields the DevCluster: ``nimbus_host``, ``nimbus_port``, ``ui_url`` (None: the UI's
    jars are not on Maven Central), ``storm_local_dir``, ``log_dir``. A watchdog stops the
    cluster should this test process die.
    """
    _require_jvm_tools("the Storm dev cluster")
    cluster = DevCluster(home=tmp_path_factory.mktemp("storm-home"))
    cluster.up(exit_with_pid=os.getpid())
    with _stopped_at_exit(cluster.down):
        yield cluster


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """Start a Kafka broker in a private home with free ports; stop and wipe it after the session.

    Yields the KafkaBroker: ``bootstrap`` (``"127.0.0.1:PORT"``), ``create_topic(name, n)``,
    ``topics()``, ``down()``/``up()`` (same address and data). A watchdog stops the broker
    should this test process die.
    """
    _require_jvm_tools("the Kafka broker")
    broker = KafkaBroker(home=tmp_path_factory.mktemp("kafka-home"))
    broker.up(exit_with_pid=os.getpid())
    with _stopped_at_exit(lambda: broker.down(wipe=True)):
        yield broker


@contextmanager
def _stopped_at_exit(stop: Callable[[], object]) -> Iterator[None]:
    try:
        yield
    finally:
        stop()


def _require_jvm_tools(what: str) -> None:
    """Skip without java or mvn locally; fail in CI, which must prove JVM behaviour."""
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            if os.environ.get("CI"):
                pytest.fail(f"{tool} not on PATH: .ci/run must install it for {what}")
            pytest.skip(f"{tool} not on PATH: {what} needs it")
