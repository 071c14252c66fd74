"""The topology model: plain, immutable data that every engine reads.

A ``Topology`` class is compiled into a :class:`TopologyModel` when it is defined.
The embedded engine, the Storm submitter, the test harness and ``squall visualize``
all read this model; none of them reads the ``Topology`` class itself.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from squall.errors import TopologyError
from squall.topology._grouping import Grouping
from squall.topology._stream import Stream

SPOUT = "spout"
BOLT = "bolt"


@dataclass(frozen=True)
class InputModel:
    """One subscription: the consumer reads ``source``'s ``stream`` with ``grouping``."""

    source: str
    stream: str
    grouping: Grouping


@dataclass(frozen=True)
class ComponentModel:
    """One component: its class, kind, parallelism, output streams and inputs."""

    name: str
    kind: str  # SPOUT or BOLT
    class_path: str  # "package.module:ClassName", importable by a fresh interpreter
    component_class: type = field(repr=False, compare=False)
    par: int
    streams: Mapping[str, Stream]
    inputs: tuple[InputModel, ...]
    config: Mapping[str, Any]

    @property
    def is_spout(self) -> bool:
        """Whether this component is a spout."""
        return self.kind == SPOUT

    def fields_of(self, stream: str) -> tuple[str, ...]:
        """Return the declared fields of one of this component's output streams."""
        return self.streams[stream].fields


@dataclass(frozen=True)
class TopologyModel:
    """A whole topology: components in definition order, plus the topology conf.

    >>> from squall.topology import TopologyModel
    >>> TopologyModel(name="empty", components={}, config={}).spouts
    []
    """

    name: str
    components: Mapping[str, ComponentModel]
    config: Mapping[str, Any]

    @property
    def spouts(self) -> list[ComponentModel]:
        """The spouts, in definition order."""
        return [c for c in self.components.values() if c.kind == SPOUT]

    @property
    def bolts(self) -> list[ComponentModel]:
        """The bolts, in definition order."""
        return [c for c in self.components.values() if c.kind == BOLT]

    def consumers(self, source: str, stream: str) -> list[tuple[ComponentModel, InputModel]]:
        """Return every (consumer, subscription) reading ``source``'s ``stream``."""
        return [
            (comp, inp)
            for comp in self.components.values()
            for inp in comp.inputs
            if inp.source == source and inp.stream == stream
        ]

    def task_ids(self) -> dict[str, list[int]]:
        """Assign task ids as Storm does: components sorted by id, ids counted from 1.

        >>> TopologyModel(name="t", components={}, config={}).task_ids()
        {}
        """
        ids: dict[str, list[int]] = {}
        next_id = 1
        for name in sorted(self.components):
            par = self.components[name].par
            ids[name] = list(range(next_id, next_id + par))
            next_id += par
        return ids

    def with_par(self, overrides: Mapping[str, int]) -> "TopologyModel":
        """Return a copy with some components' parallelism changed (``--par``, env ``par``)."""
        components = dict(self.components)
        for name, par in overrides.items():
            if name not in components:
                raise TopologyError(
                    f"parallelism override {name}={par}: topology {self.name!r} has no component {name!r}; "
                    f"its components are {', '.join(sorted(components))}"
                )
            if not isinstance(par, int) or par < 1:
                raise TopologyError(f"parallelism override {name}={par}: it must be an integer >= 1")
            components[name] = replace(components[name], par=par)
        return replace(self, components=components)

    def with_config(self, overrides: Mapping[str, Any]) -> "TopologyModel":
        """Return a copy whose topology conf is updated with ``overrides``."""
        config = copy.deepcopy(dict(self.config))
        config.update(overrides)
        return replace(self, config=config)

    def component_config(self, name: str) -> dict[str, Any]:
        """Return the conf a task of ``name`` sees: topology conf, then the component's."""
        merged = dict(self.config)
        merged.update(self.components[name].config)
        return merged

    def to_dict(self) -> dict[str, Any]:
        """Return the model as JSON-ready data (for manifests, visualisation, tools)."""
        return {
            "name": self.name,
            "config": dict(self.config),
            "components": {
                c.name: {
                    "kind": c.kind,
                    "class": c.class_path,
                    "par": c.par,
                    "config": dict(c.config),
                    "streams": {
                        s.name: {"fields": list(s.fields), "direct": s.direct}
                        for s in c.streams.values()
                    },
                    "inputs": [
                        {
                            "source": i.source,
                            "stream": i.stream,
                            "grouping": i.grouping.kind.value,
                            "fields": list(i.grouping.field_names),
                        }
                        for i in c.inputs
                    ],
                }
                for c in self.components.values()
            },
        }
