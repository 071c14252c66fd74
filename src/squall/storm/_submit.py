"""Submit a topology to Storm: build the jar, upload it, submit the shell topology."""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from squall.errors import ClusterError, PackagingError, TopologyError
from squall.storm._control import _poll, find_topology, kill, nimbus, wait_until_gone
from squall.storm._env import StormEnv
from squall.storm._jar import build_jar_report
from squall.storm._logs import worker_logs
from squall.storm._mapping import check_storm_support, conf_serializer, storm_topology, topology_conf
from squall.storm._vendor import DEFAULT_PLATFORM
from squall.storm.nimbus import TopologyAlreadyRunning
from squall.topology import TopologyModel

Progress = Callable[[str], None]
_NAME_FORBIDDEN = "/.:\\"
FORCE_KILL_TIMEOUT_SECS = 120.0
READY_TIMEOUT_SECS = 180.0


@dataclass(frozen=True)
class Submitted:
    """The outcome of :func:`submit`."""

    name: str
    id: str
    conf: Mapping[str, Any]
    jar_bytes: int
    seconds: float


def submit(
    model: TopologyModel,
    env: StormEnv,
    *,
    name: str | None = None,
    force: bool = False,
    inactive: bool = False,
    workers: int | None = None,
    ackers: int | None = None,
    options: Mapping[str, Any] | None = None,
    wait: bool = False,
    project_root: Path | str | None = None,
    progress: Progress | None = None,
) -> Submitted:
    """Package ``model`` with its project and run it on ``env``'s Storm cluster.

    Conf precedence: ``options``/``workers``/``ackers`` (the CLI's) > the model's
    conf > ``env.options`` > squall's defaults. ``force`` kills a running topology
    of the same name first and waits until Nimbus forgets it; without it a running
    namesake raises TopologyAlreadyRunning before anything is built. ``wait``
    blocks until every task of every component has started (ignored with
    ``inactive``: Storm opens spouts and prepares bolts only once activated). ``project_root`` is the
    folder to pack (default: the folder the first component's module is imported
    from). Progress messages go to ``progress``.

    >>> submit(WordCount.model, DevCluster().storm_env(), force=True)   # doctest: +SKIP
    Submitted(name='WordCount', id='WordCount-1-1700000000', ...)
    """
    say = progress or (lambda _msg: None)
    started = time.monotonic()
    name = name or model.name
    _check_name(name)
    conf = topology_conf(model, env_options=env.options, options=options, workers=workers,
                         ackers=ackers, serializer=env.serializer)
    serializer = conf_serializer(conf)
    check_storm_support(model, storm_version(env), serializer)
    running = find_topology(env, name)
    if running is not None and not force:
        raise TopologyAlreadyRunning(
            f"topology '{name}' is already running on {env.name} (id {running.id}); "
            "use --force to replace it, or -N to submit under another name")
    root = Path(project_root) if project_root is not None else default_project_root(model)
    with tempfile.TemporaryDirectory(prefix="squall-jar-") as tmp:
        say(f"packaging {model.name} from {root}")
        report = build_jar_report(
            model, root, Path(tmp) / f"{name}.jar", serializer=serializer,
            python=env.worker_python, vendor=env.vendors, python_version=env.python_version,
            platform=env.platform or DEFAULT_PLATFORM, progress=say)
        topology = storm_topology(model, env.worker_python, report.scripts)
        if running is not None:
            say(f"killing the running '{name}' ({running.id}) first (--force)")
            kill(name, env, wait_secs=0)
            wait_until_gone(name, env, FORCE_KILL_TIMEOUT_SECS)
        jar_bytes = report.path.stat().st_size
        with nimbus(env) as client:
            say(f"uploading {jar_bytes / 1e6:.1f} MB to Nimbus {client.address}")
            location = client.upload_jar(report.path)
            say(f"submitting '{name}'" + (" (inactive)" if inactive else ""))
            client.submit(name, location, conf, topology, inactive=inactive)
    submitted = find_topology(env, name)
    if submitted is None:
        raise ClusterError(f"Nimbus accepted '{name}' but does not list it; check the Nimbus log")
    if wait and inactive:
        say("not waiting: an inactive topology's tasks start when it is activated")
    elif wait:
        say(f"waiting for every task of '{name}' to start")
        wait_until_running(model, env, submitted.id, progress=say)
    result = Submitted(name, submitted.id, conf, jar_bytes, time.monotonic() - started)
    say(f"submitted '{name}' as {submitted.id} in {result.seconds:.1f}s")
    return result


