"""The msgpack frames both halves agree on: squall's Python codec and the Java serializer.

``TO_JAVA`` are messages the Python side writes (the Java tests read the same bytes from
java/msgpack-serializer/src/test/resources/squall/storm/frames.properties); ``TO_PYTHON``
are messages the Java side writes (its tests write them and compare with those bytes).
``python -m tests.protocol.msgpack_frames`` rewrites the properties file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FRAMES_FILE = (Path(__file__).resolve().parents[2] / "java" / "msgpack-serializer" / "src" / "test"
               / "resources" / "squall" / "storm" / "frames.properties")

VALUES: list[Any] = [None, True, False, 0, -1, 127, 128, -33, 2**31, 2**40, -(2**63), 2**64 - 1, 2**70,
                     -(2**70), 1.5, "", "héllo", b"\x00\xff", [1, [2, "x"]], {"k": {"n": [None]}}]

TO_JAVA: dict[str, Any] = {
    "handshake_reply": {"pid": 1234},
    "emit_spout_tracked": {"command": "emit", "tuple": ["the cow"], "id": 7, "need_task_ids": False},
    "emit_spout_unreliable": {"command": "emit", "tuple": ["x"], "need_task_ids": False},
    "emit_stream_anchors": {"command": "emit", "tuple": [1], "stream": "words", "anchors": ["5", "-6"],
                            "need_task_ids": False},
    "emit_need_task_ids": {"command": "emit", "tuple": ["x"], "need_task_ids": True},
    "emit_direct": {"command": "emit", "tuple": [1], "stream": "direct", "task": 4, "need_task_ids": False},
    "emit_values": {"command": "emit", "tuple": VALUES, "need_task_ids": False},
    "ack": {"command": "ack", "id": "-42"},
    "fail": {"command": "fail", "id": "17"},
    "log_warn": {"command": "log", "msg": "careful", "level": 3},
    "error": {"command": "error", "msg": "boom"},
    "sync": {"command": "sync"},
    "metrics": {"command": "metrics", "name": "latency", "params": [1, 2]},
    "bad_anchor": {"command": "emit", "tuple": [1], "anchors": [5]},
    "no_command": {"tuple": [1]},
    "big_ext_unknown": None,  # hand-made below: extension type 9
}

TO_PYTHON: dict[str, Any] = {
    "tuple": {"id": "-5", "comp": "spout", "stream": "default", "task": 3, "tuple": ["a", 1]},
    "tuple_values": {"id": "8", "comp": "spout", "stream": "default", "task": 3, "tuple": VALUES},
    "heartbeat": {"id": "-1", "comp": None, "stream": "__heartbeat", "task": -1, "tuple": []},
    "tick": {"id": "9", "comp": "__system", "stream": "__tick", "task": -1, "tuple": [30]},
    "next": {"command": "next", "id": ""},
    "spout_ack": {"command": "ack", "id": 7},
    "spout_fail": {"command": "fail", "id": "m-1"},
    "activate": {"command": "activate", "id": ""},
    "deactivate": {"command": "deactivate", "id": ""},
    "task_ids": [3, 4],
}


def frames() -> dict[str, bytes]:
    """Return every frame, named, as squall's Python codec encodes it."""
    from squall.protocol import serializer_for

    ser = serializer_for("msgpack")
    out = {f"to_java.{k}": ser.encode(v) for k, v in TO_JAVA.items() if v is not None}
    out["to_java.big_ext_unknown"] = b"\x82\xa7command\xa4emit\xa5tuple\x91\xd4\x09\x00"
    out["to_java.emit_fast_anchored"] = ser.encoder().anchored_emit(["a", 2], ["-9"])
    out["to_java.ack_fast"] = ser.encoder().ack("-9")
    out.update({f"to_python.{k}": ser.encode(v) for k, v in TO_PYTHON.items()})
    return out


def properties() -> str:
    """Return the Java test resource: ``name=hex`` lines."""
    lines = ["# written by `python -m tests.protocol.msgpack_frames` (squall's Python msgpack codec)"]
    lines += [f"{name}={data.hex()}" for name, data in sorted(frames().items())]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    FRAMES_FILE.parent.mkdir(parents=True, exist_ok=True)
    FRAMES_FILE.write_text(properties())
    print(f"wrote {FRAMES_FILE}")
