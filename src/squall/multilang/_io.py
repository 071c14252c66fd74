"""The runtime's plumbing: one frame writer, the input reader thread, and what connects them.

Threads: the *main* thread runs user code and takes messages from the
:class:`Inbox`; the *reader* thread decodes the input, answers heartbeats itself and
hands task-id replies to the emit waiting for them (:class:`TaskIdWaiters`); any
thread may write through the one :class:`FrameWriter`.
"""

from __future__ import annotations

import io
import os
import threading
from collections import deque
from threading import get_ident
from typing import Any, BinaryIO, Callable, Optional, Protocol

from squall.errors import PeerGoneError, ProtocolError
from squall.protocol import HEARTBEAT_STREAM, Decoder, describe

READ_CHUNK = 256 * 1024
MAX_FRAME_KEY = "squall.multilang.max_frame_bytes"
DEFAULT_MAX_FRAME = 64 * 1024 * 1024  # a multi-lang message (one tuple or command) larger than this is refused
_ONLY_DICTS = {dict}
FLUSH_FRAMES = 512


def byte_source(stream: BinaryIO) -> Callable[[int], bytes]:
    """Return ``read(n)`` that returns as soon as any bytes are available (b"" at EOF)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        fd = -1
    if fd >= 0 and isinstance(stream, io.FileIO):
        return lambda n: os.read(fd, n)
    read1 = getattr(stream, "read1", None)
    return read1 if read1 is not None else stream.read


def byte_sink(stream: BinaryIO) -> Callable[[bytes], None]:
    """Return ``write(data)`` that writes all of ``data`` and pushes it out."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        fd = -1
    if fd >= 0 and isinstance(stream, io.FileIO):

        def write_fd(data: bytes) -> None:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]

        return write_fd

    def write_stream(data: bytes) -> None:
        stream.write(data)
        stream.flush()

    return write_stream


class FrameWriter:
    """Write whole frames from any thread, batching the main thread's output.

    Frames sent on the main thread are buffered (``main_frames``) until ``flush``:
    the runtime flushes before it waits for input, at each spout ``sync`` and every
    ``FLUSH_FRAMES`` frames. Frames from other threads are written at once, after
    everything buffered before them. A frame is never split or interleaved: only
    the main thread appends to ``main_frames`` (an atomic list append), and writers
    hold the lock and remove exactly the frames they wrote. A broken pipe raises
    ``PeerGoneError``.
    """

    def __init__(self, sink: Callable[[bytes], None], main_thread: Optional[int] = None) -> None:
        self._sink = sink
        self._lock = threading.Lock()
        self.main_frames: list[bytes] = []
        self.main_thread = main_thread if main_thread is not None else threading.get_ident()

    def send(self, frame: bytes) -> None:
        """Buffer ``frame`` on the main thread (flushing every FLUSH_FRAMES); write it now elsewhere."""
        if get_ident() == self.main_thread:
            frames = self.main_frames
            frames.append(frame)
            if len(frames) >= FLUSH_FRAMES:
                self.flush()
        else:
            self.send_now(frame)

    def send_now(self, frame: bytes, before: Optional[Callable[[], None]] = None) -> None:
        """Write what is buffered, then ``frame``, now; run ``before`` under the lock first."""
        with self._lock:
            if before is not None:
                before()
            self._write_locked(frame)

    def flush(self) -> None:
        """Write every buffered frame."""
        with self._lock:
            self._write_locked(b"")

    def _write_locked(self, extra: bytes) -> None:
        frames = self.main_frames
        n = len(frames)
        if n:
            data = b"".join(frames[:n]) + extra if extra else b"".join(frames[:n])
            del frames[:n]
        elif extra:
            data = extra
        else:
            return
        try:
            self._sink(data)
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise PeerGoneError("Storm closed the component's stdout (broken pipe)") from exc


