"""A real spout child: next/ack/fail/activate/deactivate, each answered with sync."""

from tests.multilang.harness import Child, context

SYNC = {"command": "sync"}


def spout_context():
    return context(component="numbers", sources={}, outputs={"default": ["n"]})


def test_next_emits_with_id_then_syncs(spawn, tmp_path):
    child = spawn("NumberSpout")
    child.handshake(tmp_path, ctx=spout_context())
    child.send({"command": "next", "id": ""})
    assert child.recv() == {"command": "emit", "tuple": [0], "id": 0, "need_task_ids": False}
    assert child.recv() == SYNC


def test_json_spout_frames_exact(children, tmp_path):
    child = Child("tests.multilang.components:NumberSpout", "json")
    children.append(child)
    child.handshake(tmp_path, ctx=spout_context())
    start = len(child.raw)
    child.send_bytes(b'{"command":"next","id":""}\nend\n')
    child.recv_until(lambda m: m == SYNC)
    assert bytes(child.raw[start:]) == (
        b'{"command":"emit","tuple":[0],"id":0,"need_task_ids":false}\nend\n{"command":"sync"}\nend\n'
    )


def test_every_command_reaches_its_callback_and_is_synced(spawn, tmp_path):
    child = spawn("NumberSpout")
    child.handshake(tmp_path, ctx=spout_context())
    for command, tup_id, logged in [
        ("activate", "", "activated"),
        ("ack", 5, "acked 5"),
        ("fail", 6, "failed 6"),
        ("deactivate", "", "deactivated"),
    ]:
        child.send({"command": command, "id": tup_id})
        assert child.recv() == {"command": "log", "msg": logged, "level": 2}
        assert child.recv() == SYNC


def test_reliable_spout_replays_failed_tuples_then_gives_up(spawn, tmp_path):
    child = spawn("ReplaySpout")
    child.handshake(tmp_path, ctx=context(component="replay", sources={}, outputs={"default": ["word"]}))
    emit = {"command": "emit", "tuple": ["a"], "id": "a1", "need_task_ids": False}
    child.send({"command": "next", "id": ""})
    assert child.recv_until(lambda m: m == SYNC) == [emit, SYNC]
    child.send({"command": "next", "id": ""})
    assert child.recv() == SYNC  # nothing new to emit
    for _ in range(2):  # max_fails = 2 replays, each at the next "next" (max.spout.pending applies)
        child.send({"command": "fail", "id": "a1"})
        assert child.recv() == SYNC
        child.send({"command": "next", "id": ""})
        assert child.recv_until(lambda m: m == SYNC) == [emit, SYNC]
    child.send({"command": "fail", "id": "a1"})
    got = child.recv_until(lambda m: m == SYNC)
    assert got[0]["command"] == "log" and got[0]["level"] == 3 and "giving up on tuple 'a1'" in got[0]["msg"]
    assert got[1:] == [SYNC]


def test_acked_tuple_is_not_replayed(spawn, tmp_path):
    child = spawn("ReplaySpout")
    child.handshake(tmp_path, ctx=context(component="replay", sources={}, outputs={"default": ["word"]}))
    child.send({"command": "next", "id": ""})
    child.recv_until(lambda m: m == SYNC)
    child.send({"command": "ack", "id": "a1"})
    assert child.recv() == SYNC
    child.send({"command": "fail", "id": "a1"})
    assert child.recv() == SYNC


def test_spout_emit_waits_for_its_task_ids(spawn, tmp_path):
    child = spawn("TaskIdsSpout")
    child.handshake(tmp_path, ctx=spout_context())
    child.send({"command": "next", "id": ""})
    assert child.recv() == {"command": "emit", "tuple": [1], "id": "x", "need_task_ids": True}
    child.send([3, 4])
    assert child.recv() == {"command": "log", "msg": "ids [3, 4]", "level": 2}
    assert child.recv() == SYNC
