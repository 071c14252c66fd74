"""The compiled hot path (squall.engine._speedups) against its pure-Python twin (_hotpath).

Each function gets the same inputs in both implementations and must leave the same
state and return the same result; a real run per implementation checks the switch.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter, namedtuple
from pathlib import Path
from typing import Any

import pytest

from squall import Bolt, Grouping, Spout, Topology
from squall.api import Tuple
from squall.engine import _hotpath, run_local
from squall.engine._acking import TASK_BITS
from tests.engine.conftest import BOTH, compiled
from squall.engine._routing import key_hash
from tests.engine.test_collector import Rec, Src, hosts, root



def test_the_compiled_hot_path_is_built_where_a_c_compiler_exists() -> None:
    import shutil

    if shutil.which("cc") or shutil.which("gcc"):
        assert _hotpath.compiled_available(), (
            "squall.engine._speedups is not built although a C compiler exists: run `pip install -e .` "
            "(it builds the extension in place)")


def test_the_switch_picks_the_implementation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_hotpath.PURE_PYTHON_ENV, "1")
    assert _hotpath.implementation() is _hotpath
    monkeypatch.setenv(_hotpath.PURE_PYTHON_ENV, "0")
    expected = "squall.engine._speedups" if _hotpath.compiled_available() else "squall.engine._hotpath"
    assert _hotpath.implementation().__name__ == expected


def test_the_record_width_is_the_transports() -> None:
    from squall.engine._transport import RECORD_WIDTH

    assert _hotpath.RECORD_WIDTH == RECORD_WIDTH == 4  # also hard-coded in speedups_c/speedups.h


def _entries(rng: random.Random) -> dict[int, Any]:
    inputs: dict[int, Any] = {}
    for handle in range(1, 200):
        r = (rng.randrange(1, 8) << TASK_BITS) | rng.randrange(3)
        kind = handle % 3
        if kind == 0:
            inputs[handle] = (r, rng.getrandbits(64) | 1)
        elif kind == 1:  # anchored to: a list whose value has children's edges XORed in
            inputs[handle] = [r, rng.getrandbits(64)]
        else:  # several roots
            inputs[handle] = [[r, rng.getrandbits(64) | 1, r + 1, rng.getrandbits(64) | 1], rng.getrandbits(64)]
    return inputs


@compiled
@pytest.mark.parametrize("seed", range(5))
def test_xor_acks_matches_its_twin(seed: int) -> None:
    from squall.engine import _speedups  # type: ignore[attr-defined]

    rng = random.Random(seed)
    ids: list[Any] = [*rng.sample(range(1, 200), 150), -4, None, 10_000, "nope", True, 1 << 70]
    results = []
    for module in (_hotpath, _speedups):
        inputs, acks = _entries(random.Random(seed)), {7 << TASK_BITS: 99}
        unknown = module.xor_acks(inputs, acks, ids)
        results.append((unknown, inputs, acks))
    assert results[0] == results[1]
    assert results[0][0] == 10_000  # the first id that is neither an input, None, nor negative


@compiled
@pytest.mark.parametrize("seed", range(5))
def test_xor_acks_folds_runs_of_one_root_as_its_twin(seed: int) -> None:
    """A count bolt's batch: runs of inputs of one 64-bit root (equal ints, not one object), some with several roots."""
    from squall.engine import _speedups  # type: ignore[attr-defined]

    rng = random.Random(seed)
    roots = [rng.getrandbits(64) | (1 << 63) if i % 2 else rng.getrandbits(40) for i in range(6)]

    def inputs() -> dict[int, Any]:
        entries: dict[int, Any] = {}
        r = random.Random(seed)
        for handle in range(1, 300):
            root = roots[(handle // r.randrange(1, 6)) % len(roots)]
            if handle % 17 == 0:
                entries[handle] = [[int(str(root)), r.getrandbits(64), roots[0], r.getrandbits(64)], r.getrandbits(64)]
            else:
                entries[handle] = (int(str(root)), r.getrandbits(64))  # a new int object per entry, as decoded
        return entries

    ids = list(range(1, 300))
    results = []
    for module in (_hotpath, _speedups):
        acks = {roots[0]: 5}
        results.append((module.xor_acks(inputs(), acks, ids), acks))
    assert results[0] == results[1]


@compiled
def test_xor_acks_keeps_what_it_folded_before_an_error_as_its_twin() -> None:
    from squall.engine import _speedups  # type: ignore[attr-defined]

    results = []
    for module in (_hotpath, _speedups):
        acks: dict[int, int] = {}
        with pytest.raises(TypeError):
            module.xor_acks({1: (1 << 63, 3), 2: (1 << 63, 5), 3: (1 << 63, "v")}, acks, [1, 2, 3])
        results.append(acks)
    assert results[0] == results[1] == {1 << 63: 6}


@compiled
def test_uniform_tuples_match_their_twin_and_refuse_mixed_batches() -> None:
    from squall.engine import _speedups  # type: ignore[attr-defined]

    values_class = namedtuple("Values", ["word", "n"])
    good = [0, ["a", 1], 5, 6, 0, ["b", 2], [5, 1, 9, 2], 0]
    untracked = [0, ["a", 1], None, 0, 0, ["b", 2], None, 0]
    not_uniform = [
        [],
        [0, ["a", 1], 5, 6, 1, ["b", 2], 5, 6],  # two streams
        [0, ["a", 1], None, 0, 0, ["b", 2], 5, 6],  # tracked and untracked
        [0, ["a"], 5, 6],  # values that do not fit the fields
    ]
    for records in [good, untracked, *not_uniform]:
        out = []
        for module in (_hotpath, _speedups):
            inputs: dict[int, Any] = {}
            tuples = module.uniform_tuples(inputs, 11, records, "split", "default", 3, values_class, 2, Tuple)
            out.append((tuples, inputs, None if tuples is None else [type(t.values) for t in tuples]))
        assert out[0] == out[1]
        assert (out[0][0] is not None) == (records is good or records is untracked)
        if records is untracked:
            assert [t.id for t in out[0][0]] == [-11, -12] and out[0][1] == {}  # nothing to ack
    tuples = _speedups.uniform_tuples({}, 11, good, "split", "default", 3, values_class, 2, Tuple)
    assert tuples[1].values.word == "b" and tuples[1].id == 12 and type(tuples[1]) is Tuple


def test_bolt_emit_keeps_the_xor_invariant(impl: Any, tmp_path: Any) -> None:
    """Anchored emits: the input's entry XOR the children's edges is what its ack sends."""
    h = hosts(tmp_path)
    rec, src = h["rec"], h["src"].task_id
    assert type(rec.emit).__module__ == impl.__name__ or impl is _hotpath
    rec._process_batch(src, [1, ["b", "c"], root(1, src), 5, 1, ["d", "e"], root(2, src), 6])
    records = rec.collector.ports[h["sink"].task_id].records
    edges = {records[i + 2]: records[i + 3] for i in range(0, len(records), 4)}
    assert [records[i + 1] for i in range(0, len(records), 4)] == [["b"], ["d"]]
    assert rec.collector.acks == {root(1, src): 5 ^ edges[root(1, src)], root(2, src): 6 ^ edges[root(2, src)]}
    assert all(edge & 1 for edge in edges.values())  # an edge is never 0
    rec._process_batch(src, [1, ["f", "g"], None, 0])  # an untracked input: its children are untracked
    assert records[-4:] == [0, ["f"], None, 0] and rec.collector.inputs == {}
    assert rec.emit("default", ["x"], (), None, None, True) == [h["sink"].task_id]  # unanchored: the slow path
    assert records[-2:] == [None, 0]
    assert rec.emit(stream="default", values=["y"], anchors=(), tup_id=None, direct_task=None,
                    need_task_ids=False) is None  # keyword calls work too


class KeyedByX(Topology):
    src = Src.spec()
    rec = Rec.spec(inputs={src: Grouping.SHUFFLE, src["other"]: Grouping.SHUFFLE})
    sink = Bolt.spec(inputs={rec: Grouping.fields("x")}, par=3)


def test_a_fields_grouping_sends_each_key_to_the_task_of_its_key_hash(impl: Any, tmp_path: Any) -> None:
    """The compiled emit hashes str keys inline (CRC-32 of the UTF-8): the same task as key_hash's rule."""
    rng = random.Random(5)
    keys: list[Any] = ["", "a", "word", "naïve", "日本語", "🙂 emoji", "x" * 300, "\ud800 lone surrogate", 7, None, 2.5]
    keys += ["".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(128, 0x2FFF)])) for _ in range(rng.randrange(12)))
             for _ in range(40)]
    h = hosts(tmp_path, KeyedByX)
    rec, src = h["rec"], h["src"].task_id
    rec.collector.inputs[7] = (root(1, src), 5)
    anchors = (7,)
    for key in keys:
        rec.emit("default", [key], anchors, None, None, False)
    sinks = KeyedByX.model.task_ids()["sink"]
    sent = {(task, repr(port.records[i + 1][0])) for task, port in rec.collector.ports.items()
            for i in range(0, len(port.records), 4)}
    assert sent == {(sinks[key_hash([key], (0,)) % len(sinks)], repr(key)) for key in keys}
    assert len({task for task, _ in sent}) == 3


