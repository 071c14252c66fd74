"""Apply an environment and CLI overrides to a topology model (the precedence rules)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from squall.config._options import merge_options
from squall.config._project import EnvConfig
from squall.errors import ConfigError
from squall.topology import TopologyModel

__all__ = ["apply_settings"]


def apply_settings(
    model: TopologyModel,
    env: EnvConfig | None = None,
    options: Mapping[str, Any] | None = None,
    par: Mapping[str, int] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> TopologyModel:
    """Return ``model`` with its conf and parallelism set by precedence.

    Conf: CLI ``options`` > ``Topology.config`` > the env's options (incl. workers and
    ackers) > ``defaults``. Parallelism: CLI ``par`` > the env's ``par`` > the spec's.

    >>> from squall.config import EnvConfig
    >>> apply_settings(model, EnvConfig("prod", par={"count": 4}), {"a": 1}, {"split": 2})  # doctest: +SKIP
    """
    conf = merge_options(cli=options, topology=model.config,
                         env=env.storm_options() if env else None, defaults=defaults)
    model = replace(model, config=conf)
    if env is not None and env.par:
        unknown = sorted(set(env.par) - set(model.components))
        if unknown:
            where = f"{env.source}: [env.{env.name}]" if env.source else f"env {env.name!r}"
            raise ConfigError(f"{where} par.{unknown[0]}: topology {model.name!r} has no component "
                              f"{unknown[0]!r}; its components are {', '.join(sorted(model.components))}")
        model = model.with_par(env.par)
    if par:
        model = model.with_par(par)
    return model
