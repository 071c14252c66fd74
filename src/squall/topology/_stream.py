"""Output stream declarations: which fields a component emits on which stream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence, Union

from squall.errors import TopologyError

DEFAULT_STREAM = "default"


@dataclass(frozen=True)
class Stream:
    """Declare one output stream of a component.

    Example::

        class SplitBolt(Bolt):
            outputs = ["word", Stream(["line", "reason"], name="errors")]

    ``direct=True`` makes the stream a direct stream: emits must name a target task
    (``emit(values, stream=..., direct_task=n)``) and consumers subscribe with
    ``Grouping.DIRECT``.
    """

    fields: tuple[str, ...]
    name: str = DEFAULT_STREAM
    direct: bool = False

    def __init__(self, fields: Iterable[str], name: str = DEFAULT_STREAM, direct: bool = False):
        if isinstance(fields, str):
            raise TopologyError(
                f"Stream({fields!r}): fields must be a list of names, e.g. Stream([{fields!r}])"
            )
        object.__setattr__(self, "fields", tuple(fields))
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "direct", bool(direct))
        for field in self.fields:
            if not isinstance(field, str) or not field:
                raise TopologyError(
                    f"stream {name!r}: field names must be non-empty strings, got {field!r}"
                )
        if len(set(self.fields)) != len(self.fields):
            raise TopologyError(f"stream {name!r}: duplicate field names in {list(self.fields)}")


OutputsDeclaration = Sequence[Union[str, Stream]]


def streams_from_outputs(owner: str, outputs: OutputsDeclaration) -> dict[str, Stream]:
    """Turn a component's ``outputs`` class attribute into ``{stream name: Stream}``.

    Bare strings are the fields of the default stream; ``Stream`` objects declare
    named (or explicitly default) streams.
    """
    if isinstance(outputs, str):
        raise TopologyError(
            f"{owner}.outputs must be a list of field names or Stream objects, "
            f"got the string {outputs!r}: write outputs = [{outputs!r}]"
        )
    default_fields = [o for o in outputs if isinstance(o, str)]
    streams: dict[str, Stream] = {}
    if default_fields:
        streams[DEFAULT_STREAM] = Stream(default_fields)
    for item in outputs:
        if isinstance(item, str):
            continue
        if not isinstance(item, Stream):
            raise TopologyError(
                f"{owner}.outputs holds {item!r}: use field-name strings or Stream(fields, name=...)"
            )
        if item.name in streams:
            raise TopologyError(f"{owner}.outputs declares stream {item.name!r} twice")
        streams[item.name] = item
    return streams
