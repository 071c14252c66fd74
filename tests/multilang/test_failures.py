"""Failures: user exceptions, garbage input, bad component paths. Each ends with a clear exit."""

import pytest

from squall.multilang import EXIT_COMPONENT_CRASHED, EXIT_PROTOCOL, EXIT_USAGE
from tests.multilang.harness import Child, context, tup


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def test_exception_in_process_reports_fails_and_exits(spawn, tmp_path):
    child = spawn("CrashBolt")
    child.handshake(tmp_path)
    child.send(tup("7", "boom"))
    got = child.recv_until(lambda m: m.get("command") == "error")
    assert got[0] == {"command": "fail", "id": "7"}
    log = got[1]
    assert log["command"] == "log" and log["level"] == 4 and "ValueError: boom requested" in log["msg"]
    assert "Traceback (most recent call last)" in got[2]["msg"]
    assert child.wait() == EXIT_COMPONENT_CRASHED
    assert one_line(child.stderr()) == (
        "squall.multilang: component 'echo' raised ValueError: boom requested (traceback sent to Storm as an error)"
    )


def test_crash_exits_even_with_a_lingering_user_thread(spawn, tmp_path):
    # A non-daemon user thread must not keep a crashed task alive: Storm notices a dead
    # subprocess only when its stdout closes (else after the heartbeat timeout).
    child = spawn("LingeringThreadCrashBolt", "--exit-grace", "0.2")
    child.handshake(tmp_path)
    child.send(tup("7", "boom"))
    child.recv_until(lambda m: m.get("command") == "error")
    assert child.wait() == EXIT_COMPONENT_CRASHED
    assert "raised ValueError: boom requested" in one_line(child.stderr())


def test_exit_on_exception_false_reports_and_goes_on(spawn, tmp_path):
    child = spawn("TolerantCrashBolt")
    child.handshake(tmp_path)
    child.send(tup("1", "boom"))
    child.send(tup("2", "fine"))
    got = child.recv_until(lambda m: m == {"command": "ack", "id": "2"})
    assert [m["command"] for m in got] == ["fail", "log", "error", "emit", "ack"]
    assert child.proc.poll() is None


def test_exception_in_spout_next_tuple(spawn, tmp_path):
    child = spawn("CrashSpout")
    child.handshake(tmp_path, ctx=context(component="numbers", sources={}, outputs={"default": ["n"]}))
    child.send({"command": "next", "id": ""})
    got = child.recv_until(lambda m: m.get("command") == "error")
    assert "RuntimeError: spout broke" in got[-1]["msg"]
    assert child.wait() == EXIT_COMPONENT_CRASHED


def test_exception_in_initialize(spawn, tmp_path):
    child = spawn("BadInitBolt")
    child.handshake(tmp_path)
    assert "KeyError: 'missing setting'" in child.recv_until(lambda m: m.get("command") == "error")[-1]["msg"]
    assert child.wait() == EXIT_COMPONENT_CRASHED
    assert "failed to start: KeyError" in one_line(child.stderr())


GARBAGE = [
    ("json", b"not json\nend\n", "malformed JSON frame 'not json'"),
    ("json", b'{"id":"1","comp":"words"', "input ended inside a frame"),
    ("json", b"42\nend\n", "neither a message object nor a task-id array"),
    ("json", b"[1,2]\nend\n", "no emit asked for them"),
    ("msgpack", b"\xc1", "malformed msgpack input"),
    ("msgpack", b"\x81\x91\x01\x02", "malformed msgpack input"),  # a map keyed by an array
    ("msgpack", b"\x82\xa2id\xa11", "input ended inside a frame"),
    ("msgpack", b"\x2a", "neither a message object nor a task-id array"),
    ("msgpack", b"\x92\x01\x02", "no emit asked for them"),
]


@pytest.mark.parametrize("ser, data, message", GARBAGE)
def test_garbage_after_handshake_exits_with_one_line(children, tmp_path, ser, data, message):
    child = Child("tests.multilang.components:EchoBolt", ser)
    children.append(child)
    child.handshake(tmp_path)
    child.send_bytes(data)
    if "ended inside" in message:
        child.close_stdin()  # a cut frame shows only at EOF; other garbage ends the process by itself
    assert child.wait() == EXIT_PROTOCOL
    line = one_line(child.stderr())
    assert line.startswith("squall.multilang: protocol error: ") and message in line


@pytest.mark.parametrize("ser, hint", [
    ("json", "without ending (a line 'end' after each JSON message)"),
    ("msgpack", "without ending (each msgpack object complete)"),
])
def test_a_frame_past_the_configured_size_ends_the_process_with_one_line(children, tmp_path, ser, hint):
    child = Child("tests.multilang.components:EchoBolt", ser)
    children.append(child)
    child.handshake(tmp_path, conf={"squall.multilang.max_frame_bytes": 100_000})
    start = b'{"id":"1","comp":"words","tuple":["' if ser == "json" else b"\x85\xa2id\xa11\xa5tuple\x91\xdb\x00\x10\x00\x00"
    try:
        child.send_bytes(start + b"x" * 400_000)  # never terminated; stdin stays open
    except BrokenPipeError:
        pass  # the child stopped reading as soon as the frame passed its limit
    assert child.wait() == EXIT_PROTOCOL
    line = one_line(child.stderr())
    assert line.startswith("squall.multilang: protocol error: an input frame passed 100000 bytes " + hint), line
    assert line.endswith("raise conf 'squall.multilang.max_frame_bytes' if tuples are really that big")


