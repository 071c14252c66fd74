"""Fixtures shared by every test folder: the real Storm dev cluster (marker ``storm``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from squall.devcluster import DevCluster


@pytest.fixture(scope="session")
def storm_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevCluster]:
    """Start a dev cluster in a private home with free ports; stop it after the session.

    Yields the DevCluster: ``nimbus_host``, ``nimbus_port``, ``ui_url`` (None: the UI's
    jars are not on Maven Central), ``storm_local_dir``, ``log_dir``. A watchdog stops the
    cluster should this test process die.
    """
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            if os.environ.get("CI"):  # CI must prove Storm behaviour, never skip it
                pytest.fail(f"{tool} not on PATH: .ci/run must install it for the Storm tests")
            pytest.skip(f"{tool} not on PATH: the Storm dev cluster needs it")
    cluster = DevCluster(home=tmp_path_factory.mktemp("storm-home"))
    cluster.up(exit_with_pid=os.getpid())
    try:
        yield cluster
    finally:
        cluster.down()
