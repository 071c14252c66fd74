"""The compiled dispatch loop (``_speedups.dispatch_batch``) against the Python loop it mirrors.

``Bolt._squall_on_tuples``'s fused loop is the one definition of the bolt dispatch;
the C twin must make the same calls in the same order. Each case runs both on fresh
copies of the same bolt and host and compares everything observable: every host call
(emit with its anchors, ack, ack_many, fail), every ``on_error`` call, what user code
sees inside ``process`` (the current input, the anchors, the anchor thread, the
handled exception), the bolt's dispatch state afterwards, and the exception that
escapes, with its ``__context__``.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, Callable, Iterable, Optional

import pytest

from squall import Bolt
from squall.api import Tuple
from squall.api._bolt import _SETTLED
from squall.engine import _hotpath
from squall.testing import make_tuple, tick_tuple
from tests.api.fakes import context

pytestmark = pytest.mark.skipif(not _hotpath.compiled_available(), reason="squall.engine._speedups is not built")


class Stop(Exception):
    """What a host's on_error raises to stop the task (the engine's _Exit is an Exception too)."""


class Host:
    """A recording host; every call goes to one shared event list."""

    def __init__(self, events: list[Any], ack_many: bool, raise_in: str = "") -> None:
        self.events = events
        self.raise_in = raise_in
        if ack_many:
            self.ack_many = self._ack_many

    def emit(self, stream: str, values: Any, anchors: Any, tup_id: Any, direct_task: Any, need: bool) -> Any:
        self.events.append(("emit", stream, list(values), tuple(anchors)))
        return [1] if need else None

    def ack(self, tup_id: Any) -> None:
        self.events.append(("ack", tup_id))
        if self.raise_in == "ack":
            raise RuntimeError(f"ack of {tup_id!r} refused")

    def fail(self, tup_id: Any) -> None:
        self.events.append(("fail", tup_id))
        if self.raise_in == "fail":
            raise RuntimeError(f"fail of {tup_id!r} refused")

    def _ack_many(self, ids: list[Any]) -> None:
        self.events.append(("ack_many", list(ids)))
        if self.raise_in == "ack_many":
            raise RuntimeError("ack_many refused")
        if self.raise_in == "ack_many_base":
            raise KeyboardInterrupt("ack_many interrupted")

    def log(self, message: str, level: int) -> None:
        self.events.append(("log", level))

    def report_error(self, message: str) -> None:
        self.events.append(("report_error",))

    def fatal(self, error: BaseException) -> None:
        self.events.append(("fatal", repr(error)))


def _exc(exc: Optional[BaseException]) -> Any:
    if exc is None:
        return None
    return (type(exc).__name__, str(exc), _exc(exc.__context__) if exc.__context__ is not exc else "self")


class Scripted(Bolt):
    """Does what each input's first value says; records what it sees."""

    outputs = ["x"]
    events: list[Any]

    def _see(self, tup: Any) -> None:
        current = self._squall_current
        self.events.append(("process", tup.id, "settled" if current is _SETTLED else current, self._squall_anchors,
                            self._squall_anchor_thread == threading.get_ident(), _exc(sys.exception())))

    def process(self, tup: Any) -> None:
        self._see(tup)
        for action in str(tup.values[0]).split("+"):
            self._act(action, tup)

    def _act(self, action: str, tup: Any) -> None:  # noqa: C901 (one branch per scripted action)
        if action == "emit":
            self.emit([f"from {tup.id}"])
        elif action == "emit-explicit":
            self.emit(["explicit"], anchors=[tup, 99])
        elif action == "emit-thread":
            worker = threading.Thread(target=self.emit, args=([f"thread {tup.id}"],))
            worker.start()
            worker.join()
        elif action == "ack":
            self.ack(tup)
        elif action == "fail":
            self.fail(tup)
        elif action == "raise":
            raise ValueError(f"bad {tup.id}")
        elif action == "interrupt":
            raise KeyboardInterrupt(f"interrupt {tup.id}")
        elif action == "exit":
            raise SystemExit(f"exit {tup.id}")
        elif action == "ack-other":
            self.ack(1)  # an earlier input: already acked, or held
        elif action == "ack-thread":
            worker = threading.Thread(target=self.ack, args=(tup,))
            worker.start()
            worker.join()

    def process_tick(self, tup: Any) -> None:
        self._see(tup)
        if tup.values[0] == 13:
            raise ValueError("tick failed")
        if tup.values[0] == 7:
            self.ack(tup)
        self.emit(["tick"])


