"""Retention of ``squall run``'s log folders under ``.squall/runs/``.

Each run gets a fresh ``<topology>-<YYYYmmdd-HHMMSS>[-N]`` folder; without pruning
they pile up forever (they hold tuple data and tracebacks). Before a run creates its
folder, the oldest run folders beyond the project's ``keep_runs`` are deleted. A
folder whose files changed in the last ``QUIET_SECS`` is never deleted (a run may
still be writing it), nor anything not named like a run folder.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

RUN_FOLDER = re.compile(r"^.+-\d{8}-\d{6}(?:-\d+)?$")
QUIET_SECS = 600.0


def prune_runs(runs_dir: Path, keep: int, now: float | None = None) -> list[Path]:
    """Delete the oldest run folders so that, with the new run, ``keep`` remain; return them.

    ``keep`` 0 keeps everything. Folders are ordered by modification time.

    >>> prune_runs(Path("/nonexistent/.squall/runs"), keep=20)
    []
    """
    if keep <= 0 or not runs_dir.is_dir():
        return []
    now = time.time() if now is None else now
    runs = sorted((p for p in runs_dir.iterdir() if p.is_dir() and not p.is_symlink()
                   and RUN_FOLDER.match(p.name)), key=lambda p: p.stat().st_mtime)
    doomed = [p for p in runs[:max(len(runs) - (keep - 1), 0)] if _quiet(p, now)]
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)
    return doomed


def _quiet(folder: Path, now: float) -> bool:
    newest = max((p.stat().st_mtime for p in folder.rglob("*") if p.is_file()),
                 default=folder.stat().st_mtime)
    return now - newest >= QUIET_SECS
