"""Tuples as components receive them, with values readable by position or field name."""

from __future__ import annotations

from collections import namedtuple
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple, Sequence

TICK_COMPONENT = "__system"
TICK_STREAM = "__tick"
HEARTBEAT_STREAM = "__heartbeat"

_new_tuple = tuple.__new__  # builds a (named)tuple without the per-call __new__ wrapper


if TYPE_CHECKING:

    class Values(tuple[Any, ...]):
        """The static type of ``Tuple.values``: a tuple whose items are also attributes.

        At run time ``values`` is a namedtuple of the source stream's fields (or a plain
        tuple when they are unknown), so ``tup.values.word`` and ``tup.values[0]`` both
        type-check under ``mypy --strict``, as ``Any``.
        """

        def __getattr__(self, name: str, /) -> Any: ...

else:
    Values = tuple  # no class of its own at run time: values are (named) tuples


class _TupleFields(NamedTuple):
    id: Any
    component: str
    stream: str
    task: int
    values: Sequence[Any]


class Tuple(_TupleFields):
    """One tuple delivered to a bolt.

    ``values`` is indexable (``tup.values[0]``) and, when the source declared its
    fields, readable by field name (``tup.values.word``). ``id`` is opaque: pass it
    (or the tuple itself) back to ``ack``/``fail``/``anchors``, never build one.

    >>> t = Tuple("7", "split", "default", 3, ("dog",))
    >>> t.values[0], t.is_tick
    ('dog', False)
    """

    __slots__ = ()

    if TYPE_CHECKING:  # built from any sequence, read as Values (field names as attributes)

        @property
        def values(self) -> Values: ...

    @property
    def is_tick(self) -> bool:
        """Whether this is a tick tuple (``__system`` / ``__tick``)."""
        return self.stream == TICK_STREAM and self.component == TICK_COMPONENT

    @property
    def is_heartbeat(self) -> bool:
        """Whether this is a multi-lang heartbeat (answered by the runtime, never seen by users)."""
        return self.stream == HEARTBEAT_STREAM and self.task == -1


def tick_tuple(freq_secs: float, tup_id: Any = None) -> Tuple:
    """Return a tick tuple as every host delivers it: values ``(freq_secs,)``, as on Storm.

    Storm's executor sends ``new Values(tickTimeSecs)`` from ``__system`` task -1 on
    stream ``__tick``; an integral frequency is an ``int`` (Storm reads it as one).

    >>> tick_tuple(1.0).values, tick_tuple(1).is_tick
    ((1,), True)
    """
    freq = int(freq_secs) if float(freq_secs).is_integer() else freq_secs
    return _new_tuple(Tuple, (tup_id, TICK_COMPONENT, TICK_STREAM, -1, (freq,)))


class TupleFactory:
    """Build ``Tuple`` objects whose values are named by the source stream's fields.

    One factory per task: the value classes are made once, at start-up, from the
    fields the task's context declares, so building a tuple costs one dict lookup.

    >>> f = TupleFactory({"split": {"default": ("word",)}})
    >>> f.make("1", "split", "default", 2, ["dog"]).values.word
    'dog'
    """

    __slots__ = ("_classes",)

    def __init__(self, source_fields: Mapping[str, Mapping[str, Sequence[str]]]) -> None:
        # (component, stream) -> (values class, field count); hosts call make() per tuple.
        self._classes: dict[tuple[str, str], tuple[Any, int]] = {}
        for component, streams in source_fields.items():
            for stream, fields in streams.items():
                if fields:
                    values_class = namedtuple("Values", list(fields), rename=True)  # type: ignore[misc]
                    self._classes[(component, stream)] = (values_class, len(fields))

    def make(self, tup_id: Any, component: str, stream: str, task: int, values: Sequence[Any]) -> Tuple:
        """Return a ``Tuple``; values stay a plain tuple when the fields are unknown or do not fit."""
        entry = self._classes.get((component, stream))
        if entry is not None and len(values) == entry[1]:
            return _new_tuple(Tuple, (tup_id, component, stream, task, _new_tuple(entry[0], values)))
        return _new_tuple(Tuple, (tup_id, component, stream, task, tuple(values)))
