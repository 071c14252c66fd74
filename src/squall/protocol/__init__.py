"""The multi-lang wire protocol: bytes <-> messages, no I/O.

Serializers turn outgoing messages into frames and incoming bytes into messages
through incremental decoders; ``_messages`` builds and checks the messages.

>>> s = serializer_for("json")
>>> s.encode({"pid": 1234})
b'{"pid":1234}\\nend\\n'
>>> s.decoder().feed(b'{"command":"next","id":""}\\nend\\n')
[{'command': 'next', 'id': ''}]
"""

from squall.errors import ConfigError
from squall.protocol._json import JsonDecoder, JsonFrameEncoder, JsonSerializer
from squall.protocol._messages import (
    DEFAULT_STREAM,
    HEARTBEAT_STREAM,
    SPOUT_COMMANDS,
    SYNC,
    bad_bolt_message,
    check_handshake,
    check_spout_command,
    describe,
    emit_message,
    error_message,
    log_message,
)
from squall.protocol._msgpack import MsgpackDecoder, MsgpackFrameEncoder, MsgpackSerializer
from squall.protocol._serializer import Decoder, FrameEncoder, Serializer

SERIALIZERS = ("json", "msgpack")


def serializer_for(name: str) -> Serializer:
    """Return a new serializer by name (``json`` or ``msgpack``).

    >>> serializer_for("msgpack").name
    'msgpack'
    """
    if name == "json":
        return JsonSerializer()
    if name == "msgpack":
        return MsgpackSerializer()
    raise ConfigError(f"unknown multi-lang serializer {name!r}; use one of: {', '.join(SERIALIZERS)}")


__all__ = [
    "DEFAULT_STREAM",
    "HEARTBEAT_STREAM",
    "SERIALIZERS",
    "SPOUT_COMMANDS",
    "SYNC",
    "Decoder",
    "FrameEncoder",
    "JsonDecoder",
    "JsonFrameEncoder",
    "JsonSerializer",
    "MsgpackDecoder",
    "MsgpackFrameEncoder",
    "MsgpackSerializer",
    "Serializer",
    "bad_bolt_message",
    "check_handshake",
    "check_spout_command",
    "describe",
    "emit_message",
    "error_message",
    "log_message",
    "serializer_for",
]
