"""Start the dev cluster's JVM daemons and stop exactly the processes that belong to it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import psutil

from squall.devcluster._layout import StormHome
from squall.devcluster._loopback import preload_env
from squall.errors import ClusterError

# Flags for short-lived, small daemons on a 2-core machine (Java 17: modern flags only).
# IPv4 sockets only, so the loopback shim binds servers to 127.0.0.1 (see _loopback.py).
_DAEMON_JVM_FLAGS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
                     "-Djava.net.preferIPv4Stack=true")


@dataclass(frozen=True)
class DaemonSpec:
    """How to start one daemon JVM."""

    name: str
    main_class: str
    heap_mb: int
    extra_classpath: tuple[str, ...] = ()
    args: tuple[str, ...] = ()


def java_executable() -> str:
    """Return the java that daemons and workers use: ``$JAVA_HOME/bin/java`` or PATH's."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        raise ClusterError("java not found: install OpenJDK 17 or set JAVA_HOME")
    return found


def daemon_command(java: str, home: StormHome, spec: DaemonSpec) -> list[str]:
    """Return the command line of daemon ``spec``, as Storm's own launcher builds it."""
    root = home.root
    extra = [str(root / entry) for entry in spec.extra_classpath]
    classpath = [str(root / "lib" / "*"), *extra, str(home.conf_dir)]
    return [
        java, "-server", f"-Xmx{spec.heap_mb}m", *_DAEMON_JVM_FLAGS,
        f"-Dstorm.home={root}",
        f"-Dstorm.log.dir={home.log_dir}",
        f"-Dstorm.local.dir={home.local_dir}",
        "-Dstorm.conf.file=storm.yaml",
        f"-Ddaemon.name={spec.name}",
        f"-Dlogfile.name={spec.name}.log",
        f"-Dlog4j.configurationFile={root / 'log4j2' / 'cluster.xml'}",
        f"-Djava.io.tmpdir={home.local_dir}",
        "-cp", os.pathsep.join(classpath),
        spec.main_class, *(_absolute(root, arg) for arg in spec.args),
    ]


def _absolute(root: Path, arg: str) -> str:
    """Return ``arg`` made absolute when it names a file under ``root``."""
    return str(root / arg) if (root / arg).exists() else arg


def daemon_env(loopback_shim: Path | None = None) -> dict[str, str]:
    """Return the daemons' environment: this one, with this Python's bin dir first on PATH.

    Workers inherit the Supervisor's environment, so a multi-lang ``python3`` or ``python``
    command resolves to the interpreter (and virtualenv) that started the cluster, and the
    ``loopback_shim`` (preloaded when given) keeps the workers' servers on 127.0.0.1 too.
    """
    env = preload_env(os.environ, loopback_shim)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
    return env


def spawn_daemon(java: str, home: StormHome, spec: DaemonSpec,
                 loopback_shim: Path | None = None) -> subprocess.Popen[bytes]:
    """Start daemon ``spec`` in its own session; its console goes to ``logs/<name>.out``.

    With ``loopback_shim`` (see :func:`squall.devcluster._loopback.build_shim`) preloaded,
    the daemon and everything it starts bind their servers to 127.0.0.1.
    """
    command = daemon_command(java, home, spec)
    return spawn_logged(command, home.daemon_console(spec.name), home.root,
                        daemon_env(loopback_shim))


def spawn_logged(command: list[str], console: Path, cwd: Path,
                 env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start ``command`` in its own session with stdout and stderr appended to ``console``.

    Its own session: a signal to the caller's process group (Ctrl-C) spares it.
    """
    with open(console, "ab") as out:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            cwd=cwd, env=env, start_new_session=True, close_fds=True,
        )


def python_env() -> dict[str, str]:
    """Return an environment in which ``python -m squall...`` imports this squall."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def cluster_processes(roots: Iterable[psutil.Process], home: StormHome) -> list[psutil.Process]:
    """Return ``roots``, their descendants, and every process that belongs to ``home``.

    A process belongs to ``home`` when its command line names this storm.home or
    storm.local.dir (daemons, workers, LogWriters and the watchdog all do) or its working
    directory lies under storm.local.dir (multi-lang subprocesses run in
    ``storm-local/.../resources``). The calling process and its ancestors are never included.
    """
    spared = {os.getpid(), *(p.pid for p in psutil.Process().parents())}
    found: dict[int, psutil.Process] = {}
    for proc in roots:
        _add_tree(found, proc)
    local = str(home.local_dir.resolve())
    names_home = _home_matcher(str(home.root.resolve()), local)
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        if proc.pid in found or proc.pid in spared:
            continue
        cwd = proc.info.get("cwd") or ""
        if names_home(proc.info.get("cmdline") or []) or cwd == local or cwd.startswith(local + os.sep):
            _add_tree(found, proc)
    return [proc for pid, proc in found.items() if pid not in spared]


def _home_matcher(root: str, local: str) -> Callable[[list[str]], bool]:
    """Return a test of whether a command line names storm.home ``root`` or a path in ``local``.

    Whole paths only: a cluster in ``/x/cluster`` must spare one in ``/x/cluster2``.
    """
    in_local = re.compile(rf"(?:^|[=:]){re.escape(local)}(?:$|[/:])")
    home_flag = f"-Dstorm.home={root}"

    def names_home(args: list[str]) -> bool:
        for i, arg in enumerate(args):
            if arg == home_flag or (arg == root and i > 0 and args[i - 1] == "--home"):
                return True
            if local in arg and in_local.search(arg):
                return True
        return False

    return names_home


def processes_naming(markers: Iterable[str]) -> list[psutil.Process]:
    """Return the processes (and their descendants) having one of ``markers`` as a whole argument.

    The calling process and its ancestors are never included.
    """
    wanted = set(markers)
    spared = {os.getpid(), *(p.pid for p in psutil.Process().parents())}
    found: dict[int, psutil.Process] = {}
    for proc in psutil.process_iter(["cmdline"]):
        if proc.pid not in spared and wanted.intersection(proc.info.get("cmdline") or []):
            _add_tree(found, proc)
    return [proc for pid, proc in found.items() if pid not in spared]


def _add_tree(found: dict[int, psutil.Process], proc: psutil.Process) -> None:
    found[proc.pid] = proc
    try:
        for child in proc.children(recursive=True):
            found[child.pid] = child
    except psutil.Error:
        pass


def terminate(processes: list[psutil.Process], grace_secs: float) -> list[int]:
    """Send SIGTERM, wait up to ``grace_secs``, then SIGKILL survivors; return pids ended."""
    for proc in processes:
        try:
            proc.terminate()
        except psutil.Error:
            pass
    _gone, alive = psutil.wait_procs(processes, timeout=grace_secs)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=5.0)
    return [proc.pid for proc in processes]


def log_tail(path: Path, lines: int = 20) -> str:
    """Return the last ``lines`` lines of ``path`` (empty if unreadable)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
