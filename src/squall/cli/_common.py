"""Helpers shared by commands: lazy imports of other layers, loading the topology."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import click

from squall.config import (
    EnvConfig,
    LoadedTopology,
    ProjectConfig,
    apply_settings,
    kafka_defaults,
    load_project,
    load_target,
)
from squall.errors import SquallError
from squall.topology import TopologyModel

__all__ = ["Loaded", "env_option", "load", "need", "option_options", "par_options", "target_argument"]


def need(module: str, attr: str, what: str) -> Callable[..., Any]:
    """Import ``module.attr`` lazily; raise a one-line SquallError when it does not exist yet."""
    try:
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]
    except (ImportError, AttributeError) as exc:
        raise SquallError(f"{what} is not available in this squall install "
                          f"({module}.{attr}: {exc}); update squall") from exc


@dataclass(frozen=True)
class Loaded:
    """What a command works on: the project, the env, the loaded target, the final model."""

    project: ProjectConfig
    env: EnvConfig
    target: LoadedTopology
    model: TopologyModel


def load(target: str | None, env_name: str | None = None,
         options: Iterable[tuple[str, Any]] = (), par: Iterable[tuple[str, int]] = ()) -> Loaded:
    """Load the project config, pick the env, import TARGET and apply the overrides."""
    project = load_project()
    env = project.env(env_name)
    loaded = load_target(target, project)
    model = apply_settings(loaded.model, env, dict(options), dict(par),
                           defaults=kafka_defaults(loaded.model, env))
    return Loaded(project, env, loaded, model)


def target_argument(func: Callable[..., Any]) -> Callable[..., Any]:
    """The optional TARGET argument: file.py[:Class] or package.module:Class."""
    from squall.cli._params import TARGET

    return click.argument("target", required=False, type=TARGET)(func)


def env_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``-e/--env NAME``: an [env.NAME] of squall.toml (default: its default_env)."""
    return click.option("-e", "--env", "env_name", metavar="NAME",
                        help="Environment from squall.toml (default: default_env, else 'local').")(func)


def option_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``-o key=value`` (repeatable), values read as YAML."""
    from squall.cli._params import OPTION

    return click.option("-o", "--option", "options", multiple=True, type=OPTION,
                        help="Topology conf, value read as YAML (repeatable): "
                             "-o topology.message.timeout.secs=5")(func)


def par_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--par component=N`` (repeatable)."""
    from squall.cli._params import PAR

    return click.option("--par", "par", multiple=True, type=PAR,
                        help="Parallelism of one component (repeatable): --par count=4")(func)