class Held(Scripted):
    auto_ack = False


class Unanchored(Scripted):
    auto_anchor = False


class NoAutoFail(Scripted):
    auto_fail = False


class HeldNothingAuto(Scripted):
    auto_ack = False
    auto_anchor = False
    auto_fail = False


class Watched(Scripted):
    """Records every assignment of a dispatch attribute: C must make the same ones (through setattr)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_squall_") and name != "_squall_open" and hasattr(self, "events"):
            shown = "settled" if value is _SETTLED else value if not isinstance(value, int) or value < 1000 else "thread"
            self.events.append(("set", name, shown))
        super().__setattr__(name, value)


class Propertied(Scripted):
    """A subclass whose _squall_current is a property: C must use it, not Bolt's slot."""

    @property
    def _squall_current(self) -> Any:  # type: ignore[override]
        value = self.__dict__.get("current", _SETTLED)
        self.__dict__.get("events", []).append(("get current", "settled" if value is _SETTLED else value))
        return value

    @_squall_current.setter
    def _squall_current(self, value: Any) -> None:
        self.__dict__.get("events", []).append(("set current", "settled" if value is _SETTLED else value))
        self.__dict__["current"] = value


class SubTuple(Tuple):
    """Not the exact Tuple class: C reads its fields by attribute."""

    __slots__ = ()


def t(tup_id: Any, action: str = "", stream: str = "default") -> Tuple:
    return make_tuple([action], component="src", stream=stream, task=2, id=tup_id)


def tick(tup_id: Any = "t", freq: int = 1) -> Tuple:
    return tick_tuple(freq, id=tup_id)


OnErrorKind = str  # "collect", "stop" (raise Stop at the 2nd error), "base" (raise KeyboardInterrupt at the 1st)


def _run(impl: str, cls: type[Bolt], tuples: Callable[[], Iterable[Any]], ack_many: bool, on_error: OnErrorKind,
         raise_in: str) -> Any:
    events: list[Any] = []
    bolt: Any = cls()
    bolt.events = events
    host = Host(events, ack_many, raise_in)
    bolt._squall_prepare(host, {}, context())
    bolt._squall_open.clear()
    events.clear()
    errors = 0

    def report(exc: Exception, tup: Any) -> None:
        nonlocal errors
        errors += 1
        events.append(("on_error", _exc(exc), tup.id, _exc(sys.exception())))
        if (on_error == "stop" and errors == 2) or (on_error == "stop1" and errors == 1):
            raise Stop(f"stopped at {tup.id}") from exc
        if on_error == "base":
            raise KeyboardInterrupt("from on_error")

    escaped = None
    try:
        if impl == "python":
            bolt._squall_on_tuples(tuples(), report)
        else:
            from squall.engine import _speedups  # type: ignore[attr-defined]

            _speedups.dispatch_batch(bolt, tuples(), report, _SETTLED, Tuple)
    except BaseException as exc:  # what escapes is compared, whatever it is
        escaped = (_exc(exc), None if exc.__cause__ is None else _exc(exc.__cause__))
    current = bolt._squall_current
    state = ("settled" if current is _SETTLED else current, bolt._squall_anchors, bolt._squall_anchor_thread,
             sorted(map(str, bolt._squall_open)))
    return events, state, escaped


def _same(cls: type[Bolt], tuples: Callable[[], Iterable[Any]], ack_many: bool = True, on_error: OnErrorKind = "collect",
          raise_in: str = "") -> Any:
    python = _run("python", cls, tuples, ack_many, on_error, raise_in)
    compiled = _run("compiled", cls, tuples, ack_many, on_error, raise_in)
    assert compiled == python
    return python


