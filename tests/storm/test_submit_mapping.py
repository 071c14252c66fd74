"""Model -> Thrift StormTopology and topology conf, without a cluster."""

from __future__ import annotations

import pytest

from squall import Bolt, Grouping, Spout, Stream, Topology
from squall.errors import ConfigError, TopologyError
from squall.storm import DEFAULT_CONF, storm_topology, topology_conf
from squall.storm._mapping import (
    JSON_SERIALIZER_CLASS,
    JSON_VALUE_CLASSES,
    MSGPACK_SERIALIZER_CLASS,
    PARTIAL_KEY_CLASS,
    check_storm_support,
    conf_serializer,
)


class Src(Spout):
    outputs = ["key", "v", Stream(["x"], name="side")]


class Sink(Bolt):
    outputs = [Stream(["k"], name="d", direct=True)]


class Every(Topology):
    config = {"topology.workers": 3, "squall.a": "topology"}
    src = Src.spec()
    f = Sink.spec(inputs={src: Grouping.fields("key", "v")}, par=2, config={"topology.tick.tuple.freq.secs": 2})
    s = Sink.spec(inputs={src: Grouping.SHUFFLE, src["side"]: Grouping.ALL})
    g = Sink.spec(inputs={src: Grouping.GLOBAL})
    n = Sink.spec(inputs={src: Grouping.NONE})
    lo = Sink.spec(inputs={src: Grouping.LOCAL_OR_SHUFFLE})
    pk = Sink.spec(inputs={src: Grouping.partial_key("key")})
    d = Sink.spec(inputs={f["d"]: Grouping.DIRECT})


SCRIPTS = {name: f"squall_launch_{name}.py" for name in Every.model.components}


def _grouping(topology, bolt: str, source: str = "src", stream: str = "default"):
    common = topology.bolts[bolt].common
    return next(g for sid, g in common.inputs.items()
                if sid.componentId == source and sid.streamId == stream)


def test_components_become_shell_components_with_their_launcher():
    topology = storm_topology(Every.model, "/opt/py", SCRIPTS)
    assert set(topology.spouts) == {"src"} and "f" in topology.bolts
    shell = topology.bolts["f"].bolt_object.shell
    assert (shell.execution_command, shell.script) == ("/opt/py", "squall_launch_f.py")
    assert topology.bolts["f"].common.parallelism_hint == 2
    assert topology.bolts["f"].common.json_conf == '{"topology.tick.tuple.freq.secs": 2}'
    assert topology.spouts["src"].common.streams["side"].output_fields == ["x"]
    assert topology.bolts["f"].common.streams["d"].direct is True
    assert topology.state_spouts == {}


def test_every_grouping_maps_to_its_thrift_union():
    topology = storm_topology(Every.model, "python3", SCRIPTS)
    assert _grouping(topology, "f").fields == ["key", "v"]
    assert _grouping(topology, "g").fields == []
    assert _grouping(topology, "s").shuffle is not None
    assert _grouping(topology, "s", stream="side").all is not None
    assert _grouping(topology, "n").none is not None
    assert _grouping(topology, "lo").local_or_shuffle is not None
    assert _grouping(topology, "d", source="f", stream="d").direct is not None
    custom = _grouping(topology, "pk").custom_object
    assert (custom.full_class_name, custom.args_list) == (PARTIAL_KEY_CLASS, [])


def test_partial_key_on_a_later_field_is_refused():
    class Plain(Bolt):
        pass

    class Bad(Topology):
        src = Src.spec()
        pk = Plain.spec(inputs={src: Grouping.partial_key("v")})

    with pytest.raises(TopologyError, match=r"component 'pk' input src\['default'\]: on Storm .* first field \('key'\)"):
        check_storm_support(Bad.model, "2.8.3")


def test_direct_streams_refused_on_storm_2_6_and_later_only():
    with pytest.raises(TopologyError, match="component 'f' stream 'd' is direct, which Storm 2.6.0 cannot run"):
        check_storm_support(Every.model, "2.6.0")
    check_storm_support(Every.model, "2.5.0")


def test_direct_streams_run_with_msgpack_on_any_storm():
    with pytest.raises(TopologyError, match='use serializer = "msgpack", or route with Grouping.fields'):
        check_storm_support(Every.model, "2.8.3", "json")
    check_storm_support(Every.model, "2.8.3", "msgpack")
    check_storm_support(Every.model, None, "msgpack")


def test_conf_precedence_cli_over_topology_over_env_over_defaults():
    conf = topology_conf(Every.model, env_options={"squall.a": "env", "squall.b": "env", "topology.workers": 9},
                         options={"squall.c": "cli"}, ackers=0)
    assert conf["squall.a"] == "topology" and conf["squall.b"] == "env" and conf["squall.c"] == "cli"
    assert conf["topology.workers"] == 3
    assert conf["topology.acker.executors"] == 0
    assert conf["topology.subprocess.timeout.secs"] == DEFAULT_CONF["topology.subprocess.timeout.secs"]
    assert topology_conf(Every.model, workers=5)["topology.workers"] == 5
    assert "topology.multilang.serializer" not in conf


def test_json_value_classes_are_added_to_user_kryo_registrations():
    conf = topology_conf(Every.model, options={"topology.kryo.register": ["com.example.Point"]})
    assert conf["topology.kryo.register"] == ["com.example.Point", *JSON_VALUE_CLASSES]


def test_msgpack_selects_squalls_java_serializer():
    conf = topology_conf(Every.model, serializer="msgpack")
    assert conf["topology.multilang.serializer"] == MSGPACK_SERIALIZER_CLASS
    assert conf_serializer(conf) == "msgpack"


def test_the_conf_can_select_either_serializer_over_the_environment():
    conf = topology_conf(Every.model, options={"topology.multilang.serializer": MSGPACK_SERIALIZER_CLASS})
    assert conf_serializer(conf) == "msgpack"
    fallback = topology_conf(Every.model, serializer="msgpack",
                             options={"topology.multilang.serializer": JSON_SERIALIZER_CLASS})
    assert conf_serializer(fallback) == "json"
    assert conf_serializer(topology_conf(Every.model)) == "json"


def test_a_users_own_java_serializer_is_kept_for_msgpack():
    conf = topology_conf(Every.model, serializer="msgpack",
                         options={"topology.multilang.serializer": "com.example.MsgpackSerializer"})
    assert conf["topology.multilang.serializer"] == "com.example.MsgpackSerializer"
    assert conf_serializer(conf) == "msgpack"


def test_a_foreign_java_serializer_with_json_components_is_refused():
    with pytest.raises(ConfigError, match="topology.multilang.serializer = 'com.example.X' but the "
                                          "components speak JSON; set the environment's serializer"):
        topology_conf(Every.model, options={"topology.multilang.serializer": "com.example.X"})


def test_conf_must_be_json():
    with pytest.raises(ConfigError, match="topology conf is not JSON-serializable"):
        topology_conf(Every.model, options={"squall.x": object()})


def test_the_topology_round_trips_through_the_binary_protocol():
    """What Nimbus receives: the struct as Thrift's binary protocol encodes it."""
    from thriftpy2.protocol import TBinaryProtocolFactory
    from thriftpy2.utils import deserialize, serialize

    from squall.storm._thrift import storm_thrift

    topology = storm_topology(Every.model, "/opt/py", SCRIPTS)
    data = serialize(topology, TBinaryProtocolFactory())
    assert deserialize(storm_thrift().StormTopology(), data, TBinaryProtocolFactory()) == topology
