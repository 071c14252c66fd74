"""Fetch the wheels a topology needs on the workers, for the workers' platform.

Wheels come from ``pip download --only-binary=:all:`` for the target platform and
Python version (never built locally), are cached between builds keyed by the exact
requirement set, and are written into the jar under ``resources/_vendor/`` as an
unpacked site-packages tree.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from squall.errors import PackagingError
from squall.topology import TopologyModel

# pip platform tags the workers accept, comma-separated. glibc 2.28 (Debian 10, RHEL 8) is
# older than any OS that runs Storm 2.8's Java 17; newer wheels (confluent-kafka >= 2.5,
# numpy >= 2.3) are no longer built for manylinux2014.
DEFAULT_PLATFORM = "manylinux_2_28_x86_64,manylinux2014_x86_64"
# What the squall runtime itself imports on a worker (pinned to the local versions).
RUNTIME_DISTRIBUTIONS = ("orjson", "msgpack")
_PIP_TIMEOUT_SECS = 600.0

Progress = Callable[[str], None]


@dataclass(frozen=True)
class VendorSpec:
    """What to vendor: requirement strings, for which platform and Python version."""

    requirements: tuple[str, ...]
    platform: str = DEFAULT_PLATFORM
    python_version: str = f"{sys.version_info.major}.{sys.version_info.minor}"

    def cache_key(self) -> str:
        """Return a stable hash of this spec (the wheel cache's directory name)."""
        text = json.dumps([sorted(self.requirements), self.platform, self.python_version])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def runtime_requirements(model: TopologyModel | None = None) -> list[str]:
    """Return squall's worker-side dependencies pinned to the versions installed here.

    With ``model``, the distributions its components declare in ``worker_requirements``
    (e.g. confluent-kafka for the Kafka connectors) are added, pinned the same way.
    """
    wanted = list(RUNTIME_DISTRIBUTIONS)
    for spec in (model.components.values() if model is not None else ()):
        for dist in getattr(spec.component_class, "worker_requirements", ()):
            if dist not in wanted:
                wanted.append(dist)
    pins = []
    for dist in wanted:
        try:
            pins.append(f"{dist}=={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pins.append(dist)
    return pins


def project_requirements(root: Path) -> list[str]:
    """Return the project's requirements: ``requirements.txt``, else pyproject dependencies.

    Lines with pip options (``-r``, ``-e``, ``--index-url``...) are rejected with a hint:
    vendoring resolves plain requirement specifiers only.
    """
    req_file = root / "requirements.txt"
    if req_file.is_file():
        return _parse_requirements_txt(req_file)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        try:
            data = tomllib.loads(pyproject.read_text())
        except (OSError, ValueError) as exc:
            raise PackagingError(f"{pyproject}: cannot read it ({exc}); fix the TOML") from exc
        deps = data.get("project", {}).get("dependencies", [])
        return [d for d in deps if isinstance(d, str) and not _is_squall(d)]
    return []


def _parse_requirements_txt(path: Path) -> list[str]:
    reqs = []
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            raise PackagingError(
                f"{path}:{number}: pip option {line.split()[0]!r} cannot be vendored; list plain "
                "requirements (name==version) or set the environment's python to an interpreter "
                "that already has them"
            )
        if not _is_squall(line):
            reqs.append(line)
    return reqs


def _is_squall(requirement: str) -> bool:
    return re.split(r"[\s<>=!~\[;@]", requirement.strip(), maxsplit=1)[0].lower() == "squall"


def fetch_wheels(spec: VendorSpec, cache_root: Path, progress: Progress | None = None) -> list[Path]:
    """Return the wheel files satisfying ``spec``, downloading them once into the cache.

    Raises PackagingError (with pip's last lines) when a requirement has no wheel for
    the platform, e.g. an sdist-only package.
    """
    say = progress or (lambda _msg: None)
    target = cache_root / f"{spec.platform}-py{spec.python_version}-{spec.cache_key()}"
    done = target / "wheels.json"
    if done.is_file():
        names = json.loads(done.read_text())
        wheels = [target / n for n in names]
        if all(w.is_file() for w in wheels):
            say(f"vendoring {len(wheels)} cached wheels for {spec.platform}")
            return wheels
    if not spec.requirements:
        return []
    target.mkdir(parents=True, exist_ok=True)
    say(f"downloading wheels for {spec.platform}, Python {spec.python_version}: "
        + ", ".join(spec.requirements))
    _pip_download(spec, target)
    wheels = sorted(target.glob("*.whl"))
    done.write_text(json.dumps([w.name for w in wheels]))
    return wheels


def _platform_flags(platforms: str) -> list[str]:
    """Return ``--platform TAG`` for each tag of a comma-separated list."""
    return [flag for tag in platforms.split(",") if tag.strip() for flag in ("--platform", tag.strip())]


def _pip_download(spec: VendorSpec, target: Path) -> None:
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
        "--only-binary=:all:", *_platform_flags(spec.platform),
        "--python-version", spec.python_version, "--implementation", "cp",
        "--dest", str(target), *spec.requirements,
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False,
                                timeout=_PIP_TIMEOUT_SECS, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise PackagingError(
            f"pip download timed out after {_PIP_TIMEOUT_SECS:.0f}s; check the network or set "
            "the environment's python to an interpreter that has the dependencies"
        ) from exc
    if result.returncode != 0:
        tail = " | ".join(result.stderr.strip().splitlines()[-3:])
        raise PackagingError(
            f"cannot vendor {', '.join(spec.requirements)} for {spec.platform} / Python "
            f"{spec.python_version}: {tail}. Only wheels can be vendored: pin a version that has "
            "wheels, or set the environment's python to an interpreter that has the dependencies"
        )


def wheel_members(wheel: Path) -> Iterator[tuple[str, bytes]]:
    """Yield ``(path inside site-packages, content)`` of every file a wheel installs.

    ``<name>.data/purelib`` and ``platlib`` are moved to the root, as an installer
    does; scripts, headers and data files are left out (workers never run them).
    """
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            name = info.filename
            head, _, rest = name.partition("/")
            if head.endswith(".data"):
                kind, _, inner = rest.partition("/")
                if kind not in ("purelib", "platlib") or not inner:
                    continue
                name = inner
            yield name, zf.read(info)


def top_level_names(wheels: Sequence[Path]) -> set[str]:
    """Return the importable top-level names the wheels provide."""
    names = set()
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as zf:
            for member in zf.namelist():
                top = member.split("/", 1)[0]
                if top.endswith((".dist-info", ".data")):
                    continue
                names.add(top.split(".", 1)[0])
    return names
