"""Fixtures for the dashboard tests: an embedded run served by a dashboard, HTTP helpers."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import pytest

from squall.dashboard import DashboardServer, EmbeddedSource
from squall.engine import run_local

from tests.dashboard.browser import SCREENSHOT_FOLDERS, browser, screenshots  # noqa: F401 - fixtures
from tests.dashboard.topologies import Numbers


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(url: str, method: str = "GET", body: Optional[bytes] = None,
            headers: Optional[dict[str, str]] = None) -> Response:
    """Send one request; return status, headers and body (also for 4xx/5xx)."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return Response(resp.status, dict(resp.headers), resp.read())
    except urllib.error.HTTPError as exc:
        return Response(exc.code, dict(exc.headers), exc.read())


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)


@dataclass
class LiveRun:
    server: DashboardServer
    source: EmbeddedSource
    stop: threading.Event
    thread: threading.Thread
    base: str

    def get(self, path: str, **kwargs: Any) -> Response:
        return request(self.base + path.lstrip("/"), **kwargs)


@contextlib.contextmanager
def serve_run(model: Any, log_dir: Path, seconds: float = 120) -> Iterator[LiveRun]:
    """Run ``model`` on the embedded engine, served by a dashboard; stop it after."""
    stop = threading.Event()
    source = EmbeddedSource(model, stop_event=stop)
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = run_local(model, on_progress=source.on_progress, stop_event=stop,
                                          log_dir=log_dir, time=seconds)
        except BaseException as exc:  # reported by the test, not lost in the thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="embedded-run")
    with DashboardServer(source) as server:
        thread.start()
        try:
            yield LiveRun(server, source, stop, thread, server.url)
        finally:
            stop.set()
            thread.join(60)
    assert not thread.is_alive(), "the embedded run did not stop"
    if "error" in outcome:
        raise outcome["error"]


@pytest.fixture
def live_run(tmp_path) -> Iterator[LiveRun]:
    """The Numbers topology on the embedded engine, served by a dashboard."""
    with serve_run(Numbers.model, tmp_path / "run") as run:
        yield run


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say where the browser tests' screenshots are, even when output is captured."""
    for folder in SCREENSHOT_FOLDERS:
        shots = ", ".join(sorted(p.name for p in folder.glob("*.png")))
        terminalreporter.write_line(f"dashboard screenshots in {folder}: {shots}")
