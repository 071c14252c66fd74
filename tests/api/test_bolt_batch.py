"""Bolt._squall_on_tuples: the batch entry point hosts use, same semantics as one call per tuple."""

from squall import Bolt

from tests.api.fakes import RecordingHost, prepared, tick, tup


class Echo(Bolt):
    outputs = ["x"]

    def process(self, t):
        if t.values[0] == "boom":
            raise RuntimeError("boom")
        self.emit([t.values[0]])


class BatchHost(RecordingHost):
    """A host with ack_many: receives the batch's auto-acks in one call."""

    def __init__(self):
        super().__init__()
        self.batches = []

    def ack_many(self, ids):
        self.batches.append(list(ids))


def run(bolt, tuples):
    errors = []
    bolt._squall_on_tuples(tuples, lambda exc, t: errors.append((str(exc), t.id)))
    return errors


def test_batch_matches_one_call_per_tuple():
    bolt, host = prepared(Echo)
    errors = run(bolt, [tup("a", 1), tup("b", "boom"), tick("t"), tup("c", 3)])
    assert errors == [("boom", "b")]
    assert [e.anchors for e in host.emissions] == [("a",), ("c",)]
    assert host.acked == ["a", "t", "c"] and host.failed == ["b"]
    assert bolt._squall_anchor_thread is None


def test_ack_many_gets_the_batch_once_and_ticks_are_unanchored():
    class TickEmitter(Echo):
        def process_tick(self, t):
            self.emit(["tick"])

    bolt = TickEmitter()
    host = BatchHost()
    bolt._squall_prepare(host, {}, prepared(Echo)[0].context)
    errors = run(bolt, [tup("a", 1), tick("t"), tup("b", "boom"), tup("c", 3)])
    assert errors == [("boom", "b")]
    assert host.batches == [["a", "c"]] and host.acked == ["t"] and host.failed == ["b"]
    assert [e.anchors for e in host.emissions] == [("a",), (), ("c",)]


def test_completed_tuples_are_acked_when_on_error_stops_the_batch():
    bolt = Echo()
    host = BatchHost()
    bolt._squall_prepare(host, {}, prepared(Echo)[0].context)

    class Stop(Exception):
        pass

    def stop(exc, t):
        raise Stop() from exc

    try:
        bolt._squall_on_tuples([tup("a", 1), tup("b", "boom"), tup("c", 3)], stop)
    except Stop:
        pass
    else:
        raise AssertionError("on_error's exception must end the batch")
    assert host.batches == [["a"]] and host.failed == ["b"] and len(host.emissions) == 1
