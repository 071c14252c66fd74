"""A deterministic, single-threaded topology runner for unit tests.

Every task is a component instance in this process; tuples are delivered in FIFO
order; each task routes with the embedded engine's ``Router`` (Storm's task ids and
groupings, shuffles drawn from a seeded RNG); anchoring and acking are tracked per
spout tuple tree, so spouts get ``ack``/``fail`` callbacks as on a real engine.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import deque
from typing import Any, Callable, Optional, Sequence

from squall.api import ERROR, Bolt, Component, TopologyContext, Tuple, TupleFactory, dispatch_one, on_user_error, tick_tuple
from squall.engine._carry import check_carried
from squall.engine._routing import Router
from squall.errors import ComponentCrashed, TopologyError
from squall.testing._recording import LogEntry
from squall.testing._result import TopologyResult, declared_streams
from squall.testing._trees import Trees
from squall.topology import ComponentModel, TopologyModel

TICK_KEY = "topology.tick.tuple.freq.secs"


class _TaskHost:
    """The ``ComponentHost`` of one task: forwards every call to the runner."""

    def __init__(self, runner: "InProcessRunner", task: "_Task") -> None:
        self._runner = runner
        self._task = task

    def emit(self, stream: str, values: list[Any], anchors: Sequence[Any], tup_id: Any,
             direct_task: Optional[int], need_task_ids: bool) -> Optional[list[int]]:
        targets = self._runner._emit(self._task, stream, values, anchors, tup_id, direct_task)
        return targets if need_task_ids else None

    def ack(self, tup_id: Any) -> None:
        self._runner._ack(self._task, tup_id)

    def fail(self, tup_id: Any) -> None:
        self._runner._fail(self._task, tup_id)

    def log(self, message: str, level: int) -> None:
        self._runner.result.logs.setdefault(self._task.model.name, []).append(LogEntry(level, message))

    def report_error(self, message: str) -> None:
        self._runner.result.errors.setdefault(self._task.model.name, []).append(message)

    def fatal(self, error: BaseException) -> None:
        self._runner._fatal.append((self._task, error))


class _Task:
    def __init__(self, model: ComponentModel, task_id: int, context: TopologyContext) -> None:
        self.model = model
        self.id = task_id
        self.context = context
        self.factory = TupleFactory(context.source_fields)
        self.instance: Component = model.component_class()


class InProcessRunner:
    """Run a topology model in this process, one tuple at a time, reproducibly.

    ``run()`` activates the spouts, then repeats: one ``next_tuple`` per spout task,
    then delivers every queued tuple and ack/fail callback. When the spouts emit
    nothing and nothing is queued the run is idle; if tick-driven components
    (``topology.tick.tuple.freq.secs`` set, batching bolts) still hold tuples, tick
    rounds are delivered until they let go (at most ``max_idle_ticks`` rounds in a
    row that change nothing). Tree timeouts do not apply: open trees are reported
    as ``pending``. For step-by-step tests use ``start()``, ``step()``,
    ``tick()`` and ``drain()``.

    When a task raises and would stop (``exit_on_exception``), the tuples it held
    are failed, the task is restarted with a fresh instance, and with
    ``raise_errors`` (default) the run raises ``ComponentCrashed``.

    Routing and the rules of emits are the embedded engine's: each task has its own
    ``squall.engine._routing.Router`` (shuffles drawn from ``random.Random`` seeded
    from ``seed``, so a run is reproducible; partial_key load counted per producer
    task), a direct emit to a task that does not read the stream raises, and acking
    or failing an id that is not a pending input raises, as on the engines.
    """

    def __init__(self, model: TopologyModel, *, raise_errors: bool = True, seed: int = 0) -> None:
        self.model = model
        self.raise_errors = raise_errors
        self.task_ids = model.task_ids()
        self.result = TopologyResult(engine="inprocess", streams=declared_streams(model))
        self._queue: deque[tuple[_Task, Tuple]] = deque()
        self._callbacks: deque[tuple[_Task, str, Any]] = deque()
        master = random.Random(seed)
        self._routers = _routers(model, self.task_ids, master)
        spout_tasks = [t for c in model.spouts for t in self.task_ids[c.name]]
        self._trees = Trees(spout_tasks, random.Random(master.getrandbits(64)))
        self._ids = itertools.count(1)
        self._fatal: list[tuple[_Task, BaseException]] = []
        self._emits = 0
        self.tasks: dict[int, _Task] = {}
        for name, ids in self.task_ids.items():
            for task_id in ids:
                context = TopologyContext.for_task(model, name, task_id, self.task_ids)
                self.tasks[task_id] = _Task(model.components[name], task_id, context)
        self._started = False

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Prepare every task (``initialize``) and activate the spouts. Idempotent."""
        if self._started:
            return
        self._started = True
        for task in self.tasks.values():
            self._prepare(task)
        for task in self._spout_tasks():
            self._invoke(task, task.instance.activate)  # type: ignore[attr-defined]

    def _prepare(self, task: _Task) -> None:
        conf = self.model.component_config(task.model.name)
        try:
            task.instance._squall_prepare(_TaskHost(self, task), conf, task.context)
        except Exception as exc:  # a task that cannot start stops the whole run
            raise ComponentCrashed(
                f"component {task.model.name!r} (task {task.id}) raised {type(exc).__name__} in "
                f"initialize: {exc}; fix its initialize() or the conf it reads"
            ) from exc
        closer = getattr(task.instance, "_squall_close", None)
        if closer is not None:  # no timer threads here: tick rounds flush instead
            closer()

    def close(self) -> None:
        """Deactivate the spouts and stop any timers."""
        for task in self._spout_tasks():
            self._invoke(task, task.instance.deactivate)  # type: ignore[attr-defined]

    def run(self, timeout: float = 10.0, *, max_idle_ticks: int = 10, final_ticks: int = 0) -> TopologyResult:
        """Run until idle (or ``timeout`` seconds); return what every component did.

        ``final_ticks`` extra tick rounds are delivered once the run is idle, for
        bolts that emit on ticks.
        """
        deadline = time.monotonic() + timeout
        self.start()
        idle = False
        while time.monotonic() < deadline:
            if self.step(deadline):
                continue
            if self._tick_until_settled(deadline, max_idle_ticks):
                continue
            idle = True
            break
        for _ in range(final_ticks):
            self.tick()
            self.drain(deadline)
        self.close()
        self.result.idle = idle
        self.result.pending = {}
        for spout_task, msg_ids in self._trees.pending().items():
            self.result.pending.setdefault(self.tasks[spout_task].model.name, []).extend(msg_ids)
        return self.result

    def step(self, deadline: Optional[float] = None) -> bool:
        """Call ``next_tuple`` once on every spout task, then drain; return whether any emitted."""
        self.start()
        before = self._emits
        for task in self._spout_tasks():
            self._invoke(task, task.instance._squall_next_tuple)  # type: ignore[attr-defined]
        emitted = self._emits != before
        self.drain(deadline)
        return emitted

    def tick(self, component: Optional[str] = None) -> None:
        """Queue a tick for every task of ``component`` (default: every tick-driven one).

        Tickless batching bolts are flushed instead. Call ``drain()`` to deliver.
        """
        names = [component] if component else self._tick_components()
        for name in names:
            freq = self.model.component_config(name).get(TICK_KEY) or 1
            for task_id in self.task_ids[name]:
                task = self.tasks[task_id]
                flush = getattr(task.instance, "_squall_flush", None)
                if getattr(task.instance, "secs_between_batches", None) is not None and flush:
                    self._invoke(task, flush)
                else:
                    self._queue.append((task, tick_tuple(freq)))  # untracked, as on the engine

    def drain(self, deadline: Optional[float] = None) -> None:
        """Deliver queued tuples and spout callbacks until none are left (or the deadline)."""
        count = 0
        while self._queue or self._callbacks:
            count += 1
            if deadline is not None and count % 512 == 0 and time.monotonic() >= deadline:
                return
            if self._queue:
                task, tup = self._queue.popleft()
                bolt = task.instance
                assert isinstance(bolt, Bolt)
                self._invoke(task, lambda: dispatch_one(bolt, tup), tup)
            else:
                task, event, tup_id = self._callbacks.popleft()
                record = self.result.acked if event == "ack" else self.result.failed
                record.setdefault(task.model.name, []).append(tup_id)
                self._invoke(task, lambda: getattr(task.instance, event)(tup_id))

    # -- host calls ----------------------------------------------------------------------

    def _emit(self, task: _Task, stream: str, values: list[Any], anchors: Sequence[Any], tup_id: Any,
              direct_task: Optional[int]) -> list[int]:
        name = task.model.name
        targets = self._routers[task.id].route(stream, values, direct_task)
        self._emits += 1
        self.result.emitted.setdefault(name, {}).setdefault(stream, []).append(tuple(values))
        if task.model.is_spout:
            if tup_id is not None and not targets:  # nobody listens: the tree is complete at once
                self._callbacks.append((task, "ack", tup_id))
            slots = self._trees.spout_emit(task.id, tup_id, len(targets))
        else:
            slots = self._trees.bolt_emit(task.id, f"{name}[{task.id}]", anchors, len(targets))
        try:  # as the embedded engine does: values travel through its codec
            values = check_carried(name, stream, task.context.output_fields.get(stream, ()), values)
        except TopologyError as exc:  # the engine fails those trees alone and reports why
            self.result.errors.setdefault(name, []).append(str(exc))
            self.result.logs.setdefault(name, []).append(LogEntry(ERROR, str(exc)))
            self._settled("fail", self._trees.fail_roots(self._trees.roots_of(slots)))
            return targets
        for target, record in zip(targets, slots):
            delivery = next(self._ids)
            self._trees.deliver(delivery, target, record)
            consumer = self.tasks[target]
            self._queue.append((consumer, consumer.factory.make(delivery, name, stream, task.id, values)))
        return targets

    def _ack(self, task: _Task, tup_id: Any) -> None:
        self._settled("ack", self._trees.ack(task.id, tup_id, f"{task.model.name}[{task.id}]"))

    def _fail(self, task: _Task, tup_id: Any) -> None:
        self._settled("fail", self._trees.fail(task.id, tup_id, f"{task.model.name}[{task.id}]"))

    def _settled(self, event: str, trees: list[tuple[int, Any]]) -> None:
        """Queue the spout callbacks of trees that completed (``ack``) or failed."""
        for spout_task, msg_id in trees:
            self._callbacks.append((self.tasks[spout_task], event, msg_id))

    # -- errors ------------------------------------------------------------------------------

    def _invoke(self, task: _Task, fn: Callable[[], Any], tup: Optional[Tuple] = None) -> None:
        try:
            fn()
        except Exception as exc:  # as a real engine does: report, then stop or go on
            self._on_error(task, exc, tup)
        while self._fatal:
            failed_task, error = self._fatal.pop(0)
            self._on_error(failed_task, error, None, where="in a thread of user code")

    def _on_error(self, task: _Task, exc: BaseException, tup: Optional[Tuple], where: Optional[str] = None) -> None:
        """Report ``exc`` by the one error policy; if the task must stop, fail what it held and restart it."""
        name = task.model.name
        if where is None and tup is not None:
            where = f"while processing {tup!r}"
        if not on_user_error(_TaskHost(self, task), task.instance, exc, where):
            return
        self._settled("fail", self._trees.fail_held(task.id))  # a crashed task never silently drops tuples
        task.instance = task.model.component_class()
        self._prepare(task)
        if task.model.is_spout:
            self._invoke(task, task.instance.activate)  # type: ignore[attr-defined]
        if self.raise_errors:
            raise ComponentCrashed(
                f"component {name!r} (task {task.id}) raised {type(exc).__name__}: {exc}; "
                "fix the component, or pass raise_errors=False to record errors in result.errors"
            ) from exc

    # -- helpers ---------------------------------------------------------------------------

    def _spout_tasks(self) -> list[_Task]:
        return [t for t in self.tasks.values() if t.model.is_spout]

    def _tick_components(self) -> list[str]:
        return [
            c.name for c in self.model.bolts
            if self.model.component_config(c.name).get(TICK_KEY)
            or getattr(c.component_class, "secs_between_batches", None) is not None
        ]

    def _tick_until_settled(self, deadline: float, max_idle_ticks: int) -> bool:
        """Deliver tick rounds while tick-driven tasks hold tuples; return whether any let go."""
        tick_tasks = {t for c in self._tick_components() for t in self.task_ids[c]}
        if not tick_tasks:
            return False
        stale, progressed = 0, False
        while stale < max_idle_ticks and time.monotonic() < deadline:
            if not self._trees.holds(tick_tasks):
                break
            before = (self._trees.size(), self._emits)
            self.tick()
            self.drain(deadline)
            if (self._trees.size(), self._emits) != before:
                stale, progressed = 0, True
            else:
                stale += 1
        return progressed


def _routers(model: TopologyModel, task_ids: dict[str, list[int]], master: random.Random) -> dict[int, Router]:
    """Return one engine ``Router`` per task, each with its own RNG drawn from ``master``."""
    return {
        task: Router.for_task(model, task_ids, name, random.Random(master.getrandbits(64)))
        for name, ids in task_ids.items()
        for task in ids
    }
