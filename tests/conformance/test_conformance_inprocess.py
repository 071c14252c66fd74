"""The conformance cases on squall.testing's in-process runner (the same cases run on the
embedded engine in test_conformance_embedded.py and on Storm in
tests/storm/test_conformance_storm.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance.cases import CASES, Case, run_case
from tests.conformance.engines import start_inprocess


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_in_process(case: Case, tmp_path: Path) -> None:
    run_case(start_inprocess, case, tmp_path)
