"""The ``Topology`` class DSL, compiled and validated when the class is defined."""

from __future__ import annotations

import re
from typing import Any, Mapping

from squall.errors import TopologyError
from squall.topology._grouping import GroupingKind
from squall.topology._model import BOLT, SPOUT, ComponentModel, InputModel, TopologyModel
from squall.topology._spec import ComponentSpec

_STORM_NAME = re.compile(r"^[^/.:\\]+$")
_RESERVED_ATTRS = frozenset({"config", "name", "model"})


class _TopologyMeta(type):
    """Compile the class body into a ``TopologyModel``; expose it as ``cls.model``."""

    @property
    def model(cls) -> TopologyModel:
        """The compiled, validated topology model."""
        model: TopologyModel | None = cls.__dict__.get("_squall_model")
        if model is None:
            raise TopologyError(
                f"{cls.__name__} is the Topology base class: subclass it and add components"
            )
        return model

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any]):  # type: ignore[no-untyped-def]
        cls = super().__new__(mcs, name, bases, namespace)
        if any(isinstance(base, _TopologyMeta) for base in bases):
            setattr(cls, "_squall_model", _compile(cls, namespace))  # noqa: B010  (not a declared attribute)
        return cls

    def _repr_svg_(cls) -> str:  # Jupyter shows a topology class as a picture
        from squall.topology._render import render_svg

        return render_svg(cls.model)


class Topology(metaclass=_TopologyMeta):
    """Base class of topologies: each attribute holding a spec is a component.

    Example::

        class WordCount(Topology):
            config = {"topology.message.timeout.secs": 30}
            lines = LineSpout.spec(par=1)
            split = SplitBolt.spec(inputs={lines: Grouping.SHUFFLE}, par=2)
            count = CountBolt.spec(inputs={split: Grouping.fields("word")}, par=2)

    The attribute name is the component id unless ``spec(name=...)`` gives one.
    The definition is validated when the class is created; ``WordCount.model`` is
    the resulting :class:`TopologyModel`. Set ``name`` to override the topology name
    (default: the class name).
    """

    config: Mapping[str, Any] = {}
    name: str = ""


def _compile(cls: type, namespace: dict[str, Any]) -> TopologyModel:
    topo_name = namespace.get("name") or cls.__name__
    where = f"Topology {cls.__name__}"
    if not isinstance(topo_name, str) or not _STORM_NAME.match(topo_name):
        raise TopologyError(
            f"{where}: name {topo_name!r} is not a valid Storm topology name "
            "(no '/', '.', ':' or '\\'); set name = 'my-topology'"
        )
    config = namespace.get("config", {})
    if not isinstance(config, Mapping) or not all(isinstance(k, str) for k in config):
        raise TopologyError(f"{where}: config must be a dict with string keys, got {config!r}")

    names = _bind_names(where, namespace)
    components: dict[str, ComponentModel] = {}
    for spec, comp_name in names.items():
        components[comp_name] = _compile_component(where, spec, comp_name, names)
    if not any(c.kind == SPOUT for c in components.values()):
        raise TopologyError(
            f"{where} has no spout: every topology needs one, e.g. lines = LineSpout.spec()"
        )
    model = TopologyModel(name=topo_name, components=components, config=dict(config))
    for comp in components.values():
        _check_inputs(where, model, comp)
    return model


