"""Configuration: which topology to run, with what options, on which environment.

Reads ``squall.toml`` (or ``[tool.squall]`` in ``pyproject.toml``), parses ``-o key=value``
and ``--par component=N``, imports the TARGET topology and applies the precedence
CLI ``-o`` > ``Topology.config`` > environment options > defaults. Never prints.

>>> from squall.config import parse_option
>>> parse_option("topology.workers=2")
('topology.workers', 2)
"""

from squall.config._cluster import StormAddress, storm_address, storm_env
from squall.config._kafka import kafka_defaults
from squall.config._options import merge_options, parse_option, parse_options, parse_par, parse_pars
from squall.config._project import (
    LOCAL_ENV,
    SERIALIZERS,
    EnvConfig,
    ProjectConfig,
    find_project_file,
    load_project,
    read_project_file,
)
from squall.config._settings import apply_settings
from squall.config._target import LoadedTopology, TargetError, load_target

__all__ = [
    "LOCAL_ENV",
    "SERIALIZERS",
    "EnvConfig",
    "LoadedTopology",
    "ProjectConfig",
    "StormAddress",
    "TargetError",
    "apply_settings",
    "find_project_file",
    "kafka_defaults",
    "load_project",
    "load_target",
    "merge_options",
    "parse_option",
    "parse_options",
    "parse_par",
    "parse_pars",
    "read_project_file",
    "storm_address",
    "storm_env",
]
