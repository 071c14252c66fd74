"""serve() as a library over injected binary streams (no child process)."""

import io

import pytest

from squall.errors import ComponentCrashed, ProtocolError
from squall.multilang import load_component_class, serve
from squall.protocol import serializer_for
from tests.multilang.components import CrashBolt, EchoBolt
from tests.multilang.harness import context, heartbeat, tup


def run_serve(component, ser, messages, tmp_path, tail=b""):
    s = serializer_for(ser)
    data = b"".join(s.encode(m) for m in [{"conf": {}, "context": context(), "pidDir": str(tmp_path)}, *messages])
    out = io.BytesIO()
    try:
        serve(component, ser, io.BytesIO(data + tail), out)
    finally:
        out_messages = s.decode_all(out.getvalue())
    return out_messages


@pytest.mark.parametrize("ser", ["json", "msgpack"])
def test_serve_over_bytesio_returns_at_eof(ser, tmp_path):
    got = run_serve(EchoBolt, ser, [tup("1", "a"), heartbeat(), tup("2", "b")], tmp_path)
    assert got[0]["pid"] > 0
    commands = [m.get("command") for m in got[1:]]
    assert sorted(commands) == ["ack", "ack", "emit", "emit", "sync"]
    assert [m["tuple"] for m in got if m.get("command") == "emit"] == [["a"], ["b"]]


def test_serve_raises_protocol_error_on_garbage(tmp_path):
    with pytest.raises(ProtocolError, match="malformed JSON frame"):
        run_serve(EchoBolt, "json", [], tmp_path, tail=b"{oops\nend\n")


def test_serve_raises_component_crashed(tmp_path):
    with pytest.raises(ComponentCrashed, match="raised ValueError: boom requested"):
        run_serve(CrashBolt, "json", [tup("1", "boom")], tmp_path)


def test_load_component_class():
    assert load_component_class("tests.multilang.components:EchoBolt") is EchoBolt


class Trickle(io.BytesIO):
    """A stream that hands out at most ``size`` bytes per read, like a slow pipe."""

    def __init__(self, data: bytes, size: int) -> None:
        super().__init__(data)
        self.size = size

    def read1(self, n: int = -1) -> bytes:
        return super().read1(self.size)


@pytest.mark.parametrize("ser", ["json", "msgpack"])
@pytest.mark.parametrize("size", [1, 5, 13, 64])
def test_heartbeats_split_across_reads_never_reach_user_code(ser, size, tmp_path):
    s = serializer_for(ser)
    messages = [{"conf": {}, "context": context(), "pidDir": str(tmp_path)}]
    messages += [heartbeat(), tup("1", "a"), heartbeat(), heartbeat(), tup("2", "b"), heartbeat()]
    out = io.BytesIO()
    serve(EchoBolt, ser, Trickle(b"".join(s.encode(m) for m in messages), size), out)  # EchoBolt fails on []
    got = s.decode_all(out.getvalue())[1:]
    assert sorted(m["command"] for m in got) == ["ack", "ack", "emit", "emit", "sync", "sync", "sync", "sync"]
