"""The base every spout and bolt shares: outputs, conf, context, logging, errors."""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Mapping, Optional

from squall.api._context import TopologyContext
from squall.api._dispatch import report_exception
from squall.api._host import LEVELS, ComponentHost
from squall.api._tuple import Tuple
from squall.errors import TopologyError
from squall.topology import DEFAULT_STREAM, ComponentSpec, streams_from_outputs
from squall.topology._grouping import direct_emit_error

_PY_TO_STORM_LEVEL = ((logging.ERROR, 4), (logging.WARNING, 3), (logging.INFO, 2), (logging.DEBUG, 1))


def storm_level(levelno: int) -> int:
    """Map a ``logging`` level number to Storm's 0 (trace) .. 4 (error)."""
    for threshold, storm in _PY_TO_STORM_LEVEL:
        if levelno >= threshold:
            return storm
    return 0


class _HostLogHandler(logging.Handler):
    """Forward records of a component's logger to its host as ``log`` commands."""

    def __init__(self, host: ComponentHost) -> None:
        super().__init__(logging.NOTSET)
        self._host = host

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._host.log(self.format(record), storm_level(record.levelno))
        except Exception:  # logging must never kill the task; the stdlib reports it
            self.handleError(record)


class Component:
    """Base of spouts and bolts: attributes and helpers every component has.

    Set in the host before ``initialize`` runs: ``self.conf`` (the topology conf,
    component overrides applied), ``self.context`` (a :class:`TopologyContext`),
    ``self.task_id``, ``self.component_name`` and ``self.logger`` (a standard
    ``logging.Logger`` whose records reach Storm's worker log or squall's task log).

    Class attributes:
        outputs: field names of the default stream and/or ``Stream`` objects.
        exit_on_exception: when True (default) an exception escaping user code
            reports the error and stops the task (the engine restarts it); when
            False the error is reported and the task goes on.
        worker_requirements: distributions the component imports that Storm workers
            need too (e.g. ``("confluent-kafka",)``); ``squall submit`` vendors them,
            pinned to the versions installed where it runs.
    """

    outputs: ClassVar[list[Any]] = []
    exit_on_exception: ClassVar[bool] = True
    worker_requirements: ClassVar[tuple[str, ...]] = ()
    _squall_kind: ClassVar[str] = ""

    conf: Mapping[str, Any]
    context: TopologyContext
    task_id: int
    component_name: str
    logger: logging.Logger
    _host: ComponentHost
    _stream_sizes: dict[str, int]
    _squall_default_size: Optional[int] = None

    @classmethod
    def spec(
        cls,
        name: Optional[str] = None,
        inputs: Any = None,
        par: int = 1,
        config: Optional[Mapping[str, Any]] = None,
    ) -> ComponentSpec:
        """Wire this component into a topology.

        Example::

            class WordCount(Topology):
                lines = LineSpout.spec()
                count = CountBolt.spec(inputs={lines: Grouping.fields("line")}, par=2)
        """
        if not cls._squall_kind:
            raise TopologyError(f"{cls.__name__}.spec(): subclass Spout or Bolt, not Component")
        return ComponentSpec(
            cls,
            kind=cls._squall_kind,
            class_path=f"{cls.__module__}:{cls.__qualname__}",
            streams=streams_from_outputs(cls.__name__, cls.outputs),
            name=name,
            inputs=inputs,
            par=par,
            config=config,
        )

    # -- called by hosts -------------------------------------------------------------

    def _squall_bind_emit(self, host: Any, kind_emit: Any) -> None:
        """Install the host's ``bind_emit(self, emit)`` result as this instance's ``emit`` (see ComponentHost).

        Only when the class keeps its kind's ``emit`` (``kind_emit``): a subclass's own
        ``emit`` sees every call. The host returns ``emit`` itself when it has nothing faster.
        """
        bind = getattr(host, "bind_emit", None)
        if bind is None or getattr(type(self), "emit", None) is not kind_emit:
            return
        emit = getattr(self, "emit")  # noqa: B009  # the kinds declare emit, not Component
        fast = bind(self, emit)
        if fast is not emit:
            setattr(self, "emit", fast)  # noqa: B010  # on the instance: this component only

    def _squall_prepare(self, host: ComponentHost, conf: Mapping[str, Any], context: TopologyContext) -> None:
        """Attach to a host and run the user's ``initialize`` (hosts call this once)."""
        self._host = host
        self.conf = conf
        self.context = context
        self.task_id = context.task_id
        self.component_name = context.component_id
        self._stream_sizes = {s: len(f) for s, f in context.output_fields.items()}
        self._squall_default_size = self._stream_sizes.get(DEFAULT_STREAM)  # read by every emit()
        self._squall_direct: dict[str, Optional[frozenset[int]]] = {}
        # optional: the host's loop of emit_many (see ComponentHost)
        self._squall_host_emit_many: Any = getattr(host, "emit_many", None)
        # one logger per instance, named as on every host but not registered with
        # logging: two instances of one task (two harnesses, two runs) never share it
        logger = logging.Logger(f"squall.task.{context.component_id}.{context.task_id}", logging.DEBUG)
        logger.propagate = False
        logger.addHandler(_HostLogHandler(host))
        self.logger = logger
        self.initialize(conf, context)

    def _squall_check_emit(self, stream: str, values: object) -> list[Any]:
        if not isinstance(values, list):
            if not isinstance(values, (tuple, Tuple)):
                raise TypeError(
                    f"{self.component_name}: emit() takes a list of values, got {type(values).__name__}; "
                    f"wrap it: emit([{values!r}])"
                )
            values = list(values)
        expected = self._stream_sizes.get(stream)
        if expected is None:
            declared = ", ".join(repr(s) for s in self._stream_sizes) or "none"
            raise TopologyError(
                f"{self.component_name}: emit on undeclared stream {stream!r} (declared: {declared}); "
                "add it to outputs"
            )
        if len(values) != expected:
            raise TopologyError(
                f"{self.component_name}: emit of {len(values)} value(s) on stream {stream!r}, "
                f"which declares {expected} field(s)"
            )
        return values

    def _squall_check_many(self, tuples: object, tup_ids: object = None) -> None:
        """Refuse what ``emit_many`` cannot take: not a list of tuples, or not one id per tuple."""
        if not isinstance(tuples, (list, tuple)):
            raise TypeError(
                f"{self.component_name}: emit_many() takes a list of value lists, got {type(tuples).__name__}; "
                "e.g. emit_many([[1], [2]])"
            )
        if tup_ids is not None and (not isinstance(tup_ids, (list, tuple, range)) or len(tup_ids) != len(tuples)):
            got = f"{len(tup_ids)} tup_ids" if isinstance(tup_ids, (list, tuple, range)) else type(tup_ids).__name__
            raise TopologyError(
                f"{self.component_name}: emit_many() of {len(tuples)} tuple(s) got {got}; "
                "give a list of one id per tuple, or None"
            )

    def _squall_emit_each(self, tuples: Any, stream: str, anchor_ids: Any, tup_ids: Any,
                          direct_task: Optional[int], need_task_ids: bool) -> Optional[list[Any]]:
        """Send each of ``tuples`` to the host, checked as ``emit`` checks one (the loop of ``emit_many``).

        The stream, anchors and direct task were checked once by the caller.
        """
        host_emit = self._host.emit
        size = self._stream_sizes.get(stream)
        check = self._squall_check_emit
        if tup_ids is None and not need_task_ids:  # the common case: the tightest loop
            many = self._squall_host_emit_many
            if many is not None:  # the host loops (the engine: in C); it stops at a tuple to check
                done, total = 0, len(tuples)
                while done < total:
                    done += many(stream, tuples[done:] if done else tuples, size, anchor_ids, direct_task)
                    if done < total:  # a tuple to convert (or whose error to raise), then the rest
                        host_emit(stream, check(stream, tuples[done]), anchor_ids, None, direct_task, False)
                        done += 1
                return None
            for values in tuples:
                if type(values) is not list or len(values) != size:
                    values = check(stream, values)  # converts or raises the error
                host_emit(stream, values, anchor_ids, None, direct_task, False)
            return None
        results = []
        for index, values in enumerate(tuples):
            if type(values) is not list or len(values) != size:
                values = check(stream, values)
            tup_id = None if tup_ids is None else tup_ids[index]
            results.append(host_emit(stream, values, anchor_ids, tup_id, direct_task, need_task_ids))
        return results if need_task_ids else None

    def _squall_check_direct(self, stream: str, direct_task: int) -> None:
        """Refuse a direct emit to a task that does not read ``stream`` with Grouping.DIRECT.

        The same rule and message on every host (Storm would drop the tuple silently).
        """
        try:
            readers = self._squall_direct[stream]
        except KeyError:
            readers = self._squall_direct[stream] = self.context.direct_readers(stream)
        if readers is None or direct_task in readers:
            return  # a context without wiring (a bare harness) cannot tell
        if not readers and self.context.raw["stream->target->grouping"].get(stream):
            raise direct_emit_error(self.component_name, stream, direct_task, None)  # read, not directly
        raise direct_emit_error(self.component_name, stream, direct_task, readers)

    # -- user API --------------------------------------------------------------------

    def initialize(self, conf: Mapping[str, Any], context: TopologyContext) -> None:
        """Prepare the component; called once per task before any tuple. Override freely."""

    def log(self, message: str, level: str = "info") -> None:
        """Log ``message`` at ``level`` (trace, debug, info, warn, error) to the engine's log.

        Example: ``self.log("flushed 100 counts", level="debug")``.
        """
        storm = LEVELS.get(level.lower()) if isinstance(level, str) else None
        if storm is None:
            raise ValueError(f"log level {level!r} is not one of {', '.join(LEVELS)}")
        self._host.log(str(message), storm)

    def raise_exception(self, exception: BaseException, tup: Optional[Tuple] = None) -> None:
        """Report ``exception`` (with its traceback) to the engine without stopping.

        Shown in the Storm UI on Storm, and in the run's report on the embedded engine.
        """
        report_exception(self._host, exception, None if tup is None else f"while processing {tup!r}")
