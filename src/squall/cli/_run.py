"""``squall run``: run a topology on the embedded engine (or on Storm) with a live view."""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import click
from rich.live import Live

from squall.cli._params import SECONDS
from squall.cli._common import Loaded, env_option, load, need, option_options, par_options, target_argument
from squall.cli._retention import prune_runs
from squall.cli._stopping import StopSignals
from squall.cli._runview import RateTracker, plain_lines, progress_table, summary_table
from squall.cli._terminal import is_interactive, make_console, quiet_terminal
from squall.cli._ui import DashboardSettings, run_dashboard_options, serve_embedded
from squall.errors import ComponentCrashed, ConfigError, EngineError

__all__ = ["run"]

_PLAIN_EVERY_SECS = 5.0
_STOP_POLL_SECS = 0.1  # how soon the live table says "stopping" after Ctrl-C
_NOTICE = "Stopping: draining pending tuples... (Ctrl-C again to force)"
_STOPPING = "stopping: draining pending tuples... (Ctrl-C again to force)"


@click.command(short_help="Run a topology on every core (or on Storm) with a live view.", epilog="""\b
Examples:
  squall run                                    # the project's topology, until Ctrl-C
  squall run topologies/wordcount.py -t 30      # for 30 seconds
  squall run flows.py:WordCount --until-idle    # until every tuple is processed
  squall run -o topology.message.timeout.secs=5 --par count=4
  squall run --engine storm -t 60               # on the local dev cluster
  squall run examples/wordcount.py --ui         # with a live web dashboard (and /metrics)
""")
@target_argument
@click.option("-t", "--time", "seconds", type=SECONDS, metavar="SECONDS",
              help="Begin the stop SECONDS after the tasks start (default: run until Ctrl-C or SIGTERM).")
@option_options
@par_options
@click.option("--until-idle", is_flag=True,
              help="Stop when the spouts are done and every tuple is acked or failed.")
@click.option("--engine", type=click.Choice(["embedded", "storm"]), default="embedded", show_default=True,
              help="embedded: every core of this machine; storm: submit to the env's Storm cluster.")
@env_option
@click.option("--log-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the tasks' logs (default: the env's log_dir, else .squall/runs/<topology>-<time>/ in the project).")
@run_dashboard_options
def run(target: str | None, seconds: float | None, options: tuple[tuple[str, Any], ...],
        par: tuple[tuple[str, int], ...], until_idle: bool, engine: str, env_name: str | None,
        log_dir: Path | None, dashboard: DashboardSettings) -> None:
    """Run the topology TARGET (file.py[:Class] or package.module:Class).

    Without TARGET, runs the project's topology: squall.toml's `topology`, else the one
    Topology in topologies/ or in the current folder. Ctrl-C or SIGTERM stops it cleanly
    and prints the summary.
    """
    loaded = load(target, env_name, options, par)
    if engine == "storm":
        if until_idle:
            raise click.UsageError("--until-idle works on the embedded engine only; use -t with --engine storm")
        if dashboard.wanted:
            raise click.UsageError("--ui/--metrics-port serve the embedded engine; "
                                   "for a Storm cluster use `squall ui`")
        _run_on_storm(loaded, seconds)
        return
    need("squall.engine", "check_conf", "the embedded engine")(loaded.model)  # before any folder or process
    if log_dir is not None:
        where = "--log-dir"
    elif loaded.env.log_dir is not None:
        log_dir, where = loaded.env.log_dir, f"log_dir of [env.{loaded.env.name}] in {loaded.env.source}"
    else:
        prune_runs(loaded.project.root / ".squall" / "runs", loaded.project.keep_runs)
        log_dir, where = _fresh_log_dir(loaded.project.root, loaded.model.name), "--log-dir"
    _run_embedded(loaded, seconds, until_idle, _make_log_dir(log_dir.resolve(), where), dashboard)


