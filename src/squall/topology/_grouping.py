"""Stream groupings: how a stream's tuples are split among a consumer's tasks."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar, Collection, NoReturn, Optional, Union

from squall.errors import TopologyError


class GroupingKind(str, enum.Enum):
    """The kinds of stream grouping: one member per way of choosing receiving tasks.

    Every place that acts on a grouping dispatches on this enum with an exhaustive
    ``match`` ending in ``unknown_grouping(kind)``, so adding a member makes the type
    checker list each place that must learn it (docs/architecture.md, "Adding a
    grouping"). The values are the strings saved in models and JSON.

    >>> GroupingKind("fields") is GroupingKind.FIELDS, str(GroupingKind.FIELDS)
    (True, 'fields')
    """

    SHUFFLE = "shuffle"
    LOCAL_OR_SHUFFLE = "local_or_shuffle"
    FIELDS = "fields"
    GLOBAL = "global"
    ALL = "all"
    NONE = "none"
    DIRECT = "direct"
    PARTIAL_KEY = "partial_key"

    __str__ = str.__str__  # "fields", as in saved models, not "GroupingKind.FIELDS"
    __format__ = str.__format__  # type: ignore[assignment]


def unknown_grouping(kind: NoReturn) -> NoReturn:
    """End an exhaustive ``match`` on :class:`GroupingKind` (mypy flags a missing case).

    Type-checked code never reaches it; at run time it raises ``TopologyError``.
    """
    raise TopologyError(
        f"unknown grouping kind {kind!r}: expected one of {', '.join(k.value for k in GroupingKind)}"
    )


@dataclass(frozen=True)
class Grouping:
    """A stream grouping, as Storm defines them.

    Use the constants and factories rather than the constructor::

        inputs={lines: Grouping.SHUFFLE, split: Grouping.fields("word")}

    - ``SHUFFLE``: random, evenly spread over the consumer's tasks.
    - ``LOCAL_OR_SHUFFLE``: shuffle, preferring tasks in the same worker (on the
      embedded engine every task is local, so it is a shuffle).
    - ``fields(*names)``: equal values of ``names`` always go to the same task.
    - ``GLOBAL``: every tuple goes to the consumer's task with the lowest id.
    - ``ALL``: every tuple is copied to every task of the consumer.
    - ``NONE``: the producer does not care (routed as a shuffle).
    - ``DIRECT``: the producer picks the task (``emit(..., direct_task=n)``); the
      stream must be declared ``Stream(..., direct=True)``.
    - ``partial_key(*names)``: each key goes to the less loaded of two candidate
      tasks (key splitting), for skewed keys.
    """

    kind: GroupingKind
    field_names: tuple[str, ...] = ()

    KINDS: ClassVar[tuple[str, ...]] = tuple(k.value for k in GroupingKind)

    SHUFFLE: ClassVar["Grouping"]
    LOCAL_OR_SHUFFLE: ClassVar["Grouping"]
    GLOBAL: ClassVar["Grouping"]
    ALL: ClassVar["Grouping"]
    NONE: ClassVar["Grouping"]
    DIRECT: ClassVar["Grouping"]

    def __init__(self, kind: Union[GroupingKind, str], field_names: tuple[str, ...] = ()) -> None:
        if kind not in self.KINDS:
            raise TopologyError(
                f"unknown grouping {kind!r}: use one of Grouping.SHUFFLE, "
                "Grouping.fields(...), GLOBAL, ALL, NONE, DIRECT, LOCAL_OR_SHUFFLE, partial_key(...)"
            )
        object.__setattr__(self, "kind", GroupingKind(kind))
        object.__setattr__(self, "field_names", field_names)

    @classmethod
    def fields(cls, *names: str) -> "Grouping":
        """Group by the values of ``names``: same values, same task.

        >>> Grouping.fields("word")
        Grouping.fields('word')
        """
        return cls(GroupingKind.FIELDS, _field_names("Grouping.fields", names))

    @classmethod
    def partial_key(cls, *names: str) -> "Grouping":
        """Split each key over two tasks and send each tuple to the less loaded one.

        >>> Grouping.partial_key("user")
        Grouping.partial_key('user')
        """
        return cls(GroupingKind.PARTIAL_KEY, _field_names("Grouping.partial_key", names))

    @property
    def uses_fields(self) -> bool:
        """Whether this grouping hashes on field values (fields, partial_key)."""
        return self.kind in (GroupingKind.FIELDS, GroupingKind.PARTIAL_KEY)

    def __repr__(self) -> str:
        if self.uses_fields:
            return f"Grouping.{self.kind.value}({', '.join(map(repr, self.field_names))})"
        return f"Grouping.{self.kind.name}"


def _field_names(where: str, names: tuple[str, ...]) -> tuple[str, ...]:
    if len(names) == 1 and isinstance(names[0], (list, tuple)):
        names = tuple(names[0])
    if not names:
        raise TopologyError(f"{where}() needs at least one field name, e.g. {where}('word')")
    for name in names:
        if not isinstance(name, str) or not name:
            raise TopologyError(f"{where}(): field names must be non-empty strings, got {name!r}")
    return tuple(names)


Grouping.SHUFFLE = Grouping(GroupingKind.SHUFFLE)
Grouping.LOCAL_OR_SHUFFLE = Grouping(GroupingKind.LOCAL_OR_SHUFFLE)
Grouping.GLOBAL = Grouping(GroupingKind.GLOBAL)
Grouping.ALL = Grouping(GroupingKind.ALL)
Grouping.NONE = Grouping(GroupingKind.NONE)
Grouping.DIRECT = Grouping(GroupingKind.DIRECT)


def direct_emit_error(component: str, stream: str, direct_task: Optional[int],
                      readers: Optional[Collection[int]]) -> TopologyError:
    """Return the one error every host raises for an emit a direct stream cannot take.

    ``readers`` are the tasks that read ``stream`` with ``Grouping.DIRECT``, or None when
    the stream is not direct. Storm itself drops a direct emit to a task that does not
    read the stream; squall refuses it on every host, so the bug shows in tests.

    >>> str(direct_emit_error("router", "routed", 9, [3, 4]))[:60]
    "router: emit(direct_task=9) on stream 'routed': task 9 does "
    """
    if readers is None:
        return TopologyError(
            f"{component}: emit(direct_task={direct_task}) on stream {stream!r}, which is not "
            f"direct; declare it Stream([...], name={stream!r}, direct=True) and subscribe with Grouping.DIRECT"
        )
    if direct_task is None:
        return TopologyError(f"{component}: stream {stream!r} is direct: emits on it need direct_task=<task id>")
    return TopologyError(
        f"{component}: emit(direct_task={direct_task}) on stream {stream!r}: task {direct_task} "
        f"does not read that stream with Grouping.DIRECT (tasks that do: {sorted(readers) or 'none'})"
    )
