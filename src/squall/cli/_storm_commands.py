"""The Storm commands: submit, list, kill, activate, deactivate, rebalance, stats, tail, jar.

Each takes ``-e ENV`` (an [env.NAME] of squall.toml; default: its default_env, else the
local dev cluster). Library work happens in ``squall.storm``; this module only parses,
calls, and prints.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Iterable, Sequence

import click

from squall.cli._common import env_option, load, option_options, par_options, target_argument

__all__ = ["register"]


def _say(message: str) -> None:
    click.echo(f"squall: {message}", err=True)


def _storm_env(env_name: str | None) -> Any:
    from squall.config import load_project, storm_env

    return storm_env(load_project().env(env_name))


@click.command(short_help="Submit a topology to a Storm cluster.", epilog="""\b
Examples:
  squall submit                                  # the project's topology, to env 'local'
  squall submit topologies/wordcount.py -e prod -w 4 -o topology.max.spout.pending=500
  squall submit -f -N wordcount-canary --wait    # replace a running one, wait for executors""")
@target_argument
@env_option
@click.option("-f", "--force", is_flag=True, help="Kill a running topology of the same name first.")
@click.option("-i", "--inactive", is_flag=True, help="Submit deactivated (spouts idle until `squall activate`).")
@click.option("-w", "--workers", type=click.IntRange(min=1), help="Worker JVMs (topology.workers).")
@click.option("-a", "--ackers", type=click.IntRange(min=0), help="Acker executors (topology.acker.executors).")
@option_options
@par_options
@click.option("-N", "--name", help="Topology name on the cluster (default: the topology's name).")
@click.option("--wait", is_flag=True, help="Return only once every task has started.")
def submit(target: str | None, env_name: str | None, force: bool, inactive: bool,
           workers: int | None, ackers: int | None, options: Iterable[tuple[str, Any]],
           par: Iterable[tuple[str, int]], name: str | None, wait: bool) -> None:
    """Package TARGET with its project (no JVM tools needed) and submit it to Storm.

    Conf precedence: -o/-w/-a > Topology.config > the env's options > squall's defaults.
    """
    from squall.config import storm_env
    from squall.storm._submit import submit as submit_topology

    loaded = load(target, env_name, options, par)
    env = storm_env(loaded.env)
    result = submit_topology(loaded.model, env, name=name, force=force, inactive=inactive,
                             workers=workers, ackers=ackers, options=dict(options), wait=wait,
                             project_root=loaded.target.project_root, progress=_say)
    state = "inactive" if inactive else "active"
    click.echo(f"Submitted {result.name} ({result.id}, {state}) to {env.name} "
               f"in {result.seconds:.1f}s.")


@click.command(name="list", short_help="List the topologies running on a Storm cluster.",
               epilog="""\b
Examples:
  squall list -e prod
  squall list --json | jq -r '.[].name'""")
@env_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (one object per topology).")
def list_command(env_name: str | None, as_json: bool) -> None:
    """List the topologies running on the env's Storm cluster."""
    from squall.storm._control import list_topologies

    topologies = list_topologies(_storm_env(env_name))
    if as_json:
        _echo_json([dataclasses.asdict(t) for t in topologies])
        return
    if not topologies:
        click.echo("No topologies running.")
        return
    rows = [("NAME", "ID", "STATUS", "UPTIME", "WORKERS", "EXECUTORS", "TASKS")]
    rows += [(t.name, t.id, t.status, _duration(t.uptime_secs), str(t.num_workers),
              str(t.num_executors), str(t.num_tasks)) for t in topologies]
    _table(rows)


@click.command(short_help="Kill a topology.", epilog="""\b
Examples:
  squall kill WordCount             # deactivate, wait the message timeout, remove
  squall kill WordCount --wait 0    # remove now""")
@click.argument("name")
@env_option
@click.option("--wait", "wait_secs", type=click.IntRange(min=0),
              help="Seconds between deactivation and removal (default: the message timeout).")
def kill(name: str, env_name: str | None, wait_secs: int | None) -> None:
    """Kill topology NAME and wait until the cluster no longer lists it."""
    from squall.storm._control import kill as kill_topology

    env = _storm_env(env_name)
    _say(f"killing {name}")
    kill_topology(name, env, wait_secs=wait_secs, wait_gone=(wait_secs or 30) + 120.0)
    click.echo(f"Killed {name}.")


