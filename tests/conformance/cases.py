"""The conformance cases: one topology, its conf, a completion condition, assertions.

``run_case(start, case, tmp_path)`` runs a case on whichever host ``start`` drives;
the same assertions must hold in-process (squall.testing), on the embedded engine and
on Storm.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conformance import topologies as topo
from tests.conformance.engines import Start, wait_for

COUNT = 120
TIMEOUT_SECS = 120.0


def records(out: Path, kind: str, component: str | None = None) -> list[dict[str, Any]]:
    """Return every record of ``kind`` (all components, or ``component``'s)."""
    pattern = f"{kind}-{component}-*.jsonl" if component else f"{kind}-*.jsonl"
    found = []
    for path in sorted(out.glob(pattern)):
        for line in path.read_text().splitlines():
            if line.strip():
                found.append(json.loads(line))
    return found


def acked_ids(out: Path) -> set[int]:
    """Return the ids the spout was told are fully processed."""
    return {r["id"] for r in records(out, "acked")}


def all_acked(out: Path) -> bool:
    """Whether every id 0..COUNT-1 was acked."""
    return acked_ids(out) >= set(range(COUNT))


@dataclass(frozen=True)
class Case:
    """A topology, its extra conf, when it is done, and what must then hold."""

    name: str
    topology: type
    check: Callable[[Path], None]
    done: Callable[[Path], bool] = all_acked
    options: dict[str, Any] = field(default_factory=dict)
    #: Storm multi-lang serializers the case runs with (direct streams need msgpack on Storm >= 2.6)
    storm_serializers: tuple[str, ...] = ("json", "msgpack")


def run_case(start: Start, case: Case, tmp_path: Path) -> Path:
    """Run ``case`` with driver ``start`` until done, stop it, run its checks; return out."""
    out = tmp_path / "out"
    out.mkdir()
    options = {topo.OUT_KEY: str(out), topo.COUNT_KEY: COUNT, **case.options}
    running = start(case.topology.model, options, tmp_path)
    try:
        wait_for(lambda: case.done(out), TIMEOUT_SECS, f"{case.name} to complete")
    finally:
        running.stop()
    case.check(out)
    return out


def _by_task(items: list[dict[str, Any]], key: Callable[[dict[str, Any]], Any]) -> dict[Any, set[int]]:
    tasks: dict[Any, set[int]] = defaultdict(set)
    for item in items:
        tasks[key(item)].add(item["task"])
    return tasks


def check_wordcount(out: Path) -> None:
    seen = records(out, "seen", "count")
    assert {r["values"][1] for r in seen} == set(range(COUNT)), "fields grouping lost tuples"
    for word, tasks in _by_task(seen, lambda r: r["values"][0]).items():
        assert len(tasks) == 1, f"word {word!r} reached tasks {tasks}: fields grouping broken"
    fives = records(out, "seen", "fives")
    expected = {n for n in range(COUNT) if n % 5 == 0}
    per_task: dict[int, set[int]] = defaultdict(set)
    for r in fives:
        assert r["stream"] == "fives" and r["source"] == "split"
        n, nested = r["values"]
        assert nested == {"n": n, "tags": [topo.WORDS[n % len(topo.WORDS)], {"deep": [1, 2.5, None, True]}]}
        per_task[r["task"]].add(n)
    assert len(per_task) == 2, f"ALL grouping reached tasks {sorted(per_task)}, expected both"
    assert all(ns >= expected for ns in per_task.values()), "ALL grouping: a task missed tuples"


def check_replay(out: Path) -> None:
    seen = {r["values"][1] for r in records(out, "seen", "flaky")}
    assert seen == set(range(COUNT))
    failed_once = {int(p.name.rsplit("-", 1)[1]) for p in out.glob("failed-once-*")}
    assert failed_once == {n for n in range(COUNT) if n % 3 == 0}


def ticks_seen(out: Path) -> bool:
    return len(records(out, "tick", "ticks")) >= 3


def check_ticks(out: Path) -> None:
    ticks = records(out, "tick", "ticks")
    assert ticks and all(r["stream"] == "__tick" and r["source"] == "__system" for r in ticks)
    assert all(r["values"] == [1] for r in ticks), f"tick values are not [freq]: {ticks[:3]}"


def batches_complete(out: Path) -> bool:
    return {n for r in records(out, "batch", "batches") for n in r["ids"]} >= set(range(COUNT))


def check_batching(out: Path) -> None:
    batches = records(out, "batch", "batches")
    for batch in batches:
        assert all(topo.WORDS[n % len(topo.WORDS)] == batch["key"] for n in batch["ids"])
    for key, tasks in _by_task(batches, lambda r: r["key"]).items():
        assert len(tasks) == 1, f"batch key {key!r} on tasks {tasks}"


def check_global_none_local(out: Path) -> None:
    glob = records(out, "seen", "glob")
    assert {r["values"][1] for r in glob} == set(range(COUNT))
    assert len({r["task"] for r in glob}) == 1, "GLOBAL must send everything to one task"
    for name in ("anyone", "local"):
        assert {r["values"][1] for r in records(out, "seen", name)} == set(range(COUNT)), name


def check_partial_key(out: Path) -> None:
    seen = records(out, "seen", "sink")
    numbers = [r["values"][1] for r in seen]
    assert sorted(numbers) == list(range(COUNT)), "partial_key lost or duplicated tuples"
    words = _by_task(seen, lambda r: r["values"][0])
    for word, tasks in words.items():
        assert len(tasks) <= 2, f"partial_key sent {word!r} to {len(tasks)} tasks"
    # the one spout task emits n = 0, 1, ... in order: replay its choices. Each tuple
    # of a key seen on two tasks went to the one that had received fewer tuples so far
    # (whether a key splits depends on the host's hash: the hot key does here).
    task_of = {r["values"][1]: r["task"] for r in seen}
    load: dict[int, int] = defaultdict(int)
    for n in range(COUNT):
        word, task = topo.skewed_word(n), task_of[n]
        if len(words[word]) == 2:
            (other,) = words[word] - {task}
            assert load[task] <= load[other], f"tuple {n} ({word!r}) went to the more loaded task {task}"
        load[task] += 1


def check_bad_direct(out: Path) -> None:
    seen = records(out, "seen", "sink")
    assert sorted(r["values"][1] for r in seen) == list(range(COUNT)), "good direct emits lost or duplicated"
    refused = records(out, "refused", "router")
    assert {r["n"] for r in refused} == set(range(COUNT)), "a bad direct emit was not refused"
    one = refused[0]
    assert one["bystander"] not in {r["task"] for r in seen}
    assert {r["error"] for r in refused} == {"TopologyError"}
    expected = (f"router: emit(direct_task={one['bystander']}) on stream 'routed': task {one['bystander']} "
                f"does not read that stream with Grouping.DIRECT (tasks that do: {sorted(one['readers'])})")
    assert {r["message"] for r in refused} == {expected}


def check_explicit(out: Path) -> None:
    seen = {r["values"][1] for r in records(out, "seen", "settle")}
    assert seen == set(range(COUNT))
    failed_once = {int(p.name.rsplit("-", 1)[1]) for p in out.glob("failed-once-*")}
    assert failed_once == {n for n in range(COUNT) if n % 4 == 0}
    inits = records(out, "init", "settle")
    assert len(inits) == len({r["task"] for r in inits}) == 2, f"a task crashed and restarted: {inits}"


def check_emit_many(out: Path) -> None:
    seen = {(r["values"][1], r["values"][2]) for r in records(out, "seen", "sink")}
    assert seen == {(n, copy) for n in range(COUNT) for copy in (0, 1)}, "emit_many lost tuples"
    failed_once = {int(p.name.rsplit("-", 1)[1]) for p in out.glob("failed-once-*")}
    assert failed_once == {n for n in range(COUNT) if n % 3 == 0}


def check_own_loggers(out: Path) -> None:
    logged = records(out, "logged", "own")
    tasks = {r["task"] for r in records(out, "seen", "own")}
    assert len(tasks) == 2, f"expected both tasks of 'own' to get tuples, got {tasks}"
    assert {r["task"] for r in logged} == tasks, "a task's logger handler saw nothing"
    for r in logged:
        assert r["sender"] == str(r["task"]), f"task {r['task']}'s logger got task {r['sender']}'s record"
        assert r["logger"] == f"squall.task.own.{r['task']}"
    for task in tasks:  # each record reached one handler once: no logger shared, no handler left over
        seen = sum(1 for r in records(out, "seen", "own") if r["task"] == task)
        assert sum(1 for r in logged if r["task"] == task) == seen, f"task {task}: records logged != tuples seen"


def _all_seen(component: str) -> Callable[[Path], bool]:
    return lambda out: all_acked(out) and len(records(out, "seen", component)) >= COUNT


CASES = [
    Case("wordcount", topo.WordCount, check_wordcount, _all_seen("count")),
    Case("replay", topo.Replay, check_replay, _all_seen("flaky"),
         options={"topology.message.timeout.secs": 5}),
    Case("ticks", topo.Ticks, check_ticks, ticks_seen),
    Case("batching", topo.Batching, check_batching, batches_complete),
    Case("global_none_local", topo.GlobalAndNone, check_global_none_local,
         lambda out: all_acked(out) and len(records(out, "seen")) >= 3 * COUNT),
    Case("partial_key", topo.PartialKey, check_partial_key, _all_seen("sink")),
    Case("own_loggers", topo.OwnLoggers, check_own_loggers, _all_seen("own")),
    Case("explicit_ack_fail", topo.Explicit, check_explicit, _all_seen("settle")),
    Case("emit_many", topo.EmitMany, check_emit_many,
         lambda out: all_acked(out) and len(records(out, "seen", "sink")) >= 2 * COUNT,
         options={"topology.message.timeout.secs": 5}),
    Case("bad_direct_emit", topo.BadDirect, check_bad_direct, _all_seen("sink"), storm_serializers=("msgpack",)),
]
