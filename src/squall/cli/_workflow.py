"""``squall quickstart`` and ``squall visualize``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from squall.cli._common import load, need, target_argument
from squall.errors import ConfigError

__all__ = ["quickstart", "visualize"]

_FORMATS = ("svg", "png", "dot", "mermaid")
_SUFFIXES = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid",
             ".mermaid": "mermaid"}


@click.command(short_help="Create a new project with a word-count topology.", epilog="""\b
Example:
  squall quickstart wordcount && cd wordcount && squall run -t 10
""")
@click.argument("name")
@click.option("-d", "--dir", "dest_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="Folder to create the project in.")
def quickstart(name: str, dest_dir: Path) -> None:
    """Create a new squall project NAME with a word-count topology and its tests."""
    create_project = need("squall.quickstart", "create_project", "squall quickstart")
    root = Path(create_project(name, dest_dir))
    click.echo(f"Created project {name!r} in {root}")
    click.echo("Next steps:")
    click.echo(f"  cd {root}")
    click.echo("  squall run -t 10        # run the topology on every core for 10 seconds")
    click.echo("  python -m pytest        # its tests")


@click.command(epilog="""\b
Examples:
  squall visualize topologies/wordcount.py                 # mermaid on stdout
  squall visualize -o wordcount.svg                        # format from the suffix
  squall visualize --format dot | dot -Tpng > wc.png
""")
@target_argument
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: stdout for dot and mermaid).")
@click.option("-f", "--format", "fmt", type=click.Choice(_FORMATS),
              help="Output format (default: from the -o suffix, else mermaid).")
def visualize(target: str | None, output: Path | None, fmt: str | None) -> None:
    """Draw the topology TARGET as a graph of components and groupings."""
    fmt = fmt or _format_of(output)
    if output is None and fmt in ("svg", "png") and sys.stdout.isatty():
        raise ConfigError(f"--format {fmt} writes binary/XML: give a file with -o topology.{fmt}")
    loaded = load(target)
    render = need("squall.topology._render", "render", "squall visualize")
    data = render(loaded.model, fmt)
    if output is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            click.echo(data, nl=not data.endswith("\n"))
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)  # as `squall jar -o` does
        if isinstance(data, bytes):
            output.write_bytes(data)
        else:
            output.write_text(data)
    except OSError as exc:
        raise ConfigError(f"cannot write {output}: {exc.strerror}; give -o a writable path") from None
    click.echo(f"Wrote {output} ({fmt}, topology {loaded.model.name!r})", err=True)


def _format_of(output: Path | None) -> str:
    """Return the format named by ``output``'s suffix (mermaid without ``-o``)."""
    if output is None:
        return "mermaid"
    fmt = _SUFFIXES.get(output.suffix.lower())
    if fmt is None:
        raise click.UsageError(f"-o {output}: cannot tell the format from {output.suffix or 'no suffix'!r}; "
                               "name the file .svg, .png, .dot, .gv, .mmd or .mermaid, or pass --format")
    return fmt
