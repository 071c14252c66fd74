"""Find and import the topology a command works on: ``file.py[:Class]`` or ``module:Class``.

Importing a file by path puts its top package folder, the project root and, when the
project keeps its code under ``src/`` (streamparse's layout), that folder on ``sys.path`` and imports it under a stable dotted name, so component classes pickle
and the engine's child processes (and Storm workers) can import them again.
"""

from __future__ import annotations

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
_SOURCE_DIR = "src"  # streamparse projects keep their components here
# Cheap pre-filter so scanning a folder only imports files that may define a topology.
_DEFINES_TOPOLOGY = re.compile(r"^\s*class\s+\w+\s*\([^)]*Topology", re.MULTILINE)
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
    project root, else the ``*.py`` files of ``cwd``. Raises TargetError (one line);
    paths in messages are shown relative to ``cwd``.

    >>> loaded = load_target("topologies/wordcount.py", load_project())   # doctest: +SKIP
    >>> loaded.model.name                                                 # doctest: +SKIP
    'WordCount'
    """
    loader = _Loader(project, (cwd or Path.cwd()).resolve())
    if target is None:
        if project.topology is not None:
            try:
                return loader.load(project.topology, project.root)
            except TargetError as exc:  # say where the target came from
                raise TargetError(f"{project.path}: topology = {project.topology!r}: {exc}") from exc
        folder = project.root / _TOPOLOGY_DIR
        return loader.load_folder(folder if folder.is_dir() else loader.cwd)
    return loader.load(target, loader.cwd)


def _split_target(target: str) -> tuple[str, str | None]:
    location, sep, name = target.rpartition(":")
    if sep and location and name.isidentifier():
        return location, name
    if sep and not name:
        raise TargetError(f"{target!r}: nothing after ':'; write 'file.py:ClassName'")
    return target, None


@dataclass(frozen=True)
class _Found:
    """A module imported while resolving a target."""

    module: ModuleType
    file: Path | None
    shown: str  # how messages name it
    added: tuple[Path, ...]  # sys.path entries it needs


@dataclass(frozen=True)
class _Loader:
    project: ProjectConfig
    cwd: Path

    def display(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.cwd))
        except ValueError:
            return str(path)

    def load(self, target: str, base: Path) -> LoadedTopology:
        location, class_name = _split_target(target)
        path = Path(location) if Path(location).is_absolute() else (base / location).resolve()
        if location.endswith(".py") or "/" in location or path.exists():
            if path.is_dir():
                return self.pick(target, self.scan_folder(path), class_name)
            if not path.is_file():
                raise TargetError(f"topology file {location!r} not found (looked in {base}); "
                                  "pass an existing file, e.g. topologies/wordcount.py")
            return self.pick(target, [self.import_file(path)], class_name)
        if not _IDENTIFIER.match(location):
            raise TargetError(f"{target!r} is neither a .py file nor a module name; "
                              "use 'file.py:Class' or 'package.module:Class'")
        added = _add_to_path([self.project.root, *_source_roots(self.project.root)])
        module = _import_module(location, location)
        file = Path(module.__file__).resolve() if module.__file__ else None
        return self.pick(target, [_Found(module, file, location, added)], class_name)

    def load_folder(self, folder: Path) -> LoadedTopology:
        return self.pick(self.display(folder) + "/", self.scan_folder(folder), None)

    def pick(self, target: str, found: list[_Found], class_name: str | None) -> LoadedTopology:
        candidates = [(cls, item) for item in found for cls in _topologies_in(item.module)]
        names = ", ".join(f"{item.shown}:{cls.__name__}" for cls, item in candidates)
        listing = (f"; Topology classes there: {names}" if names else
                   "; no Topology class is there: define one (class MyTopology(Topology): ...) "
                   "that wires your components and pass 'file.py:MyTopology'")
        if class_name is not None:
            for item in found:
                obj = getattr(item.module, class_name, None)
                if obj is None:
                    continue
                if not (isinstance(obj, type) and issubclass(obj, Topology) and obj is not Topology):
                    raise TargetError(f"{target!r}: {class_name!r} is not a Topology subclass{listing}")
                return self.loaded(obj, item)
            raise TargetError(f"{target!r}: no class {class_name!r} found{listing}")
        if len(candidates) == 1:
            return self.loaded(*candidates[0])
        if not candidates:
            where = ", ".join(item.shown for item in found)
            raise TargetError(f"no Topology subclass found in {where}; define one "
                              "(class MyTopology(Topology): ...) or pass TARGET as 'file.py:Class'")
        raise TargetError(f"several Topology classes found ({names}); use 'file.py:Name' to pick one")

    def loaded(self, cls: type[Topology], item: _Found) -> LoadedTopology:
        return LoadedTopology(topology=cls, module=cls.__module__, file=item.file,
                              project_root=self.project.root, sys_path=item.added)

    def scan_folder(self, folder: Path) -> list[_Found]:
        found = []
        for path in sorted(folder.glob("*.py")):
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if _DEFINES_TOPOLOGY.search(text):
                found.append(self.import_file(path))
        if not found:
            shown = self.display(folder)
            where = "the current folder" if shown == "." else shown
            raise TargetError(f"no topology found: no .py file in {where} defines a Topology "
                              "subclass; pass TARGET as 'file.py[:Class]' (e.g. topologies/wordcount.py), "
                              "or create a project with `squall quickstart NAME`")
        return found

    def import_file(self, path: Path) -> _Found:
        name, import_root = _module_name_for(path)
        shown = self.display(path)
        existing = sys.modules.get(name)
        if existing is not None:
            existing_file = getattr(existing, "__file__", None)
            if existing_file is None or Path(existing_file).resolve() != path:
                origin = existing_file or "a built-in module"
                raise TargetError(f"{shown}: its module name {name!r} is taken by {origin}; rename the file")
        added = _add_to_path([import_root, self.project.root, *_source_roots(self.project.root)])
        return _Found(_import_module(name, shown), path, shown, added)


def _topologies_in(module: ModuleType) -> list[type[Topology]]:
    """Return the compiled Topology classes of ``module``: its own, else the ones it imports."""
    found = [obj for obj in vars(module).values()
             if isinstance(obj, type) and issubclass(obj, Topology) and obj is not Topology
             and "_squall_model" in obj.__dict__]
    found = list(dict.fromkeys(found))
    own = [cls for cls in found if cls.__module__ == module.__name__]
    return own or found


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


def _source_roots(root: Path) -> list[Path]:
    """Return ``root/src`` when it holds code but is no package (streamparse's layout).

    >>> _source_roots(Path("/nonexistent"))
    []
    """
    src = root / _SOURCE_DIR
    return [src] if src.is_dir() and not (src / "__init__.py").is_file() else []


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
    except SquallError as exc:  # e.g. a TopologyError raised while the class is defined
        try:
            prefixed = type(exc)(f"{shown}: {exc}")
        except TypeError:  # an error class with another constructor: keep it as it is
            raise exc from None
        raise prefixed from exc
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
    except SystemExit as exc:  # sys.exit() at import time: an import error, not squall's exit code
        raise TargetError(f"cannot import {name!r} ({shown}): the module called sys.exit({exc.code!r}) "
                          "while being imported; guard that code with `if __name__ == \"__main__\":`") from exc
