"""The parent's per-task bookkeeping: figures are summed over a task's incarnations."""

from __future__ import annotations

from squall.engine._metrics import TaskState


def _report(executed: int, acked: int, failed: int) -> dict:
    return {"emitted": executed, "transferred": executed, "executed": executed, "exec_secs": 0.5,
            "acked": acked, "failed": failed}


def test_what_a_dead_incarnation_reported_is_kept_after_a_restart():
    state = TaskState("count", 3, "bolt")
    state.update(_report(4, 3, 0), now=1.0)
    state.update(_report(6, 5, 1), now=2.0)  # cumulative: replaces the previous report
    state.restarted()
    assert (state.metrics().acked, state.metrics().failed, state.metrics().restarts) == (5, 1, 1)
    state.update(_report(44, 44, 0), now=3.0)
    metrics = state.metrics()
    assert (metrics.executed, metrics.acked, metrics.failed, metrics.emitted) == (50, 49, 1, 50)
    assert metrics.execute_latency_ms == 1000.0 / 50  # 0.5s per incarnation over 50 executions


def test_an_incarnation_that_never_reported_adds_nothing():
    state = TaskState("count", 3, "bolt")
    state.update(_report(6, 5, 1), now=1.0)
    state.restarted()
    state.restarted()  # killed before its first report
    state.update(_report(2, 2, 0), now=2.0)
    metrics = state.metrics()
    assert (metrics.executed, metrics.acked, metrics.failed, metrics.restarts) == (8, 7, 1, 2)