@pytest.mark.parametrize("ser, hint", [("json", "a line 'end'"), ("msgpack", "each msgpack object complete")])
def test_a_cut_frame_at_eof_names_the_serializer_s_own_frame_end(children, tmp_path, ser, hint):
    child = Child("tests.multilang.components:EchoBolt", ser)
    children.append(child)
    child.handshake(tmp_path)
    child.send_bytes(b'{"id":"1"' if ser == "json" else b"\x82\xa2id\xa11")
    child.close_stdin()
    assert child.wait() == EXIT_PROTOCOL
    line = one_line(child.stderr())
    assert f"the peer must finish every message ({hint}" in line and ("JSON" in line) == (ser == "json"), line


def test_spout_command_sent_to_a_bolt(spawn, tmp_path):
    child = spawn("EchoBolt")
    child.handshake(tmp_path)
    child.send({"command": "next", "id": ""})
    assert child.wait() == EXIT_PROTOCOL  # stdin still open: the error alone ends the process
    assert "bolt got command 'next'" in one_line(child.stderr())


def test_tuple_missing_fields_sent_to_a_bolt(spawn, tmp_path):
    child = spawn("EchoBolt")
    child.handshake(tmp_path)
    child.send({"id": "1", "tuple": ["a"]})
    assert child.wait() == EXIT_PROTOCOL
    assert "not a tuple {id, comp, stream, task, tuple}" in one_line(child.stderr())


@pytest.mark.parametrize(
    "message, expected",
    [
        ({"id": 3}, "spout got a message without a command"),
        ({"command": "explode", "id": ""}, "spout got unknown command 'explode'"),
    ],
)
def test_bad_spout_commands(spawn, tmp_path, message, expected):
    child = spawn("NumberSpout")
    child.handshake(tmp_path, ctx=context(component="numbers", sources={}, outputs={"default": ["n"]}))
    child.send(message)
    assert child.wait() == EXIT_PROTOCOL
    assert expected in one_line(child.stderr())


def test_first_message_not_a_handshake(spawn):
    child = spawn("EchoBolt")
    child.send({"command": "next", "id": ""})
    assert child.wait() == EXIT_PROTOCOL
    assert "expected the handshake {conf, context, pidDir}" in one_line(child.stderr())


@pytest.mark.parametrize("bad", [{"taskid": "x"}, {"task->component": []}, {"source->stream->fields": {"words": ["word"]}}])
def test_malformed_handshake_context(spawn, tmp_path, bad):
    child = spawn("EchoBolt")
    child.send({"conf": {}, "context": {**context(), **bad}, "pidDir": str(tmp_path)})
    assert child.wait() == EXIT_PROTOCOL
    assert "squall.multilang: protocol error: handshake context is malformed" in one_line(child.stderr())


def test_missing_pid_dir(spawn, tmp_path):
    child = spawn("EchoBolt")
    child.send({"conf": {}, "context": context(), "pidDir": str(tmp_path / "nope")})
    assert child.wait() == EXIT_PROTOCOL
    assert "cannot create the pid file in pidDir" in one_line(child.stderr())


@pytest.mark.parametrize(
    "target, expected",
    [
        ("tests.multilang.nosuchmodule:X", "cannot import module 'tests.multilang.nosuchmodule'"),
        ("tests.multilang.components:Nope", "has no attribute 'Nope'"),
        ("tests.multilang.components:NotAComponent", "not a Spout or Bolt subclass"),
        ("no_colon", "is not 'module:Class'"),
    ],
)
def test_bad_component_path_exits_usage(children, target, expected):
    child = Child(target, "json")
    children.append(child)
    assert child.wait() == EXIT_USAGE
    assert expected in one_line(child.stderr())


def test_bad_conf_value_exits_usage(spawn, tmp_path):
    child = spawn("EchoBolt")
    child.handshake(tmp_path, conf={"squall.multilang.max_queued": 0})
    assert child.wait() == EXIT_USAGE
    assert "conf 'squall.multilang.max_queued' must be a positive integer, got 0" in one_line(child.stderr())


def test_exception_on_a_user_thread_stops_the_task(spawn, tmp_path):
    child = spawn("TicklessCrash")
    child.handshake(tmp_path)
    child.send(tup("1", "a"))
    got = child.recv_until(lambda m: m.get("command") == "error")
    assert {"command": "fail", "id": "1"} in got
    assert "RuntimeError: batch broke" in got[-1]["msg"]
    assert child.wait() == EXIT_COMPONENT_CRASHED
    assert "a thread of user code raised RuntimeError: batch broke" in one_line(child.stderr())
