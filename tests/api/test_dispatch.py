"""The one dispatch and error policy every host calls (squall.api._dispatch)."""

from __future__ import annotations

from typing import Any

import pytest

from squall.api import (
    ERROR,
    BatchingBolt,
    Bolt,
    BoltHooks,
    dispatch,
    dispatch_one,
    format_exception,
    on_user_error,
    report_exception,
    stops_task,
)

from squall.testing import LogEntry
from tests.api.fakes import prepared, tick, tup


class Picky(Bolt):
    """Emit every value; raise on "bad"; ack "mine" explicitly."""

    outputs = ["x"]

    def process(self, t: Any) -> None:
        if t.values[0] == "bad":
            raise ValueError("bad value")
        if t.values[0] == "mine":
            self.ack(t)
        self.emit([t.values[0]])

    def process_tick(self, t: Any) -> None:
        self.emit(["tick"])


class GoesOn(Picky):
    exit_on_exception = False


def boom() -> ValueError:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        return exc


def test_dispatch_applies_the_auto_flags_and_explicit_ack_wins_once():
    bolt, host = prepared(Picky)
    errors: list[tuple[str, Any]] = []
    dispatch(bolt, [tup(1, "a"), tup(2, "bad"), tup(3, "mine"), tick(None), tup(4, "b")],
             lambda exc, t: errors.append((str(exc), t.id)))
    assert host.acked == [1, 3, None, 4] and host.failed == [2]  # 3 acked by the user, once
    assert errors == [("bad value", 2)]
    assert [e.values for e in host.emissions] == [("a",), ("mine",), ("tick",), ("b",)]
    assert [e.anchors for e in host.emissions] == [(1,), (3,), (), (4,)]  # ticks anchor nothing


def test_dispatch_stops_at_the_tuple_whose_on_error_raises_and_keeps_what_completed():
    bolt, host = prepared(Picky)

    def stop(exc: Exception, t: Any) -> None:
        raise RuntimeError("stop") from exc

    with pytest.raises(RuntimeError, match="stop"):
        dispatch(bolt, [tup(1, "a"), tup(2, "bad"), tup(3, "c")], stop)
    assert (host.acked, host.failed) == ([1], [2])  # 3 never ran
    assert [e.values for e in host.emissions] == [("a",)]


def test_dispatch_runs_a_batching_bolts_hooks():
    class Batch(BatchingBolt):
        outputs = ["n"]

        def process_batch(self, key: Any, tups: list[Any]) -> None:
            self.emit([len(tups)])

    bolt, host = prepared(Batch)
    dispatch(bolt, [tup(1, "a"), tup(2, "b"), tick("t")], lambda exc, t: None)
    assert [e.values for e in host.emissions] == [(2,)]
    assert sorted(host.acked, key=str) == [1, 2, "t"]


def test_dispatch_one_raises_after_auto_fail():
    bolt, host = prepared(Picky)
    with pytest.raises(ValueError, match="bad value"):
        dispatch_one(bolt, tup(7, "bad"))
    assert host.failed == [7] and host.acked == []


def test_report_exception_logs_then_reports_the_same_text():
    _, host = prepared(Picky)
    text = report_exception(host, boom(), "while processing Tuple(id=1)")
    assert text.startswith("while processing Tuple(id=1):\nTraceback (most recent call last):")
    assert text.rstrip().endswith("ValueError: boom")
    assert host.logs == [LogEntry(ERROR, text)] and host.errors == [text]


def test_report_exception_without_where_is_the_bare_traceback():
    text = format_exception(boom())
    assert text.startswith("Traceback (most recent call last):") and text.rstrip().endswith("ValueError: boom")


def test_the_error_still_reaches_report_error_when_logging_fails():
    _, host = prepared(Picky)

    def broken_log(message: str, level: int) -> None:
        raise OSError("disk full")

    host.log = broken_log  # type: ignore[method-assign]
    with pytest.raises(OSError, match="disk full"):
        report_exception(host, boom())
    assert len(host.errors) == 1 and "ValueError: boom" in host.errors[0]


def test_exit_on_exception_decides_whether_the_task_stops():
    stopping, host = prepared(Picky)
    going_on, _ = prepared(GoesOn)
    assert on_user_error(host, stopping, boom(), "in next_tuple()") is True
    assert on_user_error(host, going_on, boom()) is False
    assert stops_task(None) is True  # no component yet (its constructor raised)
    assert len(host.errors) == 2 and host.errors[0].startswith("in next_tuple():\n")


def test_raise_exception_reports_through_the_same_policy():
    bolt, host = prepared(Picky)
    bolt.raise_exception(boom(), tup(5, "a"))
    assert host.errors == [host.logs[0].message]
    assert host.errors[0].startswith("while processing Tuple(id=5, ")


def test_bolt_kinds_satisfy_the_hooks_protocol():
    hooks: list[BoltHooks] = [Picky(), prepared(BatchingBolt)[0]]
    assert all(callable(h._squall_on_tuple) and callable(h._squall_on_tuples) for h in hooks)