class Lines(Spout):
    outputs = ["line"]

    def initialize(self, conf: Any, context: Any) -> None:
        self.left = [f"a b c {i % 7}" for i in range(300)]

    def next_tuple(self) -> None:
        if self.left:
            self.emit([self.left.pop()], tup_id=len(self.left))


class Split(Bolt):
    outputs = ["word"]

    def process(self, tup: Any) -> None:
        for word in tup.values.line.split():
            self.emit([word])


class Count(Bolt):
    outputs = ["word", "n"]

    def initialize(self, conf: Any, context: Any) -> None:
        self.counts: Counter[str] = Counter()
        self.out = Path(conf["test.dir"]) / f"count-{context.task_id}.json"

    def process(self, tup: Any) -> None:
        self.counts[tup.values.word] += 1
        self.out.write_text(json.dumps(self.counts))


class Words(Topology):
    lines = Lines.spec()
    split = Split.spec(inputs={lines: Grouping.SHUFFLE}, par=2)
    count = Count.spec(inputs={split: Grouping.fields("word")}, par=2)


@pytest.mark.parametrize("which", BOTH)
def test_a_word_count_completes_every_tree_on_each_implementation(which: str, opts: dict[str, Any], tmp_path: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    if which == "pure":
        monkeypatch.setenv(_hotpath.PURE_PYTHON_ENV, "1")
    result = run_local(Words, until_idle=True, idle_secs=0.5, options=opts, log_dir=tmp_path / "logs")
    assert result["lines"].acked == 300 and result["lines"].failed == 0
    counts: Counter[str] = Counter()
    for path in Path(opts["test.dir"]).glob("count-*.json"):
        counts.update(json.loads(path.read_text()))
    assert counts == Counter({"a": 300, "b": 300, "c": 300, **{str(i): len(range(i, 300, 7)) for i in range(7)}})


def test_bolt_emit_many_emits_until_a_tuple_to_check(impl: Any, tmp_path: Any) -> None:
    h = hosts(tmp_path)
    rec = h["rec"]
    assert rec.emit_many("default", [["a"], ["b"], ("c",), ["d"]], 1, (), None) == 2  # a tuple: Python converts it
    assert rec.emit_many("default", (["d"], ["e", "f"]), 1, (), None) == 1  # a wrong size: Python raises
    assert rec.emit_many("default", [], 1, (), None) == 0
    records = rec.collector.ports[h["sink"].task_id].records
    assert records == [0, ["a"], None, 0, 0, ["b"], None, 0, 0, ["d"], None, 0]


def test_a_bolts_emit_runs_its_common_call_compiled_and_the_rest_in_python(impl: Any, tmp_path: Any) -> None:
    import threading

    from squall.errors import TopologyError

    h = hosts(tmp_path)
    rec, src, sink = h["rec"], h["src"].task_id, h["sink"].task_id
    bolt = rec.instance
    assert ("emit" in vars(bolt)) == (impl is not _hotpath)  # compiled: installed on the instance
    bolt._squall_anchors, bolt._squall_anchor_thread = (7,), threading.get_ident()
    rec.collector.inputs[7] = (root(1, src), 5)
    bolt.emit(["a"])  # the common call: anchored to the current input
    records = rec.collector.ports[sink].records
    assert records[-4] == 0 and records[-3] == ["a"] and records[-2] == root(1, src)
    worker = threading.Thread(target=bolt.emit, args=(["b"],))  # another thread: not anchored
    worker.start()
    worker.join(10)
    assert records[-4:] == [0, ["b"], None, 0]
    bolt.emit(("c",))  # not a list: converted by Bolt.emit
    bolt.emit(["d"], anchors=[])  # keywords: Bolt.emit
    assert [records[i] for i in range(len(records) - 7, len(records), 4)] == [["c"], ["d"]]
    with pytest.raises(TopologyError, match=r"emit of 2 value\(s\) on stream 'default'"):
        bolt.emit(["e", "f"])


def test_an_emit_from_a_user_thread_takes_the_lock_and_wakes_the_task(impl: Any, tmp_path: Any) -> None:
    import threading

    h = hosts(tmp_path)
    rec = h["rec"]
    rec._wake_pending = False
    rec.collector.lock.acquire()  # held by "another thread": the emit must wait for it
    worker = threading.Thread(target=rec.emit, args=("default", ["t"], (), None, None, False))
    worker.start()
    worker.join(0.2)
    assert worker.is_alive()
    rec.collector.lock.release()
    worker.join(10)
    assert not worker.is_alive()
    assert rec.collector.ports[h["sink"].task_id].records[-4:] == [0, ["t"], None, 0]
    assert rec._wake_pending  # the main loop is told


def _plain_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(12 if depth < 3 else 8)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:  # every msgpack int width, both signs
        return rng.choice([1, -1]) * (rng.getrandbits(rng.choice([3, 5, 7, 8, 15, 16, 31, 32, 63])))
    if kind == 2:
        return rng.choice([0, 2**64 - 1, -(2**63), 2**63, 127, 128, -32, -33, 255, 256, 65535, 65536])
    if kind == 3:
        return rng.uniform(-1e300, 1e300)
    if kind in (4, 5):  # every str header width, multi-byte UTF-8
        return rng.choice("ab€😀\x00") * rng.choice([0, 1, 31, 32, 255, 256, 70000])
    if kind == 6:
        return rng.randbytes(rng.choice([0, 1, 255, 256, 70000]))
    if kind == 7:
        return rng.choice(["word", "", "x" * 40])
    if kind in (8, 9):
        items = [_plain_value(rng, depth + 1) for _ in range(rng.choice([0, 1, 15, 16, 17]))]
        return items if kind == 8 else tuple(items)
    return {str(i): _plain_value(rng, depth + 1) for i in range(rng.choice([0, 1, 15, 16, 17]))}


@compiled
@pytest.mark.parametrize("seed", range(20))
def test_pack_batch_decodes_to_what_msgpack_packs(seed: int) -> None:
    from squall.engine import _speedups  # type: ignore[attr-defined]
    from squall.engine._transport import make_packer, unpack

    rng = random.Random(seed)
    records: list[Any] = []
    for _ in range(rng.randrange(1, 40)):
        records += (rng.randrange(3), [_plain_value(rng) for _ in range(rng.randrange(4))], rng.getrandbits(62), rng.getrandbits(64))
    data = _speedups.pack_batch(0, 7, records)
    assert data is not None
    assert unpack(data) == unpack(make_packer()((0, 7, records)))


@compiled
def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1, "\udc80", {1, 2}, bytearray(b"x"), object(), _nested(100)],
                         ids=["uint64+1", "int64-1", "surrogate", "set", "bytearray", "object", "deep"])
