"""The conformance cases on the embedded engine (the same cases run on Storm in
tests/storm/test_conformance_storm.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance.cases import CASES, Case, run_case
from tests.conformance.engines import start_embedded

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_on_embedded_engine(case: Case, tmp_path: Path) -> None:
    run_case(start_embedded, case, tmp_path)
