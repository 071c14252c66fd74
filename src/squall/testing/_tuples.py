"""Build input tuples for tests: values readable by field name, like a real host makes them."""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Mapping, Optional, Sequence, Union

from squall.api import Tuple
from squall.api import tick_tuple as api_tick_tuple
from squall.topology import DEFAULT_STREAM

Values = Union[Sequence[Any], Mapping[str, Any]]


def make_tuple(
    values: Values,
    *,
    fields: Optional[Sequence[str]] = None,
    component: str = "source",
    stream: str = DEFAULT_STREAM,
    task: int = 1,
    id: Any = None,  # noqa: A002 - mirrors Tuple.id
) -> Tuple:
    """Return a ``Tuple`` as a bolt would receive it.

    ``values`` is a sequence (named by ``fields`` when given) or a dict of field name
    to value (its keys are the fields). ``id`` defaults to None (an untracked tuple).

    >>> t = make_tuple({"word": "dog", "count": 2}, component="count")
    >>> t.values.word, t.values[1], t.component
    ('dog', 2, 'count')
    >>> make_tuple(["a b"], fields=["line"]).values.line
    'a b'
    """
    if isinstance(values, Mapping):
        if fields is not None and list(fields) != list(values):
            raise ValueError(
                f"make_tuple(): fields {list(fields)} do not match the dict keys {list(values)}; "
                "pass one or the other"
            )
        fields = list(values)
        values = list(values.values())
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise TypeError(
            f"make_tuple(): values must be a list/tuple or a dict of field -> value, got "
            f"{type(values).__name__}; wrap it: make_tuple([{values!r}])"
        )
    if fields:
        if len(fields) != len(values):
            raise ValueError(
                f"make_tuple(): {len(values)} value(s) {list(values)!r} for {len(fields)} field(s) "
                f"{list(fields)}; give one value per field"
            )
        named = namedtuple("Values", list(fields), rename=True)._make(values)  # type: ignore[attr-defined]
        return Tuple(id, component, stream, task, named)
    return Tuple(id, component, stream, task, tuple(values))


def tick_tuple(freq_secs: float = 1, id: Any = None) -> Tuple:  # noqa: A002
    """Return a tick tuple (``__system`` / ``__tick``, values ``(freq_secs,)``), as every host sends them.

    >>> tick_tuple().is_tick, tick_tuple(5).values
    (True, (5,))
    """
    return api_tick_tuple(freq_secs, id)
