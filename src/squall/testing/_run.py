"""``run_topology``: run a whole topology on given inputs and collect what it did."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Optional, Sequence, Union

from squall.errors import TopologyError
from squall.testing._feed import ROWS_KEY, FeedSpout
from squall.testing._inprocess import InProcessRunner
from squall.testing._result import TopologyResult
from squall.topology import DEFAULT_STREAM, ComponentModel, Topology, TopologyModel

Rows = Sequence[Union[Sequence[Any], Mapping[str, Any]]]
Inputs = Mapping[str, Union[Rows, Mapping[str, Rows]]]
ENGINES = ("inprocess", "embedded")


def run_topology(
    topology: Union[type[Topology], TopologyModel],
    inputs: Optional[Inputs] = None,
    *,
    engine: str = "inprocess",
    timeout: float = 10.0,
    options: Optional[Mapping[str, Any]] = None,
    par: Optional[Mapping[str, int]] = None,
    raise_errors: bool = True,
    max_idle_ticks: int = 10,
    final_ticks: int = 0,
    seed: int = 0,
) -> TopologyResult:
    """Run ``topology`` with list-fed spouts until it is idle; return what it emitted.

    Each spout named in ``inputs`` is replaced by a spout (one task) that emits each
    given row once, tracked with an id (its index in the list; ``"stream:index"``
    when rows are given per stream as ``{"spout": {"stream": rows}}``), and never
    replays. Rows are tuples of values (or dicts of field -> value). Other spouts
    run as written. ``options`` update the topology conf; ``par`` overrides
    parallelism (``{"count": 3}``).

    ``engine="inprocess"`` (default) runs every task in this process, single-threaded
    and reproducibly (see :class:`InProcessRunner`), in milliseconds, with the
    embedded engine's routing; ``seed`` picks the shuffle groupings' choices.
    ``engine="embedded"`` runs the topology on squall's embedded engine, in real
    processes; rows and emitted values must then be serialisable.

    Example::

        result = run_topology(WordCount, {"lines": [("a b",), ("b",)]})
        assert sorted(result.values("split")) == [("a",), ("b",), ("b",)]
        assert result.acked["lines"] == [0, 1]
    """
    model = topology if isinstance(topology, TopologyModel) else topology.model
    if engine not in ENGINES:
        raise ValueError(f"run_topology(engine={engine!r}): use one of {', '.join(map(repr, ENGINES))}")
    if par:
        model = model.with_par(par)
    if options:
        model = model.with_config(options)
    model = feed_spouts(model, inputs or {})
    if engine == "embedded":
        from squall.testing._embedded import run_embedded

        return run_embedded(model, timeout=timeout, raise_errors=raise_errors)
    runner = InProcessRunner(model, raise_errors=raise_errors, seed=seed)
    return runner.run(timeout, max_idle_ticks=max_idle_ticks, final_ticks=final_ticks)


def feed_spouts(model: TopologyModel, inputs: Inputs) -> TopologyModel:
    """Return ``model`` with each spout named in ``inputs`` replaced by a ``FeedSpout``."""
    components = dict(model.components)
    for name, given in inputs.items():
        comp = components.get(name)
        if comp is None or not comp.is_spout:
            spouts = ", ".join(sorted(c.name for c in model.spouts))
            raise TopologyError(
                f"run_topology inputs: {name!r} is not a spout of topology {model.name!r}; "
                f"give rows for one of its spouts: {spouts}"
            )
        rows = _feed_rows(comp, given)
        components[name] = replace(
            comp,
            class_path=f"{FeedSpout.__module__}:{FeedSpout.__qualname__}",
            component_class=FeedSpout,
            par=1,
            config={**comp.config, ROWS_KEY: rows},
        )
    return replace(model, components=components)


def _feed_rows(comp: ComponentModel, given: Any) -> list[list[Any]]:
    if isinstance(given, Mapping):
        rows = []
        for stream, stream_rows in given.items():
            _check_stream(comp, stream)
            rows += [[stream, f"{stream}:{i}", _row(comp, stream, i, r)] for i, r in enumerate(stream_rows)]
        return rows
    if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
        raise TopologyError(
            f"run_topology inputs[{comp.name!r}]: give a list of rows, e.g. [('a b',), ('c',)], "
            f"got {type(given).__name__}"
        )
    stream = DEFAULT_STREAM if DEFAULT_STREAM in comp.streams or len(comp.streams) != 1 else next(iter(comp.streams))
    _check_stream(comp, stream)
    return [[stream, i, _row(comp, stream, i, r)] for i, r in enumerate(given)]


def _check_stream(comp: ComponentModel, stream: str) -> None:
    if stream not in comp.streams:
        declared = ", ".join(repr(s) for s in comp.streams) or "none"
        raise TopologyError(
            f"run_topology inputs[{comp.name!r}]: the spout declares no stream {stream!r} "
            f"(declared: {declared}); give rows per stream: {{{comp.name!r}: {{'<stream>': rows}}}}"
        )


def _row(comp: ComponentModel, stream: str, index: int, row: Any) -> list[Any]:
    fields = comp.fields_of(stream)
    if isinstance(row, Mapping):
        missing = [f for f in fields if f not in row]
        if missing or len(row) != len(fields):
            raise TopologyError(
                f"run_topology inputs[{comp.name!r}] row {index}: keys {list(row)} do not match "
                f"the fields {list(fields)} of stream {stream!r}"
            )
        return [row[f] for f in fields]
    if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
        raise TopologyError(
            f"run_topology inputs[{comp.name!r}] row {index}: {row!r} is not a tuple of values; "
            f"write it as ({row!r},)"
        )
    if len(row) != len(fields):
        raise TopologyError(
            f"run_topology inputs[{comp.name!r}] row {index}: {len(row)} value(s) {list(row)!r} for "
            f"the {len(fields)} field(s) {list(fields)} of stream {stream!r}"
        )
    return list(row)