def test_pack_batch_leaves_other_values_to_msgpack(value: Any) -> None:
    from squall.engine import _speedups  # type: ignore[attr-defined]

    assert _speedups.pack_batch(0, 7, [0, ["ok", value], 5, 6]) is None


@compiled
@pytest.mark.parametrize("seed", range(10))
def test_decode_batch_builds_what_the_general_path_builds(seed: int, tmp_path: Any) -> None:
    from squall.engine import _speedups  # type: ignore[attr-defined]
    from squall.engine._transport import make_packer, unpack

    h = hosts(tmp_path)
    rec, src = h["rec"], h["src"].task_id
    rec._source(src)
    rng = random.Random(seed)
    records: list[Any] = []
    for _ in range(rng.randrange(1, 30)):
        sidx = rng.randrange(2)
        values = [_plain_value(rng) for _ in range(rng.choice([1, 2, 2, 3]))]
        tree = rng.choice([None, root(rng.randrange(1, 99), src), [root(1, src), 5, root(2, src), 6]])
        records += (sidx, values, tree, 0 if tree is None else rng.getrandbits(64))
    data = make_packer()((0, src, records))
    fast = _speedups.decode_batch(data, rec._sources, rec.collector.inputs, 1, Tuple)
    fast_inputs, rec.collector.inputs = rec.collector.inputs, {}
    general = rec._tuples(*unpack(data)[1:])
    assert fast is not None and fast[0] == src
    assert fast[1] == general and [type(t.values) for t in fast[1]] == [type(t.values) for t in general]
    assert fast_inputs == rec.collector.inputs


