"""The jar's launcher refuses a worker Python older than squall supports, with the fix."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from squall.storm._launcher import BOOT_MODULE, BOOT_SOURCE, MANIFEST_NAME, launch_script


def _older_python() -> str:
    """Return a CPython older than 3.11 on this machine (Debian's or pyenv's), or skip."""
    for minor in (10, 9, 8):
        candidates = [shutil.which(f"python3.{minor}"),
                      *map(str, sorted(Path.home().glob(f".pyenv/versions/3.{minor}.*/bin/python3.{minor}")))]
        for found in (c for c in candidates if c and Path(c).is_file()):
            real = subprocess.run([found, "-c", "import sys; print(sys.executable)"],  # a pyenv shim may fail
                                  capture_output=True, text=True, check=False).stdout.strip()
            if real:
                return real
    pytest.skip("needs a Python older than 3.11 besides this one")


def test_a_worker_python_older_than_3_11_is_refused(tmp_path: Path) -> None:
    (tmp_path / f"{BOOT_MODULE}.py").write_text(BOOT_SOURCE)
    (tmp_path / MANIFEST_NAME).write_text(json.dumps({"components": {"split": {"class": "m:Split"}}}))
    (tmp_path / "launch.py").write_text(launch_script("Demo", "split"))
    python = _older_python()
    done = subprocess.run([python, "launch.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""  # stdout belongs to the multi-lang protocol
    assert done.stderr.startswith("squall launcher: squall needs Python >= 3.11 but ")
    assert "set the environment's python to a newer interpreter" in done.stderr


def test_this_python_passes_the_version_check(tmp_path: Path) -> None:
    (tmp_path / f"{BOOT_MODULE}.py").write_text(BOOT_SOURCE)
    (tmp_path / MANIFEST_NAME).write_text(json.dumps({"components": {"split": {"class": "m:Split"}}}))
    (tmp_path / "launch.py").write_text(launch_script("Demo", "split"))
    done = subprocess.run([sys.executable, "launch.py"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert "needs Python" not in done.stderr
