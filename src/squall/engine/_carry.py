"""Which tuple values the engine can carry between tasks: the one rule every host applies.

A batch is packed whole (the hot path). Only when packing or decoding a batch fails
does the engine look record by record, so one value msgpack cannot carry (a lambda,
a generator, a lone surrogate, a list nested thousands deep, a dict with a tuple
key that cannot be decoded again) fails that tuple's tree alone, with an error that
names the component, stream, field and type. ``squall.testing`` checks every emit
with :func:`check_carried`, so tests see the same rule at ``emit()``.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import msgpack

from squall.engine._transport import DATA, RECORD_WIDTH, _ext_hook, make_packer, unpack
from squall.errors import TopologyError

_HINT = (
    "emit values that survive a msgpack round trip (str, int, float, bool, None, bytes, "
    "lists and dicts of them, dict keys hashable after decoding) or picklable objects"
)


def first_uncarried(values: Sequence[Any], pack: Optional[Callable[[Any], bytes]] = None) -> Optional[tuple[int, BaseException]]:
    """Return (field index, error) of the first value that does not survive pack + unpack, or None.

    >>> first_uncarried([1, "a"]) is None
    True
    >>> first_uncarried([1, {(1, 2): 3}])[0]
    1
    """
    pack = pack or make_packer()
    for index, value in enumerate(values):
        try:
            unpack(pack(value))
        except Exception as exc:
            return index, exc
    return None


def uncarried_message(where: str, stream: str, fields: Sequence[str], index: int, kind: str,
                      error: BaseException, what: str = "cannot send") -> str:
    """Describe a value the engine cannot carry: where, stream, field, type, cause and fix.

    >>> uncarried_message("split[2]", "default", ["word"], 0, "generator", TypeError("no"))[:70]
    "split[2]: cannot send a tuple on stream 'default': field 'word' holds "
    """
    field = fields[index] if index < len(fields) else str(index)
    cause = error.__cause__ if isinstance(error.__cause__, Exception) else error
    text = (str(cause).splitlines() or [""])[0][:300]
    return (
        f"{where}: {what} a tuple on stream {stream!r}: field {field!r} holds a {kind} the engine cannot "
        f"carry ({type(cause).__name__}: {text}); that tuple's tree fails. Fix: {_HINT}"
    )


def check_carried(component: str, stream: str, fields: Sequence[str], values: list[Any]) -> list[Any]:
    """Return ``values`` as a receiving task would decode them; raise ``TopologyError`` if one cannot travel.

    >>> check_carried("split", "default", ["word"], [("a", 1)])
    [['a', 1]]
    """
    try:
        return list(unpack(make_packer()(values)))
    except Exception:
        found = first_uncarried(values)
        if found is None:
            raise
        index, error = found
        kind = type(values[index]).__name__
        raise TopologyError(uncarried_message(component, stream, fields, index, kind, error)) from error


def _elements(reader: Any, data: bytes) -> list[bytes]:
    """Return the raw bytes of each element of the array at the reader's position (nothing is built)."""
    elements = []
    for _ in range(reader.read_array_header()):
        begin = reader.tell()
        reader.skip()
        elements.append(data[begin:reader.tell()])
    return elements


def _reader(data: bytes) -> Any:
    reader = msgpack.Unpacker(raw=False, strict_map_key=False, ext_hook=_ext_hook, max_buffer_size=len(data) + 1)
    reader.feed(data)
    return reader


def salvage(data: bytes) -> tuple[int, list[Any], list[tuple[list[Any], int, BaseException]]]:
    """Decode a DATA batch record by record: (source task, good flat records, bad records).

    A bad record is ``([stream index, None, root, edge], field index, error)``. Only
    the bytes are walked to find the records, so one undecodable value cannot hide
    the others. Raise when the message is not a DATA batch (an engine bug, not a
    user value).
    """
    reader = _reader(data)
    reader.read_array_header()
    kind, src = reader.unpack(), reader.unpack()
    if kind != DATA:
        raise ValueError(f"undecodable engine message of kind {kind}")
    slots = _elements(reader, data)
    good: list[Any] = []
    bad: list[tuple[list[Any], int, BaseException]] = []
    for i in range(0, len(slots) - RECORD_WIDTH + 1, RECORD_WIDTH):
        sidx, root, edge = unpack(slots[i]), unpack(slots[i + 2]), unpack(slots[i + 3])
        try:
            good += (sidx, unpack(slots[i + 1]), root, edge)
        except Exception as exc:
            bad.append(([sidx, None, root, edge], _bad_field(slots[i + 1]), exc))
    return src, good, bad


def _bad_field(raw_values: bytes) -> int:
    """Return the index of the first value of an encoded values list that cannot be decoded."""
    try:
        fields = _elements(_reader(raw_values), raw_values)
    except Exception:
        return 0
    for index, raw in enumerate(fields):
        try:
            unpack(raw)
        except Exception:
            return index
    return 0