MIXED = ["", "emit", "emit+emit", "ack", "fail", "ack+emit", "emit+raise", "ack+raise", "fail+raise", "raise",
         "emit-explicit", "emit-thread", "ack-thread", "ack+ack", "ack-other", ""]


def _mixed() -> list[Tuple]:
    return [t(i, action) for i, action in enumerate(MIXED, 1)]


@pytest.mark.parametrize("cls", [Scripted, Held, Unanchored, NoAutoFail, HeldNothingAuto, Watched, Propertied])
@pytest.mark.parametrize("ack_many", [True, False], ids=["ack_many", "per-tuple-ack"])
def test_every_action_and_flag_gives_the_same_calls(cls: type[Bolt], ack_many: bool) -> None:
    events, state, escaped = _same(cls, _mixed, ack_many=ack_many)
    assert escaped is None
    assert ("on_error", ("ValueError", "bad 7", None), 7, ("ValueError", "bad 7", None)) in events
    assert state[0] == "settled" and state[2] is None


def test_plain_auto_ack_acks_the_batch_in_one_call_and_anchors_each_emit() -> None:
    events, state, escaped = _same(Scripted, lambda: [t(1, "emit"), t(2), t(3, "emit")])
    assert [e for e in events if e[0] != "process"] == [
        ("emit", "default", ["from 1"], (1,)), ("emit", "default", ["from 3"], (3,)), ("ack_many", [1, 2, 3])]
    assert [e[1:5] for e in events if e[0] == "process"] == [(1, 1, (1,), True), (2, 2, (2,), True), (3, 3, (3,), True)]
    assert state == ("settled", (3,), None, []) and escaped is None


def test_ticks_mid_batch_are_acked_at_once_and_unanchored() -> None:
    tuples = lambda: [t(1, "emit"), tick("t1"), t(2, "emit"), tick("t2", 7), tick("t3", 13), t(3)]  # noqa: E731
    events, _, escaped = _same(Scripted, tuples)
    assert [e for e in events if e[0] in ("ack", "ack_many", "emit")] == [
        ("emit", "default", ["from 1"], (1,)), ("emit", "default", ["tick"], ()), ("ack", "t1"),
        ("emit", "default", ["from 2"], (2,)), ("ack", "t2"), ("emit", "default", ["tick"], ()), ("ack", "t3"),
        ("ack_many", [1, 2, 3])]
    assert escaped is None
    _same(Held, tuples)
    _same(Watched, tuples)


@pytest.mark.parametrize("base", ["interrupt", "exit"])
@pytest.mark.parametrize("cls", [Scripted, Held, NoAutoFail, Watched])
def test_a_base_exception_stops_the_batch_and_what_completed_stays_acked(base: str, cls: type[Bolt]) -> None:
    events, state, escaped = _same(cls, lambda: [t(1, "emit"), t(2, "raise"), t(3, base), t(4)])
    name = "KeyboardInterrupt" if base == "interrupt" else "SystemExit"
    assert escaped == ((name, f"{base} 3", None), None)
    assert ("process", 4) not in [e[:2] for e in events]
    if cls is not Held:
        assert ("ack_many", [1]) in events
    assert state[0] == "settled" and state[2] is None


@pytest.mark.parametrize("cls", [Scripted, Held, Watched])
def test_on_error_raising_mid_batch_stops_it_and_what_completed_stays_acked(cls: type[Bolt]) -> None:
    events, state, escaped = _same(cls, lambda: [t(1), t(2, "raise"), t(3, "emit"), t(4, "raise"), t(5)], on_error="stop")
    assert escaped == (("Stop", "stopped at 4", ("ValueError", "bad 4", None)), ("ValueError", "bad 4", None))
    assert ("process", 5) not in [e[:2] for e in events]
    if cls is not Held:
        assert [e for e in events if e[0] != "set"][-1] == ("ack_many", [1, 3])
    _same(cls, lambda: [t(1), t(2, "raise"), t(3)], on_error="base")


