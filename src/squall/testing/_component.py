"""Drive one spout or bolt in-process, through a recording host: no processes, no JVM."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from squall.api import Bolt, Component, Spout, TopologyContext, Tuple, dispatch_one, on_user_error
from squall.errors import ComponentCrashed
from squall.testing._recording import Emission, LogEntry, RecordingHost
from squall.testing._tuples import Values, make_tuple, tick_tuple
from squall.topology import DEFAULT_STREAM, Topology, TopologyModel, streams_from_outputs

SourcesDeclaration = Mapping[str, Union[Sequence[str], Mapping[str, Sequence[str]]]]


@dataclass(frozen=True)
class CallResult:
    """What one call into a component did: emits, acks, fails, logs, errors.

    ``error`` is the exception user code raised when the component goes on after
    errors (``exit_on_exception = False``); with the default the harness re-raises it.
    """

    emissions: tuple[Emission, ...]
    acked: tuple[Any, ...]
    failed: tuple[Any, ...]
    logs: tuple[LogEntry, ...]
    errors: tuple[str, ...]
    error: Optional[BaseException] = None
    input: Optional[Tuple] = None

    @property
    def emitted(self) -> dict[str, list[tuple[Any, ...]]]:
        """The emitted values per stream, in emit order."""
        return _by_stream(self.emissions)

    def values(self, stream: str = DEFAULT_STREAM) -> list[tuple[Any, ...]]:
        """The values emitted on ``stream`` (default stream by default)."""
        return [e.values for e in self.emissions if e.stream == stream]

    @property
    def input_acked(self) -> bool:
        """Whether the input tuple was acked during this call."""
        return self.input is not None and self.input.id in self.acked

    @property
    def input_failed(self) -> bool:
        """Whether the input tuple was failed during this call."""
        return self.input is not None and self.input.id in self.failed


def _by_stream(emissions: Sequence[Emission]) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    for e in emissions:
        out.setdefault(e.stream, []).append(e.values)
    return out


class _Harness:
    """What both harnesses share: the host, the context, error handling, records."""

    _expected_kind: type = Component

    def __init__(
        self,
        component: Union[type, Component],
        conf: Optional[Mapping[str, Any]] = None,
        context: Optional[TopologyContext] = None,
        *,
        component_id: Optional[str] = None,
        task_id: int = 1,
        sources: Optional[SourcesDeclaration] = None,
    ) -> None:
        instance: Component = component() if isinstance(component, type) else component
        if not isinstance(instance, self._expected_kind):
            raise TypeError(
                f"{type(self).__name__}({type(instance).__name__}): expected a "
                f"{self._expected_kind.__name__} subclass; use "
                f"{'SpoutHarness' if isinstance(instance, Spout) else 'BoltHarness'} for it"
            )
        self.component = instance
        self.host = RecordingHost()
        self.context = context or _context_for(instance, component_id, task_id, sources or {})
        self.host.component = self.context.component_id
        self.host.output_fields = self.context.output_fields
        self.conf: Mapping[str, Any] = dict(conf or {})
        self.stopped_by: Optional[BaseException] = None
        self._ids = itertools.count(1)
        instance._squall_prepare(self.host, self.conf, self.context)

    @classmethod
    def from_topology(
        cls, topology: Union[type[Topology], TopologyModel], component: str, *, task_index: int = 0,
        conf: Optional[Mapping[str, Any]] = None,
    ) -> Any:
        """Build a harness for one task of ``component`` as wired in ``topology``.

        The conf is the topology conf with the component's overrides (and ``conf``
        on top); the context names the real sources, streams and task ids.
        """
        model = topology if isinstance(topology, TopologyModel) else topology.model
        if component not in model.components:
            raise KeyError(
                f"topology {model.name!r} has no component {component!r}; "
                f"its components are {', '.join(sorted(model.components))}"
            )
        task_ids = model.task_ids()
        par = len(task_ids[component])
        if not -par <= task_index < par:
            raise IndexError(f"{component!r} has {par} task(s) in topology {model.name!r}: "
                             f"task_index {task_index} is out of range; use 0 to {par - 1}")
        context = TopologyContext.for_task(model, component, task_ids[component][task_index], task_ids)
        merged = model.component_config(component)
        merged.update(conf or {})
        return cls(model.components[component].component_class, merged, context)

    # -- records ---------------------------------------------------------------------

    @property
    def emissions(self) -> list[Emission]:
        """Every emit so far, in order."""
        return list(self.host.emissions)

    @property
    def emitted(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every emitted value so far, per stream."""
        return _by_stream(self.host.emissions)

    def values(self, stream: str = DEFAULT_STREAM) -> list[tuple[Any, ...]]:
        """Every value emitted so far on ``stream``."""
        return [e.values for e in self.host.emissions if e.stream == stream]

    @property
    def logs(self) -> list[LogEntry]:
        """Every log line so far (level, message)."""
        return list(self.host.logs)

    @property
    def errors(self) -> list[str]:
        """Every error reported so far (exceptions with tracebacks, ``raise_exception``)."""
        return list(self.host.errors)

    # -- calling user code -------------------------------------------------------------

    def _call(self, fn: Callable[[], None], input: Optional[Tuple] = None) -> CallResult:  # noqa: A002
        if self.stopped_by is not None:
            raise ComponentCrashed(
                f"{self.context.component_id}: the task stopped after "
                f"{type(self.stopped_by).__name__}: {self.stopped_by}; make a new harness "
                "(or set exit_on_exception = False on the component to go on after errors)"
            )
        start = self.host.mark()
        error: Optional[BaseException] = None
        try:
            fn()
        except Exception as exc:  # as a real host does: report, then stop or go on
            if on_user_error(self.host, self.component, exc,
                             f"while processing {input!r}" if input is not None else None):
                self.stopped_by = exc
                raise
            error = exc
        if self.host.fatal_error is not None and self.stopped_by is None:
            self.stopped_by = self.host.fatal_error
        return self._since(start, error, input)

    def _since(self, start: tuple[int, ...], error: Optional[BaseException], input: Optional[Tuple]) -> CallResult:  # noqa: A002
        h = self.host
        with h._lock:
            return CallResult(
                emissions=tuple(h.emissions[start[0]:]),
                acked=tuple(h.acked[start[1]:]),
                failed=tuple(h.failed[start[2]:]),
                logs=tuple(h.logs[start[3]:]),
                errors=tuple(h.errors[start[4]:]),
                error=error,
                input=input,
            )

    def close(self) -> None:
        """End the task: stop a ``TicklessBatchingBolt``'s timer. Safe to call twice."""
        closer = getattr(self.component, "_squall_close", None)
        if closer is not None:
            closer()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class BoltHarness(_Harness):
    """Drive one bolt in-process: feed it tuples and ticks, see what it did.

    The bolt is instantiated (when given a class) and prepared against a recording
    host, so ``initialize`` has run when the constructor returns. User exceptions
    behave as on the real hosts: the input is failed (``auto_fail``), the error is
    reported and logged, and then the exception is re-raised (the task would stop)
    or, with ``exit_on_exception = False``, returned in ``result.error``.

    Example::

        def test_split():
            bolt = BoltHarness(SplitBolt)
            result = bolt.process({"line": "a b"})
            assert result.values() == [("a",), ("b",)]
            assert result.input_acked
            assert all(e.anchors == (result.input.id,) for e in result.emissions)

    ``sources`` declares the fields of input streams (``{"lines": ["line"]}`` or
    ``{"lines": {"default": ["line"]}}``) so ``process([...], source="lines")``
    names the values; a dict of values names them directly.
    """

    _expected_kind = Bolt
    component: Bolt

    def make_input(
        self,
        values: Values,
        *,
        stream: str = DEFAULT_STREAM,
        source: Optional[str] = None,
        fields: Optional[Sequence[str]] = None,
        task: int = 1,
    ) -> Tuple:
        """Return the input tuple ``process`` would deliver, with a fresh id."""
        source = source or _default_source(self.context)
        if fields is None and not isinstance(values, Mapping):
            known = self.context.source_fields.get(source, {}).get(stream)
            fields = list(known) if known else None
        return make_tuple(values, fields=fields, component=source, stream=stream, task=task, id=next(self._ids))

    def process(
        self,
        values: Union[Values, Tuple],
        *,
        stream: str = DEFAULT_STREAM,
        source: Optional[str] = None,
        fields: Optional[Sequence[str]] = None,
        task: int = 1,
    ) -> CallResult:
        """Deliver one tuple (values, a dict of field -> value, or a ``Tuple``) to the bolt."""
        tup = values if isinstance(values, Tuple) else self.make_input(
            values, stream=stream, source=source, fields=fields, task=task
        )
        return self._call(lambda: dispatch_one(self.component, tup), tup)

    def process_many(self, rows: Sequence[Union[Values, Tuple]], **kwargs: Any) -> list[CallResult]:
        """Deliver several tuples in order; return one result per tuple."""
        return [self.process(row, **kwargs) for row in rows]

    def tick(self, freq_secs: int = 1) -> CallResult:
        """Deliver a tick tuple (acked for you, as on every host)."""
        tup = tick_tuple(freq_secs, id=next(self._ids))
        return self._call(lambda: dispatch_one(self.component, tup), tup)

    def flush(self) -> CallResult:
        """Flush a (Tickless)BatchingBolt's pending batches now, without waiting for ticks."""
        flusher = getattr(self.component, "_squall_flush", None)
        if flusher is None:
            raise TypeError(f"{type(self.component).__name__} is not a BatchingBolt: nothing to flush")
        return self._call(flusher)

    @property
    def acked(self) -> list[Any]:
        """The ids of every tuple the bolt acked so far (ticks included)."""
        return list(self.host.acked)

    @property
    def failed(self) -> list[Any]:
        """The ids of every tuple the bolt failed so far."""
        return list(self.host.failed)


