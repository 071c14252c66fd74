"""build_storm_topology: plain data -> Thrift StormTopology, no JVM."""

from __future__ import annotations

import json

import pytest

from squall.errors import TopologyError
from squall.storm._thrift import storm_thrift
from squall.storm.topology_struct import build_storm_topology, grouping

SPEC = {
    "spouts": {"words": {"command": "python3", "script": "words.py",
                         "outputs": {"default": ["word"]}}},
    "bolts": {"count": {"command": "python3", "script": "count.py", "parallelism": 2,
                        "inputs": [{"component": "words", "grouping": {"fields": ["word"]}}],
                        "outputs": {"default": {"fields": ["word", "n"], "direct": True}},
                        "conf": {"topology.tick.tuple.freq.secs": 5}}},
}


def test_components_become_shell_specs_with_inputs_keyed_by_stream_id() -> None:
    types = storm_thrift()
    topo = build_storm_topology(SPEC)
    spout, bolt = topo.spouts["words"], topo.bolts["count"]
    assert spout.spout_object.shell == types.ShellComponent("python3", "words.py")
    assert spout.common.inputs == {}
    assert spout.common.streams["default"] == types.StreamInfo(["word"], False)
    key = types.GlobalStreamId(componentId="words", streamId="default")
    assert bolt.common.inputs[key] == types.Grouping(fields=["word"])
    assert bolt.common.streams["default"].direct is True
    assert bolt.common.parallelism_hint == 2
    assert json.loads(bolt.common.json_conf) == {"topology.tick.tuple.freq.secs": 5}
    assert topo.state_spouts == {}


def test_topology_serializes_with_the_binary_protocol() -> None:
    from thriftpy2.protocol import TBinaryProtocolFactory
    from thriftpy2.utils import deserialize, serialize

    types = storm_thrift()
    topo = build_storm_topology(SPEC)
    data = serialize(topo, TBinaryProtocolFactory())
    assert deserialize(types.StormTopology(), data, TBinaryProtocolFactory()) == topo


@pytest.mark.parametrize("name", ["shuffle", "local_or_shuffle", "all", "none", "direct"])
def test_named_groupings_set_their_union_member(name: str) -> None:
    assert getattr(grouping(name), name) == storm_thrift().NullStruct()


def test_global_grouping_is_an_empty_fields_list() -> None:
    assert grouping("global").fields == []


def test_unknown_grouping_names_the_bolt_and_the_choices() -> None:
    spec = {**SPEC, "bolts": {"b": {**SPEC["bolts"]["count"],  # type: ignore[dict-item]
                                    "inputs": [{"component": "words", "grouping": "rand"}]}}}
    with pytest.raises(TopologyError, match=r"^bolt 'b': unknown grouping 'rand'; use one of"):
        build_storm_topology(spec)


def test_spout_with_inputs_is_rejected() -> None:
    spec = {"spouts": {"s": {"command": "python3", "script": "s.py",
                             "inputs": [{"component": "x"}]}}}
    with pytest.raises(TopologyError, match=r"^spout 's' has inputs"):
        build_storm_topology(spec)


def test_bad_parallelism_is_rejected() -> None:
    spec = {"spouts": {"s": {"command": "python3", "script": "s.py", "parallelism": 0}}}
    with pytest.raises(TopologyError, match=r"^component 's': parallelism must be an int >= 1"):
        build_storm_topology(spec)
