"""The conformance cases on the embedded engine (the same cases run on Storm in
tests/storm/test_conformance_storm.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from squall.engine._hotpath import PURE_PYTHON_ENV
from tests.conformance.cases import CASES, Case, run_case
from tests.conformance.engines import start_embedded

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_on_embedded_engine(case: Case, tmp_path: Path) -> None:
    run_case(start_embedded, case, tmp_path)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_on_embedded_engine_without_the_compiled_hot_path(case: Case, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The same case on the pure-Python twin of squall.engine._speedups (tests/engine/test_hotpath.py)."""
    monkeypatch.setenv(PURE_PYTHON_ENV, "1")
    run_case(start_embedded, case, tmp_path)