@click.command(short_help="Activate a topology (spouts emit).", epilog="""\b
Example:
  squall activate WordCount""")
@click.argument("name")
@env_option
def activate(name: str, env_name: str | None) -> None:
    """Activate topology NAME: its spouts start emitting."""
    from squall.storm._control import activate as activate_topology

    activate_topology(name, _storm_env(env_name))
    click.echo(f"Activated {name}.")


@click.command(short_help="Deactivate a topology (spouts pause).", epilog="""\b
Example:
  squall deactivate WordCount""")
@click.argument("name")
@env_option
def deactivate(name: str, env_name: str | None) -> None:
    """Deactivate topology NAME: its spouts stop emitting until activated."""
    from squall.storm._control import deactivate as deactivate_topology

    deactivate_topology(name, _storm_env(env_name))
    click.echo(f"Deactivated {name}.")


@click.command(short_help="Change a topology's workers or executors.", epilog="""\b
Example:
  squall rebalance WordCount -w 2 --par count=1""")
@click.argument("name")
@env_option
@click.option("-w", "--workers", type=click.IntRange(min=1), help="New number of worker JVMs.")
@par_options
@click.option("--wait", "wait_secs", type=click.IntRange(min=0),
              help="Seconds to deactivate before moving (default: the message timeout).")
def rebalance(name: str, env_name: str | None, workers: int | None,
              par: Iterable[tuple[str, int]], wait_secs: int | None) -> None:
    """Move topology NAME onto -w workers and/or change executors per component (--par).

    A component cannot get more executors than the tasks it was submitted with.
    """
    from squall.storm._control import rebalance as rebalance_topology

    par_map = dict(par)
    if workers is None and not par_map:
        raise click.UsageError("nothing to change: give -w N and/or --par component=N")
    rebalance_topology(name, _storm_env(env_name), workers=workers, par=par_map,
                       wait_secs=wait_secs)
    click.echo(f"Rebalancing {name}.")


@click.command(short_help="Show a topology's per-component stats and errors.", epilog="""\b
Examples:
  squall stats                  # every topology on the env
  squall stats WordCount -c count
  squall stats WordCount --json""")
@click.argument("name", required=False)
@env_option
@click.option("-c", "--component", help="Only this component.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array (one object per topology, with components and errors).")
def stats(name: str | None, env_name: str | None, component: str | None, as_json: bool) -> None:
    """Show emitted/acked/failed counts, latencies, capacity and recent errors.

    Figures are Nimbus's topology-page aggregates (what Storm's UI shows; capacity
    over the last 10 minutes) and lag by up to executor.metrics.frequency.secs.
    """
    from squall.storm._control import list_topologies
    from squall.storm._stats import stats as topology_stats

    env = _storm_env(env_name)
    names = [name] if name else [t.name for t in list_topologies(env)]
    if as_json:
        _echo_json([_stats_json(topology_stats(n, env, component)) for n in names])
        return
    if not names:
        click.echo("No topologies running.")
    for index, topo_name in enumerate(names):
        if index:
            click.echo("")
        _print_stats(topology_stats(topo_name, env, component))


def _stats_json(result: Any) -> dict[str, Any]:
    data = dataclasses.asdict(result)
    data["errors"] = [dataclasses.asdict(e) for e in result.errors]
    return data


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def _print_stats(result: Any) -> None:
    click.echo(f"{result.name} ({result.id}) {result.status}, up {_duration(result.uptime_secs)}")
    rows = [("COMPONENT", "KIND", "TASKS", "EMITTED", "ACKED", "FAILED", "LATENCY ms", "CAPACITY")]
    for comp in result.components.values():
        # spouts: emit to ack of the tree; bolts: receipt to ack (a shell bolt's execute
        # latency only times the hand-over to its Python process)
        latency = comp.complete_latency_ms if comp.kind == "spout" else comp.process_latency_ms
        rows.append((comp.name, comp.kind, str(comp.tasks), str(comp.emitted), str(comp.acked),
                     str(comp.failed), _num(latency), _num(comp.capacity)))
    _table(rows)
    if any(c.reporting == 0 for c in result.components.values()):
        click.echo("(some executors have not reported yet: stats lag by up to "
                   "executor.metrics.frequency.secs)")
    for error in result.errors[:10]:
        first = error.message.strip().splitlines()[0] if error.message.strip() else ""
        click.echo(f"error in {error.component} ({error.host}:{error.port}): {first}")


