"""The conformance cases: one topology, its conf, a completion condition, assertions.

``run_case(start, case, tmp_path)`` runs a case on whichever engine ``start`` drives;
the same assertions must hold on the embedded engine and on Storm.
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
    assert {r["values"][1] for r in seen} == set(range(COUNT))
    for word, tasks in _by_task(seen, lambda r: r["values"][0]).items():
        assert len(tasks) <= 2, f"partial_key sent {word!r} to {len(tasks)} tasks"


def check_explicit(out: Path) -> None:
    seen = {r["values"][1] for r in records(out, "seen", "settle")}
    assert seen == set(range(COUNT))
    failed_once = {int(p.name.rsplit("-", 1)[1]) for p in out.glob("failed-once-*")}
    assert failed_once == {n for n in range(COUNT) if n % 4 == 0}
    inits = records(out, "init", "settle")
    assert len(inits) == len({r["task"] for r in inits}) == 2, f"a task crashed and restarted: {inits}"


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
    Case("explicit_ack_fail", topo.Explicit, check_explicit, _all_seen("settle")),
]
