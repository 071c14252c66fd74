"""A real bolt child over pipes: handshake, tuples, heartbeats, ticks, task ids, threads."""


from squall.multilang import EXIT_PEER_GONE
from tests.multilang.harness import Child, context, heartbeat, tick, tup


def test_handshake_replies_pid_and_creates_pid_file(spawn, tmp_path):
    child = spawn("EchoBolt")
    assert child.handshake(tmp_path) == {"pid": child.proc.pid}
    assert (tmp_path / str(child.proc.pid)).is_file()
    assert (tmp_path / str(child.proc.pid)).stat().st_size == 0


def test_json_frames_are_exactly_what_storm_reads(children, tmp_path):
    child = Child("tests.multilang.components:EchoBolt", "json")
    children.append(child)
    child.handshake(tmp_path)
    child.send_bytes(b'{"id":"-61","comp":"words","stream":"default","task":1,"tuple":["dog"]}\nend\n')
    child.recv_until(lambda m: m.get("command") == "ack")
    pid = child.proc.pid
    assert bytes(child.raw) == (
        b'{"pid":%d}\nend\n' % pid
        + b'{"command":"emit","tuple":["dog"],"anchors":["-61"],"need_task_ids":false}\nend\n'
        + b'{"command":"ack","id":"-61"}\nend\n'
    )


def test_tuple_is_emitted_anchored_then_acked(spawn, tmp_path):
    child = spawn("EchoBolt")
    child.handshake(tmp_path)
    child.send(tup("-6955786537413359385", "snow"))
    assert child.recv() == {
        "command": "emit", "tuple": ["snow"], "anchors": ["-6955786537413359385"], "need_task_ids": False,
    }
    assert child.recv() == {"command": "ack", "id": "-6955786537413359385"}


def test_emit_many_sends_one_anchored_emit_per_tuple(spawn, tmp_path):
    child = spawn("SplitManyBolt")
    child.handshake(tmp_path)
    child.send(tup("-7", "snow fell"))
    assert [child.recv(), child.recv(), child.recv()] == [
        {"command": "emit", "tuple": ["snow"], "anchors": ["-7"], "need_task_ids": False},
        {"command": "emit", "tuple": ["fell"], "anchors": ["-7"], "need_task_ids": False},
        {"command": "ack", "id": "-7"},
    ]


def test_heartbeat_gets_sync_and_never_reaches_user_code(spawn, tmp_path):
    child = spawn("EchoBolt")
    child.handshake(tmp_path)
    child.send(heartbeat())
    assert child.recv() == {"command": "sync"}
    child.send(tup("1", "a"))
    assert [m["command"] for m in child.recv_until(lambda m: m.get("command") == "ack")] == ["emit", "ack"]


def test_heartbeat_answered_while_process_blocks(spawn, tmp_path):
    gate = tmp_path / "gate"
    gate.write_text("hold")
    child = spawn("WaitingBolt")
    child.handshake(tmp_path)
    child.send(tup("1", str(gate)))
    for hb in ("-1", "-2", "-3"):  # process() is still blocked on the gate file
        child.send(heartbeat(hb))
        assert child.recv() == {"command": "sync"}
    assert gate.exists()
    gate.unlink()
    assert child.recv()["tuple"] == ["done"]
    assert child.recv() == {"command": "ack", "id": "1"}


def test_tick_tuples_flush_batching_bolt_on_exactly_n_ticks(spawn, tmp_path):
    child = spawn("CountBatch")
    child.handshake(tmp_path, ctx=context(outputs={"default": ["word", "count"]}))
    for i, word in enumerate(["a", "b", "a"]):
        child.send(tup(f"t{i}", word))
    child.send(tick("k1"))
    child.send(tick("k2"))
    got = child.recv_until(lambda m: m == {"command": "ack", "id": "k2"})
    assert got == [{"command": "ack", "id": "k1"}, {"command": "ack", "id": "k2"}]
    child.send(tick("k3"))
    got = child.recv_until(lambda m: m == {"command": "ack", "id": "k3"})
    emits = sorted((m["tuple"], m["anchors"]) for m in got if m["command"] == "emit")
    assert emits == [(["a", 2], ["t0", "t2"]), (["b", 1], ["t1"])]
    acked = sorted(m["id"] for m in got if m["command"] == "ack")
    assert acked == ["k3", "t0", "t1", "t2"]


def test_task_id_replies_interleaved_with_tuples(spawn, tmp_path):
    child = spawn("TaskIdsBolt")
    ctx = context(outputs={"default": ["word"], "ids": ["ids"]})
    child.handshake(tmp_path, ctx=ctx)
    child.send(tup("1", "a"))
    assert child.recv() == {"command": "emit", "tuple": ["a"], "anchors": ["1"], "need_task_ids": True}
    child.send(tup("2", "b"))  # arrives before the reply: must be queued, not taken as one
    child.send([4, 5])
    assert child.recv() == {
        "command": "emit", "tuple": [[4, 5]], "stream": "ids", "anchors": ["1"], "need_task_ids": False,
    }
    assert child.recv() == {"command": "ack", "id": "1"}
    assert child.recv() == {"command": "emit", "tuple": ["b"], "anchors": ["2"], "need_task_ids": True}
    child.send([6])
    assert child.recv()["tuple"] == [[6]]
    assert child.recv() == {"command": "ack", "id": "2"}


