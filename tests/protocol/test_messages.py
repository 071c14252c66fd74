"""Message builders and checks."""

import pytest

from squall.errors import ProtocolError
from squall.protocol import bad_bolt_message, check_handshake, check_spout_command, emit_message


def test_emit_omits_default_stream_empty_anchors_and_id():
    assert emit_message("default", [1], [], None, None, False) == {
        "command": "emit", "tuple": [1], "need_task_ids": False,
    }


def test_handshake_is_checked():
    with pytest.raises(ProtocolError, match="expected the handshake"):
        check_handshake({"command": "next"})


def test_spout_command_without_command():
    with pytest.raises(ProtocolError, match="spout got a message without a command"):
        check_spout_command({"id": 3})


def test_unknown_spout_command():
    with pytest.raises(ProtocolError, match="unknown command 'explode'"):
        check_spout_command({"command": "explode"})


def test_bolt_told_about_spout_commands():
    assert "bolts take tuples" in str(bad_bolt_message({"command": "next", "id": ""}))
