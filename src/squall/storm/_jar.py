"""Build a topology jar with zipfile alone: no JDK, no Leiningen, no Maven.

Layout of the jar (Storm unzips ``resources/`` as each Python process's cwd)::

    META-INF/MANIFEST.MF
    resources/squall-manifest.json      component id -> class, serializer, roots
    resources/squall_launcher.py        shared bootstrap (sys.path, version check)
    resources/squall_launch_<id>.py     one per component: the script Storm runs
    resources/squall/...                squall itself (the multi-lang runtime)
    resources/<project files>           the user's code and data
    resources/_vendor/...               dependency wheels, unpacked (unless skipped)
    squall/storm/*.class                msgpack topologies only: the Java serializer
                                        (at the root, so it is on the worker classpath)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import squall
from squall._version import __version__
from squall.errors import PackagingError
from squall.storm import _launcher
from squall.storm._files import package_files, select_project_files
from squall.storm._vendor import (
    DEFAULT_PLATFORM,
    VendorSpec,
    fetch_wheels,
    platform_families,
    project_requirements,
    runtime_requirements,
    wheel_members,
)
from squall.topology import TopologyModel

Progress = Callable[[str], None]
SERIALIZERS = ("json", "msgpack")
RESOURCES = "resources/"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # reproducible jars
_BIG_PROJECT_BYTES = 50 * 1024 * 1024


@dataclass
class JarReport:
    """What went into a jar: counts and sizes, for progress messages and tests."""

    path: Path
    project_files: int = 0
    project_bytes: int = 0
    vendored: list[str] = field(default_factory=list)
    scripts: dict[str, str] = field(default_factory=dict)  # component -> launcher file


def default_wheel_cache() -> Path:
    """Return the wheel cache: ``$SQUALL_CACHE_DIR/wheels`` or ``~/.squall/cache/wheels``."""
    root = os.environ.get("SQUALL_CACHE_DIR")
    return (Path(root).expanduser() if root else Path.home() / ".squall" / "cache") / "wheels"


def build_jar(
    model: TopologyModel,
    project_root: Path | str,
    out_path: Path | str,
    *,
    serializer: str = "json",
    python: str | None = None,
    vendor: bool = True,
    python_version: str | None = None,
    platform: str | Sequence[str] = DEFAULT_PLATFORM,
    requirements: list[str] | None = None,
    wheel_cache: Path | None = None,
    progress: Progress | None = None,
) -> Path:
    """Package ``model`` and the project at ``project_root`` as a Storm topology jar.

    ``python`` is recorded as the interpreter the workers run (informational; the
    Thrift topology carries it). With ``vendor`` the dependencies (squall's runtime
    deps plus ``requirements``, default: the project's lock file, requirements.txt or
    pyproject dependencies) are vendored as wheels for ``platform`` (one tag or several;
    one ``_vendor/<family>/`` tree per libc/architecture family) and ``python_version``
    (default: this interpreter's). A ``python`` that is an interpreter on this machine
    (a local cluster) must be that version, else PackagingError before any download.
    Writes ``out_path`` atomically and returns it; raises PackagingError with the fix
    on any problem.

    >>> build_jar(WordCount.model, ".", "wordcount.jar", vendor=False)  # doctest: +SKIP
    PosixPath('wordcount.jar')
    """
    return build_jar_report(
        model, project_root, out_path, serializer=serializer, python=python, vendor=vendor,
        python_version=python_version, platform=platform, requirements=requirements,
        wheel_cache=wheel_cache, progress=progress,
    ).path


def build_jar_report(
    model: TopologyModel,
    project_root: Path | str,
    out_path: Path | str,
    *,
    serializer: str = "json",
    python: str | None = None,
    vendor: bool = True,
    python_version: str | None = None,
    platform: str | Sequence[str] = DEFAULT_PLATFORM,
    requirements: list[str] | None = None,
    wheel_cache: Path | None = None,
    progress: Progress | None = None,
) -> JarReport:
    """Build the jar like :func:`build_jar`; return a :class:`JarReport` of its contents."""
    say = progress or (lambda _msg: None)
    root = Path(project_root).resolve()
    out = Path(out_path).resolve()
    if serializer not in SERIALIZERS:
        raise PackagingError(f"serializer {serializer!r} is not one of {', '.join(SERIALIZERS)}")
    if not root.is_dir():
        raise PackagingError(f"project root {str(root)!r} is not a directory")
    started = time.monotonic()
    version = python_version or f"{sys.version_info.major}.{sys.version_info.minor}"
    select_project_files(root, skip=frozenset({out}))  # secrets fail before any download
    vendored: dict[str, tuple[str, list[Path]]] = {}  # family -> (dir under resources/, wheels)
    if vendor:
        check_worker_python(python, version)
        reqs = runtime_requirements(model, version) + (
            requirements if requirements is not None else project_requirements(root))
        vendored = _fetch_families(reqs, platform, version, wheel_cache, say)
    wheels = [w for _, found in vendored.values() for w in found]
    paths = _import_roots(model, root, wheels if vendor else None)
    manifest = _manifest(model, serializer, python, version if vendor else None, paths)
    manifest["vendor"] = {family: vendor_dir for family, (vendor_dir, _) in vendored.items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    report = JarReport(path=out)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as jar:
            _write(jar, "META-INF/MANIFEST.MF",
                   f"Manifest-Version: 1.0\r\nCreated-By: squall {__version__}\r\n\r\n")
            _write_launchers(jar, model, manifest, report)
            if serializer == "msgpack":
                _write_java_serializer(jar)
            _write_squall(jar)
            _write_project(jar, root, frozenset({out, tmp}), report, say)
            for vendor_dir, found in vendored.values():
                _write_wheels(jar, vendor_dir, found, report)
        tmp.replace(out)
    except OSError as exc:
        raise PackagingError(f"cannot write the jar {str(out)!r}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    size_mb = out.stat().st_size / 1e6
    say(f"built {out.name} ({size_mb:.1f} MB, {report.project_files} project files, "
        f"{len(wheels)} wheels) in {time.monotonic() - started:.1f}s")
    return report


def check_worker_python(python: str | None, version: str) -> None:
    """Refuse a workers' interpreter on this machine that is not Python ``version``.

    Only an absolute path to an interpreter that exists here is checked (a cluster on
    this machine, e.g. the dev cluster); remote workers' interpreters are declared with
    the env's ``python_version`` and checked by the launcher when they start.
    """
    if python is None or not os.path.isabs(python) or not os.access(python, os.X_OK):
        return
    try:
        found = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True, timeout=60, check=True,
                               stdin=subprocess.DEVNULL).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        raise PackagingError(f"the workers' python {python} does not run ({exc}); point the "
                             "env's python at a working interpreter") from exc
    if found != version:
        raise PackagingError(
            f"the workers' python {python} is Python {found} but the vendored wheels would be for "
            f"Python {version}; set python_version = \"{found}\" in the env so they match it, "
            f"or point python at a Python {version} interpreter")


def _fetch_families(reqs: list[str], platform: str | Sequence[str], version: str,
                    wheel_cache: Path | None, say: Progress) -> dict[str, tuple[str, list[Path]]]:
    """Fetch the wheels once per platform family; return ``{family: (vendor dir, wheels)}``."""
    tags = [platform] if isinstance(platform, str) else list(platform)
    families = platform_families([t.strip() for tag in tags for t in tag.split(",") if t.strip()])
    cache = wheel_cache or default_wheel_cache()
    found = {}
    for family, family_tags in families.items():
        vendor_dir = _launcher.VENDOR_DIR if len(families) == 1 else f"{_launcher.VENDOR_DIR}/{family}"
        spec = VendorSpec(tuple(reqs), platform=family_tags, python_version=version)
        found[family] = (vendor_dir, fetch_wheels(spec, cache, say))
    return found


def _write_wheels(jar: zipfile.ZipFile, vendor_dir: str, wheels: list[Path],
                  report: JarReport) -> None:
    for wheel in wheels:
        for name, data in wheel_members(wheel):
            _write(jar, f"{RESOURCES}{vendor_dir}/{name}", data)
        report.vendored.append(wheel.name)


def _write(jar: zipfile.ZipFile, name: str, data: str | bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    jar.writestr(info, data)


def _write_launchers(jar: zipfile.ZipFile, model: TopologyModel, manifest: dict[str, Any],
                     report: JarReport) -> None:
    _write(jar, RESOURCES + _launcher.MANIFEST_NAME,
           json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
    _write(jar, f"{RESOURCES}{_launcher.BOOT_MODULE}.py", _launcher.BOOT_SOURCE)
    for name, entry in manifest["components"].items():
        _write(jar, RESOURCES + entry["script"], _launcher.launch_script(model.name, name))
        report.scripts[name] = entry["script"]


def _write_java_serializer(jar: zipfile.ZipFile) -> None:
    from squall.storm._serializer_jar import serializer_classes

    for name, data in serializer_classes():
        _write(jar, name, data)


def _write_squall(jar: zipfile.ZipFile) -> None:
    package_dir = Path(squall.__file__).resolve().parent
    for path, rel in package_files(package_dir):
        _write(jar, RESOURCES + rel, path.read_bytes())


def _write_project(jar: zipfile.ZipFile, root: Path, skip: frozenset[Path], report: JarReport,
                   say: Progress) -> None:
    chosen = select_project_files(root, skip=skip)  # skip: the jar and its unfinished self
    for rel, why in chosen.skipped:
        say(f"warning: left {rel} out of the jar: {why}")
    for path, rel in chosen.files:
        if is_reserved(rel):
            continue
        data = path.read_bytes()
        _write(jar, RESOURCES + rel, data)
        report.project_files += 1
        report.project_bytes += len(data)
    if report.project_bytes > _BIG_PROJECT_BYTES:
        say(f"warning: {report.project_bytes / 1e6:.0f} MB of project files packed from {root}; "
            "move data out of the project directory to keep jars small")


def is_reserved(rel: str) -> bool:
    """Return whether a project file's path is taken by squall's own jar entries."""
    top = rel.split("/", 1)[0]
    return (rel in (_launcher.MANIFEST_NAME, f"{_launcher.BOOT_MODULE}.py")
            or top in ("squall", _launcher.VENDOR_DIR) or top.startswith("squall_launch_"))


def _manifest(model: TopologyModel, serializer: str, python: str | None,
              vendored_for: str | None, paths: list[str]) -> dict[str, Any]:
    taken: set[str] = set()
    components = {
        comp.name: {
            "class": comp.class_path,
            "kind": comp.kind,
            "script": _launcher.launch_script_name(comp.name, taken),
        }
        for comp in model.components.values()
    }
    return {
        "format": 1,
        "topology": model.name,
        "squall_version": __version__,
        "serializer": serializer,
        "python": vendored_for,
        "python_executable": python,
        "paths": paths,
        "components": components,
        "model": model.to_dict(),
    }


def _import_roots(model: TopologyModel, root: Path, wheels: list[Path] | None) -> list[str]:
    """Return the sys.path roots (relative to resources/) the component modules need.

    Raises PackagingError for a component whose module would not be importable on a
    worker: defined in ``__main__``, or living outside the project and not vendored.
    """
    from squall.storm._vendor import top_level_names

    roots: list[str] = []
    vendored: set[str] | None = None
    for comp in model.components.values():
        module_name = comp.class_path.split(":", 1)[0]
        top = module_name.split(".", 1)[0]
        if module_name == "__main__":
            raise PackagingError(
                f"component {comp.name!r}: class {comp.class_path.split(':')[1]} is defined in "
                "__main__, which workers cannot import; move it to a module of the project"
            )
        if top == "squall":
            continue
        module_root = _module_root(module_name)
        if module_root is not None and module_root.is_relative_to(root):
            rel = module_root.relative_to(root).as_posix() or "."
            if rel != "." and rel.split("/", 1)[0] in ("squall", _launcher.VENDOR_DIR):
                rel = "."
            if rel not in roots:
                roots.append(rel)
            continue
        if wheels is None:
            continue  # the workers' own interpreter is trusted to have it
        if vendored is None:
            vendored = top_level_names(wheels)
        if top not in vendored:
            where = f" (found in {module_root})" if module_root else ""
            raise PackagingError(
                f"component {comp.name!r}: module {module_name!r}{where} is outside the project "
                f"root {str(root)!r} and not in the vendored requirements; run from the project "
                "directory, or add its distribution to requirements.txt"
            )
    return roots or ["."]


def _module_root(module_name: str) -> Path | None:
    """Return the sys.path entry ``module_name`` was imported from, if it was a file."""
    module = sys.modules.get(module_name)
    filename = getattr(module, "__file__", None)
    if not filename:
        return None
    path = Path(filename).resolve()
    depth = module_name.count(".") + (1 if path.name == "__init__.py" else 0)
    return path.parents[depth]
