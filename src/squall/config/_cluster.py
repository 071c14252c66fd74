"""Resolve where an environment's Storm cluster is: its Nimbus and UI addresses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from squall.config._project import EnvConfig
from squall.errors import ConfigError

if TYPE_CHECKING:
    from squall.storm._env import StormEnv

__all__ = ["StormAddress", "storm_address", "storm_env"]


@dataclass(frozen=True)
class StormAddress:
    """Where to reach a Storm cluster: Nimbus' Thrift endpoint and, if known, the UI."""

    nimbus_host: str
    nimbus_port: int
    ui: str | None = None
    dev_cluster_home: Path | None = None  # set when this is the local dev cluster


def storm_address(env: EnvConfig, cluster_home: Path | None = None) -> StormAddress:
    """Return the Nimbus (and UI) address ``env`` targets.

    An env with ``nimbus`` set uses it. The ``local`` env without ``nimbus`` targets the
    dev cluster recorded in ``cluster_home`` (default ``$SQUALL_CLUSTER_HOME`` or
    ``~/.squall/cluster``), and raises ConfigError when none runs there.
    """
    address = env.nimbus_address
    if address is not None:
        return StormAddress(address[0], address[1], env.ui)
    if not env.uses_dev_cluster:
        where = f"{env.source}: [env.{env.name}]" if env.source else f"env {env.name!r}"
        raise ConfigError(f"{where} has no nimbus; add nimbus = \"host:6627\"")
    from squall.devcluster import DevCluster

    status = DevCluster(home=cluster_home).status()
    if status.ports is None or status.nimbus_address is None:
        raise ConfigError(f"no local dev cluster recorded in {status.home}: start one with "
                          "`squall cluster up` or set nimbus in an [env.local] table")
    if not status.running:
        raise ConfigError(f"the local dev cluster in {status.home} is not running: "
                          "restart it with `squall cluster up`")
    host, port = status.nimbus_address
    ui = env.ui or (f"http://{host}:{status.ports.ui}/" if "ui" in status.daemons else None)
    return StormAddress(host, port, ui, dev_cluster_home=status.home)


def storm_env(env: EnvConfig, cluster_home: Path | None = None) -> "StormEnv":
    """Return the :class:`squall.storm.StormEnv` (submission target) of ``env``.

    The ``local`` env without ``nimbus`` becomes the running dev cluster's env (its
    ``log_dir`` stays the cluster's: the env's ``log_dir`` is for ``squall run``); raises
    ConfigError when ``env`` has no nimbus, ClusterError when the dev cluster is down.
    """
    from squall.storm._env import StormEnv

    extra: dict[str, object] = {}
    if env.python is not None:
        extra["python"] = env.python
    if env.serializer is not None:
        extra["serializer"] = env.serializer
    if env.python_version is not None:
        extra["python_version"] = env.python_version
    if env.platforms:
        extra["platform"] = env.platforms
    if env.vendor is not None:
        extra["vendor"] = env.vendor
    options = env.storm_options()
    if env.uses_dev_cluster:  # its workers log where the dev cluster says, whatever log_dir is
        from squall.devcluster import DevCluster

        return DevCluster(home=cluster_home).storm_env(options=options, **extra)
    if env.log_dir is not None:  # a cluster sharing this filesystem: its storm.log.dir
        extra["log_dir"] = env.log_dir
    if env.nimbus_seeds:
        extra["nimbus_seeds"] = tuple(env.nimbus_addresses)
    address = storm_address(env, cluster_home)
    return StormEnv(name=env.name, nimbus_host=address.nimbus_host, nimbus_port=address.nimbus_port,
                    ui_url=address.ui, options=options, **extra)  # type: ignore[arg-type]