def storm_version(env: StormEnv) -> str | None:
    """Return the Storm version of ``env``'s leader Nimbus (None if it does not say)."""
    with nimbus(env) as client:
        version = client.leader().version
    return version if isinstance(version, str) and version[:1].isdigit() else None


def _check_name(name: str) -> None:
    if not name or any(c in name for c in _NAME_FORBIDDEN):
        raise TopologyError(f"topology name {name!r} is not valid on Storm (no '/', '.', ':' "
                            "or '\\'); pass another with -N")


def default_project_root(model: TopologyModel) -> Path:
    """Return the folder the model's first non-squall component module is imported from."""
    from squall.storm._jar import _module_root

    for comp in model.components.values():
        module = comp.class_path.split(":", 1)[0]
        if module.split(".", 1)[0] != "squall":
            root = _module_root(module)
            if root is not None:
                return root
    raise PackagingError(f"topology {model.name!r}: cannot tell its project folder; "
                         "pass project_root")


def wait_until_running(model: TopologyModel, env: StormEnv, topology_id: str,
                       timeout: float = READY_TIMEOUT_SECS, progress: Progress | None = None) -> None:
    """Block until every task of every component of ``model`` has started.

    On a cluster on this machine a task counts as started once its worker logged
    that the spout opened or the bolt prepared (its Python process answered the
    multi-lang handshake); on a remote one, once Nimbus reports an uptime for its
    executor (workers report every ``executor.metrics.frequency.secs``, 60 s by
    default). Each time the picture changes, ``progress`` gets a line saying which
    components are up and which are still starting (``count 2/4 starting``). Raises
    ClusterError after ``timeout`` seconds naming what is missing.
    """
    expected = {c.name: c.par for c in model.components.values()}
    started = _started_from_logs if env.log_dir is not None else _started_from_nimbus
    shown: list[str] = []
    begun = time.monotonic()

    def missing() -> dict[str, int]:
        up = started(env, topology_id)
        line = _startup_line(expected, up)
        if progress is not None and (not shown or line != shown[-1]):
            shown.append(line)
            progress(f"[{time.monotonic() - begun:4.0f}s] {line}")
        return {c: n - up.get(c, 0) for c, n in expected.items() if up.get(c, 0) < n}

    try:
        _poll(lambda: not missing(), timeout, "")
    except ClusterError:
        late = ", ".join(f"{c} ({n} of {expected[c]} tasks)" for c, n in missing().items())
        raise ClusterError(f"topology {topology_id}: {late} not started after {timeout:.0f}s; "
                           f"see `squall tail {model.name}` and `squall stats {model.name}`"
                           ) from None


def _startup_line(expected: Mapping[str, int], up: Mapping[str, int]) -> str:
    """Return e.g. ``up: words 1/1 | starting: count 2/4``."""
    ready = [f"{c} {n}/{n}" for c, n in expected.items() if up.get(c, 0) >= n]
    waiting = [f"{c} {min(up.get(c, 0), n)}/{n}" for c, n in expected.items() if up.get(c, 0) < n]
    parts = ([f"up: {', '.join(ready)}"] if ready else []) + (
        [f"starting: {', '.join(waiting)}"] if waiting else [])
    return " | ".join(parts)


_STARTED = re.compile(rb"(?:Opened spout|Prepared bolt) (.+?):\[(-?\d+)\]")


def _started_from_logs(env: StormEnv, topology_id: str) -> dict[str, int]:
    tasks: set[tuple[str, int]] = set()
    for log in worker_logs(env, topology_id):
        try:
            data = log.read_bytes()
        except OSError:
            continue
        tasks.update((m.group(1).decode(), int(m.group(2))) for m in _STARTED.finditer(data))
    counts: dict[str, int] = {}
    for component, _ in tasks:
        counts[component] = counts.get(component, 0) + 1
    return counts


def _started_from_nimbus(env: StormEnv, topology_id: str) -> dict[str, int]:
    with nimbus(env) as client:
        info = client.topology_info(topology_id)
    counts: dict[str, int] = {}
    for ex in info.executors or []:
        if ex.uptime_secs:
            tasks = ex.executor_info.task_end - ex.executor_info.task_start + 1
            counts[ex.component_id] = counts.get(ex.component_id, 0) + tasks
    return counts
