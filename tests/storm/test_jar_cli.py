"""`squall jar --list` and the jar command's errors, with no cluster."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from squall.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "wordcount.py"


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(EXAMPLE, tmp_path / f"wcl_{tmp_path.name.replace('-', '_')}.py")
    (tmp_path / "words.txt").write_text("the cat\n")
    (tmp_path / ".squall" / "runs" / "x").mkdir(parents=True)
    (tmp_path / ".squall" / "runs" / "x" / "engine.log").write_text("tuple data")
    (tmp_path / "topology.svg").write_text("<svg/>")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _target(project: Path) -> str:
    return next(project.glob("wcl_*.py")).name


def test_jar_list_shows_the_project_files_and_writes_nothing(project: Path) -> None:
    result = CliRunner().invoke(main, ["jar", _target(project), "--list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"resources/{_target(project)}  (" in result.output
    assert "resources/words.txt  (8 B)" in lines
    assert not any(".squall" in line or "svg" in line for line in lines[:-1])
    assert lines[-1].startswith("2 project files (") and "chosen by ignore files in" in lines[-1]
    assert not list(project.glob("*.jar"))


def test_jar_with_a_secret_fails_in_one_line_naming_it(project: Path) -> None:
    (project / "prod.env").write_text("TOKEN=1\n")
    for args in (["jar", _target(project)], ["jar", _target(project), "--list"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1
        assert result.output.startswith("Error: refusing to pack 'prod.env' into the jar: ")
        assert result.output.count("\n") == 1
    assert not list(project.glob("*.jar"))
