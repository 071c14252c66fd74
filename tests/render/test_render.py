import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from squall import Bolt, Grouping, Spout, Stream, Topology
from squall.errors import SquallError
from squall.topology._render import render, render_svg

SVG = "{http://www.w3.org/2000/svg}"


class Lines(Spout):
    outputs = ["line"]


class Split(Bolt):
    outputs = ["word", Stream(["line", "reason"], name="errors")]


class Count(Bolt):
    outputs = ["word", "count"]


class Sink(Bolt):
    outputs = ["x"]


class Demo(Topology):
    lines = Lines.spec()
    split = Split.spec(inputs={lines: Grouping.SHUFFLE}, par=2)
    count = Count.spec(inputs={split: Grouping.fields("word")}, par=4)
    errors = Sink.spec(inputs={split["errors"]: Grouping.GLOBAL})
    echo = Sink.spec(inputs={count: Grouping.ALL, lines: Grouping.partial_key("line")})


EDGES = {
    ("lines", "split", "default", "shuffle"),
    ("split", "count", "default", "fields(word)"),
    ("split", "errors", "errors", "global"),
    ("count", "echo", "default", "all"),
    ("lines", "echo", "default", "partial_key(line)"),
}


def test_dot_has_every_component_and_edge():
    dot = render(Demo.model, "dot")
    assert dot.startswith('digraph "Demo" {')
    for name, comp in Demo.model.components.items():
        assert f'"{name}" [label="{name}\\n{comp.kind} · par {comp.par}"' in dot
    edges = set(re.findall(r'"(\w+)" -> "(\w+)" \[label="(\w+) \([^)]*\)\\n([^"]+)"\]', dot))
    assert edges == EDGES


def test_mermaid_has_every_component_and_edge():
    text = render(Demo, "mermaid")  # a Topology class works too
    ids = dict(re.findall(r'^  (c\d+)[(\[]+"(\w+)<br/>', text, re.M))
    assert set(ids.values()) == set(Demo.model.components)
    edges = {
        (ids[a], ids[b], stream, grouping)
        for a, stream, grouping, b in re.findall(r'(c\d+) -->\|"(\w+) \([^)]*\)<br/>([^"]+)"\| (c\d+)', text)
    }
    assert edges == EDGES
    assert '(["lines<br/>spout · par 1"])' in text and '["count<br/>bolt · par 4"]' in text


def test_svg_parses_and_draws_everything():
    root = ET.fromstring(render(Demo.model, "svg"))
    assert root.tag == f"{SVG}svg"
    groups = list(root.iter(f"{SVG}g"))
    components = {g.get("id") for g in groups if "component" in (g.get("class") or "")}
    assert components == {f"component-{n}" for n in Demo.model.components}
    edges = {
        (g.get("data-source"), g.get("data-target"), g.get("data-stream"), g.get("data-grouping"))
        for g in groups if g.get("class") == "edge"
    }
    assert edges == EDGES
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "errors (line, reason)" in texts and "bolt · par 4" in texts


def test_svg_layout_goes_left_to_right():
    root = ET.fromstring(render_svg(Demo.model))
    x = {g.get("id"): float(g.find(f"{SVG}rect").get("x")) for g in root.iter(f"{SVG}g")
         if g.get("id")}
    assert x["component-lines"] < x["component-split"] < x["component-count"] < x["component-echo"]


def test_jupyter_repr_and_escaping():
    class Weird(Spout):
        outputs = ["a<b"]

    class Quoted(Topology):
        name = 'q"&<'
        src = Weird.spec()

    ET.fromstring(Quoted._repr_svg_())
    assert '\\"' in render(Quoted, "dot")


def test_cycles_are_drawn():
    from dataclasses import replace

    from squall.topology import InputModel

    model = Demo.model
    split = model.components["split"]
    back = InputModel("echo", "default", Grouping.SHUFFLE)
    cyclic = replace(model, components={**model.components, "split": replace(split, inputs=split.inputs + (back,))})
    root = ET.fromstring(render_svg(cyclic))
    assert sum(1 for g in root.iter(f"{SVG}g") if g.get("class") == "edge") == len(EDGES) + 1
    assert '"echo" -> "split"' in render(cyclic, "dot")


def test_unknown_format():
    with pytest.raises(ValueError, match="use one of dot, mermaid, svg, png"):
        render(Demo.model, "gif")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_png_with_graphviz():
    assert render(Demo.model, "png")[:8] == b"\x89PNG\r\n\x1a\n"


def test_png_without_graphviz_names_the_fix(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SquallError, match="apt-get install graphviz.*or use --format svg"):
        render(Demo.model, "png")
