"""Run the engine in a single-threaded *zygote* interpreter when the caller has threads.

The engine forks one process per task. ``fork`` from a process that runs other
threads (a Jupyter kernel, a web app, a test runner with plugins) copies locks held
by those threads in whatever state they are in, and Python 3.12+ warns about it. So
``run_local`` checks the caller: single-threaded, it forks the tasks itself (the fast
path); otherwise it starts ``python -m squall.engine._zygote`` (same interpreter,
``sys.path``, working directory and environment), ships it the model with
``cloudpickle`` (classes defined in ``__main__``, a notebook cell or a function travel
by value), and the zygote runs the whole ``Supervisor``: it forks, watches and
restarts the tasks, writes ``engine.log`` and stops them exactly as it would in the
caller. The caller only relays:

* zygote -> caller: ``("progress", Snapshot)`` once a second (``on_progress`` runs in
  the caller), then ``("result", RunResult)`` or ``("error", EngineError)``;
* caller -> zygote: ``"stop"`` once the run is asked to stop (``stop_event``, a first
  Ctrl-C in the caller), ``"kill"`` once asked to stop at once (``kill_event``, a Ctrl-C
  while stopping). The zygote leads its own process group, so a terminal's Ctrl-C
  reaches it only this way.

No orphans: the zygote dies with its caller (``PR_SET_PDEATHSIG``, SIGKILL), and its
tasks die with the zygote by their own parent-death rules (``_task.task_main``). When
``run_local`` leaves early (an exception in ``on_progress``), the zygote gets SIGTERM,
which stops and reaps its tasks before it exits.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable, Optional

from squall.engine._metrics import RunResult, Snapshot
from squall.engine._stop_requests import StopRequests
from squall.errors import EngineError
from squall.topology import TopologyModel

_STOP = b"stop"
_KILL = b"kill"
_END_SECS = 10.0  # how long an early-ending caller waits for the zygote to reap its tasks


def threads_running() -> bool:
    """Return whether this process runs more than one thread (native threads included).

    Reads ``/proc/self/task`` (Linux), which also counts threads Python did not start
    (a C library's, a JVM's); elsewhere ``threading.active_count()``.
    """
    try:
        return len(os.listdir("/proc/self/task")) > 1
    except OSError:
        return threading.active_count() > 1


def run_in_zygote(
    model: TopologyModel,
    run_dir: Path,
    *,
    time_limit: Optional[float],
    until_idle: bool,
    idle_secs: float,
    stop_event: Optional[threading.Event],
    kill_event: Optional[threading.Event],
    on_progress: Optional[Callable[[Snapshot], None]],
) -> RunResult:
    """Run ``model`` under a ``Supervisor`` in a zygote process; return its result (see the module doc).

    Raises what the supervisor raises (``EngineError`` with ``.result``), and
    ``EngineError`` when the model cannot be shipped or the zygote dies.
    """
    job = _dump_job(model, dict(run_dir=run_dir, time_limit=time_limit, until_idle=until_idle,
                                idle_secs=idle_secs, progress=on_progress is not None))
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        proc = _start(theirs.fileno())
    finally:
        theirs.close()
    conn = Connection(ours.detach())
    answered: list[bool] = []  # the zygote sent its result or error: it ends by itself
    requests = StopRequests(stop_event, kill_event)
    try:
        with requests.ctrl_c():
            conn.send_bytes(pickle.dumps(list(sys.path)))
            conn.send_bytes(job)
            return _follow(proc, conn, requests, on_progress, run_dir, answered)
    finally:
        conn.close()
        _end(proc, answered=bool(answered))


def _dump_job(model: TopologyModel, args: dict[str, Any]) -> bytes:
    import cloudpickle

    try:
        return bytes(cloudpickle.dumps((model, args)))
    except Exception as exc:
        raise EngineError(
            f"cannot send topology {model.name!r} to the engine's zygote process ({type(exc).__name__}: {exc}); "
            "this process runs threads, so the engine does not fork from it: make the components' "
            "classes picklable (no locks, sockets or open files as class attributes; create them in initialize)"
        ) from exc


def _start(fd: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])  # the squall this caller runs
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    group: dict[str, Any] = {"process_group": 0} if sys.version_info >= (3, 11) else {"start_new_session": True}
    return subprocess.Popen(
        [sys.executable, "-m", __name__, str(fd), str(os.getpid())],  # this module (imported here, run there)
        pass_fds=(fd,), stdin=subprocess.DEVNULL, cwd=os.getcwd(), env=env, **group,
    )


def _follow(
    proc: subprocess.Popen[bytes],
    conn: Connection,
    requests: StopRequests,
    on_progress: Optional[Callable[[Snapshot], None]],
    run_dir: Path,
    answered: list[bool],
) -> RunResult:
    stop_sent = kill_sent = False
    while True:
        try:
            if not stop_sent and requests.stop_asked():
                conn.send_bytes(_STOP)
                stop_sent = True
                requests.begin_stopping()
            if not kill_sent and requests.kill_asked():
                conn.send_bytes(_KILL)
                kill_sent = True
            if not conn.poll(0.05):
                continue
            try:
                kind, value = pickle.loads(conn.recv_bytes())
            except EOFError:
                code = proc.wait()
                raise EngineError(
                    f"the engine's zygote process exited with code {code} before the run ended; "
                    f"see {run_dir / 'engine.log'}"
                ) from None
            if kind == "progress":
                if on_progress is not None:
                    on_progress(value)
            elif kind == "result":
                answered.append(True)
                return value  # type: ignore[no-any-return]
            else:
                answered.append(True)
                raise value
        except KeyboardInterrupt:  # from the caller's own SIGINT handler (a notebook's): a request like Ctrl-C
            requests.interrupted()


def _end(proc: subprocess.Popen[bytes], *, answered: bool) -> None:
    """Reap the zygote; if the caller left early (no answer yet), stop it and its tasks first.

    A zygote that answered is exiting on its own: a SIGTERM now would interrupt its
    interpreter's shutdown (a ``SystemExit`` traceback on the caller's stderr).
    """
    if answered:
        try:
            proc.wait(_END_SECS)
        except subprocess.TimeoutExpired:
            pass
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(_END_SECS)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


# -- the zygote side ------------------------------------------------------------------------


class _CallerRequests:
    """What the caller asked, read from the socket without blocking (the zygote starts no thread).

    ``stop`` and ``kill`` are the supervisor's ``stop_event`` and ``kill_event``. A caller
    that is gone asks to stop (parent death kills the zygote soon anyway).
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._asked: set[bytes] = set()
        self.stop = _Asked(self, _STOP)
        self.kill = _Asked(self, _KILL)

    def asked(self, request: bytes) -> bool:
        """Return whether the caller sent ``request`` (reading what it sent so far)."""
        try:
            while self._conn.poll(0):
                self._asked.add(self._conn.recv_bytes())
        except (EOFError, OSError):
            self._asked.add(_STOP)
        return request in self._asked


