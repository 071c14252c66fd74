"""A task's log file, rolled by size with the semantics of Python's RotatingFileHandler.

Past ``max_bytes`` the file ``NAME`` becomes ``NAME.1`` (``NAME.1`` becomes ``NAME.2``, ...,
the oldest beyond ``backups`` is deleted) and a fresh ``NAME`` is opened; ``max_bytes == 0``
or ``backups == 0`` never rolls. Conf keys ``squall.log.max_bytes`` and
``squall.log.backup_count`` (the same keys, defaults and meaning as the multi-lang runtime's
rotating files on Storm).

A task's log has two writers: :meth:`TaskLog.write` (the engine's and the component's
``log`` lines) and the process's fds 1 and 2 (``print``, C extensions, tracebacks), which
point at the same file. So the size is checked on the file itself, after a write once
enough bytes went through :meth:`write`, and by the task loop's housekeeping
(:meth:`roll_if_due`, every 50 ms); on a roll, fds 1 and 2 move to the new file when they
pointed at the old one. A file can thus overshoot ``max_bytes`` by what ``print`` wrote
between two checks. Processes the component started keep writing to the rolled file.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import TextIO

_CHECK_BYTES_MAX = 64 * 1024  # write() looks at the file's size at least this often


class TaskLog:
    """The log file of one task process. Thread-safe: user threads may log too.

    >>> log = TaskLog(Path("/tmp/count-3.log"), max_bytes=10 << 20, backups=5)  # doctest: +SKIP
    >>> log.write("2025-01-01 12:00:00 INFO count[3]: hello\\n")              # doctest: +SKIP
    """

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        self.path = path
        self.max_bytes = max_bytes if backups > 0 else 0
        self.backups = backups
        self._check_bytes = max(1, min(_CHECK_BYTES_MAX, self.max_bytes // 8))
        self._unchecked = 0
        self._lock = threading.Lock()
        self._file = self._open()

    def _open(self) -> TextIO:
        return open(self.path, "a", buffering=1, encoding="utf-8", errors="backslashreplace")

    def write(self, text: str) -> None:
        """Append ``text`` (whole lines) to the file; roll first when it has grown too big."""
        with self._lock:
            self._file.write(text)
            self._unchecked += len(text)
            if self.max_bytes and self._unchecked >= self._check_bytes:
                self._roll_if_due()

    def roll_if_due(self) -> bool:
        """Roll the file when it reached ``max_bytes``; return whether it rolled."""
        if not self.max_bytes:
            return False
        with self._lock:
            return self._roll_if_due()

    def close(self) -> None:
        """Close the file (fds 1 and 2 stay open)."""
        with self._lock:
            self._file.close()

    def _roll_if_due(self) -> bool:
        self._unchecked = 0
        if os.fstat(self._file.fileno()).st_size < self.max_bytes:
            return False
        self._roll()
        return True

    def _roll(self) -> None:
        follows = [fd for fd in (1, 2) if _same_file(fd, self._file.fileno())]
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()  # what print() buffered belongs to the old file
            except (OSError, ValueError):
                pass
        self._file.flush()
        for index in range(self.backups - 1, 0, -1):
            older = Path(f"{self.path}.{index}")
            if older.exists():
                os.replace(older, f"{self.path}.{index + 1}")
        os.replace(self.path, f"{self.path}.1")
        old, self._file = self._file, self._open()
        for fd in follows:
            os.dup2(self._file.fileno(), fd)
        old.close()


def _same_file(fd: int, other: int) -> bool:
    """Return whether two descriptors refer to the same file."""
    try:
        a, b = os.fstat(fd), os.fstat(other)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)
