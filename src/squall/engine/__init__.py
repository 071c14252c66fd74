"""The embedded engine: run a topology on every core of this machine.

Each task runs in its own OS process; tuples travel in msgpack batches over
AF_UNIX SEQPACKET sockets; Storm's acking (XOR tuple trees), timeouts, tick tuples,
backpressure and crash recovery behave as on Storm.

>>> from squall.engine import run_local  # doctest: +SKIP
>>> result = run_local(WordCount, time=10)  # doctest: +SKIP
"""

from squall.engine._metrics import ComponentMetrics, CrashReport, RunResult, Snapshot, TaskMetrics
from squall.engine._conf import check_option
from squall.engine._run import check_conf, fresh_run_dir, run_local, stop_on_signals

__all__ = [
    "ComponentMetrics",
    "CrashReport",
    "RunResult",
    "Snapshot",
    "TaskMetrics",
    "check_conf",
    "check_option",
    "fresh_run_dir",
    "run_local",
    "stop_on_signals",
]