@pytest.mark.parametrize("raise_in", ["ack", "fail", "ack_many", "ack_many_base"])
@pytest.mark.parametrize("ack_many", [True, False], ids=["ack_many", "per-tuple-ack"])
@pytest.mark.parametrize("on_error", ["collect", "stop1"])
def test_a_host_call_that_raises_goes_where_python_sends_it(raise_in: str, ack_many: bool, on_error: str) -> None:
    tuples = lambda: [t(1), t(2, "fail"), t(3, "raise"), tick("t4"), t(5, "ack"), t(6)]  # noqa: E731
    for cls in (Scripted, Held, Watched):
        _same(cls, tuples, ack_many=ack_many, on_error=on_error, raise_in=raise_in)


@pytest.mark.parametrize("kind", ["empty list", "empty generator", "generator", "tuple", "subclass tuples"])
def test_any_iterable_of_tuples(kind: str) -> None:
    def tuples() -> Iterable[Any]:
        items = [] if kind.startswith("empty") else _mixed()
        if kind == "subclass tuples":
            return [tuple.__new__(SubTuple, tuple(item)) for item in items]
        if kind.endswith("generator"):
            return (item for item in items)
        return tuple(items) if kind == "tuple" else items

    events, state, escaped = _same(Scripted, tuples)
    assert escaped is None and state == ("settled", (16,) if not kind.startswith("empty") else (), None, [])
    assert (events == []) == kind.startswith("empty")


def test_an_iterator_that_raises_stops_the_batch_after_acking_what_completed() -> None:
    def tuples() -> Iterable[Any]:
        yield t(1)
        yield t(2, "emit")
        raise LookupError("no more tuples")

    events, _, escaped = _same(Scripted, tuples)
    assert escaped == (("LookupError", "no more tuples", None), None) and events[-1] == ("ack_many", [1, 2])


def test_tuples_that_are_not_tuples_raise_where_python_raises() -> None:
    class Odd:
        stream = "default"
        component = "src"

    _same(Scripted, lambda: [t(1), Odd(), t(3)])  # no id: to on_error, and on
    _same(Scripted, lambda: [t(1), None, t(3)])


def test_the_compiled_loop_names_what_is_wrong_with_its_arguments() -> None:
    from squall.engine import _speedups  # type: ignore[attr-defined]

    with pytest.raises(TypeError, match=r"dispatch_batch\(bolt, tuples, on_error, settled, tuple_class: type\)"):
        _speedups.dispatch_batch(Scripted(), [], print, _SETTLED)
    with pytest.raises(TypeError, match=r"dispatch_batch\(bolt, tuples, on_error, settled, tuple_class: type\)"):
        _speedups.dispatch_batch(Scripted(), [], print, _SETTLED, "Tuple")


def test_the_bolts_dispatch_state_exists_whatever_its_init_does() -> None:
    class NoSuper(Bolt):
        def __init__(self, factor: int = 2) -> None:  # noqa: D107 (does not call super().__init__)
            self.factor = factor

    bolt = NoSuper(3)
    assert (bolt._squall_current, bolt._squall_anchors, bolt._squall_anchor_thread) == (_SETTLED, (), None)
    assert bolt.factor == 3 and "factor" in vars(bolt)


class _Overrides(Scripted):
    def _squall_on_tuple(self, tup: Any) -> None:
        super()._squall_on_tuple(tup)


class _OverridesBatch(Scripted):
    def _squall_on_tuples(self, tuples: Iterable[Any], on_error: Any) -> None:
        super()._squall_on_tuples(tuples, on_error)


@pytest.mark.parametrize("pure", [False, True], ids=["compiled", "pure"])
def test_the_task_runs_the_compiled_loop_only_where_the_fused_python_loop_would_run(
        pure: bool, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from squall.engine import _task
    from tests.engine.test_collector import hosts

    if pure:
        monkeypatch.setenv(_hotpath.PURE_PYTHON_ENV, "1")
    rec = hosts(tmp_path)["rec"]
    expected = _hotpath.implementation().dispatch_batch
    for cls, run in [(Scripted, expected), (Held, expected), (_Overrides, _task._api_dispatch),
                     (_OverridesBatch, _task._api_dispatch)]:
        rec.instance, rec._dispatch_batch = cls(), None
        assert rec._choose_dispatch() is run and rec._dispatch_batch is run
