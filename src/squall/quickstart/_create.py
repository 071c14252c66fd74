"""Write a new project from the templates shipped in ``squall/quickstart/templates``."""

from __future__ import annotations

import keyword
import os
import re
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Union

from squall.errors import ConfigError

# template file -> path in the project ({name} is the project's package)
PROJECT_FILES = {
    "README.md.tmpl": "README.md",
    "gitignore.tmpl": ".gitignore",
    "pyproject.toml.tmpl": "pyproject.toml",
    "squall.toml.tmpl": "squall.toml",
    "package_init.py.tmpl": "{name}/__init__.py",
    "spouts.py.tmpl": "{name}/spouts.py",
    "bolts.py.tmpl": "{name}/bolts.py",
    "topologies_init.py.tmpl": "topologies/__init__.py",
    "wordcount.py.tmpl": "topologies/wordcount.py",
    "test_bolts.py.tmpl": "tests/test_bolts.py",
    "test_topology.py.tmpl": "tests/test_topology.py",
}

_NAME = re.compile(r"[a-z_][a-z0-9_]*")  # fullmatch: "$" would accept a trailing newline
_TAKEN = frozenset({"squall", "topologies", "tests", "test", "conftest"})


def check_project_name(name: str) -> None:
    """Raise ``ConfigError`` unless ``name`` can be both a folder and a Python package name."""
    suggestion = re.sub(r"[^a-z0-9_]", "_", str(name).lower()).lstrip("0123456789") or "my_project"
    if not isinstance(name, str) or not _NAME.fullmatch(name) or keyword.iskeyword(name):
        raise ConfigError(
            f"project name {name!r} is not a valid Python package name (lowercase letters, digits "
            f"and '_', not starting with a digit, not a keyword); use e.g. {suggestion!r}"
        )
    if name in _TAKEN or name in sys.stdlib_module_names:
        raise ConfigError(
            f"project name {name!r} would shadow the module {name!r} (squall's, pytest's or the "
            f"standard library's); pick another name, e.g. '{name}_topology'"
        )


def create_project(name: str, dest_dir: Union[str, "os.PathLike[str]"] = ".") -> Path:
    """Create the project folder ``dest_dir/name`` and return its path.

    The project holds a word-count topology (``topologies/wordcount.py``), its spout
    and bolts (``<name>/spouts.py``, ``<name>/bolts.py``), a ``squall.toml`` with a
    ``local`` environment and a commented remote one, tests written with
    ``squall.testing`` (they pass as generated) and a short README. Refuses an
    existing path and invalid names with ``ConfigError``; never writes a half
    project (files are written to a temporary folder, then moved into place).

    Example::

        root = create_project("wordcount", "/tmp")   # -> /tmp/wordcount
    """
    check_project_name(name)
    dest = Path(dest_dir)
    root = dest / name
    if root.exists() or root.is_symlink():
        raise ConfigError(f"{root} already exists: pick another project name or another folder (-d DIR)")
    try:
        dest.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=dest))
    except OSError as exc:
        raise ConfigError(f"cannot create the project in {dest}: {exc.strerror}; pick a writable folder") from None
    try:
        # mkdtemp's folder is private (0700): build the project in a folder made with the
        # user's umask inside it, then move that one into place.
        project = staging / name
        project.mkdir()
        _write_files(project, name)
        os.rename(project, root)  # fails if root appeared meanwhile: never overwrite
    except OSError as exc:
        raise ConfigError(f"cannot create {root}: {exc.strerror}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root.resolve()


def _write_files(root: Path, name: str) -> None:
    templates = resources.files("squall.quickstart") / "templates"
    for template, target in PROJECT_FILES.items():
        text = (templates / template).read_text(encoding="utf-8").replace("{{name}}", name)
        path = root / target.format(name=name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
