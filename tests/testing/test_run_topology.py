from collections import Counter

import pytest

from squall.errors import ComponentCrashed, TopologyError
from squall.testing import InProcessRunner, feed_spouts, run_topology
from tests.testing.topologies import Batched, Crashy, Groupings, Held, Lenient, Replays, WordCount

LINES = [("a b a",), ("b",), ("",)]


def test_wordcount_emits_acks_and_is_reproducible():
    result = run_topology(WordCount, {"lines": LINES})
    assert result.idle and result.engine == "inprocess"
    assert result.values("lines") == LINES
    assert sorted(result.values("split")) == [("a",), ("a",), ("b",), ("b",)]
    assert result.values("split", "empty") == [("",)]
    final = {}
    for word, count in result.values("count"):
        final[word] = max(final.get(word, 0), count)
    assert final == {"a": 2, "b": 2}
    assert result.acked == {"lines": [0, 1, 2]} and result.failed == {} and result.pending == {}
    assert run_topology(WordCount, {"lines": LINES}).emitted == result.emitted


def test_values_of_a_misspelt_component_or_stream_is_an_error_not_an_empty_list():
    result = run_topology(WordCount, {"lines": LINES})
    with pytest.raises(KeyError, match=r"no component 'cout'; its components are count, lines, split"):
        result.values("cout")
    with pytest.raises(KeyError, match=r"component 'split' declares no stream 'emtpy' \(declared: 'default', 'empty'\)"):
        result.values("split", "emtpy")


def test_dict_rows_and_per_stream_rows():
    result = run_topology(WordCount, {"lines": {"default": [{"line": "x"}]}})
    assert result.values("split") == [("x",)] and result.acked["lines"] == ["default:0"]


def test_bad_inputs_are_clear_errors():
    with pytest.raises(TopologyError, match=r"is not a spout of topology 'WordCount'; .*: lines"):
        run_topology(WordCount, {"split": []})
    with pytest.raises(TopologyError, match=r"row 0: 'a b' is not a tuple of values; write it as \('a b',\)"):
        run_topology(WordCount, {"lines": ["a b"]})
    with pytest.raises(TopologyError, match=r"row 1: 2 value\(s\)"):
        run_topology(WordCount, {"lines": [("a",), ("a", "b")]})
    with pytest.raises(ValueError, match="engine='storm'"):
        run_topology(WordCount, {}, engine="storm")


def test_crash_raises_by_default():
    with pytest.raises(ComponentCrashed, match=r"component 'check' \(task \d+\) raised ValueError: boom!"):
        run_topology(Crashy, {"lines": [("boom",)]})


def test_crash_recorded_fails_tree_and_restarts_task():
    result = run_topology(Crashy, {"lines": [("ok boom",), ("fine",)]}, raise_errors=False)
    assert result.failed == {"lines": [0]} and result.acked == {"lines": [1]}
    assert "ValueError: boom!" in result.errors["check"][0]
    assert result.values("check") == [("ok",), ("fine",)]


def test_exit_on_exception_false_keeps_task():
    result = run_topology(Lenient, {"lines": [("boom",), ("x",)]})
    assert result.failed == {"lines": [0]} and result.acked == {"lines": [1]}
    assert len(result.errors["check"]) == 1


def test_batching_bolt_gets_ticks_until_it_lets_go():
    result = run_topology(Batched, {"lines": [("a b a",)]})
    assert sorted(result.values("batch")) == [("a", 2), ("b", 1)]
    assert result.acked == {"lines": [0]} and result.pending == {}


def test_reliable_spout_replays_failed_tuples():
    result = run_topology(Replays, options={"numbers.limit": 3})
    assert result.acked["numbers"] == [0, 2]
    assert result.failed["numbers"] == [1, 1, 1]  # failed, replayed twice (max_fails=2), given up
    assert result.values("numbers") == [(0,), (1,), (1,), (1,), (2,)]  # fails come back first


def test_unacked_trees_are_pending():
    result = run_topology(Held, {"lines": [("x",)]})
    assert result.pending == {"lines": [0]} and result.acked == {}


def test_groupings_route_with_storm_task_ids():
    words = "a b c d e f a b".split()
    result = run_topology(Groupings, {"lines": [(" ".join(words),)]})
    ids = Groupings.model.task_ids()  # sorted component ids, counted from 1
    assert ids["by_word"] == [1, 2, 3] and ids["lines"] == [4] and ids["to_global"] == [15, 16, 17]

    def tasks_per_word(name):
        seen: dict[str, list[int]] = {}
        for word, task in result.values(name):
            seen.setdefault(word, []).append(task)
        return seen

    assert all(sorted(set(t)) == ids["to_all"] for t in tasks_per_word("to_all").values())
    assert len(result.values("to_all")) == 3 * len(words)
    assert {task for _, task in result.values("to_global")} == {15}
    assert all(len(set(t)) == 1 for t in tasks_per_word("by_word").values())
    assert len({t[0] for t in tasks_per_word("by_word").values()}) > 1
    assert all(len(set(t)) <= 2 for t in tasks_per_word("partial").values())
    assert Counter(task for _, task in result.values("shuffled")) == {8: 3, 9: 3, 10: 2}


def test_need_task_ids_and_fields_grouping_consistency():
    from squall import Bolt, Grouping, Topology
    from tests.testing.topologies import LineSpout

    got = []

    class Router(Bolt):
        outputs = ["word"]

        def process(self, tup):
            got.append((tup.values.line, tuple(self.emit([tup.values.line], need_task_ids=True))))

    class Sink(Bolt):
        outputs = []

    class T(Topology):
        lines = LineSpout.spec()
        route = Router.spec(inputs=[lines])
        sink = Sink.spec(inputs={route: Grouping.fields("word")}, par=4)

    run_topology(T, {"lines": [("a",), ("b",), ("a",), ("c",)]})
    by_word = {}
    for word, tasks in got:
        assert len(tasks) == 1 and tasks[0] in T.model.task_ids()["sink"]
        assert by_word.setdefault(word, tasks) == tasks


def test_par_and_options_overrides():
    result = run_topology(WordCount, {"lines": LINES}, par={"count": 1}, options={"x": 1})
    assert [c for _, c in result.values("count")] == [1, 1, 2, 2]


def test_stepwise_runner():
    runner = InProcessRunner(feed_spouts(Batched.model, {"lines": [("a",)]}))
    assert runner.step() is True
    assert runner.result.values("batch") == []
    runner.tick("batch")
    runner.drain()
    runner.tick("batch")
    runner.drain()
    assert runner.result.values("batch") == [("a", 1)]
    assert runner.result.acked == {"lines": [0]}
