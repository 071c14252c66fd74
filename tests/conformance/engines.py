"""Start a topology on either engine and stop it later: the conformance suite's drivers.

Both drivers take the same model and the same conf overrides, and leave their output
in the same files (see ``topologies.record``), so one assertion serves both engines.
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
