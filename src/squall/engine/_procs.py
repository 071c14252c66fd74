"""Process plumbing for task processes: fork, parent-death safety, stdio, signals."""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Callable

_PR_SET_PDEATHSIG = 1


def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent dies (Linux); return success."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def kill_own_group_on(sig: int) -> None:
    """On ``sig``, SIGKILL this process's whole group: the task and what its component started.

    A task is the leader of its own process group (see ``fork``), so processes that
    user code starts (a ``subprocess`` in ``initialize``) die with it.
    """
    def handler(signum: int, frame: object) -> None:
        os.killpg(os.getpgid(0), signal.SIGKILL)

    signal.signal(sig, handler)


def raise_open_files_limit(needed: int) -> None:
    """Raise the soft limit of open files towards the hard limit when ``needed`` exceeds it.

    The engine holds two inbox ends and a control socket per task (a 300-task
    topology needs about 900 descriptors); raising the soft limit needs no privilege.
    """
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and soft < needed:
            target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, target), hard))
    except (ImportError, ValueError, OSError):
        pass  # keep the limit: creating the sockets reports the error


def kill_group(pgid: int) -> None:
    """SIGKILL what is left of a task's process group (after the task itself exited)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # nothing left (or the id was reused by someone else's group: not ours to touch)


def redirect_stdio(log_path: Path) -> None:
    """Send fd 0 to /dev/null and fds 1, 2 (print, C extensions, tracebacks) to ``log_path``."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")


def reset_process_state() -> None:
    """Undo what a parent (CLI, test runner) set up that must not leak into a task process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the engine stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def fork(child: Callable[[], int]) -> int:
    """Fork; run ``child`` in a new process group and ``os._exit`` with its result. Return the pid.

    The child leads its own process group (pgid = pid), so the engine can stop
    everything a task started with one ``killpg``, and Ctrl-C at the terminal
    reaches only the engine, which orchestrates the stop.
    """
    pid = os.fork()
    if pid:
        try:
            os.setpgid(pid, pid)  # also done by the child: whichever runs first wins the race
        except OSError:
            pass
        return pid
    code = 70
    try:
        os.setpgid(0, 0)
        code = child()
    except BaseException:  # the last line of defence of a task process: never return into the parent's code
        try:
            import traceback

            traceback.print_exc()
        finally:
            code = 70
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
    return 0  # unreachable
