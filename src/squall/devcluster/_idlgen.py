"""Generate squall's Storm Thrift IDL from storm-client's compiled classes.

``python -m squall.devcluster._idlgen [--storm-version V] [--out PATH]`` resolves Storm's
worker jars (:func:`~squall.devcluster.resolve_storm_jars`), compiles
``java/storm-idl/StormIdl.java`` against them and runs it. The Java program reflects over
``org.apache.storm.generated.*`` (struct field metadata, enums, unions, exceptions, and the
``Iface`` of each service with its ``_args`` / ``_result`` classes) and prints a Thrift IDL,
which this writes to ``src/squall/storm/_thrift/storm.thrift`` by default. Needs a JDK and a
squall source checkout; the written file is committed, so clients load it without a JDK.

>>> generate_idl("2.8.3").startswith("// Apache Storm 2.8.3")   # doctest: +SKIP
True
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from squall.devcluster._maven import DEFAULT_STORM_VERSION, resolve_storm_jars
from squall.errors import ClusterError, SquallError
from squall.storm._thrift import IDL_PATH

GENERATOR_SOURCE = Path(__file__).resolve().parents[3] / "java" / "storm-idl" / "StormIdl.java"
_JAVA_TIMEOUT_SECS = 300

Progress = Callable[[str], None]


def generate_idl(version: str = DEFAULT_STORM_VERSION, progress: Progress | None = None) -> str:
    """Return the Thrift IDL of Storm ``version``, read from its storm-client jar.

    Resolves the jars (cached after the first time), then compiles and runs the generator.
    Raises ClusterError when the JDK, the generator source or a jar is missing, or when the
    generator fails (the message carries its last error line).
    """
    report = progress or (lambda _msg: None)
    jars = resolve_storm_jars(version, progress=report)
    return idl_from_jars(jars.lib_worker, version, report)


def idl_from_jars(lib_dir: Path, version: str, progress: Progress | None = None) -> str:
    """Return the IDL generated from ``lib_dir`` (storm-client-<version>.jar and its deps)."""
    report = progress or (lambda _msg: None)
    client_jar = lib_dir / f"storm-client-{version}.jar"
    if not client_jar.is_file():
        raise ClusterError(f"{client_jar.name} not found in {lib_dir}: "
                           f"resolve Storm {version} first (squall cluster up --storm-version {version})")
    if not GENERATOR_SOURCE.is_file():
        raise ClusterError(f"the IDL generator {GENERATOR_SOURCE} is missing: "
                           "run it from a squall source checkout")
    classpath = ":".join(str(jar) for jar in sorted(lib_dir.glob("*.jar")))
    with tempfile.TemporaryDirectory(prefix="squall-idlgen-") as work:
        report(f"compiling {GENERATOR_SOURCE.name} against {lib_dir}")
        _run([_tool("javac"), "-d", work, "-cp", classpath, str(GENERATOR_SOURCE)], "compiling")
        report(f"reading the Thrift metadata of {client_jar.name}")
        return _run([_tool("java"), "-cp", f"{classpath}:{work}", "StormIdl", str(client_jar),
                     version], "running")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ClusterError(f"{name} not found on PATH: install a JDK (apt-get install "
                           "openjdk-17-jdk-headless) to generate the Storm IDL")
    return path


def _run(command: list[str], doing: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=_JAVA_TIMEOUT_SECS,
                          check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()] or ["no output"]
        raise ClusterError(f"{doing} the IDL generator failed (exit {done.returncode}): "
                           f"{lines[0].strip()}")
    return done.stdout


def main(argv: Sequence[str] | None = None) -> int:
    """Write the generated IDL (default: the file squall loads); return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m squall.devcluster._idlgen",
        description="Generate squall's Storm Thrift IDL from storm-client's compiled classes.",
        epilog="example: python -m squall.devcluster._idlgen --storm-version 2.8.3 --out /tmp/storm.thrift",
    )
    parser.add_argument("--storm-version", default=DEFAULT_STORM_VERSION,
                        help=f"Storm version whose jar is read (default {DEFAULT_STORM_VERSION})")
    parser.add_argument("--out", type=Path, default=IDL_PATH, help=f"file to write (default {IDL_PATH})")
    args = parser.parse_args(argv)

    def progress(message: str) -> None:
        print(f"idlgen: {message}", file=sys.stderr, flush=True)

    try:
        text = generate_idl(args.storm_version, progress)
    except SquallError as exc:
        print(f"idlgen: error: {exc}", file=sys.stderr)
        return 2
    args.out.write_text(text)
    progress(f"wrote {args.out} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
