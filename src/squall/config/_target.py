"""Find and import the topology a command works on: ``file.py[:Class]`` or ``module:Class``.

Importing a file by path puts its top package folder (and the project root) on
``sys.path`` and imports it under a stable dotted name, so component classes pickle
and the engine's child processes (and Storm workers) can import them again.
"""

from __future__ import annotations

import contextvars
import importlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from squall.config._project import ProjectConfig
from squall.errors import ConfigError, SquallError
from squall.topology import Topology, TopologyModel

__all__ = ["LoadedTopology", "TargetError", "load_target"]

_TOPOLOGY_DIR = "topologies"
# Cheap pre-filter so scanning a folder only imports files that may define a topology.
_DEFINES_TOPOLOGY = re.compile(r"^\s*class\s+\w+\s*\([^)]*Topology", re.MULTILINE)
# Paths in messages are shown relative to the cwd of the current load_target call.
_SHOWN_FROM: contextvars.ContextVar[Path] = contextvars.ContextVar("squall_target_cwd")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


class TargetError(ConfigError):
    """The TARGET cannot be found, imported, or does not name exactly one topology."""


@dataclass(frozen=True)
class LoadedTopology:
    """A topology class found by :func:`load_target`, and where its code lives.

    ``sys_path`` lists the folders this load put on ``sys.path`` (child processes and
    packagers must put them on theirs); ``project_root`` is the folder to pack for Storm.
    """

    topology: type[Topology]
    module: str
    file: Path | None
    project_root: Path
    sys_path: tuple[Path, ...]

    @property
    def model(self) -> TopologyModel:
        """The topology's compiled model."""
        return self.topology.model

    @property
    def target(self) -> str:
        """Return a TARGET string naming exactly this topology (``module:Class``)."""
        return f"{self.module}:{self.topology.__qualname__}"


def load_target(target: str | None, project: ProjectConfig, cwd: Path | None = None) -> LoadedTopology:
    """Import the topology named by ``target`` and return it with its origin.

    ``target`` is ``path/to/file.py[:Class]``, a folder, or ``package.module[:Class]``;
    the class name may be left out when exactly one Topology subclass is found. With no
    target, use the project's ``topology`` key, else the ``topologies/`` folder of the
    project root, else the ``*.py`` files of ``cwd``. Raises TargetError (one line).

    >>> loaded = load_target("topologies/wordcount.py", load_project())   # doctest: +SKIP
    >>> loaded.model.name                                                 # doctest: +SKIP
    'WordCount'
    """
    cwd = (cwd or Path.cwd()).resolve()
    token = _SHOWN_FROM.set(cwd)
    try:
        if target is None:
            if project.topology is not None:
                return _load(project.topology, project, project.root)
            folder = project.root / _TOPOLOGY_DIR
            if folder.is_dir():
                return _load_folder(folder, project)
            return _load_folder(cwd, project)
        return _load(target, project, cwd)
    finally:
        _SHOWN_FROM.reset(token)


def _load(target: str, project: ProjectConfig, base: Path) -> LoadedTopology:
    location, class_name = _split_target(target)
    path = (base / location).resolve() if not Path(location).is_absolute() else Path(location)
    looks_like_path = location.endswith(".py") or "/" in location or path.exists()
    if looks_like_path:
        if path.is_dir():
            return _pick(target, _scan_folder(path, project), class_name)
        if not path.is_file():
            raise TargetError(f"topology file {location!r} not found (looked in {base}); "
                              "pass an existing file, e.g. topologies/wordcount.py")
        module, added = _import_file(path, project)
        return _pick(target, [_found(module, path, project, added)], class_name)
    if not _IDENTIFIER.match(location):
        raise TargetError(f"{target!r} is neither a .py file nor a module name; "
                          "use 'file.py:Class' or 'package.module:Class'")
    added = _add_to_path([project.root])
    module = _import_module(location, location)
    file = Path(module.__file__).resolve() if getattr(module, "__file__", None) else None
    return _pick(target, [_found(module, file, project, added)], class_name)


def _split_target(target: str) -> tuple[str, str | None]:
    location, sep, name = target.rpartition(":")
    if sep and location and name.isidentifier():
        return location, name
    if sep and not name:
        raise TargetError(f"{target!r}: nothing after ':'; write 'file.py:ClassName'")
    return target, None


_Found = tuple[ModuleType, Path | None, ProjectConfig, tuple[Path, ...]]


def _found(module: ModuleType, file: Path | None, project: ProjectConfig,
           added: tuple[Path, ...]) -> _Found:
    return module, file, project, added


