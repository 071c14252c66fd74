"""Draw a topology model as Graphviz dot, Mermaid, SVG (pure Python) or PNG (Graphviz).

Every format shows the same things: each component (name, spout/bolt, par), each
subscription as an edge labelled with the stream, its fields and the grouping.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from typing import Union
from xml.sax.saxutils import escape

from squall.errors import SquallError
from squall.topology._model import ComponentModel, InputModel, TopologyModel

FORMATS = ("dot", "mermaid", "svg", "png")


@dataclass(frozen=True)
class _Edge:
    source: str
    target: str
    stream: str
    fields: tuple[str, ...]
    grouping: str


def render(model: TopologyModel, fmt: str) -> Union[str, bytes]:
    """Render ``model`` as ``dot``, ``mermaid`` or ``svg`` text, or ``png`` bytes.

    ``png`` needs Graphviz's ``dot`` program; the others need nothing.

    >>> from squall.topology import TopologyModel
    >>> render(TopologyModel(name="t", components={}, config={}), "mermaid").splitlines()[0]
    'flowchart LR'
    """
    model = getattr(model, "model", model)  # a Topology class works too
    if fmt == "dot":
        return render_dot(model)
    if fmt == "mermaid":
        return render_mermaid(model)
    if fmt == "svg":
        return render_svg(model)
    if fmt == "png":
        return render_png(model)
    raise ValueError(f"render(): unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def _edges(model: TopologyModel) -> list[_Edge]:
    return [
        _Edge(inp.source, comp.name, inp.stream, model.components[inp.source].fields_of(inp.stream),
              grouping_label(inp))
        for comp in model.components.values()
        for inp in comp.inputs
    ]


def grouping_label(inp: InputModel) -> str:
    """Return the grouping as users write it: ``shuffle``, ``fields(word)``."""
    g = inp.grouping
    return f"{g.kind.value}({', '.join(g.field_names)})" if g.field_names else g.kind.value


def _node_caption(comp: ComponentModel) -> str:
    return f"{comp.kind} · par {comp.par}"


def _edge_caption(edge: _Edge) -> tuple[str, str]:
    return f"{edge.stream} ({', '.join(edge.fields)})", edge.grouping


# -- dot -------------------------------------------------------------------------------


def _dot_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dot(model: TopologyModel) -> str:
    """Return Graphviz dot source for ``model`` (left-to-right)."""
    lines = [f"digraph {_dot_str(model.name)} {{", "  rankdir=LR;",
             '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for comp in model.components.values():
        fill = "#dbeafe" if comp.is_spout else "#fef3c7"
        label = _dot_str(f"{comp.name}\n{_node_caption(comp)}").replace("\n", "\\n")
        lines.append(f"  {_dot_str(comp.name)} [label={label}, fillcolor={_dot_str(fill)}];")
    for edge in _edges(model):
        label = "\\n".join(_dot_str(part)[1:-1] for part in _edge_caption(edge))
        lines.append(f'  {_dot_str(edge.source)} -> {_dot_str(edge.target)} [label="{label}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- mermaid -------------------------------------------------------------------------------


def _mermaid_str(text: str) -> str:
    return text.replace('"', "#quot;")


def render_mermaid(model: TopologyModel) -> str:
    """Return a Mermaid flowchart for ``model`` (GitHub and mkdocs render it)."""
    ids = {name: f"c{i}" for i, name in enumerate(model.components)}
    lines = ["flowchart LR"]
    for comp in model.components.values():
        label = f'"{_mermaid_str(comp.name)}<br/>{_node_caption(comp)}"'
        shape = f"([{label}])" if comp.is_spout else f"[{label}]"
        lines.append(f"  {ids[comp.name]}{shape}")
    for edge in _edges(model):
        stream, grouping = (_mermaid_str(p) for p in _edge_caption(edge))
        lines.append(f'  {ids[edge.source]} -->|"{stream}<br/>{grouping}"| {ids[edge.target]}')
    return "\n".join(lines) + "\n"


# -- png -------------------------------------------------------------------------------


def render_png(model: TopologyModel) -> bytes:
    """Return a PNG of ``model`` drawn by Graphviz's ``dot`` (which must be installed)."""
    dot = shutil.which("dot")
    if dot is None:
        raise SquallError(
            "PNG output needs Graphviz's 'dot' program, which is not on PATH: install it "
            "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz) or use --format svg"
        )
    proc = subprocess.run([dot, "-Tpng"], input=render_dot(model).encode(), capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise SquallError(f"Graphviz 'dot -Tpng' failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


# -- svg (pure Python layered layout) ---------------------------------------------------------

_CHAR_W, _NODE_H, _GAP_X, _GAP_Y, _PAD = 7.2, 46, 200, 36, 20


def _layers(model: TopologyModel) -> list[list[str]]:
    """Assign each component a column: its longest path from a spout (back edges ignored)."""
    preds = {name: [i.source for i in comp.inputs] for name, comp in model.components.items()}
    depth: dict[str, int] = {}
    visiting: set[str] = set()

    def visit(name: str) -> int:
        if name in depth:
            return depth[name]
        if name in visiting:  # a cycle: this edge points back
            return -1
        visiting.add(name)
        depth[name] = 1 + max((visit(p) for p in preds[name]), default=-1)
        visiting.discard(name)
        return depth[name]

    for name in model.components:
        visit(name)
    columns: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for name in model.components:
        columns[depth[name]].append(name)
    for i in range(1, len(columns)):  # order by the mean row of predecessors
        rows = {n: r for r, n in enumerate(columns[i - 1])}
        columns[i].sort(key=lambda n: sum(rows.get(p, 0) for p in preds[n]) / max(1, len(preds[n])))
    return columns


def _node_width(comp: ComponentModel) -> float:
    return max(len(comp.name), len(_node_caption(comp))) * _CHAR_W + 24


def render_svg(model: TopologyModel) -> str:
    """Return a standalone SVG drawing of ``model``; needs no external program.

    Jupyter shows a ``Topology`` class with it (``_repr_svg_``).
    """
    columns = _layers(model)
    width_of = {n: _node_width(c) for n, c in model.components.items()}
    col_w = [max((width_of[n] for n in col), default=0) for col in columns]
    tallest = max((len(col) for col in columns), default=0)
    height = _PAD * 2 + 30 + max(tallest * (_NODE_H + _GAP_Y) - _GAP_Y, 0)
    pos: dict[str, tuple[float, float]] = {}
    x: float = _PAD
    for col, w in zip(columns, col_w):
        col_h = len(col) * (_NODE_H + _GAP_Y) - _GAP_Y
        y = 30 + _PAD + (height - 30 - 2 * _PAD - col_h) / 2
        for name in col:
            pos[name] = (x + (w - width_of[name]) / 2, y)
            y += _NODE_H + _GAP_Y
        x += w + _GAP_X
    width = max(x - _GAP_X + _PAD, 200)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="Helvetica, Arial, sans-serif">',
        f"<title>{escape(model.name)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
        f'<text x="{_PAD}" y="{_PAD + 8}" font-size="14" font-weight="bold">{escape(model.name)}</text>',
    ]
    edges = _edges(model)
    incoming: dict[str, list[_Edge]] = {}
    for edge in sorted(edges, key=lambda e: pos[e.source][1]):
        incoming.setdefault(edge.target, []).append(edge)
    for edge in edges:
        siblings = incoming[edge.target]
        out.append(_svg_edge(edge, pos, width_of, (siblings.index(edge), len(siblings))))
    for name, comp in model.components.items():
        out.append(_svg_node(comp, pos[name], width_of[name]))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _svg_node(comp: ComponentModel, at: tuple[float, float], w: float) -> str:
    x, y = at
    fill, stroke = ("#dbeafe", "#2563eb") if comp.is_spout else ("#fef3c7", "#d97706")
    rx = _NODE_H / 2 if comp.is_spout else 8
    return (
        f'<g class="component {comp.kind}" id="component-{escape(comp.name)}">'
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{_NODE_H}" rx="{rx}" '
        f'fill="{fill}" stroke="{stroke}"/>'
        f'<text x="{x + w / 2:.1f}" y="{y + 19:.1f}" text-anchor="middle" font-size="13" '
        f'font-weight="bold">{escape(comp.name)}</text>'
        f'<text x="{x + w / 2:.1f}" y="{y + 36:.1f}" text-anchor="middle" font-size="11" '
        f'fill="#444">{escape(_node_caption(comp))}</text></g>'
    )


def _bezier(p: list[tuple[float, float]], t: float) -> tuple[float, float]:
    u = 1 - t
    x = u**3 * p[0][0] + 3 * u * u * t * p[1][0] + 3 * u * t * t * p[2][0] + t**3 * p[3][0]
    y = u**3 * p[0][1] + 3 * u * u * t * p[1][1] + 3 * u * t * t * p[2][1] + t**3 * p[3][1]
    return x, y


def _svg_edge(edge: _Edge, pos: dict[str, tuple[float, float]], width_of: dict[str, float],
              port: tuple[int, int] = (0, 1)) -> str:
    """Draw one edge; ``port`` is (index, count) of the edges entering the target."""
    sx, sy = pos[edge.source]
    tx, ty = pos[edge.target]
    stream, grouping = _edge_caption(edge)
    index, count = port
    if tx > sx:  # forward: right side to left side, label in the gap before the target
        x1, y1 = sx + width_of[edge.source], sy + _NODE_H / 2
        x2, y2 = tx, ty + _NODE_H * (index + 1) / (count + 1)
        bend = (x2 - x1) / 2
        points = [(x1, y1), (x1 + bend, y1), (x2 - bend, y2), (x2, y2)]
        label_x = x2 - min(_GAP_X / 2, (x2 - x1) / 2)
        lx, ly = min((_bezier(points, i / 64) for i in range(65)), key=lambda p: abs(p[0] - label_x))
        ly += (index - (count - 1) / 2) * 8
    else:  # back edge or self loop: arc over the top
        x1, y1 = sx + width_of[edge.source] / 2, sy
        x2, y2 = tx + width_of[edge.target] / 2, ty
        lift = min(y1, y2) - 28
        points = [(x1, y1), (x1 + 40, lift), (x2 - 40, lift), (x2, y2)]
        lx, ly = (x1 + x2) / 2, lift + 4
    path = "M {:.1f} {:.1f} C {:.1f} {:.1f}, {:.1f} {:.1f}, {:.1f} {:.1f}".format(*(c for p in points for c in p))
    return (
        f'<g class="edge" data-source="{escape(edge.source)}" data-target="{escape(edge.target)}" '
        f'data-stream="{escape(edge.stream)}" data-grouping="{escape(edge.grouping)}">'
        f'<path d="{path}" fill="none" stroke="#555" stroke-width="1.4" marker-end="url(#arrow)"/>'
        f'<text x="{lx:.1f}" y="{ly - 14:.1f}" text-anchor="middle" font-size="10" fill="#333" stroke="#fff" stroke-width="3" paint-order="stroke">{escape(stream)}</text>'
        f'<text x="{lx:.1f}" y="{ly - 3:.1f}" text-anchor="middle" font-size="10" fill="#7c3aed" stroke="#fff" stroke-width="3" paint-order="stroke">{escape(grouping)}</text></g>'
    )
