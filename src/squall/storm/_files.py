"""Choose which files of a user's project go into a topology jar: an allowlist.

The candidates are the files the project's own rules say belong to it:

- in a git checkout, the files git tracks or would track
  (``git ls-files --cached --others --exclude-standard``: ``.gitignore`` files,
  ``.git/info/exclude`` and the user's global excludes respected);
- elsewhere, every file not ignored by the ``.gitignore`` files of the project
  (git's rules: deeper files override shallower ones, an ignored folder is never
  entered).

From those, an optional ``.squallignore`` at the project root (gitignore syntax)
leaves out more, and some files never go in whatever the rules say: squall's own
``.squall/`` folder (run logs hold tuple data and tracebacks), VCS data, caches,
virtualenvs, build output, logs and pictures. Symlinks resolving outside the project
are left out (with a warning). A candidate that looks like a secret
(:mod:`squall.storm._secrets`) stops the build, unless a ``!PATH`` line of
``.squallignore`` includes it deliberately.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from squall.errors import PackagingError
from squall.storm._secrets import secret_reason

IGNORE_FILE = ".squallignore"
# Folder names never entered (any depth). Virtualenvs are also found by pyvenv.cfg.
NEVER_DIRS = frozenset({
    ".git", ".hg", ".svn", ".squall", "__pycache__", ".pytest_cache", ".mypy_cache",
    ".ruff_cache", ".cache", ".tox", ".nox", ".venv", "venv", "node_modules", "dist", "build",
    ".eggs", ".idea", ".vscode", "htmlcov", ".ipynb_checkpoints", "_vendor",
})
# Folders named so are logs unless they are a Python package.
LOG_DIRS = frozenset({"log", "logs"})
# File name patterns never packed (any depth, case-insensitive): compiled code, jars,
# editor and OS droppings, logs, pictures and rendered graphs.
NEVER_FILES = (
    "*.pyc", "*.pyo", "*.jar", ".ds_store", "thumbs.db", ".coverage", ".coverage.*", "*.swp",
    "*~", "*.log", "*.log.*", "*.png", "*.jpg", "*.jpeg", "*.gif", "*.bmp", "*.svg", "*.webp",
    "*.ico", "*.tif", "*.tiff", "*.heic", "*.dot", "*.gv", "*.mmd",
)
_GIT_TIMEOUT_SECS = 60.0


@dataclass(frozen=True)
class ProjectFiles:
    """The project files chosen for a jar, and what was left out with a warning.

    ``files`` holds ``(absolute path, posix path relative to the root)`` pairs, sorted;
    ``source`` says where the candidates came from (``"git"`` or ``"ignore files"``);
    ``skipped`` holds ``(relative path, why)`` for files the user should hear about.
    """

    root: Path
    source: str
    files: tuple[tuple[Path, str], ...] = ()
    skipped: tuple[tuple[str, str], ...] = field(default=())


def select_project_files(root: Path, skip: frozenset[Path] = frozenset()) -> ProjectFiles:
    """Return the files of the project at ``root`` that belong in its jar.

    Files in ``skip`` (absolute, resolved) are left out, e.g. the jar being written.
    Raises PackagingError naming the first secret found (and how to include it
    deliberately), or when git fails in a git checkout.

    >>> [rel for _, rel in select_project_files(Path(".")).files]  # doctest: +SKIP
    ['mytopo/__init__.py', 'mytopo/wordcount.py', 'requirements.txt']
    """
    root = root.resolve()
    listed = _git_candidates(root)
    source = "git" if listed is not None else "ignore files"
    candidates = listed if listed is not None else _walk_candidates(root)
    rules = _squallignore(root)
    never = _NeverRule(root)
    files: list[tuple[Path, str]] = []
    skipped: list[tuple[str, str]] = []
    secrets: list[tuple[str, str]] = []
    for rel in sorted(set(candidates)):
        decision = rules.check_file(rel).include if rules is not None else None
        if never.excludes(rel) or decision is True:
            continue
        path = root / rel
        target = path.resolve()
        if path.is_symlink() and not target.is_relative_to(root):
            skipped.append((rel, f"a symlink to {target}, outside the project"))
            continue
        if not target.is_file() or target in skip:
            continue
        reason = secret_reason(rel, path) or _link_target_secret(path, target, root)
        if reason is not None and decision is not False:
            secrets.append((rel, reason))
        files.append((path, rel))
    if secrets:
        raise PackagingError(_secret_message(secrets))
    return ProjectFiles(root, source, tuple(files), tuple(skipped))


def is_excluded_file(name: str) -> bool:
    """Return whether a file called ``name`` never goes into a jar (or is a secret by name).

    >>> is_excluded_file("ID_RSA"), is_excluded_file("wordcount.py")
    (True, False)
    """
    return (any(fnmatch.fnmatchcase(name.lower(), p) for p in NEVER_FILES)
            or secret_reason(name) is not None)


def project_files(root: Path, skip: frozenset[Path] = frozenset()) -> Iterator[tuple[Path, str]]:
    """Yield ``(absolute path, relative posix path)`` of every project file to pack."""
    yield from select_project_files(root, skip).files


def package_files(package_dir: Path) -> Iterator[tuple[Path, str]]:
    """Yield the files of an installed Python package (no caches, no compiled files)."""
    package_dir = package_dir.resolve()
    never = _NeverRule(package_dir)
    for dirpath, dirnames, filenames in os.walk(package_dir):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not never.excludes_dir(here / d))
        for name in sorted(filenames):
            path = here / name
            rel = path.relative_to(package_dir).as_posix()
            if path.is_file() and not never.excludes(rel):
                yield path, f"{package_dir.name}/{rel}"


class _NeverRule:
    """The files that never go into a jar, whatever the project's ignore rules say."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._dirs: dict[str, bool] = {}

    def excludes(self, rel: str) -> bool:
        """Return whether the file ``rel`` (relative posix path) must stay out."""
        *parents, name = rel.split("/")
        if any(fnmatch.fnmatchcase(name.lower(), p) for p in NEVER_FILES):
            return True
        prefix = ""
        for part in parents:
            prefix = f"{prefix}/{part}" if prefix else part
            if self._dir_excluded(prefix):
                return True
        return False

    def excludes_dir(self, path: Path) -> bool:
        """Return whether the folder ``path`` (absolute, under the root) must stay out."""
        return self._dir_excluded(path.relative_to(self.root).as_posix())

    def _dir_excluded(self, rel: str) -> bool:
        known = self._dirs.get(rel)
        if known is None:
            path, name = self.root / rel, rel.rsplit("/", 1)[-1]
            known = (name in NEVER_DIRS or name.endswith(".egg-info")
                     or (path / "pyvenv.cfg").is_file()
                     or (name.lower() in LOG_DIRS and not (path / "__init__.py").is_file()))
            self._dirs[rel] = known
        return known


