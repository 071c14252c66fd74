"""Parse ``-o key=value`` and ``--par component=N``; merge options by precedence.

Pure functions: no I/O, no printing. Errors are :class:`~squall.errors.ConfigError`
with one-line messages that quote what the user typed.

>>> parse_option("topology.message.timeout.secs=5")
('topology.message.timeout.secs', 5)
>>> parse_option("a=[1, 2]")
('a', [1, 2])
>>> parse_par("count=4")
('count', 4)
>>> merge_options(cli={"a": 1}, topology={"a": 2, "b": 2}, env={"b": 3, "c": 3})
{'b': 2, 'c': 3, 'a': 1}
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import yaml

from squall.engine import check_option
from squall.errors import ConfigError

__all__ = ["merge_options", "parse_option", "parse_options", "parse_par", "parse_pars"]


def _split(flag: str, text: str, example: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep:
        raise ConfigError(f"{flag} {text!r}: missing '='; write it as {flag} {example}")
    if not key:
        raise ConfigError(f"{flag} {text!r}: missing the name before '='; write it as {flag} {example}")
    return key, value


def parse_option(text: str) -> tuple[str, Any]:
    """Parse one ``key=value``; the value is read as YAML (``5`` -> int, ``[1,2]`` -> list).

    An empty value gives the empty string; write ``key=null`` for None.
    """
    key, raw = _split("-o", text, "key=value")
    if raw.strip() == "":
        return key, ""
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ConfigError(
            f"-o {text!r}: value {raw!r} is not valid YAML ({problem}); "
            f"quote it to pass a string: -o {key}='\"{raw}\"'"
        ) from None
    try:
        check_option(key, value)  # the engine's own rule for the keys it reads
    except ConfigError as exc:
        raise ConfigError(f"-o {text!r}: {exc}") from None
    return key, value


def parse_options(items: Iterable[str]) -> dict[str, Any]:
    """Parse several ``key=value`` items into a dict; a repeated key keeps its last value."""
    return dict(parse_option(item) for item in items)


def parse_par(text: str) -> tuple[str, int]:
    """Parse one ``component=N`` parallelism override (N an integer >= 1)."""
    name, raw = _split("--par", text, "component=N")
    try:
        par = int(raw.strip())
    except ValueError:
        raise ConfigError(f"--par {text!r}: {raw!r} is not an integer; write it as --par {name}=2") from None
    if par < 1:
        raise ConfigError(f"--par {text!r}: parallelism must be >= 1, got {par}")
    return name, par


def parse_pars(items: Iterable[str]) -> dict[str, int]:
    """Parse several ``component=N`` items into a dict; a repeated name keeps its last value."""
    return dict(parse_par(item) for item in items)


def merge_options(
    *,
    cli: Mapping[str, Any] | None = None,
    topology: Mapping[str, Any] | None = None,
    env: Mapping[str, Any] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Merge topology conf layers: CLI ``-o`` > ``Topology.config`` > environment > defaults.

    Returns a new dict; the inputs are not modified. Values are replaced, not deep-merged.
    """
    merged: dict[str, Any] = {}
    for layer in (defaults, env, topology, cli):
        merged.update(layer or {})
    return merged