@compiled
def test_decode_batch_leaves_other_messages_to_the_general_path(tmp_path: Any) -> None:
    from squall.engine import _speedups  # type: ignore[attr-defined]
    from squall.engine._transport import ACKS, make_packer

    h = hosts(tmp_path)
    rec, src = h["rec"], h["src"].task_id
    pack = make_packer()
    good = [0, ["x"], root(1, src), 5]
    rec.collector.inputs = {}
    assert _speedups.decode_batch(pack((0, src, good)), rec._sources, rec.collector.inputs, 1, Tuple) is None  # no table yet
    rec._source(src)
    for message in [(0, src, good + [0, [complex(1, 2)], root(2, src), 6]),  # a pickled value (ext type) after a good record
                    (ACKS, src, [root(1, src), 5], []),
                    (0, src, good + [9, ["x"], None, 0])]:  # a stream index the source does not have
        assert _speedups.decode_batch(pack(message), rec._sources, rec.collector.inputs, 1, Tuple) is None
        assert rec.collector.inputs == {}  # nothing registered when it gives up
    bad_utf8 = pack((0, src, good)).replace(b"\xa1x", b"\xa1\xff")
    assert _speedups.decode_batch(bad_utf8, rec._sources, rec.collector.inputs, 1, Tuple) is None and rec.collector.inputs == {}


