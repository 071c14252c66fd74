"""msgpack framing: messages are concatenated msgpack maps (commands, tuples) or arrays (task ids)."""

from __future__ import annotations

from typing import Any, Callable

import msgpack

from squall.errors import ProtocolError
from squall.protocol._serializer import Decoder, FrameEncoder, Serializer

_MAX_BUFFER = 512 * 1024 * 1024
#: msgpack extension type of integers beyond 64 bits (two's complement, big-endian, minimal
#: length): the Java serializer (java/msgpack-serializer) reads and writes the same.
BIG_INTEGER_EXT = 1


def _pack_default(obj: Any) -> Any:
    """Pack what msgpack cannot natively: integers beyond 64 bits as extension type 1."""
    if isinstance(obj, int):
        size = (obj if obj >= 0 else ~obj).bit_length() // 8 + 1
        return msgpack.ExtType(BIG_INTEGER_EXT, obj.to_bytes(size, "big", signed=True))
    raise TypeError(f"cannot serialize {type(obj).__name__!r} object")


def _unpack_ext(code: int, data: bytes) -> Any:
    if code == BIG_INTEGER_EXT and data:
        return int.from_bytes(data, "big", signed=True)
    raise ValueError(f"msgpack extension type {code} is not supported (only {BIG_INTEGER_EXT}: big integers)")


class MsgpackDecoder(Decoder):
    """Decode concatenated msgpack objects; msgpack itself delimits them.

    >>> MsgpackDecoder().feed(b'\\x81\\xa7command\\xa4next\\x92\\x03\\x04\\x81')
    [{'command': 'next'}, [3, 4]]
    """

    __slots__ = ("_unpacker", "_fed")
    frame_end = "each msgpack object complete"

    def __init__(self) -> None:
        self._unpacker = msgpack.Unpacker(raw=False, max_buffer_size=_MAX_BUFFER, strict_map_key=False,
                                         ext_hook=_unpack_ext)
        self._fed = 0

    def feed(self, data: bytes) -> list[Any]:
        """Return the objects completed by ``data``; keep the unfinished tail."""
        unpacker = self._unpacker
        try:
            unpacker.feed(data)
            self._fed += len(data)
            return list(unpacker)
        except (ValueError, TypeError, msgpack.UnpackException) as exc:  # TypeError: unhashable map key
            raise ProtocolError(
                f"malformed msgpack input near byte {unpacker.tell()}: {exc}; "
                "each message must be one msgpack map or array"
            ) from None

    def buffered(self) -> int:
        """Return how many bytes of an unfinished object wait for more input (0 if none)."""
        try:
            self._unpacker.read_bytes(0)  # refuses while an object is incomplete
        except ValueError:
            done: int = self._unpacker.tell()
            return max(1, self._fed - done)
        return 0


class MsgpackFrameEncoder(FrameEncoder):
    """msgpack frames for one thread: a reusable Packer, per-tuple commands from constant pieces.

    >>> MsgpackFrameEncoder().ack("1")
    b'\\x82\\xa7command\\xa3ack\\xa2id\\xa11'
    """

    def __init__(self) -> None:
        pack: Callable[[Any], bytes] = msgpack.Packer(use_bin_type=True, default=_pack_default).pack
        self._pack = pack
        super().__init__(pack)

    def anchored_emit(self, values: Any, anchors: Any) -> bytes:
        """Return the default-stream anchored emit frame."""
        pack = self._pack
        return b"".join(
            (b"\x84\xa7command\xa4emit\xa5tuple", pack(values), b"\xa7anchors", pack(anchors),
             b"\xadneed_task_ids\xc2")
        )

    def ack(self, tup_id: Any) -> bytes:
        """Return the ack frame."""
        return b"\x82\xa7command\xa3ack\xa2id" + self._pack(tup_id)

    def fail(self, tup_id: Any) -> bytes:
        """Return the fail frame."""
        return b"\x82\xa7command\xa4fail\xa2id" + self._pack(tup_id)


class MsgpackSerializer(Serializer):
    """msgpack framing (pystorm-compatible): each message is one msgpack object, nothing else.

    Strings are msgpack str, ``bytes`` values msgpack bin::

        >>> MsgpackSerializer().encode({"command": "sync"})
        b'\\x81\\xa7command\\xa4sync'
        >>> MsgpackSerializer().encode({"pid": 1234})
        b'\\x81\\xa3pid\\xcd\\x04\\xd2'
        >>> MsgpackSerializer().decode_all(b'\\x92\\x03\\x04')
        [[3, 4]]

    Integers beyond 64 bits travel as extension type 1 (two's complement, big-endian).
    Storm itself ships only JSON: on Storm the Java half is squall's
    ``squall.storm.MsgpackSerializer`` (``topology.multilang.serializer``), which
    ``squall submit`` puts into the topology jar.
    """

    name = "msgpack"
    heartbeat_marker = b"\xab__heartbeat"

    def encode(self, message: Any) -> bytes:
        """Return one frame: the msgpack encoding of ``message``."""
        frame: bytes = msgpack.packb(message, use_bin_type=True, default=_pack_default)
        return frame

    def encoder(self) -> MsgpackFrameEncoder:
        """Return a fast frame encoder for one thread."""
        return MsgpackFrameEncoder()

    def decoder(self) -> MsgpackDecoder:
        """Return a streaming msgpack decoder."""
        return MsgpackDecoder()
