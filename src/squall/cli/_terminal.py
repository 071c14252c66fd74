"""Decide between a rich terminal view and plain, log-friendly lines."""

from __future__ import annotations

import os
import shutil
import termios
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from rich.console import Console

__all__ = ["is_interactive", "make_console", "quiet_terminal", "terminal_width"]


def is_interactive(stream: IO[str]) -> bool:
    """Return whether ``stream`` is a capable terminal (a TTY, no NO_COLOR, TERM not dumb).

    Anything else gets plain lines that read well in a log file.
    """
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and "NO_COLOR" not in os.environ and os.environ.get("TERM", "") != "dumb"


def terminal_width(default: int = 100) -> int:
    """Return the terminal's width in columns (``default`` when unknown)."""
    return shutil.get_terminal_size((default, 24)).columns


def make_console(stream: IO[str]) -> Console:
    """Return a rich Console writing to ``stream``: styled on a terminal, plain otherwise."""
    if is_interactive(stream):
        return Console(file=stream)
    return Console(file=stream, no_color=True, force_terminal=False, force_interactive=False,
                   width=max(terminal_width(), 120), highlight=False, emoji=False)


@contextmanager
def quiet_terminal(stream: IO[str]) -> Iterator[None]:
    """While the block runs, keep the terminal from disturbing a live view drawn on ``stream``.

    Two things the terminal itself does would break a view that redraws itself by
    counting lines: it echoes typed keys (``^C``, Enter) into the middle of the drawing,
    and on Ctrl-C it discards output not yet shown (half a table). So ECHO is turned off
    and NOFLSH on; typed keys still reach the shell afterwards. The old settings come back
    on exit. Does nothing when ``stream`` is no terminal or this process is not in the
    terminal's foreground (changing it from the background would stop the process).
    """
    try:
        fd = stream.fileno()
        if os.tcgetpgrp(fd) != os.getpgrp():
            raise OSError("not the terminal's foreground process group")
        saved = termios.tcgetattr(fd)
        quiet = list(saved)
        quiet[3] = (quiet[3] & ~termios.ECHO) | termios.NOFLSH
        termios.tcsetattr(fd, termios.TCSANOW, quiet)
    except (AttributeError, ValueError, OSError, termios.error):
        yield
        return
    try:
        yield
    finally:
        try:
            termios.tcsetattr(fd, termios.TCSANOW, saved)
        except termios.error:
            pass  # the terminal is gone (closed window): nothing to restore
