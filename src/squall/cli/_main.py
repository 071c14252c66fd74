"""The ``squall`` command group: global flags, error reporting, exit codes."""

from __future__ import annotations

import sys
from typing import Any

import click

from squall._version import __version__
from squall.errors import SquallError

__all__ = ["main"]

_HELP = """Run Python spouts and bolts on every core, or on Apache Storm 2.x.

\b
Exit codes:
  0  success (also a run stopped with Ctrl-C, SIGTERM or -t)
  1  error: one line "Error: ..." on stderr (-v/--debug shows the traceback);
     also a run whose spouts gave up on tuples or whose tasks crashed
  2  usage error (unknown option, bad -o/--par value)
  3  `squall cluster status`: no dev cluster running
  3  `squall kafka status`: no Kafka dev broker running

\b
Shell completion (bash, zsh, fish):
  eval "$(_SQUALL_COMPLETE=bash_source squall)"     # or: eval "$(squall completion bash)"
"""

_EPILOG = """\b
Examples:
  squall quickstart wordcount && cd wordcount
  squall run topologies/wordcount.py -t 30
  squall run -o topology.message.timeout.secs=5 --par count=4
  squall cluster up
"""


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class SquallGroup(click.Group):
    """A click group that prints every SquallError as one ``Error: ...`` line (exit 1).

    With ``-v/--debug`` (or ``SQUALL_DEBUG=1``) the exception propagates with its traceback.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SquallError as exc:
            if ctx.params.get("debug"):
                raise
            raise click.ClickException(_one_line(exc)) from None


@click.group(cls=SquallGroup, help=_HELP, epilog=_EPILOG,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="squall",
                      message=f"%(prog)s %(version)s (Python {sys.version.split()[0]})")
@click.option("-v", "--debug", is_flag=True, envvar="SQUALL_DEBUG",
              help="Show full tracebacks instead of one-line errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """The squall command line."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@main.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL.

    \b
    Example:
      eval "$(squall completion bash)"                 # in ~/.bashrc
      squall completion fish > ~/.config/fish/completions/squall.fish
    """
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    if cls is None:  # pragma: no cover - click ships all three
        raise click.UsageError(f"no completion support for {shell!r}")
    click.echo(cls(main, {}, "squall", "_SQUALL_COMPLETE").source())


def _register_commands() -> None:
    from squall.cli import _cluster, _kafka, _run, _storm_commands, _ui, _workflow

    main.add_command(_run.run)
    main.add_command(_cluster.cluster)
    main.add_command(_kafka.kafka)
    main.add_command(_workflow.quickstart)
    main.add_command(_workflow.visualize)
    _storm_commands.register(main)
    main.add_command(_ui.ui)


_register_commands()
