"""emit_many on bolts and spouts: streamparse's batch emit, the same as one emit per tuple."""

import pytest

from squall import Bolt, ReliableSpout, Spout, Stream
from squall.errors import TopologyError
from squall.testing import BoltHarness, Emission, RecordingHost

from tests.api.fakes import prepared, tup


class Split(Bolt):
    outputs = ["word", Stream(["n", "word"], name="numbered")]

    def process(self, t):
        words = t.values[0].split()
        self.emit_many([[w] for w in words])
        self.emit_many([(i, w) for i, w in enumerate(words)], stream="numbered")


def test_bolt_emit_many_is_emit_per_tuple_auto_anchored():
    bolt = BoltHarness(Split)
    result = bolt.process(["a b c"])
    assert result.emitted == {"default": [("a",), ("b",), ("c",)], "numbered": [(0, "a"), (1, "b"), (2, "c")]}
    assert [e.anchors for e in result.emissions] == [(result.input.id,)] * 6
    assert result.input_acked


def test_bolt_emit_many_explicit_anchors_direct_task_and_task_ids():
    bolt, host = prepared(Bolt, outputs={"default": ["x"]}, host=RecordingHost(on_emit=lambda *emit: [3]))
    assert bolt.emit_many([[1], [2]], anchors=[tup("in", 0), "other"], need_task_ids=True) == [[3], [3]]
    assert host.emissions == [Emission("default", (1,), anchors=("in", "other")),
                              Emission("default", (2,), anchors=("in", "other"))]
    assert bolt.emit_many([[4]]) is None  # outside process(): unanchored, no task ids asked
    assert host.emissions[-1] == Emission("default", (4,))


def test_bolt_emit_many_goes_through_an_overridden_emit():
    class Tagging(Bolt):
        outputs = ["x"]

        def emit(self, values, stream=None, anchors=None, direct_task=None, need_task_ids=False):
            return super().emit([f"tagged {values[0]}"], stream, anchors, direct_task, need_task_ids)

    bolt, host = prepared(Tagging)
    bolt.emit_many([["a"], ["b"]])
    assert [e.values for e in host.emissions] == [("tagged a",), ("tagged b",)]


def test_bolt_emit_many_bad_tuple_raises_after_the_good_ones():
    bolt, host = prepared(Bolt, outputs={"default": ["x"]})
    with pytest.raises(TopologyError, match=r"c: emit of 2 value\(s\) on stream 'default', which declares 1 field"):
        bolt.emit_many([[1], [2, 3], [4]])
    assert [e.values for e in host.emissions] == [(1,)]


def test_emit_many_refuses_what_is_not_a_list_of_tuples():
    bolt, _ = prepared(Bolt, outputs={"default": ["x"]})
    with pytest.raises(TypeError, match=r"c: emit_many\(\) takes a list of value lists, got str; "
                                        r"e.g. emit_many\(\[\[1\], \[2\]\]\)"):
        bolt.emit_many("abc")
    spout, _ = prepared(Spout, outputs={"default": ["x"]})
    with pytest.raises(TypeError, match=r"emit_many\(\) takes a list of value lists, got int"):
        spout.emit_many(5)


def test_spout_emit_many_with_ids_and_task_ids():
    host = RecordingHost(on_emit=lambda *emit: [4])
    spout, _ = prepared(Spout, outputs={"default": ["n"]}, host=host)
    assert spout.emit_many([[1], [2]], tup_ids=[10, 20], need_task_ids=True) == [[4], [4]]
    spout.emit_many([[3]])
    assert host.emissions == [Emission("default", (1,), tup_id=10), Emission("default", (2,), tup_id=20),
                              Emission("default", (3,))]


def test_spout_emit_many_needs_one_id_per_tuple():
    spout, host = prepared(Spout, outputs={"default": ["n"]})
    with pytest.raises(TopologyError, match=r"c: emit_many\(\) of 2 tuple\(s\) got 1 tup_ids; "
                                            r"give a list of one id per tuple, or None"):
        spout.emit_many([[1], [2]], tup_ids=[1])
    with pytest.raises(TopologyError, match=r"c: emit_many\(\) of 1 tuple\(s\) got int"):
        spout.emit_many([[1]], tup_ids=7)
    assert host.emissions == []


def test_reliable_spout_emit_many_remembers_each_for_replay():
    class Numbers(ReliableSpout):
        outputs = ["n"]

    spout, host = prepared(Numbers, outputs={"default": ["n"]})
    spout.emit_many([[1], [2]], tup_ids=["a", "b"])
    spout.fail("b")
    spout._squall_next_tuple()
    assert [(e.values, e.tup_id) for e in host.emissions] == [((1,), "a"), ((2,), "b"), ((2,), "b")]


class LoopingHost(RecordingHost):
    """A host with emit_many (as the engine has): emits while each tuple is a list of ``size`` values."""

    def __init__(self):
        super().__init__(component="c", output_fields={"default": ("x",)})
        self.calls = []

    def emit_many(self, stream, tuples, size, anchors, direct_task):
        self.calls.append(len(tuples))
        count = 0
        for values in tuples:
            if type(values) is not list or len(values) != size:
                break
            self.emit(stream, values, anchors, None, direct_task, False)
            count += 1
        return count


def test_a_host_loop_gets_the_batch_and_python_checks_what_stops_it():
    host = LoopingHost()
    bolt, _ = prepared(Bolt, outputs={"default": ["x"]}, host=host)
    bolt.emit_many([[1], (2,), [3], [4]])  # the tuple (2,) is converted, as emit converts it
    assert [e.values for e in host.emissions] == [(1,), (2,), (3,), (4,)]
    assert host.calls == [4, 2]
    with pytest.raises(TopologyError, match=r"emit of 2 value\(s\) on stream 'default'"):
        bolt.emit_many([[5], [6, 7], [8]])
    assert [e.values for e in host.emissions][-1] == (5,)
    bolt.emit_many([[9]], need_task_ids=True)  # task ids asked: one emit per tuple
    assert host.calls == [4, 2, 3]
