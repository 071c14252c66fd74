"""click parameter types: validation lives here, not in command bodies."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import click
from click.shell_completion import CompletionItem

from squall.config import parse_option, parse_par
from squall.errors import ConfigError

__all__ = ["OPTION", "PAR", "SECONDS", "TARGET"]

if TYPE_CHECKING:
    _ParamType = click.ParamType[Any]
else:
    _ParamType = click.ParamType  # generic in recent click only: not subscripted at run time


class _OptionType(_ParamType):
    """``key=value`` with the value read as YAML; converts to a ``(key, value)`` pair."""

    name = "key=value"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        try:
            return parse_option(value)
        except ConfigError as exc:
            self.fail(str(exc), param, ctx)


class _ParType(_ParamType):
    """``component=N``; converts to a ``(component, N)`` pair."""

    name = "component=N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        try:
            return parse_par(value)
        except ConfigError as exc:
            self.fail(str(exc), param, ctx)


class _SecondsType(_ParamType):
    """A finite number of seconds > 0 (``nan`` and ``inf`` are refused)."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds; write e.g. -t 30", param, ctx)
        if not math.isfinite(seconds) or seconds <= 0:
            self.fail(f"{value!r} is not a finite number of seconds > 0; write e.g. -t 30", param, ctx)
        return seconds


class _TargetType(_ParamType):
    """``file.py[:Class]`` or ``package.module:Class``; completes file names."""

    name = "TARGET"

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        return [CompletionItem(incomplete, type="file")]


OPTION = _OptionType()
PAR = _ParType()
SECONDS = _SecondsType()
TARGET = _TargetType()