def test_spout_emit_starts_one_tree_per_tracked_tuple(impl: Any, tmp_path: Any) -> None:
    h = hosts(tmp_path)
    spout, rec = h["src"], h["rec"].task_id
    pending = spout.collector.tracker.pending
    assert spout.emit("default", ["a"], (), "m1", None, True) == [rec]
    assert spout.emit("default", ["b"], (), None, None, False) is None  # untracked: no tree
    assert spout.emit("other", ["c", "d"], (), "m2", None, False) is None
    records = spout.collector.ports[rec].records
    assert [records[i + 1] for i in range(0, len(records), 4)] == [["a"], ["b"], ["c", "d"]]
    assert records[4:8] == [0, ["b"], None, 0] and records[8] == 1  # the stream's index on the wire
    roots = [records[2], records[10]]
    assert [root & 0xFFFF for root in roots] == [spout.task_id] * 2 and roots[0] != roots[1]
    assert {r: pending[r][:2] for r in roots} == {roots[0]: [records[3], "m1"], roots[1]: [records[11], "m2"]}
    assert all(edge & 1 for edge in (records[3], records[11])) and spout.collector.emit_calls == 3
    assert pending[roots[0]][2] <= time.monotonic() < pending[roots[0]][2] + 60  # started on the tracker's clock


