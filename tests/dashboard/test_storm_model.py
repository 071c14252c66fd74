"""The graph of a Storm topology: squall's own Thrift struct read back into a model."""

from __future__ import annotations

from squall import Bolt, Grouping, Spout, Stream, Topology
from squall.dashboard import model_from_storm
from squall.storm import storm_topology
from squall.topology._render import render_svg


class Words(Spout):
    outputs = ["word", Stream(["word", "n"], name="counted")]


class Upper(Bolt):
    outputs = ["word"]


class Sink(Bolt):
    pass


class Demo(Topology):
    words = Words.spec()
    upper = Upper.spec(inputs={words: Grouping.fields("word")}, par=2)
    keyed = Upper.spec(inputs={words: Grouping.partial_key("word")})
    sink = Sink.spec(inputs={upper: Grouping.GLOBAL, words["counted"]: Grouping.ALL, keyed: Grouping.SHUFFLE})


def _round_trip():
    model = Demo.model
    struct = storm_topology(model, "python3", {name: f"{name}.py" for name in model.components})
    return model, model_from_storm("Demo", struct)


def test_components_streams_and_par_survive_the_round_trip():
    model, back = _round_trip()
    assert list(back.components) == ["words", "keyed", "upper", "sink"]  # sources before consumers
    assert {n: c.kind for n, c in back.components.items()} == {n: c.kind for n, c in model.components.items()}
    assert back.components["upper"].par == 2
    assert back.components["words"].streams["counted"].fields == ("word", "n")


def test_groupings_read_back_as_users_write_them():
    _, back = _round_trip()
    inputs = {(i.source, i.stream, c.name): i.grouping for c in back.components.values() for i in c.inputs}
    assert inputs[("words", "default", "upper")] == Grouping.fields("word")
    assert inputs[("upper", "default", "sink")] == Grouping.GLOBAL
    assert inputs[("words", "counted", "sink")] == Grouping.ALL
    assert inputs[("keyed", "default", "sink")] == Grouping.SHUFFLE
    assert inputs[("words", "default", "keyed")] == Grouping.partial_key("word")  # Storm: the first field


def test_the_read_back_model_draws():
    _, back = _round_trip()
    svg = render_svg(back)
    for name in ("words", "upper", "keyed", "sink"):
        assert f'id="component-{name}"' in svg
