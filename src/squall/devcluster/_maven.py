"""Lay out Apache Storm's jars from Maven Central with ``mvn dependency:copy-dependencies``.

No Storm tarball can be downloaded on squall's machines, but Maven Central can be reached.
Verified on 2026-11-27 against the Maven Central this project sees:

* 2.8.8 (the newest tag) is not served (storm-server/storm-core 404); 2.8.4's poms are
  served but its parent pom ``org.apache.storm:storm:2.8.4`` is not, so it cannot resolve.
* 2.8.3 resolves: storm-server, storm-core (minus storm-clojure, whose dependency lives on
  Clojars) and storm-client with all runtime dependencies. It is the default.
* ``storm-webapp`` (the UI and logviewer) is served in NO version, so the UI daemon is optional:
  when its jars cannot be resolved the cluster runs without a UI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from squall.errors import ClusterError

DEFAULT_STORM_VERSION = "2.8.3"
MARKER_NAME = "resolved.json"
_MVN_TIMEOUT_SECS = 900

Progress = Callable[[str], None]

# ZooKeeperServerMain (zookeeper-3.8.4.jar, pulled in by storm-server) loads snappy-java
# at start-up, but declares it "provided": add the version ZooKeeper 3.8.4 is built with.
_SNAPPY = "org.xerial.snappy:snappy-java:1.1.10.5"

# Which artifacts go in which directory of storm.home, and what each is for.
_JAR_SETS: dict[str, tuple[str, ...]] = {
    "lib": ("storm-server", "storm-core", _SNAPPY),
    "lib-worker": ("storm-client",),
    "lib-webapp": ("storm-webapp",),
}
_OPTIONAL_SETS = frozenset({"lib-webapp"})
_EXCLUDED = {"storm-core": ("org.apache.storm", "storm-clojure")}


@dataclass(frozen=True)
class StormJars:
    """The resolved jar directories of one Storm version (``lib_webapp`` is None without a UI)."""

    version: str
    lib: Path
    lib_worker: Path
    lib_webapp: Path | None


def pom_xml(version: str, jar_set: str) -> str:
    """Return a pom whose runtime dependencies are the jars of ``jar_set`` (e.g. ``"lib"``)."""
    coordinates = [a if ":" in a else f"org.apache.storm:{a}:{version}" for a in _JAR_SETS[jar_set]]
    exclusions = {a: ":".join(x) for a, x in _EXCLUDED.items()}
    return dependency_pom(f"storm-{jar_set}", version, coordinates, exclusions)


def dependency_pom(name: str, version: str, coordinates: Sequence[str],
                   exclusions: Mapping[str, str] | None = None) -> str:
    """Return a pom project ``name`` depending on ``group:artifact:version`` ``coordinates``.

    ``exclusions`` maps an artifact id to the ``group:artifact`` to leave out of its
    transitive dependencies.
    """
    deps = "".join(_dependency_xml(c, (exclusions or {}).get(c.split(":")[1]))
                   for c in coordinates)
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        "  <modelVersion>4.0.0</modelVersion>\n"
        "  <groupId>dev.squall.devcluster</groupId>\n"
        f"  <artifactId>{name}</artifactId>\n"
        f"  <version>{version}</version>\n"
        "  <packaging>pom</packaging>\n"
        f"  <dependencies>\n{deps}  </dependencies>\n"
        "</project>\n"
    )


def _dependency_xml(coordinate: str, excluded: str | None) -> str:
    group, artifact, version = coordinate.split(":")
    exclusion = ""
    if excluded:
        excluded_group, name = excluded.split(":")
        exclusion = (
            "      <exclusions><exclusion>"
            f"<groupId>{excluded_group}</groupId><artifactId>{name}</artifactId>"
            "</exclusion></exclusions>\n"
        )
    return (
        "    <dependency>\n"
        f"      <groupId>{group}</groupId>\n"
        f"      <artifactId>{artifact}</artifactId>\n"
        f"      <version>{version}</version>\n"
        f"{exclusion}"
        "    </dependency>\n"
    )


def read_marker(cache_dir: Path, version: str) -> dict[str, Any] | None:
    """Return the marker of a complete resolution of ``version`` in ``cache_dir``, or None."""
    try:
        recorded = json.loads((cache_dir / MARKER_NAME).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(recorded, dict) or recorded.get("version") != version:
        return None
    return recorded


def write_marker(cache_dir: Path, marker: dict[str, Any]) -> None:
    """Record that ``cache_dir`` holds a complete resolution (read by :func:`read_marker`)."""
    (cache_dir / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n")


def find_mvn() -> str:
    """Return the path of ``mvn``; raise ClusterError with the fix when it is missing."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ClusterError("Maven (mvn) not found on PATH: install it (apt-get install maven)")
    return mvn


