"""The offset book's rules, on plain numbers: what may be committed, retried, paused."""

from __future__ import annotations

from squall.connectors.kafka import Backoff, OffsetBook

TP = ("events", 0)


def book(max_retries: int = 2) -> OffsetBook:
    return OffsetBook(max_retries=max_retries, backoff=Backoff(1.0, 4.0))


def test_commits_only_the_acked_prefix() -> None:
    b = book()
    for offset in (10, 11, 12):
        b.track(TP, offset, [offset])
    b.ack(TP, 12)
    b.ack(TP, 11)
    assert b.committable() == {}
    b.ack(TP, 10)
    assert b.committable() == {TP: 13}
    assert b.uncommitted(TP) == 0


def test_gaps_in_offsets_are_skipped() -> None:
    """Offsets Kafka never returned (compaction, transaction markers) never block commits."""
    b = book()
    for offset in (3, 7, 9):
        b.track(TP, offset, [offset])
    for offset in (3, 7):
        b.ack(TP, offset)
    assert b.committable() == {TP: 8}


def test_committed_position_is_not_offered_again() -> None:
    b = book()
    b.track(TP, 0, [0])
    b.ack(TP, 0)
    b.committed(TP, 1)
    assert b.committable() == {}
    b.track(TP, 1, [1])
    b.ack(TP, 1)
    assert b.committable() == {TP: 2}


def test_failed_offsets_are_retried_after_backoff_then_given_up() -> None:
    b = book(max_retries=2)
    b.track(TP, 5, ["v"])
    assert b.fail(TP, 5, now=100.0) == "retry"
    assert list(b.due_retries(100.5)) == []
    assert list(b.due_retries(101.0)) == [(TP, 5, ["v"])]
    assert b.fail(TP, 5, now=101.0) == "retry"
    assert list(b.due_retries(102.9)) == []  # second retry waits 2 s
    assert list(b.due_retries(103.0)) == [(TP, 5, ["v"])]
    assert b.fail(TP, 5, now=103.0) == "give-up"
    assert b.committable() == {}  # not past a record whose fate is unsettled
    b.give_up_done(TP, 5)
    assert b.committable() == {TP: 6}


def test_a_failed_head_holds_back_commits_of_later_acks() -> None:
    b = book()
    for offset in range(5):
        b.track(TP, offset, [offset])
    b.fail(TP, 0, now=0.0)
    for offset in range(1, 5):
        b.ack(TP, offset)
    assert b.committable() == {}
    assert b.uncommitted(TP) == 5
    b.ack(TP, 0)  # the retry succeeded
    assert b.committable() == {TP: 5}


def test_acks_and_fails_of_unknown_offsets_are_ignored() -> None:
    b = book()
    b.track(TP, 1, [1])
    assert b.ack(("other", 0), 1) is False
    assert b.ack(TP, 2) is False
    assert b.fail(TP, 2, now=0.0) == "unknown"
    assert b.ack(TP, 1) is True
    assert b.ack(TP, 1) is False  # a duplicate ack


def test_forget_drops_revoked_partitions_and_their_retries() -> None:
    b = book()
    b.track(TP, 1, [1])
    b.fail(TP, 1, now=0.0)
    b.forget([TP])
    assert list(b.due_retries(10.0)) == []
    assert b.ack(TP, 1) is False
    assert b.committable() == {} and b.partitions() == []


def test_partitions_are_independent() -> None:
    b = book()
    other = ("events", 1)
    b.track(TP, 0, [0])
    b.track(other, 0, [0])
    b.ack(other, 0)
    assert b.committable() == {other: 1}
    assert b.in_flight() == 1


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [Backoff(0.1, 0.5).delay(n) for n in range(1, 5)] == [0.1, 0.2, 0.4, 0.5]
