"""Live and final metrics of an embedded run, as plain dataclasses (Storm UI's figures)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

from squall.engine._acking import LatencyStats


@dataclass(frozen=True, kw_only=True)
class Figures:
    """The figures a task and a component both have (Storm UI's columns)."""

    emitted: int = 0
    transferred: int = 0
    executed: int = 0
    acked: int = 0
    failed: int = 0
    execute_latency_ms: float = 0.0
    capacity: float = 0.0
    pending: int = 0
    complete_latency_ms: float = 0.0
    complete_p50_ms: float = 0.0
    complete_p99_ms: float = 0.0
    restarts: int = 0
    given_up: int = 0  # spouts: tuples given up (a ReliableSpout past max_fails)


@dataclass(frozen=True, kw_only=True)
class TaskMetrics(Figures):
    """Counters of one task since the run started (all incarnations of it).

    A restarted task's figures are the sum over its incarnations: what each dead
    incarnation last reported is kept. A task that exits on an exception in user
    code reports its counts as it goes; one killed outright (SIGKILL, a crash of
    the interpreter) cannot, so what it did since its last report (every
    ``squall.engine.metrics.interval.secs``) is not counted: it is unknowable. Its
    tuples are not lost: unacked trees time out and are replayed. ``executed``
    counts the inputs whose ``process`` ran (including the one that raised), not
    the ones the dead incarnation had received but never got to.

    ``capacity`` is Storm's: the fraction of the last reporting window spent in
    ``process`` (executed * execute latency / window). ``pending`` and the
    ``complete_*`` latencies (emit to full ack, in ms) are for spouts.
    """

    component: str
    task: int
    kind: str


@dataclass(frozen=True, kw_only=True)
class ComponentMetrics(Figures):
    """A component's figures: sums over its tasks; capacity is the busiest task's."""

    name: str
    kind: str
    par: int


@dataclass(frozen=True)
class CrashReport:
    """One task process that died while the topology ran.

    ``exit_code`` is the process exit status (negative: killed by that signal);
    ``error`` is the last text the task sent with ``report_error`` (often a traceback).
    """

    component: str
    task: int
    exit_code: int
    error: Optional[str]
    at_secs: float
    restarted: bool
    log_file: Optional[Path] = None

    def summary(self) -> str:
        """Return a one-line description."""
        how = f"killed by signal {-self.exit_code}" if self.exit_code < 0 else f"exit code {self.exit_code}"
        last = (self.error or "").strip().splitlines()
        tail = f": {last[-1]}" if last else ""
        return f"task {self.task} of {self.component!r} crashed at {self.at_secs:.1f}s ({how}){tail}"


@dataclass(frozen=True)
class Snapshot:
    """Live metrics, handed to ``on_progress`` about once a second."""

    topology: str
    elapsed: float
    components: Mapping[str, ComponentMetrics]
    tasks: Mapping[int, TaskMetrics]
    crashes: tuple[CrashReport, ...] = ()


@dataclass(frozen=True)
class RunResult:
    """What a finished run did: final metrics, crashes, where the logs are.

    ``stop_reason`` is one of ``"time"``, ``"idle"``, ``"stopped"`` (stop event or
    Ctrl-C) or ``"failed"``. ``errors`` counts the errors tasks reported (user
    exceptions, values the engine could not carry); ``first_error`` is the first
    one's text. ``problem()`` says in one line why the run did not go well, if so.
    ``elapsed`` runs from the tasks' start to the last task's exit; the stop (drain,
    then ending the tasks) began ``stopping_at`` seconds in: with a time limit, at it.
    """

    topology: str
    elapsed: float
    log_dir: Path
    components: Mapping[str, ComponentMetrics]
    tasks: Mapping[int, TaskMetrics]
    crashes: tuple[CrashReport, ...] = ()
    stop_reason: str = "stopped"
    errors: int = 0
    first_error: Optional[str] = None
    stopping_at: Optional[float] = None  # seconds into the run when the stop began (None: never)

    def __getitem__(self, component: str) -> ComponentMetrics:
        """Return one component's metrics: ``result["count"].executed``."""
        return self.components[component]

    @property
    def given_up(self) -> int:
        """How many tuple trees the spouts gave up on (never processed, never replayed again)."""
        return sum(c.given_up for c in self.components.values())

    def problem(self) -> Optional[str]:
        """Return one line saying why the run failed its users (gave up on tuples, crashed), or None.

        >>> RunResult("T", 1.0, Path("."), {}, {}).problem() is None
        True
        """
        parts = []
        if self.given_up:
            parts.append(f"the spouts gave up on {self.given_up} tuple tree{'s' if self.given_up > 1 else ''}")
        if self.crashes:
            parts.append(f"{len(self.crashes)} task crash{'es' if len(self.crashes) > 1 else ''}")
        if not parts:
            return None
        cause = self.crashes[0].summary() if self.crashes and not self.first_error else error_cause(self.first_error)
        return f"{' and '.join(parts)}; first error: {cause}"


def error_cause(text: Optional[str]) -> str:
    r"""Return the line of an error report that says what went wrong: where, and the exception line.

    >>> error_cause("split[2] in process():\nTraceback (most recent call last):\n  ...\nValueError: bad")
    'split[2] in process(): ValueError: bad'
    >>> error_cause("poison[2]: cannot send a tuple")
    'poison[2]: cannot send a tuple'
    """
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    if not lines:
        return "no error was reported (see the task logs)"
    if len(lines) == 1:
        return lines[0]
    where = lines[0].rstrip(":")
    return f"{where}: {lines[-1]}"


@dataclass
class TaskState:
    """The parent's bookkeeping for one task (mutable, engine-internal)."""

    component: str
    task: int
    kind: str
    base: dict[str, Any] = field(default_factory=dict)  # totals of dead incarnations
    current: dict[str, Any] = field(default_factory=dict)  # latest report of the live one
    latency: LatencyStats = field(default_factory=LatencyStats)
    base_latency: LatencyStats = field(default_factory=LatencyStats)
    capacity: float = 0.0
    last_busy: float = 0.0
    last_time: float = 0.0
    restarts: int = 0

    _COUNTERS = ("emitted", "transferred", "executed", "acked", "failed", "exec_secs", "given_up")

    def update(self, report: Mapping[str, Any], now: float) -> None:
        """Take a task's cumulative report; derive the window's capacity."""
        busy = report.get("exec_secs", 0.0)
        if self.last_time and now > self.last_time and busy >= self.last_busy:
            self.capacity = min(1.0, (busy - self.last_busy) / (now - self.last_time))
        self.last_busy, self.last_time = busy, now
        self.current = dict(report)
        lat = LatencyStats()
        lat.merge(report.get("lat_count", 0), report.get("lat_total", 0.0), report.get("lat_buckets", {}))
        self.latency = lat

    def restarted(self) -> None:
        """Fold the dead incarnation's totals into the base."""
        for key in self._COUNTERS:
            self.base[key] = self.base.get(key, 0) + self.current.get(key, 0)
        self.base_latency.merge(self.latency.count, self.latency.total, self.latency.buckets)
        self.current, self.latency = {}, LatencyStats()
        self.last_busy, self.last_time, self.capacity = 0.0, 0.0, 0.0
        self.restarts += 1

    def total(self, key: str) -> Any:
        """Return a counter summed over all incarnations."""
        return self.base.get(key, 0) + self.current.get(key, 0)

    def all_latency(self) -> LatencyStats:
        """Return the complete-latency histogram over all incarnations."""
        merged = LatencyStats()
        for part in (self.base_latency, self.latency):
            merged.merge(part.count, part.total, part.buckets)
        return merged

    def metrics(self) -> TaskMetrics:
        """Return the public view."""
        executed = self.total("executed")
        lat = self.all_latency()
        return TaskMetrics(
            component=self.component,
            task=self.task,
            kind=self.kind,
            emitted=self.total("emitted"),
            transferred=self.total("transferred"),
            executed=executed,
            acked=self.total("acked"),
            failed=self.total("failed"),
            execute_latency_ms=(self.total("exec_secs") * 1000.0 / executed) if executed else 0.0,
            capacity=self.capacity,
            pending=self.current.get("pending", 0),
            complete_latency_ms=lat.mean,
            complete_p50_ms=lat.percentile(0.5),
            complete_p99_ms=lat.percentile(0.99),
            restarts=self.restarts,
            given_up=self.total("given_up"),
        )


def component_metrics(name: str, kind: str, states: list[TaskState]) -> ComponentMetrics:
    """Aggregate the tasks of one component."""
    tasks = [s.metrics() for s in states]
    executed = sum(t.executed for t in tasks)
    exec_secs = sum(s.total("exec_secs") for s in states)
    lat = LatencyStats()
    for s in states:
        part = s.all_latency()
        lat.merge(part.count, part.total, part.buckets)
    return ComponentMetrics(
        name=name,
        kind=kind,
        par=len(tasks),
        emitted=sum(t.emitted for t in tasks),
        transferred=sum(t.transferred for t in tasks),
        executed=executed,
        acked=sum(t.acked for t in tasks),
        failed=sum(t.failed for t in tasks),
        execute_latency_ms=(exec_secs * 1000.0 / executed) if executed else 0.0,
        capacity=max((t.capacity for t in tasks), default=0.0),
        pending=sum(t.pending for t in tasks),
        complete_latency_ms=lat.mean,
        complete_p50_ms=lat.percentile(0.5),
        complete_p99_ms=lat.percentile(0.99),
        restarts=sum(t.restarts for t in tasks),
        given_up=sum(t.given_up for t in tasks),
    )
