"""Decide between a rich terminal view and plain, log-friendly lines."""

from __future__ import annotations

import os
import shutil
from typing import IO

from rich.console import Console

__all__ = ["is_interactive", "make_console", "terminal_width"]


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
