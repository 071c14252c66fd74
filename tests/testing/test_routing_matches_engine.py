"""The in-process runner sends each key to the same task as the embedded engine."""

import random

from squall import Bolt, Grouping, Spout, Topology
from squall.engine._routing import Router as EngineRouter
from squall.engine._routing import subscriptions
from squall.testing._routing import Router as InProcessRouter


class Words(Spout):
    outputs = ["word", "n"]


class Sink(Bolt):
    pass


class Keyed(Topology):
    words = Words.spec()
    by_word = Sink.spec(inputs={words: Grouping.fields("word")}, par=3)
    by_pair = Sink.spec(inputs={words: Grouping.fields("word", "n")}, par=4)


def test_fields_grouping_picks_the_same_tasks_on_both_runners():
    model = Keyed.model
    task_ids = model.task_ids()
    engine = EngineRouter("words", subscriptions(model, task_ids, "words"), set(), random.Random(0))
    in_process = InProcessRouter(model)
    spout_task = task_ids["words"][0]
    keys = [[f"w{i}", i % 7] for i in range(300)] + [[1.5, 2], [None, 3], [("t", 1), 4]]
    chosen = set()
    for values in keys:
        expected = sorted(engine.route("default", values, None))
        got = sorted(task for _, task in in_process.route("words", spout_task, "default", values, None))
        assert got == expected, values
        chosen.update(got)
    assert chosen == set(task_ids["by_word"]) | set(task_ids["by_pair"])
