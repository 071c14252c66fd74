"""The tutorial's blocks, run in order in an empty folder: the docs cannot drift from squall."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from squall.config import read_project_file
from tests.docs.blocks import Block, blocks

PAGES = ["tutorial.md", "testing.md"]


class Reader:
    """Follows a page like a reader: a current directory and the python typed so far."""

    def __init__(self, home: Path) -> None:
        self.cwd = home
        self.python: list[str] = []
        self.env = {**os.environ, "SQUALL_CLUSTER_HOME": str(home / ".cluster"), "NO_COLOR": "1"}
        self.env.pop("PYTHONPATH", None)

    def run(self, block: Block, timeout: float = 300) -> None:
        where = f"block at line {block.line}"
        if block.action in ("run", "storm") and block.lang == "console":
            for command in block.commands():
                self._shell(command, where, timeout)
        elif block.action == "run" and block.lang == "python":
            self.python.append(block.code)
            script = "\n\n".join(self.python)
            proc = subprocess.run([sys.executable, "-c", script], cwd=self.cwd, env={**self.env, "PYTHONPATH": "."},
                                  capture_output=True, text=True, timeout=timeout)
            assert proc.returncode == 0, f"{where}:\n{proc.stdout}\n{proc.stderr}"
        elif block.action == "file":
            target = self.cwd / block.arg
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.code)
        elif block.action == "same":
            assert (self.cwd / block.arg).read_text() == block.code, f"{where} differs from {block.arg}"
        elif block.action == "toml":
            path = self.cwd / ".docs-check" / "squall.toml"
            path.parent.mkdir(exist_ok=True)
            path.write_text(block.code)
            read_project_file(path)
        else:
            raise AssertionError(f"{where}: unknown marker {block.action!r} for a {block.lang} block")

    def _shell(self, command: str, where: str, timeout: float) -> None:
        if command.startswith("cd "):
            self.cwd = (self.cwd / command[3:].strip()).resolve()
            assert self.cwd.is_dir(), f"{where}: {command}: no such folder"
            return
        proc = subprocess.run(["bash", "-c", command], cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout)
        assert proc.returncode == 0, f"{where}: `{command}` exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"


@pytest.mark.parametrize("page", PAGES)
def test_every_block_is_marked(page):
    unmarked = [b.line for b in blocks(page) if b.action is None]
    assert not unmarked, f"docs/{page}: blocks at lines {unmarked} have no <!-- test ... --> marker"


@pytest.mark.parametrize("page", PAGES)
def test_page_runs(page, tmp_path):
    reader = Reader(tmp_path)
    for block in blocks(page):
        if block.action != "storm":
            reader.run(block)


@pytest.mark.storm
@pytest.mark.slow
def test_tutorial_storm_steps(tmp_path):
    if shutil.which("java") is None:
        pytest.skip("the Storm steps need Java 17")
    probe = subprocess.run(["squall", "submit", "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("`squall submit` is not available in this build")
    reader = Reader(tmp_path)
    page = blocks("tutorial.md")
    quickstart = next(b for b in page if b.lang == "console" and b.action == "run")
    try:
        for block in [quickstart] + [b for b in page if b.action == "storm"]:
            reader.run(block, timeout=600)
    finally:
        subprocess.run(["squall", "cluster", "down"], capture_output=True, timeout=120, env=reader.env)
