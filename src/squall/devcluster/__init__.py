"""A real one-machine Apache Storm 2.x cluster and Apache Kafka broker for development and tests.

The jars come from Maven Central (``mvn`` must be installed; cached after the first run);
the daemons run as background JVMs listening on 127.0.0.1 ports picked at start-up, with all
their state under one home directory. Storm has no bind-address setting, so an ``LD_PRELOAD``
shim built with gcc on the first ``up`` keeps daemons and workers on loopback (without gcc,
``up`` warns and they listen on all interfaces).

>>> from squall.devcluster import DevCluster             # doctest: +SKIP
>>> cluster = DevCluster(progress=print)                  # doctest: +SKIP
>>> cluster.up()                                          # doctest: +SKIP
>>> cluster.down()                                        # doctest: +SKIP

The Kafka broker (KRaft, one node on 127.0.0.1) comes from Maven Central the same way;
topics and committed offsets survive ``down()``:

>>> broker = KafkaBroker(progress=print)                  # doctest: +SKIP
>>> broker.up().bootstrap                                 # doctest: +SKIP
'127.0.0.1:40123'
>>> broker.create_topic("events", partitions=4)           # doctest: +SKIP
"""

from squall.devcluster._cluster import ClusterStatus, DaemonStatus, DevCluster
from squall.devcluster._config import ClusterPorts
from squall.devcluster._kafka import BrokerStatus, KafkaBroker
from squall.devcluster._kafka_admin import KafkaAdmin
from squall.devcluster._kafka_clients import kafka_consume, kafka_produce
from squall.devcluster._kafka_jars import DEFAULT_KAFKA_VERSION, KafkaJars, resolve_kafka_jars
from squall.devcluster._maven import DEFAULT_STORM_VERSION, StormJars, resolve_storm_jars
from squall.devcluster._paths import (
    default_cache_root,
    default_home,
    default_kafka_home,
    jar_cache_dir,
    kafka_jar_cache_dir,
)

__all__ = [
    "DEFAULT_KAFKA_VERSION",
    "DEFAULT_STORM_VERSION",
    "BrokerStatus",
    "ClusterPorts",
    "ClusterStatus",
    "DaemonStatus",
    "DevCluster",
    "KafkaAdmin",
    "KafkaBroker",
    "KafkaJars",
    "StormJars",
    "default_cache_root",
    "default_home",
    "default_kafka_home",
    "jar_cache_dir",
    "kafka_consume",
    "kafka_jar_cache_dir",
    "kafka_produce",
    "resolve_kafka_jars",
    "resolve_storm_jars",
]
