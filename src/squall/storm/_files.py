"""Choose which files of a user's project go into a topology jar.

Everything under the project root is packed except what must never leave the
machine or is useless on a worker: VCS data, environment files, virtualenvs,
caches, build output and private keys.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from pathlib import Path

# Directory names never descended into (any depth).
EXCLUDED_DIRS = frozenset({
    ".git", ".hg", ".svn", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
    ".tox", ".nox", ".venv", "venv", "node_modules", "dist", "build", ".eggs", ".idea",
    ".vscode", "htmlcov", ".ipynb_checkpoints", "_vendor", ".ssh", ".aws", ".gnupg",
})
# File name patterns never packed (any depth).
EXCLUDED_FILES = (
    ".env", ".env.*", "*.pyc", "*.pyo", "*.jar", "*.pem", "*.key", "*.p12", "*.pfx", "*.jks",
    "*.keystore", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", ".netrc", ".pypirc",
    ".DS_Store", ".coverage", ".coverage.*", "*.swp", ".envrc", ".git-credentials", ".npmrc",
    ".pgpass",
)


def is_excluded_file(name: str) -> bool:
    """Return whether a file called ``name`` must never be packed."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in EXCLUDED_FILES)


def is_excluded_dir(path: Path) -> bool:
    """Return whether directory ``path`` must be skipped (also every virtualenv)."""
    name = path.name
    return (name in EXCLUDED_DIRS or name.endswith(".egg-info")
            or (path / "pyvenv.cfg").is_file())


def project_files(root: Path, skip: frozenset[Path] = frozenset()) -> Iterator[tuple[Path, str]]:
    """Yield ``(absolute path, posix path relative to root)`` of every file to pack.

    Files in ``skip`` (absolute, resolved) are left out, e.g. the jar being written.
    Symlinked directories are not followed; the order is sorted, so jars are
    reproducible.
    """
    root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not is_excluded_dir(here / d))
        for name in sorted(filenames):
            path = here / name
            if is_excluded_file(name) or not path.is_file() or path.resolve() in skip:
                continue
            yield path, path.relative_to(root).as_posix()


def package_files(package_dir: Path) -> Iterator[tuple[Path, str]]:
    """Yield the files of an installed Python package (no caches, no compiled files)."""
    for path, rel in project_files(package_dir):
        yield path, f"{package_dir.name}/{rel}"
