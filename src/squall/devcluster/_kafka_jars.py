"""Lay out Apache Kafka's broker jars from Maven Central (no Kafka tarball is needed).

``org.apache.kafka:kafka_2.13`` with its runtime-scope dependencies is the broker (KRaft
mode, Java 17). Kafka 4.x logs through SLF4J 1.7, so the Log4j 2 backend added here is
``log4j-slf4j-impl`` (``log4j-slf4j2-impl`` would not bind and the logs would vanish).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from squall.devcluster._maven import copy_dependencies, dependency_pom, find_mvn, read_marker, write_marker
from squall.devcluster._paths import kafka_jar_cache_dir
from squall.errors import ClusterError

DEFAULT_KAFKA_VERSION = "4.1.1"
_LOG4J_VERSION = "2.24.3"
_LOGGING_BACKEND = (f"org.apache.logging.log4j:log4j-slf4j-impl:{_LOG4J_VERSION}",
                    f"org.apache.logging.log4j:log4j-core:{_LOG4J_VERSION}")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class KafkaJars:
    """The resolved jars of one Kafka version: every jar of the broker's classpath in ``libs``."""

    version: str
    libs: Path

    @property
    def classpath(self) -> str:
        """Return the JVM ``-cp`` value: every jar of ``libs``."""
        return str(self.libs / "*")


def kafka_pom(version: str) -> str:
    """Return the pom whose runtime dependencies are Kafka ``version``'s broker and logging."""
    return dependency_pom("kafka-broker", version,
                          [f"org.apache.kafka:kafka_2.13:{version}", *_LOGGING_BACKEND])


def resolve_kafka_jars(version: str = DEFAULT_KAFKA_VERSION,
                       cache_dir: Path | str | None = None,
                       progress: Progress | None = None) -> KafkaJars:
    """Lay out the jars of Apache Kafka ``version`` in ``cache_dir/libs`` and return them.

    ``cache_dir`` defaults to ``$SQUALL_CACHE_DIR/kafka-<version>`` or
    ``~/.squall/cache/kafka-<version>``. Blocks while Maven runs (about 30 s on a cold
    ``~/.m2``); later calls find the marker of the first and return at once, offline.
    Raises ClusterError when Maven is missing or the jars cannot be resolved.

    >>> resolve_kafka_jars(progress=print).libs              # doctest: +SKIP
    PosixPath('/home/me/.squall/cache/kafka-4.1.1/libs')
    """
    cache = Path(cache_dir) if cache_dir else kafka_jar_cache_dir(version)
    report = progress or (lambda _msg: None)
    jars = KafkaJars(version=version, libs=cache / "libs")
    if read_marker(cache, version) is not None and any(jars.libs.glob("kafka_2.13-*.jar")):
        report(f"Kafka {version} jars cached in {cache}")
        return jars
    mvn = find_mvn()
    cache.mkdir(parents=True, exist_ok=True)
    report(f"resolving Apache Kafka {version} jars with Maven (about 30 s the first time) ...")
    error = copy_dependencies(mvn, kafka_pom(version), jars.libs)
    if error:
        raise ClusterError(f"cannot resolve Apache Kafka {version} from Maven: {error}")
    write_marker(cache, {"version": version})
    report(f"Kafka {version} jars ready in {cache}")
    return jars
