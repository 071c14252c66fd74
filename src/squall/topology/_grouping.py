"""Stream groupings: how a stream's tuples are split among a consumer's tasks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from squall.errors import TopologyError


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

    kind: str
    field_names: tuple[str, ...] = ()

    KINDS: ClassVar[tuple[str, ...]] = (
        "shuffle",
        "local_or_shuffle",
        "fields",
        "global",
        "all",
        "none",
        "direct",
        "partial_key",
    )

    SHUFFLE: ClassVar["Grouping"]
    LOCAL_OR_SHUFFLE: ClassVar["Grouping"]
    GLOBAL: ClassVar["Grouping"]
    ALL: ClassVar["Grouping"]
    NONE: ClassVar["Grouping"]
    DIRECT: ClassVar["Grouping"]

    def __post_init__(self) -> None:
        if self.kind not in self.KINDS:
            raise TopologyError(
                f"unknown grouping {self.kind!r}: use one of Grouping.SHUFFLE, "
                "Grouping.fields(...), GLOBAL, ALL, NONE, DIRECT, LOCAL_OR_SHUFFLE, partial_key(...)"
            )

    @classmethod
    def fields(cls, *names: str) -> "Grouping":
        """Group by the values of ``names``: same values, same task.

        >>> Grouping.fields("word")
        Grouping.fields('word')
        """
        return cls("fields", _field_names("Grouping.fields", names))

    @classmethod
    def partial_key(cls, *names: str) -> "Grouping":
        """Split each key over two tasks and send each tuple to the less loaded one.

        >>> Grouping.partial_key("user")
        Grouping.partial_key('user')
        """
        return cls("partial_key", _field_names("Grouping.partial_key", names))

    @property
    def uses_fields(self) -> bool:
        """Whether this grouping hashes on field values (fields, partial_key)."""
        return self.kind in ("fields", "partial_key")

    def __repr__(self) -> str:
        if self.uses_fields:
            return f"Grouping.{self.kind}({', '.join(map(repr, self.field_names))})"
        return f"Grouping.{self.kind.upper()}"


def _field_names(where: str, names: tuple[str, ...]) -> tuple[str, ...]:
    if len(names) == 1 and isinstance(names[0], (list, tuple)):
        names = tuple(names[0])
    if not names:
        raise TopologyError(f"{where}() needs at least one field name, e.g. {where}('word')")
    for name in names:
        if not isinstance(name, str) or not name:
            raise TopologyError(f"{where}(): field names must be non-empty strings, got {name!r}")
    return tuple(names)


Grouping.SHUFFLE = Grouping("shuffle")
Grouping.LOCAL_OR_SHUFFLE = Grouping("local_or_shuffle")
Grouping.GLOBAL = Grouping("global")
Grouping.ALL = Grouping("all")
Grouping.NONE = Grouping("none")
Grouping.DIRECT = Grouping("direct")