def cached_jars(version: str, cache_dir: Path) -> StormJars | None:
    """Return the jars of an earlier complete resolution in ``cache_dir``, or None."""
    recorded = read_marker(cache_dir, version)
    if recorded is None:
        return None
    jars = _jars_in(cache_dir, version, webapp=bool(recorded.get("webapp")))
    if not any(jars.lib.glob("storm-server-*.jar")) or not any(jars.lib_worker.glob("*.jar")):
        return None
    return jars


def _jars_in(cache_dir: Path, version: str, *, webapp: bool) -> StormJars:
    return StormJars(
        version=version,
        lib=cache_dir / "lib",
        lib_worker=cache_dir / "lib-worker",
        lib_webapp=cache_dir / "lib-webapp" if webapp else None,
    )


def resolve_storm_jars(
    version: str = DEFAULT_STORM_VERSION,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> StormJars:
    """Lay out ``lib/``, ``lib-worker/`` and (if served) ``lib-webapp/`` of Storm ``version``.

    Blocks while Maven runs (a minute on a cold ``~/.m2``). A second call finds the marker
    file written by the first and returns at once without running Maven, so it works
    offline. Raises ClusterError when Maven is missing or a required jar set cannot be
    resolved; the message carries Maven's last error lines.
    """
    from squall.devcluster._paths import jar_cache_dir

    cache_dir = cache_dir or jar_cache_dir(version)
    report = progress or (lambda _msg: None)
    found = cached_jars(version, cache_dir)
    if found is not None:
        report(f"Storm {version} jars cached in {cache_dir}")
        return found
    mvn = find_mvn()
    cache_dir.mkdir(parents=True, exist_ok=True)
    webapp = True
    for jar_set in _JAR_SETS:
        report(f"resolving {jar_set}/ of Storm {version} with Maven ...")
        error = copy_dependencies(mvn, pom_xml(version, jar_set), cache_dir / jar_set)
        if error and jar_set in _OPTIONAL_SETS:
            report(f"{jar_set}/ unavailable ({error}); the cluster will run without it")
            webapp = False
        elif error:
            raise ClusterError(f"cannot resolve Storm {version} {jar_set}/ from Maven: {error}")
        else:
            report(f"{jar_set}/ ready")
    write_marker(cache_dir, {"version": version, "webapp": webapp})
    return _jars_in(cache_dir, version, webapp=webapp)


def copy_dependencies(mvn: str, pom_text: str, target: Path) -> str | None:
    """Copy the runtime dependencies of ``pom_text`` into ``target``; return an error or None.

    Maven fills a staging folder beside ``target``, which replaces ``target`` only on
    success, so an interrupted run never leaves a half-filled folder behind.
    """
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}-") as work:
        pom = Path(work) / "pom.xml"
        pom.write_text(pom_text)
        staging = Path(work) / "jars"
        command = [
            mvn, "-B", "-q", "-f", str(pom), "dependency:copy-dependencies",
            "-DincludeScope=runtime", f"-DoutputDirectory={staging}",
        ]
        try:
            done = subprocess.run(
                command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                timeout=_MVN_TIMEOUT_SECS, check=False,
            )
        except subprocess.TimeoutExpired:
            return f"mvn timed out after {_MVN_TIMEOUT_SECS}s"
        if done.returncode != 0 or not staging.is_dir():
            return _first_error(done.stdout + done.stderr)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    return None


def _first_error(output: str) -> str:
    errors = [line.strip() for line in output.splitlines() if "[ERROR]" in line]
    text = errors[0] if errors else (output.strip().splitlines() or ["mvn failed"])[-1]
    return text.replace("\x1b[0m", "").replace("[ERROR] ", "")[:400]