def test_direct_emit_sends_task_and_returns_it_without_a_reply(spawn, tmp_path):
    child = spawn("DirectBolt")
    ctx = context(outputs={"direct": ["word"], "ids": ["ids"]})
    ctx["stream->target->grouping"] = {"direct": {"sink": {"type": "DIRECT"}}}  # task 7 reads it directly
    child.handshake(tmp_path, ctx=ctx)
    child.send(tup("1", "a"))
    assert child.recv() == {
        "command": "emit", "tuple": ["a"], "stream": "direct", "anchors": ["1"], "task": 7, "need_task_ids": True,
    }
    assert child.recv()["tuple"] == [[7]]
    assert child.recv() == {"command": "ack", "id": "1"}


def test_emits_from_a_user_thread_and_main_thread_stay_whole_frames(spawn, tmp_path):
    n = 300
    child = spawn("ThreadedBolt")
    child.handshake(tmp_path, ctx=context(outputs={"default": ["who", "i", "pad"]}))
    child.send(tup("1", n))
    got = child.recv_until(lambda m: m.get("command") == "ack")
    emits = [m["tuple"] for m in got if m["command"] == "emit"]
    assert [i for who, i, _ in emits if who == "main"] == list(range(n))
    assert [i for who, i, _ in emits if who == "thread"] == list(range(n))
    assert all(len(pad) == 5000 for _, _, pad in emits)
    assert got[-1] == {"command": "ack", "id": "1"} and len(got) == 2 * n + 1


def test_eof_exits_cleanly_with_its_code(spawn, tmp_path):
    child = spawn("EchoBolt")
    child.handshake(tmp_path)
    child.send(tup("1", "a"))
    child.close_stdin()
    assert child.wait() == EXIT_PEER_GONE
    assert [m["command"] for m in child.recv_until(lambda m: m.get("command") == "ack")] == ["emit", "ack"]
    assert child.stderr() == ""


def test_print_c_writes_and_children_go_to_log_not_stdout(spawn, tmp_path):
    child = spawn("PrintBolt")
    child.handshake(tmp_path)
    child.send(tup("1", "dog"))
    wanted = {"python print dog", "c-level write", "child process print"}
    logs, seen_ack = set(), False
    while not (wanted <= logs and seen_ack):
        msg = child.recv()  # every frame decodes: stdout was never corrupted
        if msg["command"] == "log":
            assert msg["level"] == 2
            logs.add(msg["msg"])
        seen_ack = seen_ack or msg == {"command": "ack", "id": "1"}
    assert logs == wanted


def test_log_levels_are_storm_levels(spawn, tmp_path):
    child = spawn("LoggingBolt")
    child.handshake(tmp_path)
    child.send(tup("1", "x"))
    got = child.recv_until(lambda m: m.get("command") == "ack")
    assert [(m["msg"], m["level"]) for m in got if m["command"] == "log"] == [
        ("trace msg", 0), ("debug msg", 1), ("info msg", 2), ("warn msg", 3), ("error msg", 4),
    ]


def test_log_file_from_conf(spawn, tmp_path):
    child = spawn("LoggingBolt")
    logs = tmp_path / "logs"
    child.handshake(tmp_path, conf={"squall.log.path": str(logs), "squall.log.level": "warn"})
    child.send(tup("1", "x"))
    child.recv_until(lambda m: m.get("command") == "ack")
    child.close_stdin()
    assert child.wait() == EXIT_PEER_GONE
    text = (logs / "squall-echo-3.log").read_text()
    assert "warn msg" in text and "error msg" in text and "info msg" not in text


def test_log_file_option(spawn, tmp_path):
    path = tmp_path / "bolt.log"
    child = spawn("LoggingBolt", "--log-file", str(path))
    child.handshake(tmp_path)
    child.send(tup("1", "x"))
    child.recv_until(lambda m: m.get("command") == "ack")
    child.close_stdin()
    assert child.wait() == EXIT_PEER_GONE
    assert "INFO squall.multilang.file.echo.3: info msg" in path.read_text()


def test_task_id_reply_behind_more_than_max_queued_tuples(spawn, tmp_path):
    child = spawn("TaskIdsBolt")
    child.handshake(tmp_path, conf={"squall.multilang.max_queued": 2},
                    ctx=context(outputs={"default": ["word"], "ids": ["ids"]}))
    child.send(tup("0", "a"))
    assert child.recv()["need_task_ids"] is True
    for i in range(1, 8):  # more tuples than the inbox holds, all before the reply
        child.send(tup(str(i), "b"))
    child.send([9])
    assert child.recv()["tuple"] == [[9]]
    assert child.recv() == {"command": "ack", "id": "0"}
    for i in range(1, 8):
        assert child.recv()["need_task_ids"] is True
        child.send([i])
        assert child.recv()["tuple"] == [[i]]
        assert child.recv() == {"command": "ack", "id": str(i)}


def test_no_orphan_when_storm_goes_away_during_a_stuck_process(spawn, tmp_path):
    gate = tmp_path / "gate"
    gate.write_text("never removed")
    child = spawn("WaitingBolt", "--exit-grace", "0.2")
    child.handshake(tmp_path)
    child.send(tup("1", str(gate)))
    child.send(heartbeat())
    assert child.recv() == {"command": "sync"}  # process() is now stuck on the gate
    child.close_stdin()
    assert child.wait() == EXIT_PEER_GONE
    assert gate.exists()
