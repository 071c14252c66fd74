"""Run squall topologies on Apache Storm 2.x: package, submit, inspect and control them.

``build_jar`` packages a topology and its project as a jar with no JVM tool;
``submit`` uploads it through Nimbus' Thrift API and submits a topology of
multi-lang shell components; the other functions list, kill, (de)activate,
rebalance, read per-component stats from Nimbus and tail worker logs. Nothing
here prints: progress goes to callbacks, failures raise ``squall.errors``.

>>> from squall.storm import StormEnv, submit, kill     # doctest: +SKIP
>>> env = DevCluster().storm_env()                          # doctest: +SKIP
>>> submit(WordCount.model, env, force=True, wait=True)   # doctest: +SKIP
>>> kill("WordCount", env, wait_secs=0)                   # doctest: +SKIP
"""

from squall.storm._control import (
    TopologyStatus,
    activate,
    deactivate,
    find_topology,
    kill,
    list_topologies,
    rebalance,
)
from squall.storm._env import StormEnv
from squall.storm._jar import JarReport, build_jar, build_jar_report
from squall.storm._logs import tail, worker_logs
from squall.storm._mapping import DEFAULT_CONF, check_storm_support, storm_topology, topology_conf
from squall.storm._stats import ComponentStats, ErrorReport, TopologyStats, stats
from squall.storm._submit import Submitted, submit, wait_until_running

__all__ = [
    "DEFAULT_CONF",
    "ComponentStats",
    "ErrorReport",
    "JarReport",
    "StormEnv",
    "Submitted",
    "TopologyStats",
    "TopologyStatus",
    "activate",
    "build_jar",
    "build_jar_report",
    "check_storm_support",
    "deactivate",
    "find_topology",
    "kill",
    "list_topologies",
    "rebalance",
    "stats",
    "storm_topology",
    "submit",
    "tail",
    "topology_conf",
    "wait_until_running",
    "worker_logs",
]
