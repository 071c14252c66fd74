"""Runs started in the same second, even at once, never share a run folder."""

from __future__ import annotations

import threading
from pathlib import Path

from squall.engine import fresh_run_dir


def test_concurrent_runs_get_distinct_folders(tmp_path: Path) -> None:
    made: list[Path] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def one() -> None:
        start.wait()
        path = fresh_run_dir(tmp_path / "runs", "Word Count")
        with lock:
            made.append(path)

    threads = [threading.Thread(target=one) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(made)) == 16 and all(p.is_dir() and p.parent == tmp_path / "runs" for p in made)
    assert all(p.name.startswith("Word_Count-") for p in made)