class SpoutHarness(_Harness):
    """Drive one spout in-process: call ``next_tuple``, ack or fail what it emitted.

    Example::

        def test_sentences():
            spout = SpoutHarness(SentenceSpout)
            first = spout.next_tuple()
            (emit,) = first.emissions
            spout.fail(emit.tup_id)          # a ReliableSpout emits it again
            assert spout.emissions[-1].values == emit.values

    ``pending`` lists the ids of tracked emits not yet acked or failed through the
    harness.
    """

    _expected_kind = Spout
    component: Spout

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._completed: set[Any] = set()

    def next_tuple(self, times: int = 1) -> CallResult:
        """Call ``next_tuple`` ``times`` times; return everything those calls did.

        As on every host, a ``ReliableSpout`` emits its queued replays first.
        """
        start = self.host.mark()
        errors: list[BaseException] = []
        for _ in range(times):
            result = self._call(self.component._squall_next_tuple)
            if result.error is not None:
                errors.append(result.error)
            for emission in result.emissions:
                self._completed.discard(emission.tup_id)  # a replay is pending again
        return self._since(start, errors[0] if errors else None, None)

    def ack(self, tup_id: Any) -> CallResult:
        """Tell the spout the tuple tree of ``tup_id`` completed (its ``ack`` callback)."""
        self._completed.add(tup_id)
        return self._call(lambda: self.component.ack(tup_id))

    def fail(self, tup_id: Any) -> CallResult:
        """Tell the spout the tuple tree of ``tup_id`` failed (its ``fail`` callback)."""
        self._completed.add(tup_id)
        result = self._call(lambda: self.component.fail(tup_id))
        if any(e.tup_id == tup_id for e in result.emissions):
            self._completed.discard(tup_id)  # replayed: pending again
        return result

    def ack_all(self) -> CallResult:
        """Ack every pending tracked emit."""
        start = self.host.mark()
        for tup_id in self.pending:
            self.ack(tup_id)
        return self._since(start, None, None)

    def activate(self) -> CallResult:
        """Call the spout's ``activate`` callback."""
        return self._call(self.component.activate)

    def deactivate(self) -> CallResult:
        """Call the spout's ``deactivate`` callback."""
        return self._call(self.component.deactivate)

    @property
    def pending(self) -> list[Any]:
        """Ids of tracked emits not yet acked or failed through this harness."""
        seen: dict[Any, None] = {}
        for e in self.host.emissions:
            if e.tup_id is not None and e.tup_id not in self._completed:
                seen[e.tup_id] = None
        return list(seen)


def _default_source(context: TopologyContext) -> str:
    sources = list(context.source_fields)
    return sources[0] if len(sources) == 1 else "source"


def _context_for(
    component: Component, component_id: Optional[str], task_id: int, sources: SourcesDeclaration
) -> TopologyContext:
    cls = type(component)
    name = component_id or cls.__name__
    streams = streams_from_outputs(cls.__name__, cls.outputs)
    source_fields: dict[str, dict[str, list[str]]] = {}
    for source, decl in sources.items():
        if isinstance(decl, Mapping):
            source_fields[source] = {s: list(f) for s, f in decl.items()}
        else:
            source_fields[source] = {DEFAULT_STREAM: list(decl)}
    return TopologyContext.from_storm(
        {
            "taskid": task_id,
            "componentid": name,
            "task->component": {str(task_id): name},
            "streams": list(streams),
            "stream->outputfields": {s.name: list(s.fields) for s in streams.values()},
            "source->stream->fields": source_fields,
        }
    )
