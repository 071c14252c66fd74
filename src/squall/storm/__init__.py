"""Run squall topologies on Apache Storm 2.x: package, submit, inspect and control them.

``build_jar`` packages a topology and its project as a jar with no JVM tool;
``submit`` uploads it through Nimbus' Thrift API and submits a topology of
multi-lang shell components; the other functions list, kill, (de)activate,
rebalance, read stats from the Storm UI and tail worker logs.
"""

from squall.storm._env import StormEnv
from squall.storm._jar import JarReport, build_jar, build_jar_report
from squall.storm._mapping import DEFAULT_CONF, storm_topology, topology_conf

__all__ = [
    "DEFAULT_CONF",
    "JarReport",
    "StormEnv",
    "build_jar",
    "build_jar_report",
    "storm_topology",
    "topology_conf",
]
