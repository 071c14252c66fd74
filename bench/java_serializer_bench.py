"""Micro-benchmark: the Java side's cost per multi-lang message, squall's msgpack vs Storm's JSON.

Usage::

    python bench/java_serializer_bench.py [--messages N] [--rounds R]

Builds java/msgpack-serializer (Maven, offline once warm) and runs its
``SerializerBench`` in one JVM against storm-client 2.8.3 from squall's jar cache: both
serializers read squall's anchored emit + ack frames and write one-word tuples over
in-memory streams (no pipes), alternating, best of R rounds. Prints ns per message.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "java" / "msgpack-serializer"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    from squall.devcluster import resolve_storm_jars

    print("building java/msgpack-serializer ...", flush=True)
    subprocess.run(["mvn", "-B", "-q", "-o", "-DskipTests", "-f", str(PROJECT / "pom.xml"), "test-compile"],
                   check=True)
    lib = Path(resolve_storm_jars().lib_worker)
    msgpack = Path.home() / ".m2" / "repository" / "org" / "msgpack" / "msgpack-core" / "0.9.8" / "msgpack-core-0.9.8.jar"
    classpath = os.pathsep.join([str(PROJECT / "target" / "classes"), str(PROJECT / "target" / "test-classes"),
                                 str(msgpack), str(lib / "*")])
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    subprocess.run(["java", "-cp", classpath, "squall.storm.SerializerBench", str(args.messages), str(args.rounds)],
                   check=True)


if __name__ == "__main__":
    main()