def _git_candidates(root: Path) -> list[str] | None:
    """Return the files git tracks or would track under ``root``; None outside git."""
    git = shutil.which("git")
    if git is None:
        return None
    inside = _git(git, root, "rev-parse", "--is-inside-work-tree")
    if inside is None or inside.returncode != 0 or inside.stdout.strip() != b"true":
        return None
    listed = _git(git, root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if listed is None or listed.returncode != 0:
        detail = listed.stderr.decode(errors="replace").strip() if listed else "timed out"
        raise PackagingError(f"cannot list the project's files with git in {root} ({detail}); "
                             "fix the checkout, or package a copy outside git")
    return [p for p in listed.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def _git(git: str, root: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    try:
        return subprocess.run([git, "-C", str(root), *args], capture_output=True, check=False,
                              timeout=_GIT_TIMEOUT_SECS, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None


def _walk_candidates(root: Path) -> Iterator[str]:
    """Yield the files under ``root`` its ``.gitignore`` files do not ignore (git's rules)."""
    chain: dict[str, list[tuple[str, pathspec.GitIgnoreSpec]]] = {"": _read_spec_at(root, "", [])}
    never = _NeverRule(root)
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        rel_dir = here.relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        specs = chain.pop(rel_dir)
        kept = []
        for name in sorted(dirnames):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if never.excludes_dir(here / name) or _ignored(rel, True, specs):
                continue
            kept.append(name)
            chain[rel] = _read_spec_at(here / name, rel, specs)
        dirnames[:] = kept
        for name in filenames:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if not _ignored(rel, False, specs):
                yield rel


def _read_spec_at(folder: Path, rel: str, parent: list[tuple[str, pathspec.GitIgnoreSpec]]
                  ) -> list[tuple[str, pathspec.GitIgnoreSpec]]:
    spec = _read_spec(folder / ".gitignore")
    return parent + [(rel, spec)] if spec is not None else parent


def _ignored(rel: str, is_dir: bool, specs: Iterable[tuple[str, pathspec.GitIgnoreSpec]]) -> bool:
    """Apply git's rule: the deepest ``.gitignore`` with a matching pattern decides."""
    for base, spec in reversed(list(specs)):
        sub = rel[len(base) + 1:] if base else rel
        decision: bool | None = spec.check_file(sub + "/" if is_dir else sub).include
        if decision is not None:
            return decision
    return False


def _squallignore(root: Path) -> pathspec.GitIgnoreSpec | None:
    return _read_spec(root / IGNORE_FILE)


def _read_spec(path: Path) -> pathspec.GitIgnoreSpec | None:
    if not path.is_file():
        return None
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise PackagingError(f"cannot read {path} ({exc.strerror}); fix its permissions") from None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _link_target_secret(path: Path, target: Path, root: Path) -> str | None:
    if not path.is_symlink():
        return None
    reason = secret_reason(target.relative_to(root).as_posix(), target)
    return f"a symlink to {target.name}, which looks like a secret: {reason}" if reason else None


def _secret_message(secrets: list[tuple[str, str]]) -> str:
    rel, reason = secrets[0]
    more = ""
    if len(secrets) > 1:
        others = ", ".join(r for r, _ in secrets[1:4]) + (", ..." if len(secrets) > 4 else "")
        more = f" (and {len(secrets) - 1} more: {others})"
    return (f"refusing to pack {rel!r} into the jar: {reason}{more}; leave it out with a line "
            f"'/{rel}' in .gitignore or {IGNORE_FILE}, or include it deliberately with a line "
            f"'!/{rel}' in {IGNORE_FILE}")
