"""TaskIdWaiters on their own (no process): every waiting emit is woken when input ends."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

import pytest

from squall.errors import PeerGoneError
from squall.multilang._io import FrameWriter, TaskIdWaiters


def test_an_emit_registering_as_input_ends_is_woken() -> None:
    writer = FrameWriter(lambda data: None)
    waiters = TaskIdWaiters(writer, on_register=lambda: None)
    gone = PeerGoneError("Storm closed the component's stdin (EOF)")

    class ClosingBetweenCheckAndAppend(deque):  # type: ignore[type-arg]
        def append(self, slot: Any) -> None:  # the reader ends right in between
            waiters.close(gone)
            super().append(slot)

    waiters._slots = ClosingBetweenCheckAndAppend()
    outcome: list[BaseException] = []

    def emit() -> None:
        try:
            waiters.request(b"frame")
        except PeerGoneError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=emit, daemon=True)
    thread.start()
    thread.join(timeout=10)  # a safety net: the emit returns at once when correct
    assert not thread.is_alive(), "the emit waits forever for task ids that cannot come"
    assert outcome == [gone]


def test_request_after_close_raises_at_once() -> None:
    waiters = TaskIdWaiters(FrameWriter(lambda data: None), on_register=lambda: None)
    waiters.close(PeerGoneError("gone"))
    with pytest.raises(PeerGoneError, match="gone"):
        waiters.request(b"frame")
