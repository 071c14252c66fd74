"""``run_local``: run a topology on this machine, one OS process per task."""

from __future__ import annotations

import contextlib
import math
import re
import signal
import threading
import time as _time
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, Union

from squall.engine import _conf
from squall.engine._metrics import RunResult, Snapshot
from squall.engine._stop_requests import StopRequests
from squall.engine._supervisor import Supervisor
from squall.errors import ConfigError, EngineError
from squall.topology import Topology, TopologyModel


def run_local(
    topology: Union[type[Topology], TopologyModel],
    *,
    time: Optional[float] = None,
    options: Optional[Mapping[str, Any]] = None,
    par: Optional[Mapping[str, int]] = None,
    until_idle: bool = False,
    idle_secs: float = 2.0,
    log_dir: Optional[Union[str, Path]] = None,
    on_progress: Optional[Callable[[Snapshot], None]] = None,
    stop_event: Optional[threading.Event] = None,
    kill_event: Optional[threading.Event] = None,
) -> RunResult:
    """Run ``topology`` on every core of this machine; return its metrics when it stops.

    Every task runs in its own process (forked, so classes defined anywhere work).
    When this process already runs threads (a notebook kernel, a web app), the tasks
    are forked by a single-threaded helper interpreter instead, which gets the model
    with ``cloudpickle``: nothing forks a threaded process, and nothing warns.
    The run stops after ``time`` seconds, when ``stop_event`` is set, on Ctrl-C, or,
    with ``until_idle``, once no spout emitted and no tracked tuple was pending for
    ``idle_secs``. Stopping deactivates the spouts, lets pending tuple trees finish
    (bounded by ``squall.engine.drain.timeout.secs``) and ends every task process.
    Setting ``kill_event``, or a Ctrl-C while stopping, skips the rest of the drain
    and kills the tasks (their pending trees are replayed by a replaying spout's
    next run). Ctrl-C is handled only while Python's own SIGINT handler is in place.
    Conf precedence: ``options`` > ``Topology.config`` > engine defaults; a
    component's own config overrides the topology's. Logs (one file per task plus
    ``engine.log``) go to ``log_dir`` (default ``./.squall/runs/<topology>-<time>/``).
    Must be called from a thread that lives until it returns (task processes die
    with it). Raises ``EngineError`` when a task keeps crashing (``.result`` holds
    the metrics up to then).

    Example::

        result = run_local(WordCount, time=10, par={"count": 4})
        print(result["count"].executed, result.log_dir)
    """
    model = topology.model if isinstance(topology, type) and issubclass(topology, Topology) else topology
    if not isinstance(model, TopologyModel):
        raise EngineError(f"run_local() takes a Topology subclass or a TopologyModel, got {topology!r}")
    if par:
        model = model.with_par(par)
    merged = dict(_conf.DEFAULTS)
    merged.update(model.config)
    merged.update(options or {})
    merged["topology.name"] = model.name  # as Storm sets it on submit
    model = model.with_config(merged)
    check_conf(model)
    if time is not None and (isinstance(time, bool) or not isinstance(time, (int, float))
                             or not math.isfinite(time) or time <= 0):
        raise ConfigError(f"run_local(time={time!r}): the run time must be a finite number of seconds > 0")
    run_dir = _run_dir(model.name, log_dir)
    from squall.engine import _zygote  # imported here: `python -m squall.engine._zygote` runs it as __main__

    if _zygote.threads_running():  # never fork from a threaded process: a zygote forks the tasks
        return _zygote.run_in_zygote(model, run_dir, time_limit=time, until_idle=until_idle, idle_secs=idle_secs,
                                     stop_event=stop_event, kill_event=kill_event, on_progress=on_progress)
    supervisor = Supervisor(
        model,
        run_dir,
        time_limit=time,
        until_idle=until_idle,
        idle_secs=idle_secs,
        on_progress=on_progress,
        requests=StopRequests(stop_event, kill_event),
    )
    return supervisor.run()


def check_conf(model: TopologyModel) -> None:
    """Validate every engine key (the run's and each task's), naming the component whose config is bad.

    ``run_local`` calls it before anything starts; the CLI too, before it creates a run folder.
    """
    for key in _conf.RULES:
        _conf.read(model.config, key)
    for name in model.components:
        try:
            _conf.task_settings(model.component_config(name))
        except ConfigError as exc:
            raise ConfigError(f"component {name!r}: {exc}") from None


def fresh_run_dir(parent: Union[str, Path], topology: str) -> Path:
    """Create and return a new run folder ``<parent>/<topology>-<time>[-N]``, never one in use.

    The folder is created atomically (``mkdir`` fails if it exists), so runs started
    in the same second, even concurrently, each get their own.

    Example::

        log_dir = fresh_run_dir(Path(".squall/runs"), "WordCount")  # .squall/runs/WordCount-20250101-120000
    """
    stamp = _time.strftime("%Y%m%d-%H%M%S")
    base = f"{re.sub(r'[^A-Za-z0-9_.-]', '_', topology)}-{stamp}"
    Path(parent).mkdir(parents=True, exist_ok=True)
    suffix = 1
    while True:
        path = Path(parent) / (base if suffix == 1 else f"{base}-{suffix}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            suffix += 1


def _run_dir(name: str, log_dir: Optional[Union[str, Path]]) -> Path:
    try:
        path = Path(log_dir) if log_dir is not None else fresh_run_dir(Path.cwd() / ".squall" / "runs", name)
        path.mkdir(parents=True, exist_ok=True)
        (path / "engine.log").open("a", encoding="utf-8").close()  # writable, not only present
    except OSError as exc:
        raise EngineError(
            f"cannot use the log directory {path}: {exc.strerror or exc}; choose another log directory"
        ) from exc
    return path


@contextlib.contextmanager
def stop_on_signals(event: threading.Event, kill_event: Optional[threading.Event] = None) -> Iterator[threading.Event]:
    """Set ``event`` on SIGINT or SIGTERM while the block runs (main thread only), then ``kill_event``.

    For entry points: ``with stop_on_signals(stop, kill): run_local(T, stop_event=stop,
    kill_event=kill)`` turns Ctrl-C and ``kill`` into a clean stop, and a second one into
    a stop at once. The previous handlers are restored.
    """
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, frame: Any) -> None:
        if event.is_set() and kill_event is not None:
            kill_event.set()
        event.set()

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield event
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
