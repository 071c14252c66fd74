"""squall's public API type-checks in a user's project: ``mypy --strict`` on user snippets.

``snippets/`` is a small user package (bolts reading ``tup.values.word`` and
``tup.values[0]``, spouts, a Topology class, tests with ``squall.testing``). It is copied
into a private folder and checked there by mypy in a subprocess, with squall's errors
silenced as an installed package's are, so what is checked is the API a user sees.
``snippets/mistakes.py`` holds lines marked ``# expect: CODE`` that mypy must report.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import squall

SNIPPETS = Path(__file__).resolve().parent / "snippets"
SQUALL_SRC = Path(squall.__file__).resolve().parents[1]  # the squall under test (PYTHONPATH too)
CLEAN = sorted(p.stem for p in SNIPPETS.glob("*.py") if p.stem not in ("__init__", "mistakes"))
_ERROR = re.compile(r"^userpkg/(\w+)\.py:(\d+): error: .*\[([\w-]+)\]$")
_EXPECT = re.compile(r"#\s*expect:\s*([\w-]+)")

_CONFIG = """\
[mypy]
strict = True
mypy_path = {src}
cache_dir = .mypy_cache

[mypy-squall.*]
# as for an installed package: its types are used, its own errors are not the user's
follow_imports = silent
"""


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[int, str]]]:
    """Run mypy --strict once over the user package; return {module: [(line, code)]}."""
    project = tmp_path_factory.mktemp("user_project")
    shutil.copytree(SNIPPETS, project / "userpkg", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "mypy.ini").write_text(_CONFIG.format(src=SQUALL_SRC))
    done = subprocess.run([sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "userpkg"],
                          cwd=project, capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 2: mypy itself failed
    errors: dict[str, list[tuple[int, str]]] = {}
    for line in done.stdout.splitlines():
        match = _ERROR.match(line)
        if match:
            errors.setdefault(match[1], []).append((int(match[2]), match[3]))
        else:
            assert not re.match(r"^\S+:\d+: error:", line), f"an error outside the snippets: {line}"
    return errors


@pytest.mark.parametrize("module", CLEAN)
def test_user_snippet_passes_mypy_strict(mypy_errors: dict[str, list[tuple[int, str]]], module: str) -> None:
    assert mypy_errors.get(module, []) == []


def test_mistakes_are_reported(mypy_errors: dict[str, list[tuple[int, str]]]) -> None:
    lines = (SNIPPETS / "mistakes.py").read_text().splitlines()
    expected = [(number, match[1]) for number, text in enumerate(lines, start=1)
                if (match := _EXPECT.search(text))]
    assert len(expected) >= 5
    assert sorted(mypy_errors.get("mistakes", [])) == expected


def test_user_snippets_run() -> None:
    """The snippets are real code: their tests pass with squall.testing."""
    from tests.typing.snippets import testing

    testing.test_split()
    testing.test_wordcount()