class _FakeCollector:
    """Just what the compiled emits read from a collector, to reach their internal errors."""

    def __init__(self) -> None:
        import threading

        self.lock = threading.Lock()
        self.main_thread = threading.get_ident()
        self._hot: Any = None
        self.emit_calls = 0

    def _heat(self, anchors: Any) -> Any:
        return None

    def _bolt_emit_slow(self, *args: Any) -> list[int]:
        return []

    def _new_port(self, task: int) -> Any:
        raise AssertionError("not reached")

    def _seal(self, port: Any) -> None:
        pass

    def _wake(self) -> None:
        pass


class _TuplePort:
    records = ()  # not a list


@compiled
def test_the_compiled_functions_name_what_is_wrong_with_their_arguments() -> None:
    from squall.engine import _speedups  # type: ignore[attr-defined]

    cases = [
        (lambda: _speedups.xor_acks([], {}, []), TypeError, r"xor_acks\(inputs: dict, acks: dict, ids\)"),
        (lambda: _speedups.xor_acks({1: "x"}, {}, [1]), TypeError, "malformed input entry$"),
        (lambda: _speedups.xor_acks({1: ("r", 5)}, {}, [1]), TypeError, "malformed input entry roots"),
        (lambda: _speedups.xor_acks({1: (5, "v")}, {}, [1]), TypeError, "expected an int"),
        (lambda: _speedups.uniform_tuples({}, 1, []), TypeError, r"uniform_tuples\(inputs, first, records"),
        (lambda: _speedups.uniform_tuples({}, 1, [], "c", "s", 1, dict, 1, Tuple), TypeError, "must be tuple subclasses"),
        (lambda: _speedups.pack_batch(0, 1, "x"), TypeError, r"pack_batch\(kind, src, records: list\)"),
        (lambda: _speedups.decode_batch(b"", [], {}, 1, Tuple), TypeError, r"decode_batch\(data, tables: dict"),
        (lambda: _speedups.BoltEmit(_FakeCollector(), {}, [], 4, b"short", None), ValueError, "seed of at least 32 bytes"),
        (lambda: _speedups.SpoutEmit(_FakeCollector(), {}, [], 4, bytes(32), None), TypeError, r"SpoutEmit\(collector"),
        (lambda: _speedups.AutoEmit.__new__(_speedups.AutoEmit)(["w"]), TypeError,
         r"AutoEmit\(component, host_emit, fallback, stream\) was not initialised"),
        (lambda: _speedups.SpoutEmit(_FakeCollector(), {}, [], 4, bytes(32), None, {}, 1 << 16), ValueError,
         "task id must fit the root's 16 low bits"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()
    collector = _FakeCollector()
    emit = _speedups.BoltEmit(collector, {"default": (0, lambda values: 0, -1, {}, ())}, [_TuplePort()], 4, bytes(32), None)
    with pytest.raises(TypeError, match=r"Collector._hot must be a pair"):
        emit("default", ["w"], (1,), None, None, False)
    anchors = (1,)
    collector._hot = (anchors, [5, 0])
    with pytest.raises(TypeError, match="OutPort.records must be a list"):
        emit("default", ["w"], anchors, None, None, False)
    assert not collector.lock.locked()  # released on the error
    with pytest.raises(TypeError, match=r"many\(stream, tuples: list \| tuple, size, anchors, direct_task\)"):
        emit.many("default", "not a list", 1, (), None)
    spout_emit = _speedups.SpoutEmit(collector, {"default": (0, lambda values: 0, -1, {}, ())}, [_TuplePort()], 4,
                                     bytes(32), None, {}, 1)
    with pytest.raises(TypeError, match="OutPort.records must be a list"):
        spout_emit("default", ["w"], (), "id", None, False)
