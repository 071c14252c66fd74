"""The Topology DSL: what a valid definition compiles to."""

from squall import Grouping, Stream, Topology
from squall.topology import BOLT, SPOUT, InputModel

from tests.topology.components import CountBolt, LineSpout, SinkBolt, SplitBolt


class WordCount(Topology):
    config = {"topology.message.timeout.secs": 30}
    lines = LineSpout.spec(par=1)
    split = SplitBolt.spec(inputs={lines: Grouping.SHUFFLE}, par=2)
    count = CountBolt.spec(inputs={split: Grouping.fields("word")}, par=2)
    errors = SinkBolt.spec(name="error-sink", inputs=[split["errors"]])


def test_attribute_names_become_component_ids_in_definition_order():
    assert list(WordCount.model.components) == ["lines", "split", "count", "error-sink"]


def test_kinds_par_and_class_paths():
    model = WordCount.model
    assert model.components["lines"].kind == SPOUT
    assert model.components["count"].kind == BOLT
    assert model.components["split"].par == 2
    assert model.components["split"].class_path == "tests.topology.components:SplitBolt"


def test_inputs_resolve_to_names_streams_and_groupings():
    model = WordCount.model
    assert model.components["count"].inputs == (InputModel("split", "default", Grouping.fields("word")),)
    assert model.components["error-sink"].inputs == (InputModel("split", "errors", Grouping.SHUFFLE),)


def test_streams_come_from_outputs():
    split = WordCount.model.components["split"]
    assert split.streams["default"] == Stream(["word"])
    assert split.streams["errors"].fields == ("line", "reason")
    assert split.streams["direct"].direct is True


def test_topology_config_and_name():
    assert WordCount.model.config == {"topology.message.timeout.secs": 30}
    assert WordCount.model.name == "WordCount"


def test_consumers_and_task_ids():
    model = WordCount.model
    assert [c.name for c, _ in model.consumers("split", "default")] == ["count"]
    # Storm's scheme: sorted component ids, consecutive ids from 1.
    assert model.task_ids() == {"count": [1, 2], "error-sink": [3], "lines": [4], "split": [5, 6]}


def test_with_par_and_with_config_return_copies():
    model = WordCount.model
    changed = model.with_par({"count": 4}).with_config({"my.key": "v"})
    assert changed.components["count"].par == 4
    assert changed.config["my.key"] == "v"
    assert model.components["count"].par == 2 and "my.key" not in model.config


def test_component_config_overrides_topology_config():
    class Ticking(Topology):
        config = {"a": 1, "b": 1}
        lines = LineSpout.spec()
        sink = SinkBolt.spec(inputs=[lines], config={"b": 2})

    assert Ticking.model.component_config("sink") == {"a": 1, "b": 2}


def test_all_groupings_accepted():
    class AllGroupings(Topology):
        lines = LineSpout.spec()
        split = SplitBolt.spec(inputs=[lines])
        a = SinkBolt.spec(inputs={lines: Grouping.LOCAL_OR_SHUFFLE})
        b = SinkBolt.spec(inputs={lines: Grouping.GLOBAL})
        c = SinkBolt.spec(inputs={lines: Grouping.ALL})
        d = SinkBolt.spec(inputs={lines: Grouping.NONE})
        e = SinkBolt.spec(inputs={split["direct"]: Grouping.DIRECT})
        f = SinkBolt.spec(inputs={split: Grouping.partial_key("word")})

    kinds = [c.inputs[0].grouping.kind for c in AllGroupings.model.bolts[1:]]
    assert kinds == ["local_or_shuffle", "global", "all", "none", "direct", "partial_key"]


def test_to_dict_is_plain_data():
    data = WordCount.model.to_dict()
    assert data["components"]["count"]["inputs"] == [
        {"source": "split", "stream": "default", "grouping": "fields", "fields": ["word"]}
    ]
    assert data["components"]["split"]["streams"]["direct"] == {"fields": ["word"], "direct": True}
