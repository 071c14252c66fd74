"""Ask a Storm cluster about its topologies and change their state (no printing)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from squall.errors import ClusterError
from squall.storm._env import StormEnv
from squall.storm.nimbus import NimbusClient, TopologyNotRunning

_POLL_SECS = 0.5


@dataclass(frozen=True)
class TopologyStatus:
    """One topology alive on the cluster, as Nimbus reports it."""

    name: str
    id: str
    status: str
    uptime_secs: int
    num_workers: int
    num_executors: int
    num_tasks: int


def nimbus(env: StormEnv) -> NimbusClient:
    """Return a (lazily connecting) Nimbus client for ``env``; close it after use."""
    return NimbusClient(timeout=env.timeout, seeds=env.seeds)


def list_topologies(env: StormEnv) -> list[TopologyStatus]:
    """Return every topology alive on ``env``'s cluster, sorted by name.

    >>> [t.name for t in list_topologies(DevCluster().storm_env())]   # doctest: +SKIP
    ['WordCount']
    """
    with nimbus(env) as client:
        summaries = client.list_topologies()
    return sorted(
        (TopologyStatus(s.name, s.id, s.status, s.uptime_secs, s.num_workers, s.num_executors,
                        s.num_tasks) for s in summaries),
        key=lambda t: t.name,
    )


def find_topology(env: StormEnv, name: str) -> TopologyStatus | None:
    """Return the topology called ``name``, or None when none is alive."""
    return next((t for t in list_topologies(env) if t.name == name), None)


def require_topology(env: StormEnv, name: str) -> TopologyStatus:
    """Return the topology called ``name``; raise TopologyNotRunning listing the alive ones."""
    found = list_topologies(env)
    for topo in found:
        if topo.name == name:
            return topo
    alive = ", ".join(t.name for t in found) or "none"
    raise TopologyNotRunning(f"topology '{name}' is not running on {env.name} "
                             f"(running: {alive}); see `squall list`")


def kill(name: str, env: StormEnv, *, wait_secs: int | None = None,
         wait_gone: float | None = None) -> None:
    """Kill topology ``name``: deactivate, wait ``wait_secs`` (Storm's default: the message
    timeout), then remove it. With ``wait_gone`` (seconds), block until Nimbus no longer
    lists it, or raise ClusterError. An unknown ``name`` raises TopologyNotRunning
    listing the topologies that run.
    """
    try:
        with nimbus(env) as client:
            client.kill(name, wait_secs)
    except TopologyNotRunning:
        require_topology(env, name)  # raises, listing what runs
        raise
    if wait_gone is not None:
        wait_until_gone(name, env, wait_gone)


def wait_until_gone(name: str, env: StormEnv, timeout: float) -> None:
    """Block until no topology called ``name`` is listed; ClusterError after ``timeout`` s."""
    _poll(lambda: find_topology(env, name) is None, timeout,
          f"topology '{name}' is still listed {timeout:.0f}s after it was killed; "
          "check the Nimbus log")


def activate(name: str, env: StormEnv) -> None:
    """Activate topology ``name``: its spouts get ``activate`` and then ``next_tuple`` calls."""
    with nimbus(env) as client:
        client.activate(name)


def deactivate(name: str, env: StormEnv) -> None:
    """Deactivate topology ``name``: its spouts get ``deactivate`` and stop emitting."""
    with nimbus(env) as client:
        client.deactivate(name)


def rebalance(name: str, env: StormEnv, *, workers: int | None = None,
              par: Mapping[str, int] | None = None, wait_secs: int | None = None) -> None:
    """Redistribute ``name`` over ``workers`` workers and/or change executors per component.

    Storm can change a component's executors only up to its task count, which is the
    parallelism it was submitted with.
    """
    with nimbus(env) as client:
        client.rebalance(name, wait_secs=wait_secs, num_workers=workers,
                         num_executors=dict(par) if par else None)


def _poll(condition: Callable[[], bool], timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise ClusterError(message)
        time.sleep(_POLL_SECS)
