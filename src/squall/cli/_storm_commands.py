"""The Storm commands (submit, list, kill, ...): filled in by the storm-submit work.

``register(group)`` adds them to the ``squall`` group; until they exist it adds nothing.
Helpers for these commands: ``squall.cli._common`` (``load`` -> project, env, target and
final model; ``target_argument``, ``env_option``, ``option_options``, ``par_options``;
``need`` for lazy imports) and ``squall.config.storm_env(env)`` -> ``StormEnv``.
Raise SquallError subclasses; the group prints them as one ``Error: ...`` line.
"""

from __future__ import annotations

import click

__all__ = ["register"]


def register(group: click.Group) -> None:
    """Add the Storm commands to ``group`` (currently none)."""