def _make_log_dir(path: Path, where: str) -> Path:
    """Create the tasks' log folder before anything starts; ``where`` names the setting to fix."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the log folder {path}: {exc.strerror}; "
                          f"set {where} to a writable folder") from None
    return path


def _fresh_log_dir(root: Path, topology: str) -> Path:
    """Create ``<project root>/.squall/runs/<topology>-<time>[-N]``, a folder no other run uses."""
    fresh_run_dir = need("squall.engine", "fresh_run_dir", "the embedded engine")
    try:
        return fresh_run_dir(root / ".squall" / "runs", topology)  # type: ignore[no-any-return]
    except OSError as exc:
        raise ConfigError(f"cannot create a run folder in {root / '.squall' / 'runs'}: {exc.strerror}; "
                          "pass --log-dir with a writable folder") from None


def _run_embedded(loaded: Loaded, seconds: float | None, until_idle: bool, log_dir: Path,
                  dashboard: DashboardSettings = DashboardSettings()) -> None:
    run_local = need("squall.engine", "run_local", "the embedded engine")
    model = loaded.model
    console = make_console(sys.stdout)
    how = f"for {seconds:g}s" if seconds else ("until idle" if until_idle else "until Ctrl-C")
    tasks = sum(c.par for c in model.components.values())
    click.echo(f"Running {model.name} ({len(model.components)} components, {tasks} tasks) {how}")
    click.echo(f"Logs: {log_dir}")
    interactive = is_interactive(sys.stdout)
    order = list(model.components)
    stop, kill = threading.Event(), threading.Event()
    # on a terminal the live table's heading says it; a handler must not write mid-table
    notify = None if interactive else (lambda: click.echo(_NOTICE, err=True))
    signals = StopSignals(stop, notify, kill)
    try:
        with signals.installed():
            with _progress_view(console, interactive, model.name, order, signals) as view, \
                    serve_embedded(dashboard, model, stop, view) as on_progress:
                result = run_local(model, time=seconds, until_idle=until_idle, log_dir=log_dir,
                                   on_progress=on_progress, stop_event=stop, kill_event=kill)
    except EngineError as exc:
        partial = getattr(exc, "result", None)
        if partial is not None:
            _print_summary(console, partial, order, interactive)
        raise
    _print_summary(console, result, order, interactive)
    if result.stop_reason == "failed":
        first = result.crashes[0].summary() if result.crashes else "the engine stopped the run"
        raise ComponentCrashed(f"{model.name} failed: {first}; see the logs in {result.log_dir}")
    problem = result.problem()
    if problem is not None:  # a tuple neither processed nor replayed, or a crash: never exit 0
        raise ComponentCrashed(f"{model.name}: {problem}; see the logs in {result.log_dir}")


def _print_summary(console: Any, result: Any, order: list[str], interactive: bool) -> None:
    table = summary_table(result, order, plain=not interactive)
    if interactive:
        console.print(table)
    else:  # rich pads the title and caption to the table's width: no trailing blanks in logs
        with console.capture() as captured:
            console.print(table)
        for line in captured.get().splitlines():
            click.echo(line.rstrip())
    for crash in result.crashes:
        where = f" (log: {crash.log_file})" if crash.log_file else ""
        click.echo(f"crash: {crash.summary()}{where}", err=True)
    click.echo(f"Logs: {result.log_dir}")


@contextmanager
def _progress_view(console: Any, interactive: bool, title: str, order: list[str],
                   signals: StopSignals, stopping: str = _STOPPING) -> Iterator[Callable[[Any], None]]:
    """Yield the ``on_progress`` callback: a rich Live table, or plain lines every few seconds.

    The live table is drawn whole or not at all (``signals.atomic``), and redrawn with a
    "stopping" heading as soon as the stop event is set, by a helper thread: the engine
    calls ``on_progress`` no more while it drains. Leaving the block clears the table.
    """
    rates = RateTracker()
    if not interactive:
        last = [float("-inf")]

        def plain(snapshot: Any) -> None:
            rates.update(snapshot)
            if snapshot.elapsed - last[0] >= _PLAIN_EVERY_SECS:
                last[0] = snapshot.elapsed
                for line in plain_lines(snapshot, rates.rates, order):
                    click.echo(line)

        yield plain
        return
    latest: list[Any] = []
    closing = threading.Event()

    def draw(live: Live, snapshot: Any) -> None:
        state = stopping if signals.stop.is_set() else "(Ctrl-C to stop)"
        heading = f"{title}  {snapshot.elapsed:.0f}s  {state}"
        with signals.atomic():
            live.update(progress_table(snapshot, rates.rates, heading, order), refresh=True)

    def on_stop(live: Live) -> None:
        while not closing.is_set():
            if signals.stop.wait(_STOP_POLL_SECS):
                if latest and not closing.is_set():
                    draw(live, latest[-1])
                return

    with quiet_terminal(console.file), \
            Live(console=console, auto_refresh=False, transient=True) as live:
        def update(snapshot: Any) -> None:
            rates.update(snapshot)
            latest[:] = [snapshot]
            draw(live, snapshot)

        helper = threading.Thread(target=on_stop, args=(live,), name="squall-live-stop", daemon=True)
        helper.start()
        try:
            yield update
        finally:
            closing.set()
            helper.join()


def _run_on_storm(loaded: Loaded, seconds: float | None) -> None:
    """Submit to the env's Storm cluster, wait ``seconds`` (or until Ctrl-C), then kill it."""
    submit = need("squall.storm._submit", "submit", "`squall run --engine storm`")
    kill = need("squall.storm._control", "kill", "`squall run --engine storm`")
    from squall.config import storm_env

    env = storm_env(loaded.env)
    name = loaded.model.name

    def report(message: str) -> None:
        click.echo(f"squall: {message}")

    submitted = submit(loaded.model, env, force=True, wait=True,
                       project_root=loaded.target.project_root, progress=report)
    click.echo(f"Running {name} on Storm ({env.name}: Nimbus {env.nimbus_host}:{env.nimbus_port}) as "
               f"{submitted.id}" + (f" for {seconds:g}s" if seconds else " until Ctrl-C"))
    if env.ui_url:
        click.echo(f"Storm UI: {env.ui_url}")
    if env.log_dir:
        click.echo(f"Logs: {env.log_dir}/workers-artifacts/{submitted.id}")
    stop = threading.Event()
    console, interactive, order = make_console(sys.stdout), is_interactive(sys.stdout), list(loaded.model.components)
    try:
        signals = StopSignals(stop, None if interactive else (lambda: click.echo("Stopping...", err=True)))
        with signals.installed():
            with _progress_view(console, interactive, name, order, signals,
                                "stopping... (Ctrl-C again to force)") as on_progress:
                # the stop begins on time (spouts deactivated), then the final figures, then kill
                result = need("squall.storm._live", "watch", "the Storm live view")(
                    name, env, seconds, stop, on_progress,
                    on_stop=lambda: need("squall.storm._control", "deactivate", "`squall run`")(name, env))
    finally:
        click.echo(f"squall: killing {name}")
        kill(name, env, wait_secs=0, wait_gone=120.0)
    _print_storm_summary(console, result, order, interactive)
    click.echo(f"Killed {name} on Storm.")


def _print_storm_summary(console: Any, result: Any, order: list[str], interactive: bool) -> None:
    table = summary_table(result, order, plain=not interactive)
    table.caption = "latency: spouts complete (emit to ack) mean, bolts execute mean; from Nimbus"
    with console.capture() as captured:
        console.print(table)
    for line in captured.get().splitlines():
        click.echo(line.rstrip())
    for error in result.errors:
        first = error.message.strip().splitlines()[0] if error.message.strip() else "(no message)"
        click.echo(f"error in {error.component} ({error.host}:{error.port}): {first}", err=True)
