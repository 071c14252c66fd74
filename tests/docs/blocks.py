"""Extract the fenced code blocks of a docs page and run them the way a reader would.

A block is run when an HTML comment right before it says how:

- ``<!-- test -->`` + ```` ```console ````: run each ``$ `` line in bash (exit 0 needed);
  the working directory carries over from block to block (``cd`` works).
- ``<!-- test -->`` + ```` ```python ````: exec'd after the page's earlier python blocks,
  in a fresh interpreter, in the current directory (which is on ``sys.path``).
- ``<!-- test: file PATH -->``: write the block to PATH (relative to the current dir).
- ``<!-- test: same PATH -->``: the block must equal the file PATH.
- ``<!-- test: toml -->``: the block must be a valid ``squall.toml``.
- ``<!-- test: storm -->``: a console block needing the Storm dev cluster (storm tests only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
_MARKER = re.compile(r"<!--\s*test(?::\s*(\w+)(?:\s+(\S+))?)?\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    line: int
    lang: str
    code: str
    action: str | None  # None: no marker; "run", "file", "same", "toml", "storm"
    arg: str | None

    def commands(self) -> list[str]:
        return [line[2:] for line in self.code.splitlines() if line.startswith("$ ")]


def blocks(page: str) -> list[Block]:
    text = (DOCS / page).read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").splitlines()
        marker = _MARKER.search(before[-1]) if before else None
        action = arg = None
        if marker:
            action, arg = marker.group(1) or "run", marker.group(2)
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(line, match.group(1), match.group(2), action, arg))
    return found
