"""A spout's input, read on its main thread: no reader thread, no hand-off.

Storm's ShellSpout sends a spout one command (next, ack, fail, activate, deactivate)
and then reads until the spout's ``sync``; it sends nothing else in between (spouts get
no heartbeats), except the task-id reply to an emit that asked for one. So the main
thread can read its commands itself, and read a task-id reply inline in the emit
that asked for it: a tracked round trip (next -> emit -> sync, ack -> sync) then
costs two blocking reads and two writes on one thread, with no thread wake-up.
"""

from __future__ import annotations

from collections import deque
from threading import get_ident
from typing import Any, Callable, Optional

from squall.errors import PeerGoneError, ProtocolError
from squall.multilang._io import READ_CHUNK, FrameWriter
from squall.protocol import Decoder, describe


class SpoutInput:
    """Commands for the spout's main thread, and inline task-id replies for its emits.

    Only the thread that created it may call ``next_command`` and ``request``: the
    main thread, between and inside the spout's callbacks. ``request`` from another
    thread raises ProtocolError (an emit asking for task ids must run on the spout's
    thread). Implements the task-id waiter side ``MultilangHost`` uses.
    """

    def __init__(self, read: Callable[[int], bytes], decoder: Decoder, writer: FrameWriter,
                 first: list[Any], on_end: Optional[Callable[[BaseException], None]] = None) -> None:
        self._read = read
        self._on_end = on_end
        self._abort: Optional[BaseException] = None
        self._feed = decoder.feed
        self._buffered = decoder.buffered
        self._writer = writer
        self._queue: deque[Any] = deque(first)
        self._main = get_ident()

    def next_command(self) -> Any:
        """Return the next message from Storm; flush output before blocking for it."""
        queue = self._queue
        while not queue:
            if self._abort is not None:
                raise self._abort
            self._writer.flush()
            queue.extend(self._read_messages())
        msg = queue.popleft()
        if type(msg) is not dict:
            raise ProtocolError(f"got {describe(msg)} but no emit asked for task ids; "
                                "a spout gets command objects, and task-id arrays only after "
                                "an emit with need_task_ids true")
        return msg

    def _read_messages(self) -> list[Any]:
        try:
            data = self._read(READ_CHUNK)
            if data:
                return self._feed(data)
            pending = self._buffered()
            if pending:
                raise ProtocolError(f"input ended inside a frame: {pending} byte(s) never terminated; "
                                    "the peer must finish every message (JSON: a line 'end')")
            raise PeerGoneError("Storm closed the component's stdin (EOF)")
        except BaseException as exc:
            if self._on_end is not None:
                self._on_end(exc)
            raise

    def abort(self, error: BaseException) -> None:
        """Stop before the next command (a user thread crashed); any thread may call it."""
        self._abort = error

    def pending(self) -> bool:
        """Whether an emit waits for task ids (never between calls: they are read inline)."""
        return False

    def request(self, frame: bytes) -> list[int]:
        """Write an emit frame that asked for task ids; read until its task-id array."""
        if get_ident() != self._main:
            raise ProtocolError("a spout's emit with need_task_ids=True must run on the spout's own "
                                "thread (in next_tuple, ack or fail); emit from other threads with "
                                "need_task_ids=False")
        self._writer.send_now(frame)
        queue = self._queue
        held: list[Any] = []
        try:
            while True:
                while queue:
                    msg = queue.popleft()
                    if type(msg) is list:
                        return msg
                    held.append(msg)
                queue.extend(self._read_messages())
        finally:
            queue.extendleft(reversed(held))


