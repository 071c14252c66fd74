"""A spout's input read on its main thread: commands, inline task-id replies, errors."""

from __future__ import annotations

import threading

import pytest

from squall.errors import PeerGoneError, ProtocolError
from squall.multilang._io import FrameWriter
from squall.multilang._spout_input import SpoutInput
from squall.protocol import serializer_for


def _input(chunks: list[bytes], ser: str = "msgpack", on_end=None) -> tuple[SpoutInput, list[bytes]]:
    serializer = serializer_for(ser)
    written: list[bytes] = []
    pending = list(chunks)
    reads = lambda n: pending.pop(0) if pending else b""  # noqa: E731
    return SpoutInput(reads, serializer.decoder(), FrameWriter(written.append), [], on_end), written


def _enc(*messages, ser: str = "msgpack") -> bytes:
    return b"".join(serializer_for(ser).encode(m) for m in messages)


@pytest.mark.parametrize("ser", ["json", "msgpack"])
def test_commands_come_in_order_across_chunks(ser):
    data = _enc({"command": "next", "id": ""}, {"command": "ack", "id": 3}, ser=ser)
    commands, _ = _input([data[:5], data[5:]], ser)
    assert commands.next_command() == {"command": "next", "id": ""}
    assert commands.next_command() == {"command": "ack", "id": 3}


def test_eof_is_peer_gone_and_reported_to_on_end():
    ended = []
    commands, _ = _input([], on_end=ended.append)
    with pytest.raises(PeerGoneError, match="Storm closed the component's stdin"):
        commands.next_command()
    assert isinstance(ended[0], PeerGoneError)


def test_task_ids_are_read_inline_and_later_commands_kept():
    commands, written = _input([_enc([4, 5], {"command": "sync-probe"})])
    assert commands.request(b"emit-frame") == [4, 5]
    assert written == [b"emit-frame"]
    assert commands.next_command() == {"command": "sync-probe"}


def test_a_command_before_the_task_ids_waits_its_turn():
    commands, _ = _input([_enc({"command": "next", "id": ""}), _enc([7])])
    assert commands.request(b"emit") == [7]
    assert commands.next_command() == {"command": "next", "id": ""}


def test_task_ids_nobody_asked_for_are_a_protocol_error():
    commands, _ = _input([_enc([1, 2])])
    with pytest.raises(ProtocolError, match="but no emit asked for task ids; a spout gets command objects"):
        commands.next_command()


def test_task_ids_from_another_thread_are_refused():
    commands, _ = _input([])
    errors: list[BaseException] = []

    def emit() -> None:
        try:
            commands.request(b"emit")
        except ProtocolError as exc:
            errors.append(exc)

    thread = threading.Thread(target=emit)
    thread.start()
    thread.join()
    assert "must run on the spout's own thread" in str(errors[0])


def test_abort_stops_before_the_next_read():
    commands, _ = _input([_enc({"command": "next", "id": ""})])
    commands.abort(RuntimeError("user thread crashed"))
    with pytest.raises(RuntimeError, match="user thread crashed"):
        commands.next_command()


def test_a_frame_cut_by_eof_is_a_protocol_error():
    commands, _ = _input([_enc({"command": "next", "id": ""})[:4]])
    with pytest.raises(ProtocolError, match=r"input ended inside a frame: \d+ byte\(s\) never terminated"):
        commands.next_command()
