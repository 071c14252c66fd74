"""The engine's parent process: fork the tasks, watch them, restart crashed ones, stop cleanly."""

from __future__ import annotations

import os
import select
import signal
import socket
import time
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Optional

from squall.api import TopologyContext
from squall.engine import _conf, _procs
from squall.engine._metrics import CrashReport, RunResult, Snapshot, TaskState, component_metrics
from squall.engine._routing import subscriptions
from squall.engine._stop_requests import StopRequests
from squall.engine._task import task_main
from squall.engine._transport import channel, make_packer, unpack
from squall.engine._wiring import TaskPlan, Wiring
from squall.errors import EngineError
from squall.topology import SPOUT, TopologyModel

_POLL_SECS = 0.05
_FAILED_GRACE_SECS = 1.0


class EngineLog:
    """The engine's own log file (engine.log in the run directory)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = open(path, "a", buffering=1, encoding="utf-8")

    def write(self, message: str) -> None:
        """Append one line."""
        self._file.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}\n")

    def close(self) -> None:
        """Close the file."""
        self._file.close()


class Supervisor:
    """Run one topology model to completion in task processes (one per task)."""

    def __init__(
        self,
        model: TopologyModel,
        run_dir: Path,
        *,
        time_limit: Optional[float],
        until_idle: bool,
        idle_secs: float,
        on_progress: Optional[Callable[[Snapshot], None]],
        requests: Optional[StopRequests] = None,
    ) -> None:
        self.model = model
        self.run_dir = run_dir
        self.time_limit = time_limit
        self.until_idle = until_idle
        self.idle_secs = idle_secs
        self.requests = requests if requests is not None else StopRequests(None, None)
        self.on_progress = on_progress
        self.conf = model.config
        self.max_restarts = _conf.read(self.conf, _conf.MAX_RESTARTS) or 0
        self.restart_window = _conf.read(self.conf, _conf.RESTART_WINDOW) or 0.0
        self.drain_secs = _conf.read(self.conf, _conf.DRAIN_TIMEOUT) or 0.0
        self.shutdown_secs = _conf.read(self.conf, _conf.SHUTDOWN_TIMEOUT) or 10.0
        self.buffer_bytes = _conf.read(self.conf, _conf.BUFFER_BYTES) or (1 << 20)
        self.task_ids = model.task_ids()
        self.plans: dict[int, TaskPlan] = {}
        self.states: dict[int, TaskState] = {}
        self.pids: dict[int, int] = {}  # task -> pid of the live incarnation
        self.reported: set[int] = set()  # tasks whose live incarnation reported metrics
        self.stopping_tasks: set[int] = set()
        self.draining = False  # spouts deactivated: a restarted spout starts deactivated too
        self.last_error: dict[int, str] = {}
        self.errors = 0
        self.first_error: Optional[str] = None
        self.restart_times: dict[int, deque[float]] = {}
        self.crashes: list[CrashReport] = []
        self.failure: Optional[EngineError] = None
        self.log = EngineLog(run_dir / "engine.log")
        self.wiring = Wiring(parent_pid=os.getpid())
        self._pack = make_packer()
        self.started = time.monotonic()
        self.stopping_at: Optional[float] = None  # seconds into the run when the stop began

    # -- set up -----------------------------------------------------------------------

    def _build_plans(self) -> None:
        model = self.model
        task_component = {t: name for name, ids in self.task_ids.items() for t in ids}
        spout_tasks = frozenset(t for t, name in task_component.items() if model.components[name].kind == SPOUT)
        stream_names = {name: tuple(comp.streams) for name, comp in model.components.items()}
        if task_component and max(task_component) > 0xFFFF:
            raise EngineError(f"topology {model.name!r} has {max(task_component)} tasks; the embedded engine runs at most 65535")
        for name, ids in self.task_ids.items():
            comp = model.components[name]
            subs = subscriptions(model, self.task_ids, name)
            direct = frozenset(s for s, stream in comp.streams.items() if stream.direct)
            conf = model.component_config(name)
            for task in ids:
                self.plans[task] = TaskPlan(
                    component=name,
                    task=task,
                    kind=comp.kind,
                    component_class=comp.component_class,
                    conf=conf,
                    context=TopologyContext.for_task(model, name, task, self.task_ids),
                    subscriptions=subs,
                    direct_streams=direct,
                    task_component=task_component,
                    spout_tasks=spout_tasks,
                    stream_names=stream_names,
                    log_path=self.run_dir / f"{name}-{task}.log",
                )
                self.states[task] = TaskState(name, task, comp.kind)

    def _build_wiring(self) -> None:
        wiring = self.wiring
        _procs.raise_open_files_limit(3 * len(self.plans) + 64)
        for task in self.plans:
            wiring.inbox_read[task], wiring.inbox_write[task] = channel(self.buffer_bytes)
        wiring.report_read, wiring.report_write = channel(1 << 20)
        wiring.death_read, wiring.death_write = os.pipe()

    def _spawn(self, task: int) -> None:
        plan = self.plans[task]
        wiring = self.wiring
        wiring.new_control(task)  # a fresh one per incarnation: the parent holds one end per task
        try:
            pid = _procs.fork(lambda: task_main(plan, wiring))
        finally:
            wiring.control_child.pop(task).close()  # the child's end lives in the child only
        self.pids[task] = pid
        self.reported.discard(task)
        self.log.write(f"started task {task} of {plan.component!r} (pid {pid}, incarnation {plan.incarnation}), log {plan.log_path.name}")

    # -- run --------------------------------------------------------------------------

    def run(self) -> RunResult:
        """Run until the time limit, idleness, a stop request or a fatal error; return the result.

        Asked to stop once (``stop_event``, a first Ctrl-C), the run drains; asked again
        (``kill_event``, a Ctrl-C while stopping), it kills the tasks at once.
        """
        reason = "stopped"
        with self.requests.ctrl_c():
            try:
                self._build_plans()
                self._build_wiring()
                self.log.write(f"running topology {self.model.name!r}: {len(self.plans)} tasks, run dir {self.run_dir}")
                self.started = time.monotonic()
                for task in sorted(self.plans):
                    self._spawn(task)
                try:
                    reason = self._watch()
                except KeyboardInterrupt:  # from a caller's own SIGINT handler: a request like Ctrl-C
                    self.requests.interrupted()
                    reason = "stopped"
                self.requests.begin_stopping()
                self._note_stop(reason)
                try:
                    self._shutdown()
                except KeyboardInterrupt:
                    self.requests.interrupted()
                if self.requests.kill_asked():
                    self.log.write("asked again to stop: killing the tasks without draining")
            finally:
                self._kill_all()
                self.wiring.close()
                elapsed = time.monotonic() - self.started
                took = "" if self.stopping_at is None else f"; the stop took {elapsed - self.stopping_at:.2f}s"
                self.log.write(f"run finished ({reason}) after {elapsed:.1f}s{took}")
                self.log.close()
        result = self._result("failed" if self.failure else reason)
        if self.failure is not None:
            self.failure.result = result  # type: ignore[attr-defined]
            raise self.failure
        return result

    def _note_stop(self, reason: str) -> None:
        """Record and log when the stop begins, before any task is told to stop."""
        self.stopping_at = time.monotonic() - self.started
        limit = f" (time limit {self.time_limit:g}s)" if reason == "time" else ""
        self.log.write(f"stopping at t={self.stopping_at:.3f}s: {reason}{limit}")

    def _watch(self) -> str:
        next_progress = self.started + 1.0
        activity = (-1, -1, -1)
        last_change = time.monotonic()
        deadline = float("inf") if self.time_limit is None else self.started + self.time_limit
        while True:  # never wait for reports past the time limit: the stop begins at it
            self._poll_reports(min(_POLL_SECS, max(0.0, deadline - time.monotonic())))
            self._reap()
            if self.failure is not None:
                return "failed"
            now = time.monotonic()
            if self.time_limit is not None and now - self.started >= self.time_limit:
                return "time"
            if self.requests.stop_asked():
                return "stopped"
            if now >= next_progress:
                next_progress = now + 1.0
                if self.on_progress is not None:
                    self.on_progress(self.snapshot())
            if self.until_idle:
                current = self._activity()
                if current != activity or len(self.reported) < len(self.plans):
                    activity, last_change = current, now
                elif now - last_change >= self.idle_secs and self._pending() == 0:
                    return "idle"

    def _activity(self) -> tuple[int, int, int]:
        states = self.states.values()
        return (
            sum(s.total("emitted") for s in states),
            sum(s.total("executed") for s in states),
            sum(s.total("acked") + s.total("failed") for s in states),
        )

    def _pending(self) -> int:
        return sum(s.current.get("pending", 0) for s in self.states.values() if s.kind == SPOUT)

    # -- reports ----------------------------------------------------------------------

    def _poll_reports(self, timeout: float) -> None:
        sock = self.wiring.report_read
        ready, _, _ = select.select([sock], [], [], timeout)
        if not ready:
            return
        while True:
            try:
                data = sock.recv(1 << 20, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            self._on_report(unpack(data))

    def _on_report(self, message: Any) -> None:
        kind, task = message[0], message[1]
        if task not in self.states:
            return
        if kind == "metrics":
            self.states[task].update(message[2], time.monotonic())
            self.reported.add(task)
        elif kind == "error":
            self.last_error[task] = message[2]
            self.errors += 1
            if self.first_error is None:
                self.first_error = message[2]
            self.log.write(f"task {task} of {self.plans[task].component!r} reported an error:\n{message[2].rstrip()}")

    # -- crashes ----------------------------------------------------------------------

    def _reap(self) -> None:
        for task, pid in list(self.pids.items()):
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if done:
                del self.pids[task]
                _procs.kill_group(pid)  # what the task's component started dies with it
                self._on_exit(task, os.waitstatus_to_exitcode(status))

    def _on_exit(self, task: int, code: int) -> None:
        plan = self.plans[task]
        if task in self.stopping_tasks and code == 0:
            self.log.write(f"task {task} of {plan.component!r} stopped")
            return
        self._poll_reports(0)  # the error text may still be in flight
        error = self.last_error.pop(task, None)
        now = time.monotonic()
        times = self.restart_times.setdefault(task, deque())
        while times and now - times[0] > self.restart_window:
            times.popleft()
        stopping = bool(self.stopping_tasks) or self.failure is not None
        give_up = not stopping and len(times) >= self.max_restarts
        crash = CrashReport(plan.component, task, code, error, now - self.started, not (stopping or give_up), plan.log_path)
        self.crashes.append(crash)
        self.log.write(crash.summary())
        if stopping:
            return
        if give_up:
            count = len(times) + 1
            self.failure = EngineError(
                f"task {task} of component {plan.component!r} crashed {count} time{'s' if count > 1 else ''} within "
                f"{self.restart_window:g}s (last: {crash.summary()}); fix the error (see {plan.log_path}) "
                f"or raise {_conf.MAX_RESTARTS}"
            )
            return
        times.append(now)
        self.states[task].restarted()
        self.plans[task] = replace(plan, incarnation=plan.incarnation + 1, active=not self.draining)
        self._spawn(task)

    # -- stop -------------------------------------------------------------------------

    def _send(self, task: int, command: str) -> None:
        try:
            self.wiring.control_parent[task].send(self._pack((command,)), socket.MSG_DONTWAIT)
        except OSError:
            pass  # the task is gone; reaping handles it

    def _shutdown(self) -> None:
        """Deactivate spouts, let pending trees finish, then stop components upstream first.

        Returns early when asked to kill: the caller kills the tasks that are left.
        """
        killing = self.requests.kill_asked
        self.draining = True
        spouts = [t for t, p in self.plans.items() if p.kind == SPOUT and t in self.pids]
        for task in spouts:
            self._send(task, "deactivate")
        deadline = time.monotonic() + self.drain_secs
        while time.monotonic() < deadline and self.failure is None and not killing():
            self._poll_reports(_POLL_SECS)
            self._reap()
            live = [t for t in spouts if t in self.pids]
            if all(self.states[t].current.get("active") is False and not self.states[t].current.get("pending") for t in live):
                break
        if self.failure is not None:
            self._abort()
            return
        stopped: set[str] = set()
        remaining = set(self.task_ids)
        deadline = time.monotonic() + self.shutdown_secs
        while remaining and time.monotonic() < deadline and not killing():
            ready = {
                name for name in remaining
                if all(i.source in stopped or i.source == name for i in self.model.components[name].inputs)
            } or set(remaining)
            tasks = [t for name in ready for t in self.task_ids[name]]
            self.stopping_tasks.update(tasks)
            for task in tasks:
                if task in self.pids:
                    self._send(task, "stop")
            while any(t in self.pids for t in tasks) and time.monotonic() < deadline and not killing():
                self._poll_reports(0.01)
                self._reap()
            stopped |= ready
            remaining -= ready
        self._poll_reports(0)

    def _abort(self) -> None:
        """Stop a failed run at once: a task that gave up never reads its inbox again, so
        the tasks sending to it could never drain; their trees are replayed on the next run."""
        tasks = list(self.pids)
        self.stopping_tasks.update(tasks)
        for task in tasks:
            self._send(task, "abort")
        deadline = time.monotonic() + min(self.shutdown_secs, _FAILED_GRACE_SECS)
        while self.pids and time.monotonic() < deadline:
            self._poll_reports(0.01)
            self._reap()

    def _kill_all(self) -> None:
        """SIGKILL and reap every task process still alive (always runs)."""
        for pid in list(self.pids.values()):
            _procs.kill_group(pid)
        for task, pid in list(self.pids.items()):
            try:
                _, status = os.waitpid(pid, 0)
                code = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                code = -signal.SIGKILL
            del self.pids[task]
            self.log.write(f"task {task} of {self.plans[task].component!r} killed at shutdown (exit {code})")

    # -- results ----------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """Return the live metrics."""
        return Snapshot(
            topology=self.model.name,
            elapsed=time.monotonic() - self.started,
            components=self._components(),
            tasks={t: s.metrics() for t, s in sorted(self.states.items())},
            crashes=tuple(self.crashes),
        )

    def _components(self) -> dict[str, Any]:
        return {
            name: component_metrics(name, self.model.components[name].kind, [self.states[t] for t in ids])
            for name, ids in self.task_ids.items()
        }

    def _result(self, reason: str) -> RunResult:
        return RunResult(
            topology=self.model.name,
            elapsed=time.monotonic() - self.started,
            log_dir=self.run_dir,
            components=self._components(),
            tasks={t: s.metrics() for t, s in sorted(self.states.items())},
            crashes=tuple(self.crashes),
            stop_reason=reason,
            errors=self.errors,
            first_error=self.first_error,
            stopping_at=self.stopping_at,
        )
