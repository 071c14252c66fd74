"""An engine-side ``Bolt.emit`` with the same contract and fewer calls per tuple.

Installed on bolt instances whose class does not override ``emit``. It differs from
``squall.api.Bolt.emit`` only in skipping ``_squall_check_emit`` when the values are
already a list of the declared length on a declared stream (the check would pass);
anything else goes through the API's check and gets the same error.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from typing import Any, Callable, Iterable, Optional

from squall.api import Tuple
from squall.topology import DEFAULT_STREAM


def fast_bolt_emit(instance: Any, host: Any) -> Callable[..., Optional[list[int]]]:
    """Return an ``emit`` bound to ``instance`` that calls ``host.emit`` directly."""
    sizes = dict(instance._stream_sizes)
    check = instance._squall_check_emit
    host_emit = host.emit
    get_ident = threading.get_ident

    def emit(
        values: Any,
        stream: Optional[str] = None,
        anchors: Optional[Iterable[Any]] = None,
        direct_task: Optional[int] = None,
        need_task_ids: bool = False,
    ) -> Optional[list[int]]:
        stream = stream or DEFAULT_STREAM
        if type(values) is not list or len(values) != sizes.get(stream):
            values = check(stream, values)
        if anchors is None:
            if instance._squall_anchor_thread is not None and instance._squall_anchor_thread == get_ident():
                anchor_ids: Any = instance._squall_anchors
            else:
                anchor_ids = ()
        else:
            anchor_ids = [a.id if isinstance(a, Tuple) else a for a in anchors]
        return host_emit(stream, values, anchor_ids, None, direct_task, need_task_ids)

    emit.__doc__ = type(instance).emit.__doc__
    return emit


class TupleMaker:
    """Build ``Tuple`` objects like ``squall.api.TupleFactory``, without Python-level constructors."""

    def __init__(self, source_fields: Any) -> None:
        self._classes: dict[tuple[str, str], tuple[Any, int]] = {}
        for component, streams in source_fields.items():
            for stream, fields in streams.items():
                if fields:
                    cls = namedtuple("Values", list(fields), rename=True)  # type: ignore[misc]
                    self._classes[(component, stream)] = (cls, len(fields))

    def maker(self, component: str, stream: str) -> Callable[[Any, int, Any], Tuple]:
        """Return ``make(tup_id, task, values)`` for tuples of one source stream."""
        entry = self._classes.get((component, stream))
        new = tuple.__new__
        if entry is None:
            return lambda tup_id, task, values: new(Tuple, (tup_id, component, stream, task, tuple(values)))
        cls, size = entry

        def make(tup_id: Any, task: int, values: Any) -> Tuple:
            if len(values) == size:
                return new(Tuple, (tup_id, component, stream, task, new(cls, values)))
            return new(Tuple, (tup_id, component, stream, task, tuple(values)))

        return make
