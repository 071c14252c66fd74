"""Component specs: a component class plus its wiring, made by ``Component.spec()``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence, Union

from squall.errors import TopologyError
from squall.topology._grouping import Grouping
from squall.topology._stream import DEFAULT_STREAM, Stream


@dataclass(frozen=True, eq=False)
class StreamRef:
    """One output stream of a spec, as written ``split["errors"]`` in ``inputs``."""

    spec: "ComponentSpec"
    stream: str


Source = Union["ComponentSpec", StreamRef]
InputsDeclaration = Union[Sequence[Source], Mapping[Source, Grouping], None]


class ComponentSpec:
    """A component class wired into a topology; made by ``MyBolt.spec(...)``.

    Not built directly: call ``spec()`` on a ``Spout`` or ``Bolt`` subclass::

        split = SplitBolt.spec(inputs={lines: Grouping.SHUFFLE}, par=2)
        errors_reader = ErrorBolt.spec(inputs=[split["errors"]])

    Specs compare by identity: the ``Topology`` class gives each its name.
    """

    __slots__ = ("component_class", "kind", "class_path", "streams", "name", "inputs", "par", "config")

    def __init__(
        self,
        component_class: type,
        *,
        kind: str,
        class_path: str,
        streams: Mapping[str, Stream],
        name: Optional[str] = None,
        inputs: InputsDeclaration = None,
        par: int = 1,
        config: Optional[Mapping[str, Any]] = None,
    ) -> None:
        owner = f"{component_class.__name__}.spec()"
        if name is not None and (not isinstance(name, str) or not name):
            raise TopologyError(f"{owner}: name must be a non-empty string, got {name!r}")
        if isinstance(par, bool) or not isinstance(par, int):
            raise TopologyError(f"{owner}: par must be an integer >= 1, got {par!r}")
        if config is not None and not isinstance(config, Mapping):
            raise TopologyError(f"{owner}: config must be a dict of conf keys, got {config!r}")
        self.component_class = component_class
        self.kind = kind
        self.class_path = class_path
        self.streams = dict(streams)
        self.name = name
        self.inputs = _normalise_inputs(owner, inputs)
        self.par = par
        self.config = dict(config or {})

    def __getitem__(self, stream: str) -> StreamRef:
        """Select one of this component's output streams, e.g. ``split["errors"]``."""
        if not isinstance(stream, str):
            raise TopologyError(f"{self._label()}[{stream!r}]: stream names are strings")
        return StreamRef(self, stream)

    def _label(self) -> str:
        return self.name or f"{self.component_class.__name__}.spec()"

    def __repr__(self) -> str:
        return f"<ComponentSpec {self._label()} par={self.par}>"


def _normalise_inputs(owner: str, inputs: InputsDeclaration) -> list[tuple[StreamRef, Grouping]]:
    if inputs is None:
        return []
    if isinstance(inputs, (ComponentSpec, StreamRef)):
        inputs = [inputs]
    if isinstance(inputs, Mapping):
        pairs = list(inputs.items())
    elif isinstance(inputs, (list, tuple)):
        pairs = [(source, Grouping.SHUFFLE) for source in inputs]
    else:
        raise TopologyError(
            f"{owner}: inputs must be a list of sources or a dict of source -> Grouping, got {inputs!r}"
        )
    result = []
    for source, grouping in pairs:
        if isinstance(source, ComponentSpec):
            source = StreamRef(source, DEFAULT_STREAM)
        elif not isinstance(source, StreamRef):
            hint = "a spec such as `lines` or a stream such as `split['errors']`"
            if isinstance(source, type):
                hint = f"{source.__name__}.spec(...) assigned to a topology attribute, not the class"
            raise TopologyError(f"{owner}: input {source!r} is not a component spec: use {hint}")
        if not isinstance(grouping, Grouping):
            raise TopologyError(
                f"{owner}: the grouping for input {source.spec._label()!r} must be a Grouping "
                f"(e.g. Grouping.SHUFFLE or Grouping.fields('word')), got {grouping!r}"
            )
        result.append((source, grouping))
    return result
