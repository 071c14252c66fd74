"""Storm's default multi-lang framing: UTF-8 JSON text, then the line ``end``."""

from __future__ import annotations

from typing import Any

import orjson

from squall.errors import ProtocolError
from squall.protocol._serializer import Decoder, FrameEncoder, Serializer

TERMINATOR = b"\nend\n"
_OPTIONS = orjson.OPT_NON_STR_KEYS


def _preview(data: bytes, limit: int = 60) -> str:
    text = bytes(data[:limit]).decode("utf-8", "replace")
    return repr(text + ("..." if len(data) > limit else ""))


class JsonDecoder(Decoder):
    """Split a byte stream at lines equal to ``end`` and parse each frame with orjson.

    Storm writes ``<json>\\nend\\n``; a frame may span several lines (they are
    joined with ``\\n``, which JSON treats as whitespace), so the frame is simply
    every byte before ``\\nend\\n``. Storm's JsonSerializer always writes ``\\n``
    (never CRLF) and compact json-smart text; any JSON whitespace is accepted.

    >>> JsonDecoder().feed(b'{"command":"next","id":""}\\nend\\n[3,4]\\nend\\n{"comm')
    [{'command': 'next', 'id': ''}, [3, 4]]
    """

    __slots__ = ("_pending", "_last4", "_size")
    frame_end = "a line 'end' after each JSON message"

    def __init__(self) -> None:
        self._pending: list[bytes] = []  # chunks of an unfinished frame
        self._last4 = b""  # their last 4 bytes: a terminator may straddle chunks
        self._size = 0

    def feed(self, data: bytes) -> list[Any]:
        """Return the messages completed by ``data``; keep the unfinished tail."""
        if self._pending:
            if TERMINATOR not in data and TERMINATOR not in self._last4 + data[:4]:
                self._pending.append(data)  # still no end of frame: no copying, no parsing
                self._size += len(data)
                self._last4 = (self._last4 + data)[-4:]
                return []
            self._pending.append(data)
            data = b"".join(self._pending)
            self._pending = []
        frames = data.split(TERMINATOR)
        rest = frames.pop()
        if rest:
            self._pending = [rest]
            self._size = len(rest)
            self._last4 = rest[-4:]
        else:
            self._size = 0
        try:
            return list(map(orjson.loads, frames))
        except orjson.JSONDecodeError:
            raise self._error(frames) from None

    @staticmethod
    def _error(frames: list[bytes]) -> ProtocolError:
        for frame in frames:
            try:
                orjson.loads(frame)
            except orjson.JSONDecodeError as exc:
                return ProtocolError(
                    f"malformed JSON frame {_preview(frame)}: {exc}; "
                    "each message must be one JSON value followed by a line 'end'"
                )
        return ProtocolError("malformed JSON frame")  # unreachable: one frame failed above

    def buffered(self) -> int:
        """Return the number of bytes waiting for their ``end`` line."""
        return self._size


class JsonFrameEncoder(FrameEncoder):
    """JSON frames for one thread, per-tuple commands assembled from constant pieces.

    >>> JsonFrameEncoder(JsonSerializer().encode).ack("-61")
    b'{"command":"ack","id":"-61"}\\nend\\n'
    """

    def anchored_emit(self, values: Any, anchors: Any) -> bytes:
        """Return the default-stream anchored emit frame."""
        dumps = orjson.dumps
        return b"".join(
            (b'{"command":"emit","tuple":', dumps(values, option=_OPTIONS), b',"anchors":', dumps(anchors),
             b',"need_task_ids":false}\nend\n')
        )

    def ack(self, tup_id: Any) -> bytes:
        """Return the ack frame."""
        return b'{"command":"ack","id":' + orjson.dumps(tup_id) + b"}\nend\n"

    def fail(self, tup_id: Any) -> bytes:
        """Return the fail frame."""
        return b'{"command":"fail","id":' + orjson.dumps(tup_id) + b"}\nend\n"


class JsonSerializer(Serializer):
    """Storm's JSON framing, as ``org.apache.storm.multilang.JsonSerializer`` reads it.

    Each frame is compact UTF-8 JSON (no raw newlines: orjson escapes them in
    strings) followed by ``\\nend\\n``::

        >>> JsonSerializer().encode({"command": "sync"})
        b'{"command":"sync"}\\nend\\n'
        >>> JsonSerializer().encode({"command": "emit", "tuple": ["dog"],
        ...     "anchors": ["-71"], "need_task_ids": False})
        b'{"command":"emit","tuple":["dog"],"anchors":["-71"],"need_task_ids":false}\\nend\\n'
        >>> JsonSerializer().decode_all(b'[3,4]\\nend\\n')
        [[3, 4]]
    """

    name = "json"
    heartbeat_marker = b'"__heartbeat"'

    def encode(self, message: Any) -> bytes:
        """Return one frame: ``<compact json>\\nend\\n``."""
        return orjson.dumps(message, option=_OPTIONS) + TERMINATOR

    def encoder(self) -> JsonFrameEncoder:
        """Return a fast frame encoder for one thread."""
        return JsonFrameEncoder(self.encode)

    def decoder(self) -> JsonDecoder:
        """Return a decoder that splits frames at ``\\nend\\n``."""
        return JsonDecoder()
