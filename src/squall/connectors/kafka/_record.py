"""A consumed Kafka record as a spout's ``to_values`` hook sees it, and value codecs."""

from __future__ import annotations

from typing import Any, NamedTuple, Optional, Sequence

import orjson


class KafkaRecord(NamedTuple):
    """One record read from Kafka: where it came from and its raw bytes.

    >>> r = KafkaRecord("events", 0, 42, b"k", b"hello", (), 1700000000000)
    >>> r.value.decode()
    'hello'
    """

    topic: str
    partition: int
    offset: int
    key: Optional[bytes]
    value: Optional[bytes]
    headers: Sequence[tuple[str, bytes]]
    timestamp_ms: Optional[int]

    @classmethod
    def of(cls, message: Any) -> "KafkaRecord":
        """Build a record from a confluent-kafka ``Message``."""
        kind, stamp = message.timestamp()
        return cls(message.topic(), message.partition(), message.offset(), message.key(), message.value(),
                   tuple(message.headers() or ()), stamp if kind else None)


def text(raw: Optional[bytes]) -> Optional[str]:
    """Decode ``raw`` as UTF-8 text (None stays None); raises UnicodeDecodeError."""
    return None if raw is None else raw.decode("utf-8")


def encode(value: Any) -> Optional[bytes]:
    """Encode a tuple value for Kafka: str as UTF-8, bytes as is, None as null, else JSON.

    >>> encode("hé"), encode(b"\\x00"), encode(None), encode({"n": 1})
    (b'h\\xc3\\xa9', b'\\x00', None, b'{"n":1}')
    """
    if isinstance(value, str):
        return value.encode("utf-8")
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
