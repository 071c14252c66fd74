"""Fetch the wheels a topology needs on the workers, for the workers' platform(s).

Wheels come from ``pip download --only-binary=:all:`` for the workers' Python version
and platform tags (never built locally, never the client's own platform), are cached
between builds keyed by the exact requirement set, and are written into the jar as
unpacked site-packages trees: ``resources/_vendor/`` for one platform family, or one
``resources/_vendor/<family>/`` per family (e.g. ``manylinux_x86_64`` and
``manylinux_aarch64``), the launcher picking the worker's own. A ``manylinux_2_28``
tag stands for every glibc level up to 2.28, as an installer on such a system sees it.
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

# The workers' platform tags when the env names none. glibc 2.28 (Debian 10, RHEL 8) is
# older than any OS that runs Storm 2.8's Java 17; newer wheels (confluent-kafka >= 2.5,
# numpy >= 2.3) are no longer built for manylinux2014. A manylinux_2_28 tag also admits
# the older levels (manylinux2014 and below), see expand_platform.
DEFAULT_PLATFORM = "manylinux_2_28_x86_64"
_MANYLINUX = re.compile(r"^manylinux_(\d+)_(\d+)_(\w+)$")
_MUSLLINUX = re.compile(r"^musllinux_(\d+)_(\d+)_(\w+)$")
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_NO_DISTRIBUTION = re.compile(r"No matching distribution found for (\S+)")
# What the squall runtime itself imports on a worker (pinned to the local versions).
RUNTIME_DISTRIBUTIONS = ("orjson", "msgpack")
RUNTIME_FLOORS = ("orjson>=3.8", "msgpack>=1.0.5")  # squall's own requirements (pyproject.toml)
_PIP_TIMEOUT_SECS = 600.0

Progress = Callable[[str], None]


@dataclass(frozen=True)
class VendorSpec:
    """What to vendor: requirement strings, for which platform tag(s) and Python version.

    ``platform`` is one tag or several comma-separated tags of one family (same libc
    and architecture); each ``manylinux_2_X``/``musllinux_1_X`` tag also admits the
    older levels of its family.
    """

    requirements: tuple[str, ...]
    platform: str = DEFAULT_PLATFORM
    python_version: str = f"{sys.version_info.major}.{sys.version_info.minor}"

    def tags(self) -> list[str]:
        """Return every platform tag pip may pick wheels for, best first."""
        found: list[str] = []
        for tag in self.platform.split(","):
            found += [t for t in expand_platform(tag.strip()) if t not in found]
        return found

    def cache_key(self) -> str:
        """Return a stable hash of this spec (the wheel cache's directory name)."""
        text = json.dumps([sorted(self.requirements), self.tags(), self.python_version])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def expand_platform(tag: str) -> list[str]:
    """Return ``tag`` and the older tags of its family a system at that level also runs.

    >>> expand_platform("manylinux_2_19_x86_64")[:3]
    ['manylinux_2_19_x86_64', 'manylinux_2_18_x86_64', 'manylinux_2_17_x86_64']
    """
    for legacy, (major, minor) in _LEGACY.items():
        if tag.startswith(legacy + "_"):
            return expand_platform(f"manylinux_{major}_{minor}_{tag[len(legacy) + 1:]}")
    many, musl = _MANYLINUX.match(tag), _MUSLLINUX.match(tag)
    if many:
        major, minor, arch = int(many[1]), int(many[2]), many[3]
        tags = [f"manylinux_{major}_{m}_{arch}" for m in range(minor, 4, -1)]
        tags += [f"{name}_{arch}" for name, (_, m) in _LEGACY.items() if m <= minor]
        return tags
    if musl:
        major, minor, arch = int(musl[1]), int(musl[2]), musl[3]
        return [f"musllinux_{major}_{m}_{arch}" for m in range(minor, -1, -1)]
    return [tag]


def platform_family(tag: str) -> str:
    """Return the family of a platform tag: libc kind and architecture.

    >>> platform_family("manylinux2014_aarch64"), platform_family("musllinux_1_2_x86_64")
    ('manylinux_aarch64', 'musllinux_x86_64')
    """
    first = expand_platform(tag)[0]
    match = _MANYLINUX.match(first) or _MUSLLINUX.match(first)
    if match is None:
        return first
    return f"{first.split('_', 1)[0]}_{match[3]}"


def platform_families(tags: Sequence[str]) -> dict[str, str]:
    """Group platform tags by family: ``{family: "tag1,tag2"}`` (one pip run each)."""
    groups: dict[str, list[str]] = {}
    for tag in tags:
        groups.setdefault(platform_family(tag), []).append(tag)
    return {family: ",".join(found) for family, found in groups.items()}


def runtime_requirements(model: TopologyModel | None = None,
                         python_version: str | None = None) -> list[str]:
    """Return squall's worker-side dependencies, and those ``model``'s components declare.

    With ``model``, the distributions its components declare in ``worker_requirements``
    (e.g. confluent-kafka for the Kafka connectors) are added. For workers on this
    interpreter's Python version (the default), all are pinned to the versions
    installed here (what the client tested); for another version, squall's own lower
    bounds and the bare names, left to the resolver (the local versions may have no
    wheels for it).
    """
    wanted = list(RUNTIME_DISTRIBUTIONS)
    for spec in (model.components.values() if model is not None else ()):
        for dist in getattr(spec.component_class, "worker_requirements", ()):
            if dist not in wanted:
                wanted.append(dist)
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    if python_version is not None and python_version != here:
        return list(RUNTIME_FLOORS) + wanted[len(RUNTIME_DISTRIBUTIONS):]
    pins = []
    for dist in wanted:
        try:
            pins.append(f"{dist}=={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pins.append(dist)
    return pins


# Lock files first: a pinned, complete set (e.g. `uv export --no-hashes -o requirements.lock`,
# `pip-compile -o requirements.lock`) wins over the loose requirements.
REQUIREMENTS_FILES = ("requirements.lock", "requirements-lock.txt", "requirements.txt")


def project_requirements(root: Path) -> list[str]:
    """Return the project's requirements: its lock file or ``requirements.txt``, else
    its pyproject dependencies.

    Files are read in the order of ``REQUIREMENTS_FILES``; backslash continuations and
    ``--hash`` options (pip-compile output) are accepted, other pip options (``-r``,
    ``-e``, ``--index-url``...) are rejected with a hint.
    """
    for name in REQUIREMENTS_FILES:
        req_file = root / name
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
    for number, raw in _logical_lines(path.read_text()):
        line = re.sub(r"\s--hash[= ]\S+", "", " " + raw.split(" #", 1)[0]).strip()
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


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield ``(first line number, line)`` with backslash continuations joined."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        yield start, pending + raw
        pending = ""
    if pending:
        yield start, pending


def _is_squall(requirement: str) -> bool:
    return re.split(r"[\s<>=!~\[;@]", requirement.strip(), maxsplit=1)[0].lower() == "squall"


def fetch_wheels(spec: VendorSpec, cache_root: Path, progress: Progress | None = None) -> list[Path]:
    """Return the wheel files satisfying ``spec``, downloading them once into the cache.

    Raises PackagingError (with pip's last lines) when a requirement has no wheel for
    the platform, e.g. an sdist-only package.
    """
    say = progress or (lambda _msg: None)
    family = platform_family(spec.platform.split(",")[0])
    target = cache_root / f"{family}-py{spec.python_version}-{spec.cache_key()}"
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


def _pip_download(spec: VendorSpec, target: Path) -> None:
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
        "--only-binary=:all:", *(arg for tag in spec.tags() for arg in ("--platform", tag)),
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
        missing = _NO_DISTRIBUTION.search(result.stderr)
        if missing is not None:
            raise PackagingError(
                f"no wheel of {missing[1]} for the workers ({spec.platform} / Python "
                f"{spec.python_version}) on the package index; pin a version that publishes "
                "wheels for that target, add a platform tag its wheels have to the env's "
                "platforms, or drop it from the requirements")
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
