"""Explicit ack/fail inside process() wins over auto_ack/auto_fail, once, on every dispatch path."""

from __future__ import annotations

from typing import Any

import pytest

from squall import BatchingBolt, Bolt, TopologyError

from tests.api.fakes import RecordingHost, prepared, tick, tup


class Settle(Bolt):
    """Do what the input's first value says: 'ack', 'fail', 'ack-raise', 'twice', 'keep'."""

    outputs = ["x"]
    exit_on_exception = False

    def process(self, t: Any) -> None:
        what = t.values[0]
        if what in ("ack", "ack-raise", "twice"):
            self.ack(t)
        if what == "fail":
            self.fail(t)
        if what == "ack-raise":
            raise RuntimeError("after the ack")
        if what == "twice":
            self.fail(t)


class BatchHost(RecordingHost):
    """A host with ack_many, as the embedded engine has."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[Any]] = []

    def ack_many(self, ids: list[Any]) -> None:
        self.batches.append(list(ids))
        self.acked.extend(ids)


def _errors(bolt: Bolt, tuples: list[Any]) -> list[str]:
    errors: list[str] = []
    bolt._squall_on_tuples(tuples, lambda exc, t: errors.append(str(exc)))
    return errors


@pytest.mark.parametrize("batch", [False, True], ids=["one", "batch"])
def test_the_explicit_call_wins_and_the_automatic_one_is_skipped(batch: bool) -> None:
    bolt, host = prepared(Settle)
    inputs = [tup("a", "ack"), tup("f", "fail"), tup("r", "ack-raise"), tup("n", "none")]
    if batch:
        errors = _errors(bolt, inputs)
    else:
        errors = []
        for t in inputs:
            try:
                bolt._squall_on_tuple(t)
            except RuntimeError as exc:
                errors.append(str(exc))
    assert sorted(host.acked) == ["a", "n", "r"] and host.failed == ["f"]
    assert errors == ["after the ack"]


def test_the_batch_path_of_an_ack_many_host_skips_explicitly_settled_inputs() -> None:
    bolt = Settle()
    host = BatchHost()
    from tests.api.fakes import context

    bolt._squall_prepare(host, {}, context())
    assert _errors(bolt, [tup(1, "ack"), tup(2, "none"), tup(3, "fail")]) == []
    assert host.acked == [1, 2] and host.batches == [[2]] and host.failed == [3]


def test_a_second_ack_or_fail_of_the_same_input_names_the_component() -> None:
    bolt, host = prepared(Settle)
    errors = _errors(bolt, [tup("t", "twice")])
    assert errors == [
        "c: fail() of tuple id 't', which was already acked or failed (or is not an input of this bolt); "
        "ack or fail each input tuple once"
    ]
    assert host.acked == ["t"] and host.failed == []


def test_acking_an_auto_acked_input_later_is_an_error() -> None:
    bolt, host = prepared(Settle)
    bolt._squall_on_tuple(tup("a", "none"))
    with pytest.raises(TopologyError, match=r"c: ack\(\) of tuple id 'a', which was already acked"):
        bolt.ack("a")
    assert host.acked == ["a"]


def test_with_auto_ack_off_an_input_is_acked_later_once() -> None:
    class Keep(Settle):
        auto_ack = False

    bolt, host = prepared(Keep)
    bolt._squall_on_tuple(tup("k", "keep"))
    assert host.acked == []
    bolt.ack("k")
    with pytest.raises(TopologyError, match="already acked or failed"):
        bolt.fail("k")
    assert host.acked == ["k"] and host.failed == []


def test_an_explicit_ack_of_a_tick_replaces_its_automatic_ack() -> None:
    class TickAcker(Bolt):
        def process_tick(self, t: Any) -> None:
            self.ack(t)

    bolt, host = prepared(TickAcker)
    bolt._squall_on_tuple(tick("t1"))
    assert host.acked == ["t1"]


def test_a_batching_bolt_lets_process_batch_settle_members_explicitly() -> None:
    class Picky(BatchingBolt):
        def process_batch(self, key: Any, tups: list[Any]) -> None:
            self.fail(tups[0])

    bolt, host = prepared(Picky)
    for t in (tup("a", 1), tup("b", 2), tick("t")):
        bolt._squall_on_tuple(t)
    assert host.failed == ["a"] and sorted(host.acked) == ["b", "t"]
    with pytest.raises(TopologyError, match=r"ack\(\) of tuple id 'b'"):
        bolt.ack("b")


def test_inputs_left_to_the_user_may_be_settled_from_any_thread_at_any_time() -> None:
    import threading

    class Threaded(Bolt):
        auto_ack = False

        def process(self, t: Any) -> None:
            if t.values[0] == "now":  # a delivery thread acks while process() still runs
                worker = threading.Thread(target=self.ack, args=(t,))
                worker.start()
                worker.join()

    bolt = Threaded()
    host = BatchHost()
    from tests.api.fakes import context

    bolt._squall_prepare(host, {}, context())
    assert _errors(bolt, [tup(1, "now"), tup(2, "later")]) == []
    worker = threading.Thread(target=bolt.fail, args=(2,))  # after the batch, from another thread
    worker.start()
    worker.join()
    assert host.acked == [1] and host.failed == [2] and host.batches == []
    assert bolt._squall_open == set()
    with pytest.raises(TopologyError, match=r"ack\(\) of tuple id 1"):
        bolt.ack(1)
