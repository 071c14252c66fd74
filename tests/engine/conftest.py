"""Fixtures of the engine tests: fast metrics, private run directories, no leftover processes, both hot paths."""

from __future__ import annotations

from typing import Any

import psutil
import pytest

from squall.engine import _hotpath

compiled = pytest.mark.skipif(not _hotpath.compiled_available(), reason="squall.engine._speedups is not built")
BOTH = [pytest.param("compiled", marks=compiled), "pure"]  # the hot path's two implementations


@pytest.fixture(params=BOTH)
def impl(request: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The hot-path module of one implementation, with SQUALL_PURE_PYTHON set to match."""
    if request.param == "pure":
        monkeypatch.setenv(_hotpath.PURE_PYTHON_ENV, "1")
    else:
        monkeypatch.delenv(_hotpath.PURE_PYTHON_ENV, raising=False)
    return _hotpath.implementation()


@pytest.fixture
def opts(tmp_path: Any) -> dict[str, Any]:
    """Conf overrides that make runs quick and point the components at tmp_path."""
    out = tmp_path / "out"
    out.mkdir()
    return {"test.dir": str(out), "squall.engine.metrics.interval.secs": 0.1}


@pytest.fixture(autouse=True)
def no_orphans():
    """Every test must leave no child process behind.

    Processes that were already running (e.g. the session's Storm dev cluster) are
    not the test's: only children that appeared during the test count.
    """
    me = psutil.Process()
    before = set(me.children(recursive=True))
    yield
    leftover = [p for p in me.children(recursive=True) if p not in before]
    assert not leftover, f"leftover processes: {leftover}"
