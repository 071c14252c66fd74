"""The frames squall's Python msgpack codec and the Java serializer's tests share stay true."""

from __future__ import annotations

import pytest

from squall.errors import ProtocolError
from squall.protocol import serializer_for
from tests.protocol.msgpack_frames import FRAMES_FILE, TO_PYTHON, frames, properties


def test_the_java_tests_read_what_the_python_codec_writes_today():
    assert FRAMES_FILE.read_text() == properties(), (
        "the Python msgpack codec changed: run `python -m tests.protocol.msgpack_frames` and "
        "the Java tests (mvn -o -q -f java/msgpack-serializer package)")


@pytest.mark.parametrize("name", sorted(TO_PYTHON))
def test_python_reads_what_the_java_side_writes(name):
    data = frames()[f"to_python.{name}"]
    assert serializer_for("msgpack").decode_all(data) == [TO_PYTHON[name]]


@pytest.mark.parametrize("value", [2**64, 2**70, -(2**63) - 1, -(2**70), -(2**200) + 7])
def test_integers_beyond_64_bits_round_trip_as_extension_type_1(value):
    ser = serializer_for("msgpack")
    frame = ser.encode({"tuple": [value]})
    assert b"\xc7" in frame or b"\xd4" in frame or b"\xd5" in frame or b"\xd8" in frame
    assert ser.decode_all(frame) == [{"tuple": [value]}]
    assert ser.encoder().anchored_emit([value], ["1"]) == ser.encode(
        {"command": "emit", "tuple": [value], "anchors": ["1"], "need_task_ids": False})


def test_an_unknown_extension_type_is_a_protocol_error():
    with pytest.raises(ProtocolError, match="msgpack extension type 9 is not supported"):
        serializer_for("msgpack").decode_all(frames()["to_java.big_ext_unknown"])


def test_other_unpackable_values_still_raise_type_error():
    with pytest.raises(TypeError, match="cannot serialize 'object' object"):
        serializer_for("msgpack").encode({"tuple": [object()]})
