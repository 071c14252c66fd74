"""Invalid topologies fail when the class is defined, with a message naming the fix."""

import re

import pytest

from squall import Bolt, Grouping, Spout, Stream, Topology, TopologyError

from tests.topology.components import CountBolt, LineSpout, SinkBolt, SplitBolt


def raises(pattern: str):
    return pytest.raises(TopologyError, match=re.escape(pattern))


def test_no_spout():
    with raises("Topology T has no spout: every topology needs one, e.g. lines = LineSpout.spec()"):
        class T(Topology):
            pass


def test_unknown_source():
    elsewhere = LineSpout.spec()
    with raises("component 'sink' reads from 'LineSpout.spec()', which is not a component of this topology"):
        class T(Topology):
            lines = LineSpout.spec()
            sink = SinkBolt.spec(inputs=[elsewhere])


def test_duplicate_names():
    with raises("duplicate component id 'x' (attributes 'a' and 'b')"):
        class T(Topology):
            a = LineSpout.spec(name="x")
            b = LineSpout.spec(name="x")


def test_same_spec_twice():
    with raises("the same spec is assigned to both 'a' and 'b'"):
        class T(Topology):
            a = LineSpout.spec()
            b = a


def test_reserved_component_name():
    with raises("component id '__acker' is reserved"):
        class T(Topology):
            lines = LineSpout.spec(name="__acker")


def test_reserved_stream_name():
    class Bad(Bolt):
        outputs = [Stream(["x"], name="__tick")]

    with raises("stream id '__tick' is reserved"):
        class T(Topology):
            lines = LineSpout.spec()
            bad = Bad.spec(inputs=[lines])


def test_fields_grouping_on_undeclared_field():
    with raises("Grouping.fields('wrd') uses field(s) ['wrd'] that stream 'default' does not declare (fields: ['word'])"):
        class T(Topology):
            lines = LineSpout.spec()
            split = SplitBolt.spec(inputs=[lines])
            count = CountBolt.spec(inputs={split: Grouping.fields("wrd")})


def test_direct_grouping_on_non_direct_stream():
    with raises("Grouping.DIRECT needs a direct stream; declare it as Stream(['line'], name='default', direct=True)"):
        class T(Topology):
            lines = LineSpout.spec()
            sink = SinkBolt.spec(inputs={lines: Grouping.DIRECT})


def test_direct_stream_read_without_direct_grouping():
    with raises("stream 'direct' is direct, so it must be read with Grouping.DIRECT"):
        class T(Topology):
            lines = LineSpout.spec()
            split = SplitBolt.spec(inputs=[lines])
            sink = SinkBolt.spec(inputs=[split["direct"]])


def test_par_below_one():
    with raises("component 'lines': par must be >= 1, got 0"):
        class T(Topology):
            lines = LineSpout.spec(par=0)


def test_par_not_an_int():
    with raises("LineSpout.spec(): par must be an integer >= 1, got '2'"):
        LineSpout.spec(par="2")


def test_spout_given_inputs():
    with raises("component 'b' is a spout and cannot have inputs: remove inputs=..."):
        class T(Topology):
            a = LineSpout.spec()
            b = LineSpout.spec(inputs=[a])


def test_bolt_without_inputs():
    with raises("component 'sink' is a bolt without inputs"):
        class T(Topology):
            lines = LineSpout.spec()
            sink = SinkBolt.spec()


def test_class_used_without_spec():
    with raises("T.sink = SinkBolt: a component class must be wired with .spec(), e.g. sink = SinkBolt.spec(par=1)"):
        class T(Topology):
            lines = LineSpout.spec()
            sink = SinkBolt


def test_unknown_stream_of_source():
    with raises("'lines' declares no stream 'errors' (declared: 'default'); add it to LineSpout.outputs"):
        class T(Topology):
            lines = LineSpout.spec()
            sink = SinkBolt.spec(inputs=[lines["errors"]])


def test_grouping_must_be_a_grouping():
    with raises("the grouping for input 'LineSpout.spec()' must be a Grouping"):
        lines = LineSpout.spec()
        SinkBolt.spec(inputs={lines: "shuffle"})


def test_input_given_as_class():
    with raises("input <class 'tests.topology.components.LineSpout'> is not a component spec"):
        SinkBolt.spec(inputs=[LineSpout])


def test_outputs_as_string():
    class Oops(Spout):
        outputs = "word"

    with raises("Oops.outputs must be a list of field names or Stream objects, got the string 'word'"):
        Oops.spec()


def test_invalid_topology_name():
    with raises("name 'a.b' is not a valid Storm topology name"):
        class T(Topology):
            name = "a.b"
            lines = LineSpout.spec()


def test_fields_grouping_needs_names():
    with raises("Grouping.fields() needs at least one field name"):
        Grouping.fields()


def test_unknown_par_override():
    class T(Topology):
        lines = LineSpout.spec()

    with raises("parallelism override nope=2: topology 'T' has no component 'nope'"):
        T.model.with_par({"nope": 2})


def test_duplicate_subscription():
    with raises("is subscribed twice"):
        class T(Topology):
            lines = LineSpout.spec()
            split = SplitBolt.spec(inputs={lines: Grouping.SHUFFLE, lines["default"]: Grouping.ALL})
