"""Build Storm's Thrift ``StormTopology`` struct from plain Python data.

The input is a dict that any topology model can produce; nothing here knows squall's
model. Every component is a multi-lang shell component run by ``command`` + ``script``
(the script path is relative to the jar's ``resources/`` directory)::

    {
      "spouts": {
        "words": {"command": "python3", "script": "words.py",
                  "outputs": {"default": ["word"]}, "parallelism": 1},
      },
      "bolts": {
        "count": {"command": "python3", "script": "count.py",
                  "inputs": [{"component": "words", "grouping": {"fields": ["word"]}}],
                  "outputs": {"default": {"fields": ["word", "n"], "direct": False}},
                  "parallelism": 2, "conf": {"topology.tick.tuple.freq.secs": 5}},
      },
    }

Groupings: ``"shuffle"``, ``"local_or_shuffle"``, ``"all"``, ``"none"``, ``"direct"``,
``"global"`` or ``{"fields": [...]}``. An input's ``stream`` defaults to ``"default"``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from squall.errors import TopologyError
from squall.storm._thrift import storm_thrift

DEFAULT_STREAM = "default"
_NULL_GROUPINGS = ("shuffle", "local_or_shuffle", "all", "none", "direct")


def build_storm_topology(spec: Mapping[str, Any]) -> Any:
    """Return the ``StormTopology`` struct described by ``spec`` (see the module docstring).

    Raises TopologyError naming the component when an entry is malformed. Semantic checks
    (inputs naming existing streams, field names) are left to Nimbus.
    """
    types = storm_thrift()
    spouts = {
        name: types.SpoutSpec(spout_object=_shell(name, comp),
                              common=_common(name, comp, allow_inputs=False))
        for name, comp in (spec.get("spouts") or {}).items()
    }
    bolts = {
        name: types.Bolt(bolt_object=_shell(name, comp),
                         common=_common(name, comp, allow_inputs=True))
        for name, comp in (spec.get("bolts") or {}).items()
    }
    if not spouts:
        raise TopologyError("topology has no spouts: add at least one spout")
    return types.StormTopology(spouts=spouts, bolts=bolts, state_spouts={})


def _shell(name: str, comp: Mapping[str, Any]) -> Any:
    types = storm_thrift()
    command, script = comp.get("command"), comp.get("script")
    if not isinstance(command, str) or not isinstance(script, str):
        raise TopologyError(f"component '{name}': 'command' and 'script' must be strings, "
                            f"got {command!r} and {script!r}")
    return types.ComponentObject(
        shell=types.ShellComponent(execution_command=command, script=script))


def _common(name: str, comp: Mapping[str, Any], *, allow_inputs: bool) -> Any:
    types = storm_thrift()
    inputs = comp.get("inputs") or []
    if inputs and not allow_inputs:
        raise TopologyError(f"spout '{name}' has inputs: spouts cannot subscribe to streams")
    parallelism = comp.get("parallelism", 1)
    if not isinstance(parallelism, int) or parallelism < 1:
        raise TopologyError(f"component '{name}': parallelism must be an int >= 1, "
                            f"got {parallelism!r}")
    conf = comp.get("conf")
    return types.ComponentCommon(
        inputs=dict(_input(name, entry) for entry in inputs),
        streams={stream: _stream(name, stream, out)
                 for stream, out in (comp.get("outputs") or {}).items()},
        parallelism_hint=parallelism,
        json_conf=json.dumps(conf) if conf else None,
    )


def _input(name: str, entry: Mapping[str, Any]) -> tuple[Any, Any]:
    types = storm_thrift()
    source = entry.get("component")
    if not isinstance(source, str):
        raise TopologyError(f"bolt '{name}': each input needs a 'component' name, got {entry!r}")
    stream_id = types.GlobalStreamId(componentId=source,
                                     streamId=entry.get("stream", DEFAULT_STREAM))
    return stream_id, grouping(entry.get("grouping", "shuffle"), where=f"bolt '{name}'")


def grouping(value: str | Mapping[str, Any], where: str = "input") -> Any:
    """Return the Thrift ``Grouping`` union for a grouping name or ``{"fields": [...]}``."""
    types = storm_thrift()
    if value == "global":
        return types.Grouping(fields=[])
    if isinstance(value, str) and value in _NULL_GROUPINGS:
        return types.Grouping(**{value: types.NullStruct()})
    if isinstance(value, Mapping) and isinstance(value.get("fields"), list):
        return types.Grouping(fields=[str(f) for f in value["fields"]])
    raise TopologyError(f"{where}: unknown grouping {value!r}; use one of "
                        f"{', '.join((*_NULL_GROUPINGS, 'global'))} or {{'fields': [...]}}")


def _stream(name: str, stream: str, out: Any) -> Any:
    types = storm_thrift()
    if isinstance(out, Mapping):
        fields, direct = out.get("fields"), bool(out.get("direct", False))
    else:
        fields, direct = out, False
    if not isinstance(fields, (list, tuple)) or not all(isinstance(f, str) for f in fields):
        raise TopologyError(f"component '{name}', stream '{stream}': output fields must be "
                            f"a list of strings, got {fields!r}")
    return types.StreamInfo(output_fields=list(fields), direct=direct)
