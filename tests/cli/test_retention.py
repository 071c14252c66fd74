"""Pruning of `squall run`'s log folders in .squall/runs/."""

from __future__ import annotations

import os
import time
from pathlib import Path

from squall.cli._retention import QUIET_SECS, prune_runs


def _run(runs: Path, name: str, age: float) -> Path:
    folder = runs / name
    folder.mkdir(parents=True)
    (folder / "engine.log").write_text("x")
    stamp = time.time() - age
    os.utime(folder / "engine.log", (stamp, stamp))
    os.utime(folder, (stamp, stamp))
    return folder


def test_the_oldest_runs_beyond_keep_go_leaving_room_for_the_new_one(tmp_path):
    runs = tmp_path / ".squall" / "runs"
    old = [_run(runs, f"WC-20260101-00000{i}", age=QUIET_SECS + 1000 - i) for i in range(5)]
    mine = runs / "notes"  # not a run folder: never touched
    mine.mkdir()
    removed = prune_runs(runs, keep=3)
    assert removed == old[:3]
    assert sorted(p.name for p in runs.iterdir()) == ["WC-20260101-000003", "WC-20260101-000004", "notes"]


def test_a_run_still_writing_is_kept_and_zero_keeps_all(tmp_path):
    runs = tmp_path / "runs"
    busy = _run(runs, "WC-20260101-000000", age=QUIET_SECS + 50)
    os.utime(busy / "engine.log")  # written just now
    _run(runs, "WC-20260101-000001", age=QUIET_SECS + 10)
    assert prune_runs(runs, keep=0) == []
    assert prune_runs(runs, keep=1) == [runs / "WC-20260101-000001"]
    assert busy.is_dir()
