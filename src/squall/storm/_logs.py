"""Read the worker logs of a topology running on a Storm cluster on this machine.

Workers write ``<storm.log.dir>/workers-artifacts/<topology-id>/<port>/worker.log``;
the multi-lang ``log`` commands of squall components land there too. Remote
clusters' logs are served by Storm's logviewer instead (not read by squall).
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

from squall.errors import ClusterError
from squall.storm._control import require_topology
from squall.storm._env import StormEnv

WORKER_LOG = "worker.log"
_FOLLOW_POLL_SECS = 0.25


def worker_logs(env: StormEnv, topology_id: str) -> list[Path]:
    """Return the worker log files of ``topology_id`` (one per worker port used so far)."""
    root = _log_root(env) / "workers-artifacts" / topology_id
    return sorted(root.glob(f"*/{WORKER_LOG}"))


def _log_root(env: StormEnv) -> Path:
    if env.log_dir is None:
        host = env.nimbus_host
        raise ClusterError(
            f"`squall tail` reads worker logs on this machine, and env '{env.name}' is a remote "
            f"cluster: open the Storm logviewer (http://<supervisor-host>:8000, logviewer.port) "
            f"or the Storm UI of {host}, or set log_dir for a cluster sharing this filesystem")
    return env.log_dir


def tail(
    name: str,
    env: StormEnv,
    *,
    lines: int = 20,
    follow: bool = False,
    pattern: str | None = None,
    stop: Callable[[], bool] | None = None,
) -> Iterator[str]:
    """Yield the last ``lines`` lines of every worker log of topology ``name``.

    With ``follow``, keep yielding new lines (also from workers started later, e.g.
    after a crash) until ``stop()`` returns True or the caller stops iterating.
    ``pattern`` keeps only lines matching that regular expression. Lines are
    prefixed with the worker port: ``[6700] 2024-...``.

    >>> for line in tail("WordCount", DevCluster().storm_env(), lines=5):  # doctest: +SKIP
    ...     print(line)
    """
    _log_root(env)
    topo = require_topology(env, name)
    regex = re.compile(pattern) if pattern else None
    offsets: dict[Path, int] = {}
    for path in worker_logs(env, topo.id):
        last: deque[str] = deque(maxlen=lines)
        offsets[path] = _read_new(path, 0, last.append, regex)
        yield from (f"[{path.parent.name}] {line}" for line in last)
    while follow and not (stop is not None and stop()):
        fresh: list[str] = []
        for path in worker_logs(env, topo.id):
            found: list[str] = []
            offsets[path] = _read_new(path, offsets.get(path, 0), found.append, regex)
            fresh += [f"[{path.parent.name}] {line}" for line in found]
        yield from fresh
        if not fresh:
            time.sleep(_FOLLOW_POLL_SECS)


def _read_new(path: Path, offset: int, sink: Callable[[str], None],
              regex: re.Pattern[str] | None) -> int:
    """Feed complete lines after ``offset`` to ``sink``; return the new offset."""
    try:
        with path.open("rb") as handle:
            if handle.seek(0, 2) < offset:  # rotated or truncated: start over
                offset = 0
            handle.seek(offset)
            data = handle.read()
    except OSError:
        return offset
    end = data.rfind(b"\n") + 1
    for raw in data[:end].splitlines():
        line = raw.decode("utf-8", "replace")
        if regex is None or regex.search(line):
            sink(line)
    return offset + end
