"""``squall run --ui/--metrics-port`` and ``squall ui`` as a user runs them (subprocesses)."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.dashboard.conftest import request, wait_for

HERE = Path(__file__).resolve().parent
TARGET = f"{HERE / 'topologies.py'}:Numbers"


class Command:
    """A squall command in its own session; its stdout lines arrive on a queue."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(["squall", *args],
                                     cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_line(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            found = re.search(pattern, line)
            if found:
                return found
        pytest.fail(f"no line matching {pattern!r}; output so far:\n" + "\n".join(self.seen))

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            return self.proc.wait(60)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def test_run_ui_prints_the_address_and_serves_the_run(tmp_path):
    command = Command(["run", TARGET, "-t", "60", "--ui", "--metrics-port", "0",
                       "--log-dir", str(tmp_path / "logs")], cwd=tmp_path)
    try:
        page = command.wait_line(r"^Dashboard: (http://127\.0\.0\.1:\d+/)  \(bound to loopback only")[1]
        metrics = command.wait_line(r"^Metrics: (http://127\.0\.0\.1:\d+/metrics)$")[1]
        assert request(page).status == 200
        view = wait_for(lambda: (v := request(page + "api/topologies/Numbers").json())["tasks"] and v,
                        what="a first snapshot")
        assert [c["name"] for c in view["components"]] == ["ticker", "double", "picky"]
        text = request(metrics).body.decode()
        names = {f.name for f in text_string_to_metric_families(text)}
        assert {"squall_tuples_emitted", "squall_tuples_acked", "squall_capacity_ratio"} <= names
        assert request(metrics.replace("/metrics", "/")).status == 404  # metrics port: no page
    finally:
        code = command.stop()
    # the picky bolt crashes once on purpose: a run whose tasks crashed exits 1 and says why
    assert code == 1, "\n".join(command.seen)


def _squall(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["squall", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_a_remote_bind_without_the_flag_fails_before_the_run_starts(tmp_path):
    done = _squall("run", TARGET, "-t", "5", "--ui", "--bind", "0.0.0.0", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == ("Error: the dashboard binds 0.0.0.0, which is not a loopback address: "
                                   "pass --allow-remote (and a --token) to serve other machines")
    assert "Running" not in done.stdout


def test_ui_with_allow_remote_needs_a_token(tmp_path):
    env_free = {k: v for k, v in os.environ.items() if k != "SQUALL_UI_TOKEN"}
    done = subprocess.run(["squall", "ui", "--bind", "0.0.0.0", "--allow-remote"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env=env_free)
    assert done.returncode == 1
    assert done.stderr.strip() == ("Error: serving on 0.0.0.0 needs a token: pass --token or set "
                                   "SQUALL_UI_TOKEN, and give it to the people who may connect")


def test_the_dashboard_is_for_the_embedded_engine_only(tmp_path):
    done = _squall("run", TARGET, "--engine", "storm", "--ui", cwd=tmp_path)
    assert done.returncode == 2
    assert "--ui/--metrics-port serve the embedded engine; for a Storm cluster use `squall ui`" in done.stderr


def test_help_shows_examples(tmp_path):
    done = _squall("ui", "--help", cwd=tmp_path)
    assert done.returncode == 0 and "squall ui -e prod --port 8700" in done.stdout
    assert "--ui" in _squall("run", "--help", cwd=tmp_path).stdout


@pytest.mark.storm
@pytest.mark.slow
def test_squall_ui_serves_the_dev_cluster(storm_cluster, tmp_path):
    env = dict(os.environ, SQUALL_CLUSTER_HOME=str(storm_cluster.home))
    command = Command(["ui"], cwd=tmp_path, env=env)
    try:
        command.wait_line(rf"^Storm cluster local: Nimbus 127\.0\.0\.1:{storm_cluster.nimbus_port}$")
        page = command.wait_line(r"^Dashboard: (http://127\.0\.0\.1:\d+/)  \(bound to loopback only")[1]
        listing = request(page + "api/topologies").json()
        assert listing["engine"] == "storm" and isinstance(listing["topologies"], list)
        assert request(page + "metrics").status == 200
    finally:
        assert command.stop() == 0, "\n".join(command.seen)
    command.wait_line(r"^Stopped\.$", timeout=10)


def test_ui_fails_in_one_line_when_nimbus_is_unreachable(tmp_path):
    (tmp_path / "squall.toml").write_text('[env.dead]\nnimbus = "127.0.0.1:1"\n')
    done = _squall("ui", "-e", "dead", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == "Error: Nimbus not reachable at 127.0.0.1:1: is the cluster up? Run `squall cluster up`"
    assert "Dashboard:" not in done.stdout