class _Asked:
    """One of the caller's requests, as a flag: ``is_set()``."""

    def __init__(self, requests: _CallerRequests, request: bytes) -> None:
        self._requests = requests
        self._request = request

    def is_set(self) -> bool:
        """Return whether the caller sent this request."""
        return self._requests.asked(self._request)


def _raise_exit(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    """Zygote entry point: ``python -m squall.engine._zygote FD CALLER_PID``."""
    from squall.engine import _procs
    from squall.engine._supervisor import Supervisor

    fd, caller = int(argv[0]), int(argv[1])
    _procs.set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != caller:
        return 0  # the caller died before we could follow it
    signal.signal(signal.SIGTERM, _raise_exit)  # the caller left early: stop and reap the tasks
    conn = Connection(fd)
    asked = _CallerRequests(conn)

    def send(message: Any) -> None:
        try:
            data = pickle.dumps(message)
        except Exception as exc:  # an exception that does not pickle: send its text
            data = pickle.dumps(("error", EngineError(f"{message[1]!s} ({type(exc).__name__} sending it back)")))
        try:
            conn.send_bytes(data)
        except OSError:
            pass  # the caller is gone; parent death ends us

    try:
        sys.path[:] = pickle.loads(conn.recv_bytes())
        model, args = pickle.loads(conn.recv_bytes())
    except Exception as exc:
        send(("error", EngineError(
            f"the engine's zygote process cannot load the topology ({type(exc).__name__}: {exc}); "
            "define the components in an importable module, or run from a single-threaded process")))
        return 0

    supervisor = Supervisor(
        model,
        args["run_dir"],
        time_limit=args["time_limit"],
        until_idle=args["until_idle"],
        idle_secs=args["idle_secs"],
        on_progress=(lambda snapshot: send(("progress", snapshot))) if args["progress"] else None,
        requests=StopRequests(asked.stop, asked.kill),
    )
    try:
        result = supervisor.run()
    except (Exception, KeyboardInterrupt) as exc:  # raised in the caller, as run_local would have
        send(("error", exc))
        return 0
    send(("result", result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
