"""The one Router every host uses: each grouping kind, partial_key load, seeded shuffles."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from squall.engine._routing import Router, Subscription, partial_key_hashes
from squall.errors import TopologyError
from squall.topology import GroupingKind

TASKS = (3, 4, 5)


def _router(kind: GroupingKind, seed: int = 0, direct: bool = False) -> Router:
    sub = Subscription("sink", kind, TASKS, (0,) if kind in (GroupingKind.FIELDS, GroupingKind.PARTIAL_KEY) else ())
    return Router("src", {"s": [sub]}, {"s"} if direct else set(), random.Random(seed))


@pytest.mark.parametrize("kind", list(GroupingKind), ids=lambda k: k.value)
def test_every_grouping_kind_routes_to_the_consumer_tasks(kind: GroupingKind) -> None:
    direct = kind is GroupingKind.DIRECT
    router = _router(kind, direct=direct)
    targets = [t for n in range(30) for t in router.route("s", [f"k{n}"], 4 if direct else None)]
    expected = {
        GroupingKind.ALL: 90, GroupingKind.GLOBAL: 30, GroupingKind.DIRECT: 30,
    }.get(kind, 30)
    assert len(targets) == expected and set(targets) <= set(TASKS)
    if kind is GroupingKind.GLOBAL:
        assert set(targets) == {3}
    if kind is GroupingKind.DIRECT:
        assert set(targets) == {4}


def test_partial_key_sends_each_tuple_to_the_less_loaded_candidate_first_on_a_tie() -> None:
    router = _router(GroupingKind.PARTIAL_KEY)
    load: Counter[int] = Counter()
    keys = ["hot"] * 60 + [f"k{n}" for n in range(60)]
    random.Random(7).shuffle(keys)
    for key in keys:
        first_hash, second_hash = partial_key_hashes([key], (0,))
        first, second = TASKS[first_hash % 3], TASKS[second_hash % 3]
        (task,) = router.route("s", [key], None)
        assert task == (first if load[first] <= load[second] else second), key
        load[task] += 1


def test_partial_key_splits_a_hot_key_over_two_tasks() -> None:
    router = _router(GroupingKind.PARTIAL_KEY)
    first_hash, second_hash = partial_key_hashes(["hot"], (0,))
    candidates = {TASKS[first_hash % 3], TASKS[second_hash % 3]}
    counts = Counter(t for _ in range(100) for t in router.route("s", ["hot"], None))
    assert set(counts) == candidates
    if len(candidates) == 2:
        assert max(counts.values()) - min(counts.values()) <= 1


def test_shuffles_are_reproducible_with_a_seeded_rng() -> None:
    def picks(seed: int) -> list[int]:
        router = _router(GroupingKind.SHUFFLE, seed)
        return [t for _ in range(12) for t in router.route("s", ["x"], None)]

    assert picks(1) == picks(1)
    assert Counter(picks(1)) == Counter({3: 4, 4: 4, 5: 4})


@pytest.mark.parametrize("seed", range(4))
def test_a_shuffle_cycles_through_the_tasks_in_the_order_the_rng_shuffled_them(seed: int) -> None:
    order = list(TASKS)
    random.Random(seed).shuffle(order)  # what the router's rng does first
    router = _router(GroupingKind.SHUFFLE, seed)
    chooser = router.single_chooser("s")
    assert chooser is not None
    assert [chooser(["x"]) for _ in range(7)] == (order * 3)[:7]
    assert router.route("s", ["x"], None) == [order[1]]  # the same chooser: the cycle goes on


def test_direct_emit_to_a_task_outside_the_readers_is_refused() -> None:
    router = _router(GroupingKind.DIRECT, direct=True)
    with pytest.raises(TopologyError, match=r"^src: emit\(direct_task=9\) on stream 's': task 9 does not read "
                                            r"that stream with Grouping.DIRECT \(tasks that do: \[3, 4, 5\]\)$"):
        router.route("s", ["x"], 9)
    with pytest.raises(TopologyError, match=r"^src: stream 's' is direct: emits on it need direct_task=<task id>$"):
        router.route("s", ["x"], None)
    with pytest.raises(TopologyError, match=r"^src: emit\(direct_task=3\) on stream 's', which is not direct"):
        _router(GroupingKind.SHUFFLE).route("s", ["x"], 3)
