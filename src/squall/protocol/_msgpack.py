"""msgpack framing: messages are concatenated msgpack maps (commands, tuples) or arrays (task ids)."""

from __future__ import annotations

from typing import Any, Callable

import msgpack

from squall.errors import ProtocolError
from squall.protocol._serializer import Decoder, Serializer

_MAX_BUFFER = 512 * 1024 * 1024


class MsgpackDecoder(Decoder):
    """Decode concatenated msgpack objects; msgpack itself delimits them.

    >>> MsgpackDecoder().feed(b'\\x81\\xa7command\\xa4next\\x92\\x03\\x04\\x81')
    [{'command': 'next'}, [3, 4]]
    """

    __slots__ = ("_unpacker", "_fed")

    def __init__(self) -> None:
        self._unpacker = msgpack.Unpacker(raw=False, max_buffer_size=_MAX_BUFFER, strict_map_key=False)
        self._fed = 0

    def feed(self, data: bytes) -> list[Any]:
        """Return the objects completed by ``data``; keep the unfinished tail."""
        unpacker = self._unpacker
        try:
            unpacker.feed(data)
            self._fed += len(data)
            return list(unpacker)
        except (ValueError, msgpack.UnpackException) as exc:
            raise ProtocolError(
                f"malformed msgpack input near byte {unpacker.tell()}: {exc}; "
                "each message must be one msgpack map or array"
            ) from None

    def buffered(self) -> int:
        """Return how many bytes of an unfinished object wait for more input (0 if none)."""
        try:
            self._unpacker.read_bytes(0)  # refuses while an object is incomplete
        except ValueError:
            return max(1, self._fed - self._unpacker.tell())
        return 0


class MsgpackSerializer(Serializer):
    """msgpack framing (pystorm-compatible): each message is one msgpack object, nothing else.

    Strings are msgpack str, ``bytes`` values msgpack bin::

        >>> MsgpackSerializer().encode({"command": "sync"})
        b'\\x81\\xa7command\\xa4sync'
        >>> MsgpackSerializer().encode({"pid": 1234})
        b'\\x81\\xa3pid\\xcd\\x04\\xd2'
        >>> MsgpackSerializer().decode_all(b'\\x92\\x03\\x04')
        [[3, 4]]

    Storm itself ships only JSON: using msgpack on Storm needs a Java
    ``ISerializer`` speaking this framing (``topology.multilang.serializer``).
    """

    name = "msgpack"

    def encode(self, message: Any) -> bytes:
        """Return one frame: the msgpack encoding of ``message``."""
        return msgpack.packb(message, use_bin_type=True)

    def encoder(self) -> Callable[[Any], bytes]:
        """Return a fast ``encode`` for one thread (a reusable Packer)."""
        return msgpack.Packer(use_bin_type=True).pack  # type: ignore[no-any-return]

    def decoder(self) -> MsgpackDecoder:
        """Return a streaming msgpack decoder."""
        return MsgpackDecoder()
