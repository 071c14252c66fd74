"""``squall cluster up|down|status``: the local Storm dev cluster."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from squall.cli._common import need
from squall.cli._terminal import is_interactive, make_console

__all__ = ["cluster"]

_HOME = click.option("--home", type=click.Path(file_okay=False, path_type=Path),
                     envvar="SQUALL_CLUSTER_HOME",
                     help="Cluster folder (default: $SQUALL_CLUSTER_HOME or ~/.squall/cluster).")


@click.group(epilog="""\b
Examples:
  squall cluster up                     # first run downloads Storm's jars from Maven Central
  squall cluster status
  squall cluster down
""")
def cluster() -> None:
    """Start, inspect and stop a real one-machine Storm cluster for development."""


@contextmanager
def _progress() -> Iterator[Callable[[str], None]]:
    """Yield a progress callback: a spinner with history on a TTY, plain lines otherwise."""
    if not is_interactive(sys.stdout):
        yield lambda message: click.echo(f"squall: {message}")
        return
    console = make_console(sys.stdout)
    with console.status("starting...") as status:
        def report(message: str) -> None:
            console.log(message)
            status.update(message)

        yield report


def _dev_cluster(home: Path | None, **kwargs: Any) -> Any:
    dev_cluster = need("squall.devcluster", "DevCluster", "the Storm dev cluster")
    return dev_cluster(home=home, **kwargs)


@cluster.command(epilog="""\b
Example:
  squall cluster up --storm-version 2.8.3 --home /tmp/storm-dev
""")
@click.option("--storm-version", metavar="V", help="Apache Storm version (default: squall's tested one).")
@_HOME
@click.option("--exit-with-pid", type=click.IntRange(min=1), metavar="PID",
              help="Stop the cluster when process PID ends (e.g. $$ in a CI script).")
def up(storm_version: str | None, home: Path | None, exit_with_pid: int | None) -> None:
    """Start ZooKeeper, Nimbus and a Supervisor on 127.0.0.1 (no-op if running).

    Storm's UI is started too when its jars are available (they are not on Maven Central).

    The cluster keeps running after this command returns; stop it with `squall cluster down`.
    """
    kwargs: dict[str, Any] = {"version": storm_version} if storm_version else {}
    with _progress() as report:
        dev = _dev_cluster(home, progress=report, **kwargs)
        status = dev.up(exit_with_pid=exit_with_pid)
    _print_addresses(dev, status)


@cluster.command(epilog="""\b
Example:
  squall cluster down
""")
@_HOME
def down(home: Path | None) -> None:
    """Stop every process of the dev cluster, workers included."""
    dev = _dev_cluster(home)
    ended = dev.down()
    if ended:
        click.echo(f"Dev cluster in {dev.home} stopped ({len(ended)} processes).")
    else:
        click.echo(f"No dev cluster was running in {dev.home}.")


@cluster.command(epilog="""\b
Example:
  squall cluster status && squall submit topologies/wordcount.py
""")
@_HOME
def status(home: Path | None) -> None:
    """Show the dev cluster's daemons and addresses (exit code 3 when it is not running)."""
    dev = _dev_cluster(home)
    state = dev.status()
    if not state.daemons:
        click.echo(f"No dev cluster recorded in {dev.home}: start one with `squall cluster up`.")
        sys.exit(3)
    for daemon in state.daemons.values():
        alive = "running" if daemon.alive else "STOPPED"
        click.echo(f"  {daemon.name:<11} pid {daemon.pid:<8} {alive:<8} log {daemon.log}")
    click.echo(f"  workers     {len(state.worker_pids)} running")
    if state.running:
        _print_addresses(dev, state)
    else:
        click.echo("Some daemons stopped: run `squall cluster down` then `squall cluster up`.")
        sys.exit(3)


def _print_addresses(dev: Any, state: Any) -> None:
    host, port = state.nimbus_address
    ui = dev.ui_url
    click.echo(f"Storm {state.version} dev cluster running in {dev.home}")
    click.echo(f"  Nimbus:   {host}:{port}")
    click.echo(f"  UI:       {ui if ui else '(not served)'}")
    click.echo(f"  Logs:     {dev.log_dir}")
