"""The serializer contract: how messages become frames and bytes become messages."""

from __future__ import annotations

import abc
from typing import Any, Callable


class Decoder(abc.ABC):
    """Turn a byte stream into messages, one chunk at a time (one decoder per stream).

    Not thread-safe: one reader feeds it. ``feed`` never blocks and never waits for
    more input: it returns the messages completed by ``data`` (possibly none) and
    keeps the tail of an unfinished frame for the next call.
    """

    @abc.abstractmethod
    def feed(self, data: bytes) -> list[Any]:
        """Return every message completed by ``data``; raise ``ProtocolError`` on garbage."""

    @abc.abstractmethod
    def buffered(self) -> int:
        """Return how many bytes of an unfinished frame are waiting for more input."""

    #: how a frame ends, for error messages ("a line 'end'", "a complete msgpack object")
    frame_end: str = "the end of its frame"


class FrameEncoder:
    """Encode frames on one thread, with fast paths for the per-tuple commands.

    Every method returns exactly the bytes ``Serializer.encode`` gives for the
    equivalent message; subclasses only make them cheaper. Not thread-safe.
    """

    def __init__(self, encode: Callable[[Any], bytes]) -> None:
        self.encode = encode

    def anchored_emit(self, values: Any, anchors: Any) -> bytes:
        """Return ``{"command":"emit","tuple":values,"anchors":anchors,"need_task_ids":false}``."""
        return self.encode({"command": "emit", "tuple": values, "anchors": anchors, "need_task_ids": False})

    def ack(self, tup_id: Any) -> bytes:
        """Return ``{"command":"ack","id":tup_id}``."""
        return self.encode({"command": "ack", "id": tup_id})

    def fail(self, tup_id: Any) -> bytes:
        """Return ``{"command":"fail","id":tup_id}``."""
        return self.encode({"command": "fail", "id": tup_id})


class Serializer(abc.ABC):
    """Encode outgoing messages to frames and make decoders for incoming bytes.

    A message is a dict (a command or a tuple) or a list (task ids). ``encode`` is
    thread-safe and returns one whole frame, ready to be written as-is.
    """

    #: Name used on the command line and in config (``json``, ``msgpack``).
    name: str = ""
    #: Bytes every encoded heartbeat tuple contains (its stream name, encoded), so a
    #: reader can skip looking for heartbeats in chunks without them.
    heartbeat_marker: bytes = b"__heartbeat"

    @abc.abstractmethod
    def encode(self, message: Any) -> bytes:
        """Return ``message`` as one complete frame."""

    def encoder(self) -> FrameEncoder:
        """Return a frame encoder for one thread only (faster than ``encode``)."""
        return FrameEncoder(self.encode)

    @abc.abstractmethod
    def decoder(self) -> Decoder:
        """Return a new incremental decoder for one input stream."""

    def decode_all(self, data: bytes) -> list[Any]:
        """Decode a complete byte string (tests, tools); raise ``ProtocolError`` on a cut frame."""
        from squall.errors import ProtocolError

        decoder = self.decoder()
        messages = decoder.feed(data)
        if decoder.buffered():
            raise ProtocolError(
                f"{self.name} input ends inside a frame ({decoder.buffered()} bytes unterminated); "
                "the peer must finish every frame"
            )
        return messages