class TaskIdSource(Protocol):
    """Where an emit that asked for task ids gets them: ``TaskIdWaiters`` or a spout's input."""

    def request(self, frame: bytes) -> list[int]:
        """Write ``frame`` (an emit with need_task_ids true) and return its task-id reply."""


class _Slot:
    __slots__ = ("event", "value", "error")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.value: Any = None
        self.error: Optional[BaseException] = None


class TaskIdWaiters:
    """Emits waiting for their task-id reply, in the order their frames were written."""

    def __init__(self, writer: FrameWriter, on_register: Callable[[], None]) -> None:
        self._writer = writer
        self._slots: deque[_Slot] = deque()
        self._error: Optional[BaseException] = None
        self._on_register = on_register

    def pending(self) -> bool:
        """Whether an emit is waiting for task ids."""
        return bool(self._slots)

    def request(self, frame: bytes) -> list[int]:
        """Write an emit frame that asked for task ids and block until they arrive."""
        slot = _Slot()

        def register() -> None:
            if self._error is not None:
                raise self._error
            self._slots.append(slot)

        self._writer.send_now(frame, before=register)
        if self._error is not None and not slot.event.is_set():
            raise self._error  # input ended while registering: close() may have missed the slot
        self._on_register()
        slot.event.wait()
        if slot.error is not None:
            raise slot.error
        return slot.value  # type: ignore[no-any-return]

    def deliver(self, task_ids: list[Any]) -> None:
        """Hand a task-id array to the oldest waiting emit (reader thread)."""
        try:
            slot = self._slots.popleft()
        except IndexError:
            raise ProtocolError(
                f"got task ids {describe(task_ids)} but no emit asked for them; "
                "task-id arrays answer emits with need_task_ids true"
            ) from None
        slot.value = task_ids
        slot.event.set()

    def close(self, error: BaseException) -> None:
        """Fail every waiting emit (and future ones) with ``error``."""
        self._error = error
        while self._slots:
            slot = self._slots.popleft()
            slot.error = error
            slot.event.set()


class Inbox:
    """Batches of messages from the reader thread to the main thread.

    Holds at most about ``max_queued`` messages: past that the reader stops
    reading (so Storm's own backpressure engages), unless an emit waits for task
    ids, which the reader must keep reading to find.
    """

    def __init__(self, max_queued: int, before_wait: Callable[[], None], may_block: Callable[[], bool]) -> None:
        self._batches: deque[list[Any]] = deque()
        self._queued = 0
        self._max = max_queued
        self._cond = threading.Condition(threading.Lock())
        self._end: Optional[BaseException] = None
        self._abort: Optional[BaseException] = None
        self._before_wait = before_wait
        self._may_block = may_block

    def put(self, batch: list[Any]) -> None:
        """Queue a batch (reader thread); wait while the inbox is over its bound."""
        with self._cond:
            self._batches.append(batch)
            self._queued += len(batch)
            self._cond.notify_all()
            while self._queued >= self._max and self._abort is None and self._may_block():
                self._cond.wait()

    def get(self) -> list[Any]:
        """Return the next batch (main thread); flush output before blocking.

        Raises the error that ended the input once every batch before it was taken.
        """
        cond = self._cond
        with cond:
            if self._batches and self._abort is None:
                return self._take()
        self._before_wait()
        with cond:
            while True:
                if self._abort is not None:
                    raise self._abort
                if self._batches:
                    return self._take()
                if self._end is not None:
                    raise self._end
                cond.wait()

    def _take(self) -> list[Any]:
        batch = self._batches.popleft()
        over = self._queued >= self._max
        self._queued -= len(batch)
        if over:
            self._cond.notify_all()
        return batch

    def wake(self) -> None:
        """Re-check the bound (an emit started waiting for task ids)."""
        with self._cond:
            self._cond.notify_all()

    def end(self, error: BaseException) -> None:
        """Mark the end of input: ``get`` raises ``error`` after the queued batches."""
        with self._cond:
            self._end = error
            self._cond.notify_all()

    def abort(self, error: BaseException) -> None:
        """Stop now: ``get`` raises ``error`` at once (a user thread crashed)."""
        with self._cond:
            self._abort = error
            self._cond.notify_all()


