"""Turn a squall topology model into Storm's Thrift ``StormTopology`` and its conf.

Every component becomes a ``ShellComponent`` running ``[python, launcher script]``;
groupings, streams, parallelism and per-component conf map one to one, except
where Storm's multi-lang side cannot do what the model asks: those raise a
TopologyError naming the component and stream before anything is submitted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from squall.errors import ConfigError, TopologyError
from squall.storm._thrift import storm_thrift
from squall.topology import ComponentModel, GroupingKind, InputModel, TopologyModel, unknown_grouping

PARTIAL_KEY_CLASS = "org.apache.storm.grouping.PartialKeyGrouping"
JSON_SERIALIZER_CLASS = "org.apache.storm.multilang.JsonSerializer"
# squall's msgpack ISerializer (java/msgpack-serializer), packed into msgpack topologies' jars.
MSGPACK_SERIALIZER_CLASS = "squall.storm.MsgpackSerializer"
SERIALIZER_KEY = "topology.multilang.serializer"

# The classes Storm's multi-lang JSON reader turns nested lists/dicts into: tuples holding
# them cannot cross worker JVMs unless Kryo knows them ("Class is not registered").
# json-smart (shaded) from Storm 2.6 on, json-simple before; absent ones are skipped.
JSON_VALUE_CLASSES = (
    "org.apache.storm.shade.net.minidev.json.JSONObject",
    "org.apache.storm.shade.net.minidev.json.JSONArray",
    "org.json.simple.JSONObject",
    "org.json.simple.JSONArray",
)
KRYO_REGISTER_KEY = "topology.kryo.register"
# From Storm 2.6 the multi-lang JSON reader casts the "task" of a direct emit to Long
# while json-smart yields Integer: every direct emit kills the worker.
DIRECT_EMIT_BROKEN_SINCE = (2, 6)

# squall's defaults on Storm (lowest precedence).
DEFAULT_CONF: Mapping[str, Any] = {
    "topology.workers": 1,
    "topology.subprocess.timeout.secs": 30,
    "topology.message.timeout.secs": 30,
    "topology.max.spout.pending": 1000,
    "topology.skip.missing.kryo.registrations": True,
}


def topology_conf(
    model: TopologyModel,
    *,
    env_options: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    workers: int | None = None,
    ackers: int | None = None,
    serializer: str = "json",
) -> dict[str, Any]:
    """Return the topology conf by precedence: CLI > Topology.config > env > defaults.

    ``options``, ``workers`` and ``ackers`` are the CLI's (``-o``, ``-w``, ``-a``).
    ``serializer`` is the environment's; the conf's ``topology.multilang.serializer``
    overrides it (squall's msgpack class, or Storm's JSON one as the fallback), and
    ``msgpack`` sets it to squall's class unless the conf names another Java
    ``ISerializer``: :func:`conf_serializer` then tells what the components speak.

    >>> topology_conf(Demo.model, workers=2)["topology.workers"]   # doctest: +SKIP
    2
    """
    conf: dict[str, Any] = dict(DEFAULT_CONF)
    conf.update(env_options or {})
    conf.update(model.config)
    conf.update(options or {})
    if workers is not None:
        conf["topology.workers"] = workers
    if ackers is not None:
        conf["topology.acker.executors"] = ackers
    _apply_serializer(conf, serializer)
    conf[KRYO_REGISTER_KEY] = _with_json_classes(conf.get(KRYO_REGISTER_KEY))
    _check_json(conf, "topology conf")
    return conf


def _with_json_classes(register: Any) -> list[Any]:
    """Return ``topology.kryo.register`` with the multi-lang JSON value classes added."""
    if register is None:
        entries: list[Any] = []
    elif isinstance(register, list):
        entries = list(register)
    else:
        raise ConfigError(f"{KRYO_REGISTER_KEY} must be a list of class names or "
                          f"{{class: serializer}} maps, got {register!r}")
    named = {e if isinstance(e, str) else next(iter(e), None) for e in entries}
    return entries + [c for c in JSON_VALUE_CLASSES if c not in named]


def _apply_serializer(conf: dict[str, Any], serializer: str) -> None:
    java = conf.get(SERIALIZER_KEY)
    if java in (None, JSON_SERIALIZER_CLASS, MSGPACK_SERIALIZER_CLASS):
        if java is None and serializer == "msgpack":
            conf[SERIALIZER_KEY] = MSGPACK_SERIALIZER_CLASS
        return
    if serializer == "json":
        raise ConfigError(
            f"{SERIALIZER_KEY} = {java!r} but the components speak JSON; set the environment's "
            "serializer to \"msgpack\" or drop that option"
        )


def conf_serializer(conf: Mapping[str, Any]) -> str:
    """Return the framing the components speak under ``conf`` (from :func:`topology_conf`).

    >>> conf_serializer({"topology.multilang.serializer": "squall.storm.MsgpackSerializer"})
    'msgpack'
    >>> conf_serializer({})
    'json'
    """
    return "json" if conf.get(SERIALIZER_KEY) in (None, JSON_SERIALIZER_CLASS) else "msgpack"


def _check_json(conf: Mapping[str, Any], what: str) -> None:
    try:
        json.dumps(conf, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{what} is not JSON-serializable ({exc}); Storm conf values must be "
                          "strings, numbers, booleans, lists or dicts") from exc


def storm_topology(model: TopologyModel, python: str, scripts: Mapping[str, str]) -> Any:
    """Return the Thrift ``StormTopology`` for ``model``.

    ``python`` is the interpreter command on the workers; ``scripts`` maps each
    component id to its launcher file in the jar's ``resources/``. Call
    :func:`check_storm_support` first (``submit`` does, with the cluster's version).
    """
    types = storm_thrift()
    spouts, bolts = {}, {}
    for comp in model.components.values():
        shell = types.ComponentObject(
            shell=types.ShellComponent(execution_command=python, script=scripts[comp.name]))
        common = _common(model, comp)
        if comp.is_spout:
            spouts[comp.name] = types.SpoutSpec(spout_object=shell, common=common)
        else:
            bolts[comp.name] = types.Bolt(bolt_object=shell, common=common)
    return types.StormTopology(spouts=spouts, bolts=bolts, state_spouts={})


def _common(model: TopologyModel, comp: ComponentModel) -> Any:
    types = storm_thrift()
    inputs = {
        types.GlobalStreamId(componentId=inp.source, streamId=inp.stream):
            thrift_grouping(model, comp, inp)
        for inp in comp.inputs
    }
    streams = {
        name: types.StreamInfo(output_fields=list(stream.fields), direct=stream.direct)
        for name, stream in comp.streams.items()
    }
    json_conf = None
    if comp.config:
        _check_json(comp.config, f"component {comp.name!r} config")
        json_conf = json.dumps(dict(comp.config))
    return types.ComponentCommon(inputs=inputs, streams=streams, parallelism_hint=comp.par,
                                 json_conf=json_conf)


def thrift_grouping(model: TopologyModel, comp: ComponentModel, inp: InputModel) -> Any:
    """Return the Thrift ``Grouping`` union for one input of ``comp``."""
    types = storm_thrift()
    kind = inp.grouping.kind
    match kind:
        case GroupingKind.FIELDS:
            return types.Grouping(fields=list(inp.grouping.field_names))
        case GroupingKind.GLOBAL:
            return types.Grouping(fields=[])
        case GroupingKind.PARTIAL_KEY:
            return types.Grouping(custom_object=types.JavaObject(
                full_class_name=PARTIAL_KEY_CLASS, args_list=[]))
        case GroupingKind.SHUFFLE | GroupingKind.LOCAL_OR_SHUFFLE | GroupingKind.ALL | GroupingKind.NONE | GroupingKind.DIRECT:
            return types.Grouping(**{kind.value: types.NullStruct()})  # Thrift union fields named as our kinds
        case _:
            unknown_grouping(kind)


def check_storm_support(model: TopologyModel, storm_version: str | None = None,
                        serializer: str = "json") -> None:
    """Raise TopologyError for what Storm cannot run from multi-lang components.

    ``partial_key`` maps to Storm's ``PartialKeyGrouping()``, which can only be built
    from Python without arguments and then keys on the stream's first field. Direct
    streams cannot work with the JSON ``serializer`` on Storm >= 2.6 (``storm_version``,
    None: unknown, assumed recent): its JSON multi-lang reader crashes the worker on every
    direct emit. squall's msgpack serializer reads the task as Storm expects.
    """
    if serializer == "json" and (
            storm_version is None or _version_tuple(storm_version) >= DIRECT_EMIT_BROKEN_SINCE):
        for comp in model.components.values():
            for stream in comp.streams.values():
                if stream.direct:
                    raise TopologyError(
                        f"component {comp.name!r} stream {stream.name!r} is direct, which Storm "
                        f"{storm_version or '>= 2.6'} cannot run from Python: its multi-lang JSON "
                        "reader crashes the worker on direct emits (ClassCastException Integer -> "
                        "Long); use serializer = \"msgpack\", or route with Grouping.fields on a key field"
                    )
    for comp in model.components.values():
        for inp in comp.inputs:
            if inp.grouping.kind is not GroupingKind.PARTIAL_KEY:
                continue
            first = model.components[inp.source].fields_of(inp.stream)[:1]
            if tuple(inp.grouping.field_names) != tuple(first):
                raise TopologyError(
                    f"component {comp.name!r} input {inp.source}[{inp.stream!r}]: on Storm "
                    f"{inp.grouping!r} can only key on the stream's first field "
                    f"({first[0] if first else 'none'!r}); put {inp.grouping.field_names[0]!r} "
                    "first in the source's outputs, or use Grouping.fields(...)"
                )


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("-", 1)[0].split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)
