"""Batches of tuples between task processes over AF_UNIX SOCK_SEQPACKET sockets.

Every task has one inbox: a SEQPACKET socket pair created by the engine before any
task is forked. Producers (which inherit the write end) send whole msgpack-encoded
batches; SEQPACKET keeps message boundaries, so several producers can share one
inbox and a task that dies never leaves half a message behind: what is still queued
in the kernel is read by its restarted incarnation. Sends never block
(``MSG_DONTWAIT``); a producer keeps what it cannot send in a bounded per-destination
buffer and stops taking new input until the buffer drains (backpressure).
"""

from __future__ import annotations

import pickle
import socket
from collections import deque
from typing import Any, Callable, Optional

import msgpack

from squall.engine import _hotpath
from squall.errors import EngineError

# Message kinds (first element of every message).
DATA = 0  # (DATA, src_task, [stream index, values, root, edge, stream index, values, root, edge, ...])
ACKS = 1  # (ACKS, src_task, [root, xor, root, xor, ...], [failed root, ...]), one pair per root
FRAG = 2  # (FRAG, src_task, index, count, chunk): a message too big for one packet

# A DATA record is RECORD_WIDTH flat slots: the index of the stream in the producer
# component's stream list (TaskPlan.stream_names), the values list, and the tuple's
# place in its trees: root None (untracked), root id + edge id (one tree), or a flat
# [root, edge, root, edge, ...] list + 0 (several trees).
RECORD_WIDTH = 4
_PICKLED = 42


def _default(obj: Any) -> Any:
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    try:
        return msgpack.ExtType(_PICKLED, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception as exc:
        raise TypeError(
            f"tuple value {obj!r} of type {type(obj).__name__} cannot be sent between tasks: "
            "emit msgpack-able values (str, int, float, bytes, list, dict) or picklable objects"
        ) from exc


def _ext_hook(code: int, data: bytes) -> Any:
    if code == _PICKLED:
        return pickle.loads(data)
    return msgpack.ExtType(code, data)


def make_packer() -> Callable[[Any], bytes]:
    """Return a fast encoder of engine messages (one per process, not thread-safe)."""
    pack: Callable[[Any], bytes] = msgpack.Packer(use_bin_type=True, default=_default).pack
    return pack


def unpack(data: Any) -> Any:
    """Decode one engine message (arrays as lists: nested values arrive as they would on Storm)."""
    return msgpack.unpackb(data, raw=False, strict_map_key=False, ext_hook=_ext_hook)


def channel(buffer_bytes: int) -> tuple[socket.socket, socket.socket]:
    """Create an inbox: (read end, write end), the write end with ``buffer_bytes`` of send buffer."""
    read_end, write_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    for sock in (read_end, write_end):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buffer_bytes)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer_bytes)
    return read_end, write_end


def max_message(sock: socket.socket) -> int:
    """Return the largest message this socket can carry in one packet (with headroom)."""
    return min(sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) // 4, 1 << 18)


class OutPort:
    """The bounded output buffer of one producer task towards one destination inbox.

    ``records`` collects flat tuple records; ``seal`` encodes them into messages;
    ``flush`` sends as many queued messages as the destination accepts right now.
    A record whose values cannot be encoded is left out of its batch and put in
    ``rejected`` with the error (the collector fails its tree and reports it).
    """

    __slots__ = ("task", "sock", "records", "queued", "queued_bytes", "kind", "src", "rejected", "_pack", "_pack_batch",
                 "_limit")

    def __init__(self, task: int, sock: socket.socket, src: int, kind: int, pack: Callable[[Any], bytes]) -> None:
        self.task = task
        self.sock = sock
        self.src = src
        self.kind = kind
        self.records: list[Any] = []
        self.queued: deque[bytes] = deque()
        self.queued_bytes = 0
        self.rejected: list[tuple[list[Any], Exception]] = []
        self._pack = pack
        # the compiled batch encoder (None: msgpack's packer encodes it), else the packer alone
        self._pack_batch: Callable[[int, int, list[Any]], Optional[bytes]] = _hotpath.implementation().pack_batch
        self._limit = max_message(sock)

    def seal(self) -> None:
        """Encode the collected records into queued messages."""
        if self.records:
            records, self.records = self.records, []
            self._queue(records, RECORD_WIDTH)

    def queue_message(self, message: Any) -> None:
        """Encode and queue one whole message (e.g. acks)."""
        self._enqueue(self._pack(message))

    def _queue(self, records: list[Any], width: int) -> None:
        try:
            data = self._pack_batch(self.kind, self.src, records) or self._pack((self.kind, self.src, records))
        except Exception:  # a value msgpack cannot carry: pack record by record, leave it out
            records = self._reject_uncarried(records, width)
            if not records:
                return
            data = self._pack((self.kind, self.src, records))
        if len(data) <= self._limit or len(records) <= width:
            self._enqueue(data)
            return
        half = (len(records) // width // 2) * width
        self._queue(records[:half], width)
        self._queue(records[half:], width)

    def _reject_uncarried(self, records: list[Any], width: int) -> list[Any]:
        """Return the records that can be encoded; move the others to ``rejected``."""
        kept: list[Any] = []
        for start in range(0, len(records), width):
            record = records[start:start + width]
            try:
                self._pack((self.kind, self.src, record))
            except Exception as exc:
                self.rejected.append((record, exc))
            else:
                kept += record
        return kept

    def _enqueue(self, data: bytes) -> None:
        if len(data) > self._limit:
            count = -(-len(data) // (self._limit - 64))
            step = self._limit - 64
            for index in range(count):
                chunk = data[index * step:(index + 1) * step]
                self.queued.append(self._pack((FRAG, self.src, index, count, chunk)))
        else:
            self.queued.append(data)
        self.queued_bytes += len(data)

    def flush(self) -> bool:
        """Send queued messages without blocking; return True when nothing is left."""
        queued = self.queued
        send = self.sock.send
        while queued:
            data = queued[0]
            try:
                send(data, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return False
            except OSError as exc:
                raise EngineError(f"cannot send to task {self.task}: {exc}") from exc
            queued.popleft()
            self.queued_bytes -= len(data)
        if self.queued_bytes < 0 or not queued:
            self.queued_bytes = 0
        return True

    def discard(self) -> None:
        """Drop everything buffered (the destination is gone for good)."""
        self.records = []
        self.queued.clear()
        self.queued_bytes = 0


class Reassembler:
    """Join ``FRAG`` messages back into the message they were cut from, per source task."""

    def __init__(self) -> None:
        self._parts: dict[int, list[bytes]] = {}

    def add(self, src: int, index: int, count: int, chunk: bytes) -> Optional[bytes]:
        """Add one fragment; return the encoded message when it is complete, else None."""
        if index == 0:
            self._parts[src] = []
        parts = self._parts.get(src)
        if parts is None or len(parts) != index:
            self._parts.pop(src, None)  # a producer died mid-message: drop the stale pieces
            return None
        parts.append(chunk)
        if index + 1 < count:
            return None
        del self._parts[src]
        return b"".join(parts)
