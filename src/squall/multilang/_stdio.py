"""Keep the process's stdout for the protocol: user output, even from C or children, becomes log lines."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
from typing import Callable, Iterator, Optional

LineSink = Callable[[str], None]


class LineRouter:
    """Send text lines to a target set later (stderr until then). Thread-safe."""

    def __init__(self) -> None:
        self._target: Optional[LineSink] = None

    def set_target(self, target: Optional[LineSink]) -> None:
        """Route subsequent lines to ``target`` (None: back to stderr)."""
        self._target = target

    def __call__(self, line: str) -> None:
        target = self._target
        if target is not None:
            target(line)
        elif sys.__stderr__ is not None:
            sys.__stderr__.write(line + "\n")


class _LogStdout(io.TextIOBase):
    """A ``sys.stdout`` replacement that turns whole lines into log records."""

    def __init__(self, sink: LineSink) -> None:
        super().__init__()
        self._sink = sink
        self._partial = ""
        self._lock = threading.Lock()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 1  # the pipe drained into the log, never the protocol stream

    def write(self, text: str) -> int:
        with self._lock:
            data = self._partial + text
            *lines, self._partial = data.split("\n")
        for line in lines:
            self._sink(line)
        return len(text)

    def flush(self) -> None:
        with self._lock:
            line, self._partial = self._partial, ""
        if line:
            self._sink(line)


def _drain(fd: int, sink: LineSink) -> None:
    with open(fd, "rb", closefd=True) as pipe:
        for raw in pipe:
            sink(raw.rstrip(b"\n").decode("utf-8", "replace"))


@contextlib.contextmanager
def protocol_stdio(sink: LineSink) -> Iterator[tuple[io.FileIO, io.FileIO]]:
    """Take fds 0 and 1 for the protocol; route ``print`` and fd-1 writes to ``sink``.

    Yields binary ``(protocol_in, protocol_out)`` streams on duplicates of the
    original fds 0 and 1. Meanwhile fd 0 reads /dev/null, fd 1 is a pipe drained
    line by line into ``sink`` (C code and child processes inherit it), and
    ``sys.stdout``/``sys.stdin`` follow. Everything is restored on exit. Call it
    only from a process entry point: it changes process-wide state.
    """
    sys.stdout.flush()
    saved_stdout, saved_stdin = sys.stdout, sys.stdin
    proto_in = os.dup(0)
    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 1)
    os.close(write_end)
    drainer = threading.Thread(target=_drain, args=(read_end, sink), name="squall-stdout-drain", daemon=True)
    drainer.start()
    sys.stdout = _LogStdout(sink)
    sys.stdin = open(os.devnull, encoding="utf-8")
    in_stream = io.FileIO(proto_in, "rb", closefd=True)
    out_stream = io.FileIO(proto_out, "wb", closefd=False)
    try:
        yield in_stream, out_stream
    finally:
        sys.stdout.flush()
        sys.stdin.close()
        sys.stdout, sys.stdin = saved_stdout, saved_stdin
        os.dup2(proto_out, 1)  # closes our pipe's write end: the drainer sees EOF
        os.close(proto_out)
        in_stream.close()
        drainer.join(timeout=1.0)