@click.command(short_help="Show a topology's worker logs.", epilog="""\b
Examples:
  squall tail WordCount             # the last lines of each worker log
  squall tail WordCount -f -p count # follow, only lines matching 'count'""")
@click.argument("name")
@env_option
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until Ctrl-C.")
@click.option("-n", "--lines", default=20, show_default=True, type=click.IntRange(min=0),
              help="Lines to show from the end of each log.")
@click.option("-p", "--pattern", help="Only lines matching this regular expression.")
def tail(name: str, env_name: str | None, follow: bool, lines: int, pattern: str | None) -> None:
    """Print the worker logs of topology NAME (clusters on this machine only)."""
    from squall.storm._logs import tail as tail_logs

    try:
        for line in tail_logs(name, _storm_env(env_name), lines=lines, follow=follow,
                              pattern=pattern):
            click.echo(line)
    except KeyboardInterrupt:
        pass


@click.command(short_help="Build the topology jar without submitting it.", epilog="""\b
Examples:
  squall jar                        # -> <topology>.jar in the working directory
  squall jar topologies/wordcount.py -o dist/wordcount.jar -e prod""")
@target_argument
@env_option
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path),
              help="Jar file to write (default: ./<topology name>.jar).")
@click.option("--list", "list_only", is_flag=True,
              help="Only list the project files that would go in (nothing is written).")
def jar(target: str | None, env_name: str | None, output: Path | None, list_only: bool) -> None:
    """Package TARGET, its project, squall and (unless the env names a python) its
    dependencies as a Storm topology jar, with no JVM tool.

    Project files are those git tracks or would track (elsewhere: not ignored by the
    .gitignore files), minus .squallignore, logs, pictures, caches and virtualenvs;
    a file that looks like a secret stops the build."""
    from squall.storm._env import StormEnv
    from squall.storm._jar import build_jar_report
    from squall.storm._vendor import DEFAULT_PLATFORM

    loaded = load(target, env_name)
    if list_only:
        _list_jar(loaded.target.project_root)
        return
    env = StormEnv(name=loaded.env.name, python=loaded.env.python,
                   serializer=loaded.env.serializer or "json", vendor=loaded.env.vendor,
                   python_version=loaded.env.python_version,
                   platform=loaded.env.platforms or None)
    out = output or Path.cwd() / f"{loaded.model.name}.jar"
    report = build_jar_report(loaded.model, loaded.target.project_root, out,
                              serializer=env.serializer, python=env.worker_python,
                              vendor=env.vendors, platform=env.platform or DEFAULT_PLATFORM,
                              python_version=env.python_version, progress=_say)
    click.echo(f"Wrote {report.path} ({report.path.stat().st_size / 1e6:.1f} MB: "
               f"{report.project_files} project files, {len(report.vendored)} wheels).")


def _list_jar(project_root: Path) -> None:
    from squall.storm._files import select_project_files
    from squall.storm._jar import is_reserved

    chosen = select_project_files(Path(project_root))
    total = 0
    for path, rel in chosen.files:
        if not is_reserved(rel):
            size = path.stat().st_size
            total += size
            click.echo(f"resources/{rel}  ({_size(size)})")
    for rel, why in chosen.skipped:
        _say(f"warning: left {rel} out of the jar: {why}")
    count = sum(1 for _, rel in chosen.files if not is_reserved(rel))
    click.echo(f"{count} project files ({_size(total)}) chosen by {chosen.source} in "
               f"{chosen.root}; squall's runtime, the launchers and any vendored wheels "
               "are added at build time.")


def _size(size: int) -> str:
    return f"{size} B" if size < 1000 else f"{size / 1000:.1f} kB" if size < 1e6 else f"{size / 1e6:.1f} MB"


def _duration(secs: int | None) -> str:
    secs = int(secs or 0)
    hours, rest = divmod(secs, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def register(group: click.Group) -> None:
    """Add the Storm commands to ``group``."""
    for command in (submit, list_command, kill, activate, deactivate, rebalance, stats, tail, jar):
        group.add_command(command)
