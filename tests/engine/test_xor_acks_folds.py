"""The compiled xor_acks gathers a batch's acks per root before updating the ack table.

Its result must stay that of one update per input (the pure-Python twin): the same
XOR per root, the same roots in the same order, and after an error the same state
as the updates made before it.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from squall.engine import _hotpath
from squall.engine._acking import TASK_BITS

pytestmark = pytest.mark.skipif(not _hotpath.compiled_available(), reason="squall.engine._speedups is not built")


def _both(inputs: dict[int, Any], ids: list[Any], acks: Any = None) -> list[Any]:
    from squall.engine import _speedups  # type: ignore[attr-defined]

    results = []
    for module in (_hotpath, _speedups):
        mine, table = dict(inputs), dict(acks or {})
        unknown = module.xor_acks(mine, table, ids)
        results.append((unknown, mine, list(table.items())))  # items: the order of the roots too
    assert results[0] == results[1]
    return results[0]


@pytest.mark.parametrize("roots", [1, 40, 63, 64, 65, 1000, 5000])
def test_many_roots_and_many_inputs_per_root_give_the_twins_table(roots: int) -> None:
    rng = random.Random(roots)
    root_values = [((rng.getrandbits(46) + 1) << TASK_BITS) | rng.randrange(4) for _ in range(roots)]
    inputs: dict[int, Any] = {}
    for handle in range(1, 4 * roots + 50):
        inputs[handle] = (rng.choice(root_values), rng.getrandbits(64))
    ids = list(inputs)
    rng.shuffle(ids)
    unknown, left, table = _both(inputs, ids[: len(ids) - 7], acks={root_values[0]: 12345})
    assert unknown is None and len(left) == 7
    assert len(table) == len({inputs[i][0] for i in ids[:-7]} | {root_values[0]})


def test_a_root_whose_acks_cancel_out_is_still_written() -> None:
    r = (5 << TASK_BITS) | 1
    unknown, left, table = _both({1: (r, 77), 2: (r, 77)}, [1, 2])
    assert table == [(r, 0)] and left == {} and unknown is None


def test_roots_the_engine_never_makes_are_updated_like_any_other() -> None:
    inputs: dict[int, Any] = {
        1: (-5, 3),  # a negative root
        2: ((1 << 70) + 3, 5),  # beyond 64 bits
        3: [["key", 9, (1 << 20) | 2, 11], 4],  # a root that is not an int, in a multi-root entry
        4: ((1 << 20) | 2, 6),
    }
    _both(inputs, [1, 2, 3, 4, 2])


@pytest.mark.parametrize("bad", [("r", 5), "not an entry", (5, "v")], ids=["root", "entry", "value"])
def test_after_a_malformed_entry_the_table_holds_the_updates_made_before_it(bad: Any) -> None:
    from squall.engine import _speedups  # type: ignore[attr-defined]

    r1, r2 = (3 << TASK_BITS) | 1, (4 << TASK_BITS) | 1
    inputs: dict[int, Any] = {1: (r1, 5), 2: [[r2, 7, r1, 9], 6], 3: bad, 4: (r2, 8)}
    acks: dict[int, int] = {r2: 1}
    expected_inputs, expected_acks = dict(inputs), dict(acks)
    with pytest.raises(TypeError):
        _speedups.xor_acks(inputs, acks, [1, 2, 3, 4])
    _hotpath.xor_acks(expected_inputs, expected_acks, [1, 2])
    del expected_inputs[3]  # popped, then found malformed
    assert inputs == expected_inputs and list(acks.items()) == list(expected_acks.items())
