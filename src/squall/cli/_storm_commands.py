"""The Storm commands (submit, list, kill, ...): filled in by the storm-submit work.

``register(group)`` adds them to the ``squall`` group; until they exist it adds nothing.
"""

from __future__ import annotations

import click

__all__ = ["register"]


def register(group: click.Group) -> None:
    """Add the Storm commands to ``group`` (currently none)."""