def _bind_names(where: str, namespace: dict[str, Any]) -> dict[ComponentSpec, str]:
    """Map each spec to its component id, rejecting duplicates and bare classes."""
    names: dict[ComponentSpec, str] = {}
    taken: dict[str, str] = {}
    for attr, value in namespace.items():
        if isinstance(value, type) and getattr(value, "_squall_kind", None) in (SPOUT, BOLT):
            raise TopologyError(
                f"{where}.{attr} = {value.__name__}: a component class must be wired with "
                f".spec(), e.g. {attr} = {value.__name__}.spec(par=1)"
            )
        if not isinstance(value, ComponentSpec):
            continue
        if attr in _RESERVED_ATTRS:
            raise TopologyError(f"{where}.{attr}: {attr!r} is reserved; name the component otherwise")
        if value in names:
            raise TopologyError(
                f"{where}: the same spec is assigned to both {names[value]!r} and {attr!r}; "
                "call .spec() once per component"
            )
        comp_name = value.name or attr
        if comp_name.startswith("__"):
            raise TopologyError(
                f"{where}: component id {comp_name!r} is reserved (ids starting with '__' "
                "belong to Storm); rename it"
            )
        if comp_name in taken:
            raise TopologyError(
                f"{where}: duplicate component id {comp_name!r} (attributes {taken[comp_name]!r} "
                f"and {attr!r}); give one of them another name"
            )
        taken[comp_name] = attr
        names[value] = comp_name
    return names


def _compile_component(
    where: str, spec: ComponentSpec, name: str, names: Mapping[ComponentSpec, str]
) -> ComponentModel:
    label = f"{where}: component {name!r}"
    if spec.par < 1:
        raise TopologyError(f"{label}: par must be >= 1, got {spec.par}")
    for stream in spec.streams:
        if stream.startswith("__"):
            raise TopologyError(
                f"{label}: stream id {stream!r} is reserved (ids starting with '__' belong "
                "to Storm); rename it in outputs"
            )
    if spec.kind == SPOUT and spec.inputs:
        raise TopologyError(f"{label} is a spout and cannot have inputs: remove inputs=...")
    if spec.kind == BOLT and not spec.inputs:
        raise TopologyError(
            f"{label} is a bolt without inputs: add inputs=[some_spout] or inputs={{source: grouping}}"
        )
    inputs = []
    for ref, grouping in spec.inputs:
        source_name = names.get(ref.spec)
        if source_name is None:
            raise TopologyError(
                f"{label} reads from {ref.spec._label()!r}, which is not a component of this "
                "topology: assign that spec to an attribute of the same Topology class"
            )
        inputs.append(InputModel(source_name, ref.stream, grouping))
    return ComponentModel(
        name=name,
        kind=spec.kind,
        class_path=spec.class_path,
        component_class=spec.component_class,
        par=spec.par,
        streams=dict(spec.streams),
        inputs=tuple(inputs),
        config=dict(spec.config),
    )


def _check_inputs(where: str, model: TopologyModel, comp: ComponentModel) -> None:
    seen = set()
    for inp in comp.inputs:
        label = f"{where}: component {comp.name!r} input {inp.source}[{inp.stream!r}]"
        if (inp.source, inp.stream) in seen:
            raise TopologyError(f"{label} is subscribed twice: keep one grouping per stream")
        seen.add((inp.source, inp.stream))
        source = model.components[inp.source]
        stream = source.streams.get(inp.stream)
        if stream is None:
            declared = ", ".join(repr(s) for s in source.streams) or "none"
            raise TopologyError(
                f"{label}: {inp.source!r} declares no stream {inp.stream!r} (declared: {declared}); "
                f"add it to {source.component_class.__name__}.outputs"
            )
        missing = [f for f in inp.grouping.field_names if f not in stream.fields]
        if missing:
            raise TopologyError(
                f"{label}: {inp.grouping!r} uses field(s) {missing} that stream {inp.stream!r} "
                f"does not declare (fields: {list(stream.fields)})"
            )
        if inp.grouping.kind is GroupingKind.DIRECT and not stream.direct:
            raise TopologyError(
                f"{label}: Grouping.DIRECT needs a direct stream; declare it as "
                f"Stream({list(stream.fields)}, name={inp.stream!r}, direct=True)"
            )
        if stream.direct and inp.grouping.kind is not GroupingKind.DIRECT:
            raise TopologyError(
                f"{label}: stream {inp.stream!r} is direct, so it must be read with Grouping.DIRECT"
            )
