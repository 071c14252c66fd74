"""The multi-lang messages as Python values: build outgoing ones, check incoming ones.

Incoming (Storm -> component): the handshake ``{"conf", "context", "pidDir"}``;
bolt tuples ``{"id", "comp", "stream", "task", "tuple"}`` (heartbeats are tuples on
stream ``__heartbeat`` from task -1); spout commands ``{"command": "next"|"ack"|
"fail"|"activate"|"deactivate", "id"}``; task-id replies (bare arrays).
Outgoing: ``emit``, ``ack``, ``fail``, ``log``, ``error``, ``sync`` and ``{"pid": n}``.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from squall.errors import ProtocolError

HEARTBEAT_STREAM = "__heartbeat"
DEFAULT_STREAM = "default"
SPOUT_COMMANDS = frozenset({"next", "ack", "fail", "activate", "deactivate"})
SYNC: Mapping[str, Any] = {"command": "sync"}


def describe(message: Any, limit: int = 80) -> str:
    """Return a short printable form of ``message`` for error texts."""
    text = repr(message)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def emit_message(
    stream: str,
    values: list[Any],
    anchors: Sequence[Any],
    tup_id: Any,
    direct_task: Optional[int],
    need_task_ids: bool,
) -> dict[str, Any]:
    """Build an ``emit`` command as Storm's ShellBolt/ShellSpout read it.

    ``stream`` is left out for the default stream (Storm's default), ``anchors``
    when empty, ``id`` when None (unreliable spout emit), ``task`` unless the emit
    is direct. ``need_task_ids`` is always sent: Storm defaults it to true.

    >>> emit_message("default", ["dog"], ["-71"], None, None, False)
    {'command': 'emit', 'tuple': ['dog'], 'anchors': ['-71'], 'need_task_ids': False}
    >>> emit_message("words", [1], (), 7, 3, True)
    {'command': 'emit', 'tuple': [1], 'stream': 'words', 'id': 7, 'task': 3, 'need_task_ids': True}
    """
    msg: dict[str, Any] = {"command": "emit", "tuple": values}
    if stream != DEFAULT_STREAM:
        msg["stream"] = stream
    if anchors:
        msg["anchors"] = list(anchors)
    if tup_id is not None:
        msg["id"] = tup_id
    if direct_task is not None:
        msg["task"] = direct_task
    msg["need_task_ids"] = need_task_ids
    return msg


def log_message(text: str, level: int) -> dict[str, Any]:
    """Build a ``log`` command (level: Storm's 0 trace .. 4 error).

    >>> log_message("hi", 2)
    {'command': 'log', 'msg': 'hi', 'level': 2}
    """
    return {"command": "log", "msg": text, "level": level}


def error_message(text: str) -> dict[str, Any]:
    """Build an ``error`` command (shown in the Storm UI)."""
    return {"command": "error", "msg": text}


def check_handshake(message: Any) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Return ``(conf, context, pid_dir)`` of a handshake; raise ``ProtocolError`` if it is not one.

    >>> check_handshake({"conf": {}, "context": {"taskid": 1}, "pidDir": "/tmp"})
    ({}, {'taskid': 1}, '/tmp')
    """
    if not isinstance(message, dict) or not {"conf", "context", "pidDir"} <= message.keys():
        raise ProtocolError(
            f"expected the handshake {{conf, context, pidDir}} as first message, got {describe(message)}"
        )
    conf, context, pid_dir = message["conf"], message["context"], message["pidDir"]
    if not isinstance(conf, dict) or not isinstance(context, dict) or not isinstance(pid_dir, str):
        raise ProtocolError(
            f"handshake needs conf and context objects and a pidDir string, got {describe(message)}"
        )
    return conf, context, pid_dir


def check_spout_command(message: Any) -> tuple[str, Any]:
    """Return ``(command, id)`` of a spout command; raise ``ProtocolError`` otherwise.

    >>> check_spout_command({"command": "fail", "id": 7})
    ('fail', 7)
    """
    command = message.get("command") if isinstance(message, dict) else None
    if command not in SPOUT_COMMANDS:
        if command is None:
            raise ProtocolError(f"spout got a message without a command: {describe(message)}")
        raise ProtocolError(
            f"spout got unknown command {command!r} in {describe(message)}; "
            f"expected one of {', '.join(sorted(SPOUT_COMMANDS))}"
        )
    return command, message.get("id")


def bad_bolt_message(message: Any) -> ProtocolError:
    """Return the error for a message a bolt cannot take (a command, or a malformed tuple)."""
    if isinstance(message, dict) and "command" in message:
        return ProtocolError(
            f"bolt got command {message['command']!r} ({describe(message)}); "
            "bolts take tuples, spout commands go to spouts"
        )
    return ProtocolError(
        f"bolt got a message that is not a tuple {{id, comp, stream, task, tuple}}: {describe(message)}"
    )
