"""JSON framing: exact bytes as Storm's JsonSerializer writes and reads them."""

import pytest

from squall.errors import ProtocolError
from squall.protocol import JsonDecoder, JsonSerializer, emit_message, log_message

S = JsonSerializer()


def test_encode_sync_is_compact_json_then_end_line():
    assert S.encode({"command": "sync"}) == b'{"command":"sync"}\nend\n'


def test_encode_pid_reply():
    assert S.encode({"pid": 4321}) == b'{"pid":4321}\nend\n'


def test_encode_bolt_emit_with_need_task_ids_false():
    frame = S.encode(emit_message("default", ["dog", 1], ["-71"], None, None, False))
    assert frame == b'{"command":"emit","tuple":["dog",1],"anchors":["-71"],"need_task_ids":false}\nend\n'


def test_encode_spout_direct_emit_on_named_stream():
    frame = S.encode(emit_message("words", ["x"], (), 9, 4, True))
    assert frame == b'{"command":"emit","tuple":["x"],"stream":"words","id":9,"task":4,"need_task_ids":true}\nend\n'


def test_encode_log_with_level():
    assert S.encode(log_message("hi", 3)) == b'{"command":"log","msg":"hi","level":3}\nend\n'


def test_newlines_in_strings_are_escaped_so_no_line_reads_end():
    frame = S.encode({"command": "log", "msg": "a\nend\nb", "level": 2})
    assert frame == b'{"command":"log","msg":"a\\nend\\nb","level":2}\nend\n'
    assert frame.count(b"\n") == 2


def test_utf8_is_written_raw():
    assert S.encode({"msg": "caf\u00e9"}) == '{"msg":"caf\u00e9"}\nend\n'.encode()


def test_decode_storm_tuple_and_task_ids():
    data = (
        b'{"id":"-6955786537413359385","comp":"1","stream":"1","task":9,"tuple":["snow white",3]}\nend\n'
        b"[12,22,24]\nend\n"
    )
    assert S.decode_all(data) == [
        {"id": "-6955786537413359385", "comp": "1", "stream": "1", "task": 9, "tuple": ["snow white", 3]},
        [12, 22, 24],
    ]


def test_decode_joins_lines_until_end_line():
    assert S.decode_all(b'{"command":\n"next",\n"id":""}\nend\n') == [{"command": "next", "id": ""}]


def test_decode_tolerates_json_whitespace():
    assert S.decode_all(b'  { "command" : "ack" , "id" : 7 }  \nend\n') == [{"command": "ack", "id": 7}]


@pytest.mark.parametrize("split", range(1, 20))
def test_decoder_resumes_at_any_split_point(split):
    data = b'{"command":"next","id":""}\nend\n[3]\nend\n'
    dec = JsonDecoder()
    got = dec.feed(data[:split]) + dec.feed(data[split:])
    assert got == [{"command": "next", "id": ""}, [3]]
    assert dec.buffered() == 0


def test_decoder_one_byte_at_a_time():
    data = b'{"a":1}\nend\n{"b":2}\nend\n'
    dec = JsonDecoder()
    got = [m for i in range(len(data)) for m in dec.feed(data[i : i + 1])]
    assert got == [{"a": 1}, {"b": 2}]


def test_decoder_reports_unterminated_bytes():
    dec = JsonDecoder()
    assert dec.feed(b'{"a":1}\nend\n{"b":') == [{"a": 1}]
    assert dec.buffered() == len(b'{"b":')


def test_malformed_json_is_a_protocol_error_naming_the_frame():
    with pytest.raises(ProtocolError, match=r"malformed JSON frame 'not json'"):
        JsonDecoder().feed(b"not json\nend\n")


def test_decode_all_rejects_a_cut_frame():
    with pytest.raises(ProtocolError, match="ends inside a frame"):
        S.decode_all(b'{"a":1}\nend\n{"b"')