class InputReader:
    """The reader thread: decode input, answer heartbeats, route task ids, queue the rest."""

    def __init__(
        self,
        read: Callable[[int], bytes],
        decoder: Decoder,
        inbox: Inbox,
        waiters: TaskIdWaiters,
        writer: FrameWriter,
        sync_frame: bytes,
        is_bolt: bool,
        heartbeat_marker: bytes,
        on_end: Optional[Callable[[BaseException], None]] = None,
        max_frame: int = DEFAULT_MAX_FRAME,
    ) -> None:
        self._max_frame = max_frame
        self._read = read
        self._decoder = decoder
        self._inbox = inbox
        self._waiters = waiters
        self._writer = writer
        self._sync = sync_frame
        self._is_bolt = is_bolt
        self._marker = heartbeat_marker
        self._on_end = on_end
        self._thread = threading.Thread(target=self._run, name="squall-multilang-reader", daemon=True)

    def start(self, first: list[Any]) -> None:
        """Start the thread; ``first`` are messages already decoded after the handshake."""
        if first:
            batch = self._route_each(first)
            if batch:
                self._inbox.put(batch)
        self._thread.start()

    def _run(self) -> None:
        error: BaseException
        try:
            self._loop()
        except BaseException as exc:  # EOF, garbage, or a squall bug: hand it to the main thread
            error = exc
        self._waiters.close(error)
        self._inbox.end(error)
        if self._on_end is not None:
            self._on_end(error)

    def _loop(self) -> None:
        read, feed, route, put = self._read, self._decoder.feed, self._route, self._inbox.put
        while True:
            data = read(READ_CHUNK)
            if not data:
                pending = self._decoder.buffered()
                if pending:
                    raise ProtocolError(
                        f"input ended inside a frame: {pending} byte(s) never terminated; "
                        f"the peer must finish every message ({self._decoder.frame_end})"
                    )
                raise PeerGoneError("Storm closed the component's stdin (EOF)")
            messages = feed(data)
            if not messages and self._decoder.buffered() > self._max_frame:
                # only an unfinished frame grows across reads: checked when a read completes nothing
                raise ProtocolError(
                    f"an input frame passed {self._max_frame} bytes without ending ({self._decoder.frame_end}); "
                    f"raise conf {MAX_FRAME_KEY!r} if tuples are really that big"
                )
            if messages:
                batch = route(messages, data)
                if batch:
                    put(batch)

    def _route(self, messages: list[Any], data: bytes) -> list[Any]:
        """Answer heartbeats, deliver task ids, return the rest for the main thread.

        Fast path: only the first message can have begun in an earlier chunk; every
        other one lies inside ``data``, so if ``data`` holds no heartbeat marker and
        every message is a dict there is nothing to take out.
        """
        if self._is_bolt:
            first = messages[0]
            if self._marker in data or (type(first) is dict and first.get("stream") == HEARTBEAT_STREAM):
                return self._route_each(messages)
        if set(map(type, messages)) == _ONLY_DICTS:
            return messages
        return self._route_each(messages)

    def _route_each(self, messages: list[Any]) -> list[Any]:
        batch: list[Any] = []
        append = batch.append
        is_bolt = self._is_bolt
        for msg in messages:
            if type(msg) is dict:
                if is_bolt and msg.get("stream") == HEARTBEAT_STREAM and msg.get("task") == -1:
                    self._writer.send_now(self._sync)
                    continue
                append(msg)
            elif type(msg) is list:
                self._waiters.deliver(msg)
            else:
                raise ProtocolError(
                    f"got {describe(msg)}, which is neither a message object nor a task-id array"
                )
        return batch
