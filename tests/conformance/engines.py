"""Start a topology on some host and stop it later: the conformance suite's drivers.

Three drivers (squall.testing's in-process runner, the embedded engine, Storm) take
the same model and the same conf overrides, and leave their output in the same files
(see ``topologies.record``), so one assertion serves every host.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from squall.topology import TopologyModel


class Running(Protocol):
    """A topology running on some engine."""

    def stop(self) -> None:
        """Stop it and wait until it has stopped."""


Start = Callable[[TopologyModel, Mapping[str, Any], Path], Running]


class InProcessRun:
    """``squall.testing.InProcessRunner`` on a background thread, stepped until stopped.

    Each round calls every spout's ``next_tuple`` once and delivers everything queued;
    a round in which no spout emitted delivers one tick round (the runner's ticks
    stand in for the clock), after waiting briefly on the stop event.
    """

    def __init__(self, model: TopologyModel, options: Mapping[str, Any], seed: int = 0) -> None:
        from squall.testing import InProcessRunner

        self.runner = InProcessRunner(model.with_config(dict(options)), raise_errors=False, seed=seed)
        self.stop_event = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"inprocess-{model.name}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        runner = self.runner
        try:
            runner.start()
            while not self.stop_event.is_set():
                if not runner.step():
                    self.stop_event.wait(0.02)
                    runner.tick()
                    runner.drain()
            runner.close()
        except BaseException as exc:  # re-raised in stop()
            self.error = exc

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(60)
        assert not self.thread.is_alive(), "the in-process runner did not stop within 60 s"
        if self.error is not None:
            raise self.error


def start_inprocess(model: TopologyModel, options: Mapping[str, Any], work: Path) -> Running:
    """Run ``model`` on squall.testing's in-process runner (one thread, seeded routing)."""
    return InProcessRun(model, options)


class EmbeddedRun:
    """``squall.engine.run_local`` on a background thread, stopped through its event."""

    def __init__(self, model: TopologyModel, options: Mapping[str, Any], log_dir: Path) -> None:
        from squall.engine import run_local

        self.stop_event = threading.Event()
        self.error: BaseException | None = None

        def target() -> None:
            try:
                run_local(model, options=dict(options), log_dir=log_dir, stop_event=self.stop_event)
            except BaseException as exc:  # re-raised in stop()
                self.error = exc

        self.thread = threading.Thread(target=target, name=f"embedded-{model.name}", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(120)
        assert not self.thread.is_alive(), "the embedded engine did not stop within 120 s"
        if self.error is not None:
            raise self.error


def start_embedded(model: TopologyModel, options: Mapping[str, Any], work: Path) -> Running:
    """Run ``model`` on the embedded engine (logs under ``work/logs``)."""
    return EmbeddedRun(model, options, work / "logs")


class StormRun:
    """A topology submitted to a Storm cluster, killed by ``stop()``."""

    def __init__(self, model: TopologyModel, options: Mapping[str, Any], env: Any) -> None:
        from squall.storm._submit import submit

        self.env = env
        self.submitted = submit(model, env, options=dict(options), force=True)
        self.name = self.submitted.name

    def stop(self) -> None:
        from squall.storm._control import kill

        kill(self.name, self.env, wait_secs=0, wait_gone=120.0)


def storm_starter(env: Any) -> Start:
    """Return a driver that submits to ``env`` (a ``squall.storm.StormEnv``)."""
    return lambda model, options, work: StormRun(model, options, env)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until true; fail the test naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.2)
