"""The Storm live view's stop begins at the time limit even while Nimbus is slow to answer.

Nimbus is replaced by a fake ``storm_snapshot`` whose first answer hangs until the test
releases it; what is asserted is the order of events, not durations.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from squall.storm import _live
from squall.storm._live import StormSnapshot, watch

TIMEOUT = 30.0


class SlowNimbus:
    """Answer the first snapshot only once released; every later one at once."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.release = threading.Event()
        self.calls = 0

    def snapshot(self, name: str, env: Any, elapsed: float) -> StormSnapshot:
        self.calls += 1
        call = self.calls
        self.events.append(f"fetch {call} asked")
        if call == 1:
            assert self.release.wait(TIMEOUT), "never released"
        self.events.append(f"fetch {call} answered")
        return StormSnapshot(elapsed, {})


@pytest.fixture()
def nimbus(monkeypatch: pytest.MonkeyPatch) -> SlowNimbus:
    fake = SlowNimbus()
    monkeypatch.setattr(_live, "storm_snapshot", fake.snapshot)
    return fake


def test_the_stop_begins_at_the_limit_while_a_fetch_hangs(nimbus: SlowNimbus) -> None:
    def on_stop() -> None:
        nimbus.events.append("stop began")
        nimbus.release.set()

    result = watch("T", None, 0.3, threading.Event(), lambda snap: nimbus.events.append("drawn"),
                   on_stop=on_stop)  # type: ignore[arg-type]
    # the hanging fetch neither delayed the stop nor was drawn; the final figures came after
    assert nimbus.events[:2] == ["fetch 1 asked", "stop began"]
    assert nimbus.events[-2:] == ["fetch 2 asked", "fetch 2 answered"]
    assert "drawn" not in nimbus.events
    assert result.stop_reason == "time"
    assert result.stopping_at is not None and 0.3 <= result.stopping_at <= result.elapsed


def test_the_stop_event_ends_the_watch_while_a_fetch_hangs(nimbus: SlowNimbus) -> None:
    stop = threading.Event()
    on_stop_calls: list[str] = []
    stopper = threading.Timer(0.2, stop.set)
    stopper.start()
    try:
        result = watch("T", None, None, stop, lambda snap: None,
                       on_stop=lambda: on_stop_calls.append("stop"))  # type: ignore[arg-type]
    finally:
        nimbus.release.set()
        stopper.cancel()
    assert on_stop_calls == ["stop"] and result.stop_reason == "stopped"
    assert nimbus.events[0] == "fetch 1 asked" and "fetch 1 answered" not in nimbus.events[:2]


def test_a_failing_fetch_is_raised_in_the_watching_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    from squall.storm.nimbus import TopologyNotRunning

    def gone(name: str, env: Any, elapsed: float) -> StormSnapshot:
        raise TopologyNotRunning(f"topology '{name}' is not running")

    monkeypatch.setattr(_live, "storm_snapshot", gone)
    with pytest.raises(TopologyNotRunning, match="^topology 'T' is not running$"):
        watch("T", None, 30, threading.Event(), lambda snap: None)  # type: ignore[arg-type]
