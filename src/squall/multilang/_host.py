"""The ``ComponentHost`` a component sees under Storm: its calls become protocol frames."""

from __future__ import annotations

import logging
from threading import get_ident
from typing import Any, Callable, Optional, Sequence

from squall.api._dispatch import report_exception
from squall.errors import ComponentCrashed
from squall.multilang._io import FLUSH_FRAMES, FrameWriter, TaskIdSource
from squall.protocol import DEFAULT_STREAM, Serializer

# Storm level (0..4) -> logging level, for the optional log file.
_PY_LEVELS = (5, logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR)


class MultilangHost:
    """Write a component's emits, acks, fails, logs and errors as multi-lang commands.

    Thread-safe: user threads may call any method. ``emit`` with
    ``need_task_ids`` (and no ``direct_task``) blocks until Storm's task-id reply
    arrives; direct emits get ``[direct_task]`` back at once (Storm sends none).
    """

    def __init__(
        self,
        serializer: Serializer,
        writer: FrameWriter,
        waiters: TaskIdSource,
        on_fatal: Callable[[BaseException], None],
        file_log: Optional[logging.Logger] = None,
    ) -> None:
        self._encode = serializer.encode  # thread-safe
        self._fast = serializer.encoder()  # main thread only
        self._main_encode = self._fast.encode
        self._main = writer.main_thread
        self._frames = writer.main_frames
        self._writer = writer
        self._waiters = waiters
        self._on_fatal = on_fatal
        self._file_log = file_log

    def emit(
        self,
        stream: str,
        values: list[Any],
        anchors: Sequence[Any],
        tup_id: Any,
        direct_task: Optional[int],
        need_task_ids: bool,
    ) -> Optional[list[int]]:
        """Send an ``emit`` command; return task ids when ``need_task_ids``."""
        if (
            anchors
            and not need_task_ids
            and tup_id is None
            and direct_task is None
            and stream == DEFAULT_STREAM
            and get_ident() == self._main
        ):  # the hot path: an anchored bolt emit from process()
            frames = self._frames
            frames.append(self._fast.anchored_emit(values, anchors))
            if len(frames) >= FLUSH_FRAMES:
                self._writer.flush()
            return None
        msg: dict[str, Any] = {"command": "emit", "tuple": values}
        if stream != DEFAULT_STREAM:
            msg["stream"] = stream
        if anchors:
            msg["anchors"] = anchors if type(anchors) is list else list(anchors)
        if tup_id is not None:
            msg["id"] = tup_id
        if direct_task is not None:
            msg["task"] = direct_task
        msg["need_task_ids"] = need_task_ids
        if not need_task_ids:
            self._send(msg)
            return None
        if direct_task is not None:
            self._send(msg)
            return [direct_task]
        return self._waiters.request(self._encode(msg))

    def ack(self, tup_id: Any) -> None:
        """Send ``ack`` for the input tuple ``tup_id``."""
        if get_ident() == self._main:
            frames = self._frames
            frames.append(self._fast.ack(tup_id))
            if len(frames) >= FLUSH_FRAMES:
                self._writer.flush()
        else:
            self._writer.send_now(self._encode({"command": "ack", "id": tup_id}))

    def fail(self, tup_id: Any) -> None:
        """Send ``fail`` for the input tuple ``tup_id``."""
        if get_ident() == self._main:
            self._frames.append(self._fast.fail(tup_id))
        else:
            self._writer.send_now(self._encode({"command": "fail", "id": tup_id}))

    def log(self, message: str, level: int) -> None:
        """Send a ``log`` command at Storm ``level`` (0..4); copy it to the log file if any."""
        self._send({"command": "log", "msg": message, "level": level})
        if self._file_log is not None:
            self._file_log.log(_PY_LEVELS[level] if 0 <= level <= 4 else logging.INFO, "%s", message)

    def _send(self, msg: dict[str, Any]) -> None:
        # The hot path: on the main thread, encode with its own encoder and buffer.
        if get_ident() == self._main:
            frames = self._frames
            frames.append(self._main_encode(msg))
            if len(frames) >= FLUSH_FRAMES:
                self._writer.flush()
        else:
            self._writer.send_now(self._encode(msg))

    def report_error(self, message: str) -> None:
        """Send an ``error`` command (Storm UI) and push it out now."""
        self._writer.send_now(self._encode({"command": "error", "msg": message}))

    def report_exception(self, exc: BaseException) -> str:
        """Send an ERROR ``log`` and ``error`` with ``exc``'s traceback (the shared policy); return the text."""
        return report_exception(self, exc)

    def fatal(self, error: BaseException) -> None:
        """Report ``error`` (escaped a user thread) and stop the task."""
        self.report_exception(error)
        self._on_fatal(
            ComponentCrashed(f"a thread of user code raised {type(error).__name__}: {error}")
        )
