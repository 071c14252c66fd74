"""Project configuration: ``squall.toml`` or ``[tool.squall]`` in ``pyproject.toml``.

Found by walking up from the working directory; read into frozen dataclasses and
validated, every error naming the file, the environment and the key.

Example ``squall.toml``::

    default_env = "prod"
    topology = "topologies/wordcount.py"
    keep_runs = 20            # `squall run` log folders kept in .squall/runs/ (0: all)

    [env.prod]
    nimbus = "nimbus.example.com:6627"
    ui = "http://nimbus.example.com:8080"
    python_version = "3.12"
    platforms = ["manylinux_2_28_x86_64", "manylinux_2_28_aarch64"]
    workers = 4
    ackers = 2
    serializer = "msgpack"
    kafka = "kafka1.example.com:9092,kafka2.example.com:9092"
    options = { "topology.message.timeout.secs" = 60 }
    par = { count = 8 }

With no config file at all, an implicit ``local`` environment targets the local dev
cluster started by ``squall cluster up``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from squall.errors import ConfigError

import tomllib

__all__ = [
    "LOCAL_ENV",
    "SERIALIZERS",
    "EnvConfig",
    "ProjectConfig",
    "find_project_file",
    "load_project",
    "read_project_file",
]

LOCAL_ENV = "local"
SERIALIZERS = ("json", "msgpack")
_TOP_KEYS = ("default_env", "topology", "env", "keep_runs")
DEFAULT_KEEP_RUNS = 20  # `squall run` log folders kept in .squall/runs/
_ENV_KEYS = ("nimbus", "ui", "python", "workers", "ackers", "serializer", "options", "par", "log_dir",
             "kafka", "python_version", "platforms", "vendor")
_KAFKA_KEY = "squall.kafka.brokers"  # the conf key KafkaSpout/KafkaBolt read (squall.connectors.kafka)
_PYTHON_VERSION = re.compile(r"^3\.\d{1,2}$")
_PLATFORM_TAG = re.compile(r"^(manylinux_\d+_\d+|manylinux1|manylinux2010|manylinux2014|musllinux_\d+_\d+)_"
                           r"(x86_64|aarch64|i686|ppc64le|s390x|armv7l|riscv64)$")


@dataclass(frozen=True)
class EnvConfig:
    """One ``[env.NAME]`` table: where and how to run on Storm.

    ``nimbus`` is ``"host:port"``; None means the local dev cluster (env ``local``) or
    unset. ``python_version`` and ``platforms`` describe the workers (the wheels
    vendored into the jar are resolved for them, not for this machine); ``vendor``
    forces vendoring on or off. ``nimbus = ["a:6627", "b:6627"]`` in the file (Storm's ``nimbus.seeds``)
    sets ``nimbus`` to the first and ``nimbus_seeds`` to all: clients find the leader. ``python`` is the interpreter on the workers (None: vendored deps and the
    workers' ``python3``). ``options`` is topology conf; ``par`` per-component parallelism.
    """

    name: str
    nimbus: str | None = None
    ui: str | None = None
    python: str | None = None
    workers: int | None = None
    ackers: int | None = None
    serializer: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    par: Mapping[str, int] = field(default_factory=dict)
    log_dir: Path | None = None
    kafka: str | None = None  # "host:port[,host:port...]" of the Kafka connectors' brokers
    source: Path | None = None  # the file defining it; None for the implicit local env
    nimbus_seeds: tuple[str, ...] = ()  # every "host:port" when nimbus is a list
    python_version: str | None = None  # the workers' Python ("3.12"): wheels are resolved for it
    platforms: tuple[str, ...] = ()  # the workers' platform tags, e.g. manylinux_2_28_x86_64
    vendor: bool | None = None  # vendor the dependencies (None: unless python is set)

    @property
    def uses_dev_cluster(self) -> bool:
        """Whether this env targets the local dev cluster (``local`` without a nimbus)."""
        return self.nimbus is None and self.name == LOCAL_ENV

    @property
    def nimbus_address(self) -> tuple[str, int] | None:
        """Return ``(host, port)`` parsed from ``nimbus``, or None when unset."""
        if self.nimbus is None:
            return None
        host, _, port = self.nimbus.rpartition(":")
        return host, int(port)

    @property
    def nimbus_addresses(self) -> list[tuple[str, int]]:
        """Return every Nimbus ``(host, port)``: the seeds, else ``nimbus``, else none."""
        seeds = self.nimbus_seeds or ((self.nimbus,) if self.nimbus is not None else ())
        return [(host, int(port)) for host, _, port in (s.rpartition(":") for s in seeds)]

    def storm_options(self) -> dict[str, Any]:
        """Return this env's topology conf: ``workers``/``ackers`` as Storm keys, then ``options``."""
        conf: dict[str, Any] = {}
        if self.workers is not None:
            conf["topology.workers"] = self.workers
        if self.ackers is not None:
            conf["topology.acker.executors"] = self.ackers
        if self.kafka is not None:
            conf[_KAFKA_KEY] = self.kafka
        conf.update(self.options)
        return conf


@dataclass(frozen=True)
class ProjectConfig:
    """A project's settings: its root, default env, default topology and envs."""

    root: Path
    path: Path | None = None  # squall.toml / pyproject.toml; None when there is none
    default_env: str = LOCAL_ENV
    topology: str | None = None
    envs: Mapping[str, EnvConfig] = field(default_factory=dict)
    keep_runs: int = DEFAULT_KEEP_RUNS  # run log folders kept in .squall/runs/ (0: all)

    def env(self, name: str | None = None) -> EnvConfig:
        """Return env ``name`` (default: ``default_env``); ``local`` always exists.

        Raises ConfigError naming the known envs when ``name`` is not defined.
        """
        name = name or self.default_env
        if name in self.envs:
            return self.envs[name]
        if name == LOCAL_ENV:
            return EnvConfig(name=LOCAL_ENV)
        known = ", ".join(sorted({*self.envs, LOCAL_ENV}))
        if self.path is None:
            raise ConfigError(f"no environment {name!r}: no squall.toml found from {self.root} up; "
                              f"create one with an [env.{name}] table")
        raise ConfigError(f"{self.path}: no environment {name!r} (known: {known}); add an [env.{name}] table")


def find_project_file(start: Path | None = None) -> Path | None:
    """Return the nearest ``squall.toml`` (or ``pyproject.toml`` with ``[tool.squall]``).

    Walks up from ``start`` (default: the working directory); None when there is none.
    """
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / "squall.toml"
        if candidate.is_file():
            return candidate
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and "squall" in _read_toml(pyproject).get("tool", {}):
            return pyproject
    return None


def load_project(start: Path | None = None) -> ProjectConfig:
    """Find and read the project config from ``start`` upwards (see :func:`find_project_file`).

    With no file, return a config rooted at ``start`` with only the implicit ``local`` env.
    """
    path = find_project_file(start)
    if path is None:
        return ProjectConfig(root=(start or Path.cwd()).resolve())
    return read_project_file(path)


def read_project_file(path: Path) -> ProjectConfig:
    """Read and validate one ``squall.toml`` or ``pyproject.toml``."""
    path = path.resolve()
    data = _read_toml(path)
    label = str(path)
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("squall", {})
        label = f"{path} [tool.squall]"
    _check_keys(label, "", data, _TOP_KEYS)
    default_env = _opt_str(label, "", data, "default_env") or LOCAL_ENV
    topology = _opt_str(label, "", data, "topology")
    tables = data.get("env", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"{label}: 'env' must be a table of environments, e.g. [env.prod]")
    envs = {name: _read_env(label, path, name, table) for name, table in tables.items()}
    if default_env not in envs and default_env != LOCAL_ENV:
        known = ", ".join(sorted({*envs, LOCAL_ENV}))
        raise ConfigError(f"{label}: default_env = {default_env!r} is not defined (known: {known}); "
                          f"add an [env.{default_env}] table")
    keep_runs = _opt_int(label, "", data, "keep_runs", minimum=0)
    return ProjectConfig(root=path.parent, path=path, default_env=default_env,
                         topology=topology, envs=envs,
                         keep_runs=DEFAULT_KEEP_RUNS if keep_runs is None else keep_runs)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None


def _read_env(label: str, path: Path, name: str, table: Any) -> EnvConfig:
    where = f"[env.{name}]"
    if not isinstance(table, dict):
        raise ConfigError(f"{label}: {where} must be a table, got {table!r}")
    _check_keys(label, where, table, _ENV_KEYS)
    seeds = _read_seeds(label, where, table)
    nimbus = seeds[0] if seeds else None
    ui = _opt_str(label, where, table, "ui")
    if ui is not None and not ui.startswith(("http://", "https://")):
        raise ConfigError(f"{label}: {where} ui = {ui!r} must be a URL, e.g. \"http://host:8080\"")
    serializer = _opt_str(label, where, table, "serializer")
    if serializer is not None and serializer not in SERIALIZERS:
        raise ConfigError(f"{label}: {where} serializer = {serializer!r} must be one of "
                          f"{', '.join(repr(s) for s in SERIALIZERS)}")
    log_dir = _opt_str(label, where, table, "log_dir")
    kafka = _opt_str(label, where, table, "kafka")
    if kafka is not None:
        _check_brokers(label, where, kafka)
    return EnvConfig(
        name=name,
        nimbus=nimbus,
        ui=ui,
        python=_opt_str(label, where, table, "python"),
        workers=_opt_int(label, where, table, "workers", minimum=1),
        ackers=_opt_int(label, where, table, "ackers", minimum=0),
        serializer=serializer,
        options=_opt_table(label, where, table, "options"),
        par=_read_par(label, where, table),
        log_dir=(path.parent / log_dir).resolve() if log_dir is not None else None,
        kafka=kafka,
        source=path,
        nimbus_seeds=seeds if len(seeds) > 1 else (),
        python_version=_read_python_version(label, where, table),
        platforms=_read_platforms(label, where, table),
        vendor=_opt_bool(label, where, table, "vendor"),
    )


def _read_python_version(label: str, where: str, table: Mapping[str, Any]) -> str | None:
    version = table.get("python_version")
    if version is not None and (not isinstance(version, str) or not _PYTHON_VERSION.match(version)):
        raise ConfigError(f"{label}: {where} python_version = {version!r} must be the workers' "
                          "Python as \"3.MINOR\", e.g. python_version = \"3.12\"")
    return version


def _read_platforms(label: str, where: str, table: Mapping[str, Any]) -> tuple[str, ...]:
    value = table.get("platforms")
    if value is None:
        return ()
    tags = [value] if isinstance(value, str) else value
    if not isinstance(tags, list) or not tags:
        tags = [value]
    for tag in tags:
        if not isinstance(tag, str) or not _PLATFORM_TAG.match(tag):
            raise ConfigError(f"{label}: {where} platforms: {tag!r} is not a Linux wheel platform tag; "
                              "use tags such as \"manylinux_2_28_x86_64\", \"manylinux2014_aarch64\" "
                              "or \"musllinux_1_2_x86_64\"")
    return tuple(tags)


def _opt_bool(label: str, where: str, table: Mapping[str, Any], key: str) -> bool | None:
    value = table.get(key)
    if value is not None and not isinstance(value, bool):
        raise ConfigError(f"{label}: {where} {key} must be true or false, got {value!r}")
    return value


def _read_seeds(label: str, where: str, table: Mapping[str, Any]) -> tuple[str, ...]:
    """Read ``nimbus``: one ``"host:port"`` or a non-empty list of them (nimbus.seeds)."""
    value = table.get("nimbus")
    if value is None:
        return ()
    if isinstance(value, list):
        if not value or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{label}: {where} nimbus must be \"host:port\" or a list of them "
                              f"(Storm's nimbus.seeds), e.g. [\"nimbus-a:6627\", \"nimbus-b:6627\"], "
                              f"got {value!r}")
        for seed in value:
            _check_nimbus(label, where, seed)
        return tuple(value)
    seed = _opt_str(label, where, table, "nimbus")
    assert seed is not None
    _check_nimbus(label, where, seed)
    return (seed,)


def _check_keys(label: str, where: str, table: Mapping[str, Any], known: tuple[str, ...]) -> None:
    for key in table:
        if key not in known:
            place = f"{where} " if where else ""
            raise ConfigError(f"{label}: {place}unknown key {key!r} (known keys: {', '.join(known)})")


def _opt_str(label: str, where: str, table: Mapping[str, Any], key: str) -> str | None:
    value = table.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        place = f"{where} " if where else ""
        raise ConfigError(f"{label}: {place}{key} must be a non-empty string, got {value!r}")
    return value


def _opt_int(label: str, where: str, table: Mapping[str, Any], key: str, minimum: int) -> int | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        place = f"{where} " if where else ""
        raise ConfigError(f"{label}: {place}{key} must be an integer >= {minimum}, got {value!r}")
    return value


def _opt_table(label: str, where: str, table: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{label}: {where} {key} must be a table, e.g. {key} = {{ \"a.b\" = 1 }}, "
                          f"got {value!r}")
    return dict(value)


def _read_par(label: str, where: str, table: Mapping[str, Any]) -> dict[str, int]:
    par = _opt_table(label, where, table, "par")
    for component, value in par.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{label}: {where} par.{component} must be an integer >= 1, got {value!r}")
    return par


def _check_nimbus(label: str, where: str, nimbus: str) -> None:
    host, sep, port = nimbus.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{label}: {where} nimbus = {nimbus!r} must be \"host:port\", "
                          "e.g. \"nimbus.example.com:6627\"")


def _check_brokers(label: str, where: str, brokers: str) -> None:
    for address in brokers.split(","):
        host, _, port = address.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"{label}: {where} kafka = {brokers!r} must be \"host:port\" "
                              "(several separated by commas), e.g. \"kafka1:9092,kafka2:9092\"")