def _pick(target: str, found: list[_Found], class_name: str | None) -> LoadedTopology:
    candidates: list[tuple[type[Topology], _Found]] = []
    for item in found:
        candidates += [(cls, item) for cls in _topologies_in(item[0])]
    if class_name is not None:
        for item in found:
            obj = getattr(item[0], class_name, None)
            if obj is None:
                continue
            if not (isinstance(obj, type) and issubclass(obj, Topology) and obj is not Topology):
                raise TargetError(f"{target!r}: {class_name!r} is not a Topology subclass{_listing(candidates)}")
            return _loaded(obj, item)
        raise TargetError(f"{target!r}: no class {class_name!r} found{_listing(candidates)}")
    if len(candidates) == 1:
        return _loaded(*candidates[0])
    if not candidates:
        where = ", ".join(_describe(item) for item in found) or "the scanned files"
        raise TargetError(f"no Topology subclass found in {where}; define one "
                          "(class MyTopology(Topology): ...) or pass TARGET as 'file.py:Class'")
    names = ", ".join(_name_of(cls, item) for cls, item in candidates)
    raise TargetError(f"several Topology classes found ({names}); use 'file.py:Name' to pick one")


def _listing(candidates: list[tuple[type[Topology], _Found]]) -> str:
    if not candidates:
        return " (and no Topology class there)"
    return f"; Topology classes there: {', '.join(_name_of(c, i) for c, i in candidates)}"


def _describe(item: _Found) -> str:
    module, file = item[0], item[1]
    return _display(file) if file else module.__name__


def _name_of(cls: type[Topology], item: _Found) -> str:
    return f"{_describe(item)}:{cls.__name__}"


def _display(path: Path) -> str:
    base = _SHOWN_FROM.get(None) or Path.cwd()
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def _loaded(cls: type[Topology], item: _Found) -> LoadedTopology:
    module, file, project, added = item
    return LoadedTopology(topology=cls, module=cls.__module__, file=file,
                          project_root=project.root, sys_path=added)


def _topologies_in(module: ModuleType) -> list[type[Topology]]:
    """Return the compiled Topology classes of ``module``: its own, else the ones it imports."""
    found = [obj for obj in vars(module).values()
             if isinstance(obj, type) and issubclass(obj, Topology) and obj is not Topology
             and "_squall_model" in obj.__dict__]
    found = list(dict.fromkeys(found))
    own = [cls for cls in found if cls.__module__ == module.__name__]
    return own or found


def _load_folder(folder: Path, project: ProjectConfig) -> LoadedTopology:
    return _pick(_display(folder) + "/", _scan_folder(folder, project), None)


def _scan_folder(folder: Path, project: ProjectConfig) -> list[_Found]:
    found = []
    for path in sorted(folder.glob("*.py")):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if _DEFINES_TOPOLOGY.search(text):
            module, added = _import_file(path, project)
            found.append(_found(module, path, project, added))
    if not found:
        raise TargetError(f"no topology found: no .py file in {_display(folder)} defines a Topology "
                          "subclass; pass TARGET, e.g. squall run topologies/wordcount.py")
    return found


def _module_name_for(path: Path) -> tuple[str, Path]:
    """Return the dotted module name of ``path`` and the folder that must be on sys.path."""
    parts = [] if path.stem == "__init__" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    if not parts:
        raise TargetError(f"{path}: a package __init__.py has no name of its own; pass the package folder")
    return ".".join(parts), folder


def _import_file(path: Path, project: ProjectConfig) -> tuple[ModuleType, tuple[Path, ...]]:
    name, import_root = _module_name_for(path)
    existing = sys.modules.get(name)
    if existing is not None:
        existing_file = getattr(existing, "__file__", None)
        if existing_file is None or Path(existing_file).resolve() != path:
            origin = existing_file or "a built-in module"
            raise TargetError(f"{_display(path)}: its module name {name!r} is taken by {origin}; "
                              "rename the file")
    added = _add_to_path([import_root, project.root])
    return _import_module(name, _display(path)), added


def _add_to_path(folders: list[Path]) -> tuple[Path, ...]:
    """Put ``folders`` at the front of sys.path (once each); return them."""
    for folder in reversed(folders):
        entry = str(folder)
        if entry not in sys.path:
            sys.path.insert(0, entry)
    return tuple(dict.fromkeys(folders))


def _import_module(name: str, shown: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except SquallError as exc:
        raise type(exc)(f"{shown}: {exc}") from exc
    except ModuleNotFoundError as exc:
        if exc.name == name or name.startswith(f"{exc.name}."):
            raise TargetError(f"no module named {name!r}; check TARGET's spelling, or run squall "
                              "from the project folder") from exc
        raise TargetError(f"cannot import {name!r} ({shown}): {exc}; install the missing package "
                          "or fix the import") from exc
    except SyntaxError as exc:
        raise TargetError(f"cannot import {name!r} ({shown}): SyntaxError: {exc.msg} "
                          f"({Path(exc.filename or shown).name}, line {exc.lineno})") from exc
    except Exception as exc:  # user code may raise anything while importing
        raise TargetError(f"cannot import {name!r} ({shown}): {type(exc).__name__}: {exc}; "
                          "run with --debug for the traceback") from exc
