"""msgpack framing: exact bytes, concatenated objects, streaming decode."""

import msgpack
import pytest

from squall.errors import ConfigError, ProtocolError
from squall.protocol import MsgpackDecoder, MsgpackSerializer, emit_message, serializer_for

S = MsgpackSerializer()


def test_encode_sync():
    assert S.encode({"command": "sync"}) == b"\x81\xa7command\xa4sync"


def test_encode_pid():
    assert S.encode({"pid": 1234}) == b"\x81\xa3pid\xcd\x04\xd2"


def test_encode_emit_has_need_task_ids_false():
    frame = S.encode(emit_message("default", ["dog"], ["1"], None, None, False))
    assert frame == (
        b"\x84\xa7command\xa4emit\xa5tuple\x91\xa3dog\xa7anchors\x91\xa11\xadneed_task_ids\xc2"
    )


def test_thread_encoder_matches_encode():
    enc = S.encoder()
    msg = {"command": "ack", "id": "x", "b": b"\x00"}
    assert enc.encode(msg) == S.encode(msg) == msgpack.packb(msg, use_bin_type=True)


def test_decode_concatenated_map_and_array():
    assert S.decode_all(b"\x82\xa7command\xa4next\xa2id\xa0\x92\x03\x04") == [
        {"command": "next", "id": ""},
        [3, 4],
    ]


@pytest.mark.parametrize("split", range(1, 12))
def test_decoder_resumes_at_any_split_point(split):
    data = S.encode({"command": "ack", "id": 5}) + S.encode([1, 2])
    dec = MsgpackDecoder()
    assert dec.feed(data[:split]) + dec.feed(data[split:]) == [{"command": "ack", "id": 5}, [1, 2]]
    assert dec.buffered() == 0


def test_decoder_reports_an_unfinished_object():
    dec = MsgpackDecoder()
    assert dec.feed(b"\x92\x01\x02\x81\xa1") == [[1, 2]]
    assert dec.buffered() > 0


def test_reserved_byte_is_a_protocol_error():
    with pytest.raises(ProtocolError, match="malformed msgpack input"):
        MsgpackDecoder().feed(b"\xc1")


@pytest.mark.parametrize("data", [b"\x81\x91\x01\x02", b"\x81\x80\x01"])
def test_unhashable_map_key_is_a_protocol_error(data):
    with pytest.raises(ProtocolError, match="malformed msgpack input"):
        MsgpackDecoder().feed(data)


def test_serializer_for_unknown_name():
    with pytest.raises(ConfigError, match="unknown multi-lang serializer 'xml'; use one of: json, msgpack"):
        serializer_for("xml")


@pytest.mark.parametrize("ser", ["json", "msgpack"])
@pytest.mark.parametrize("anchors", [("-61",), ["a", "b"], [7]])
def test_fast_frames_equal_dict_encoding(ser, anchors):
    s = serializer_for(ser)
    enc = s.encoder()
    values = ["dog", 1, 2.5, None, {"k": [1]}, True]
    assert enc.anchored_emit(values, anchors) == s.encode(
        {"command": "emit", "tuple": values, "anchors": list(anchors), "need_task_ids": False}
    )
    assert enc.ack("-61") == s.encode({"command": "ack", "id": "-61"})
    assert enc.fail(12) == s.encode({"command": "fail", "id": 12})
    assert enc.encode({"command": "sync"}) == s.encode({"command": "sync"})


@pytest.mark.parametrize("ser", ["json", "msgpack"])
def test_heartbeat_marker_is_in_every_encoded_heartbeat(ser):
    s = serializer_for(ser)
    frame = s.encode({"id": "-1", "comp": None, "stream": "__heartbeat", "task": -1, "tuple": []})
    assert s.heartbeat_marker in frame
