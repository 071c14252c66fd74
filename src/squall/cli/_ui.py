"""``squall ui`` (the dashboard of a Storm cluster) and ``squall run``'s ``--ui``/``--metrics-port``.

The server lives in ``squall.dashboard``; this module only turns options into a
server, prints its address and keeps it up while the command runs.
"""

from __future__ import annotations

import functools
import signal
import threading
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

import click

from squall.cli._common import env_option, need

__all__ = ["DashboardSettings", "run_dashboard_options", "serve_embedded", "ui"]

_LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class DashboardSettings:
    """What the user asked for: a page and/or a metrics port, and how to bind them."""

    ui: bool = False
    ui_port: int = 0
    metrics_port: Optional[int] = None
    bind: str = _LOOPBACK
    allow_remote: bool = False
    token: Optional[str] = None

    @property
    def wanted(self) -> bool:
        """Whether any server was asked for."""
        return self.ui or self.metrics_port is not None


def _bind_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--token", envvar="SQUALL_UI_TOKEN", metavar="TOKEN",
                        help="Secret every request must carry (needed with --allow-remote; "
                             "env SQUALL_UI_TOKEN).")(func)
    func = click.option("--allow-remote", is_flag=True,
                        help="Allow --bind to a non-loopback address (requires --token).")(func)
    return click.option("--bind", default=_LOOPBACK, show_default=True, metavar="ADDRESS",
                        help="Address to listen on; only loopback unless --allow-remote.")(func)


def run_dashboard_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--ui``, ``--ui-port``, ``--metrics-port`` and the bind options to ``squall run``.

    The wrapped command receives them as one ``dashboard: DashboardSettings`` argument.
    """
    @functools.wraps(func)
    def wrapper(*args: Any, ui: bool, ui_port: int, metrics_port: Optional[int], bind: str,
                allow_remote: bool, token: Optional[str], **kwargs: Any) -> Any:
        settings = DashboardSettings(ui, ui_port, metrics_port, bind, allow_remote, token)
        if settings.wanted:  # a bad bind fails before the run starts
            need("squall.dashboard", "check_bind", "the dashboard")(bind, allow_remote, token)
        return func(*args, dashboard=settings, **kwargs)

    wrapped = _bind_options(wrapper)
    wrapped = click.option("--metrics-port", type=click.IntRange(0, 65535), metavar="PORT",
                           help="Serve Prometheus /metrics (and the JSON API) on PORT, "
                                "with or without --ui (0: a free port).")(wrapped)
    wrapped = click.option("--ui-port", type=click.IntRange(0, 65535), default=0, metavar="PORT",
                           help="Port of --ui (default: a free port; the address is printed).")(wrapped)
    return click.option("--ui", is_flag=True,
                        help="Serve a live web dashboard of the run (and /metrics); prints its address.")(wrapped)


def _announce(server: Any, what: str) -> None:
    is_loopback = need("squall.dashboard", "is_loopback", "the dashboard")
    where = ("bound to loopback only; --bind/--allow-remote to change" if is_loopback(server.host)
             else "reachable from other machines; requests need the token")
    click.echo(f"{what}: {server.url}  ({where})")


@contextmanager
def serve_embedded(settings: DashboardSettings, model: Any, stop: threading.Event,
                   on_progress: Callable[[Any], None]) -> Iterator[Callable[[Any], None]]:
    """Serve the dashboard/metrics of an embedded run; yield the ``on_progress`` to pass on.

    Without ``--ui``/``--metrics-port`` it yields ``on_progress`` unchanged (no server).
    """
    if not settings.wanted:
        yield on_progress
        return
    dashboard = need("squall.dashboard", "DashboardServer", "the dashboard")
    source = need("squall.dashboard", "EmbeddedSource", "the dashboard")(model, stop_event=stop)
    common = {"host": settings.bind, "token": settings.token, "allow_remote": settings.allow_remote}
    with ExitStack() as stack:
        if settings.ui:
            _announce(stack.enter_context(dashboard(source, port=settings.ui_port, **common)), "Dashboard")
        if settings.metrics_port is not None:
            server = stack.enter_context(dashboard(source, port=settings.metrics_port, ui=False, **common))
            click.echo(f"Metrics: {server.url.split('?')[0]}metrics")

        def both(snapshot: Any) -> None:
            on_progress(snapshot)
            source.on_progress(snapshot)

        yield both


@click.command(short_help="Serve a live web dashboard of a Storm cluster's topologies.", epilog="""\b
Examples:
  squall ui                          # the local dev cluster, on a free port of 127.0.0.1
  squall ui -e prod --port 8700      # the env's Nimbus
  squall ui --bind 0.0.0.0 --allow-remote --token "$(openssl rand -hex 16)"
  curl -s http://127.0.0.1:8700/metrics          # Prometheus text format
""")
@env_option
@click.option("-p", "--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port to listen on (0: a free port; the address is printed).")
@_bind_options
def ui(env_name: Optional[str], port: int, bind: str, allow_remote: bool, token: Optional[str]) -> None:
    """Serve a dashboard of the env's Storm cluster until Ctrl-C: the topologies, each one's
    graph with live rates and capacity, figures per component and task, last errors, and
    kill/activate/deactivate/rebalance. Also serves /metrics (Prometheus) and a JSON API.
    """
    from squall.config import load_project, storm_env

    need("squall.dashboard", "check_bind", "the dashboard")(bind, allow_remote, token)
    env = storm_env(load_project().env(env_name))
    dashboard = need("squall.dashboard", "DashboardServer", "the dashboard")
    source = need("squall.dashboard", "StormSource", "the Storm dashboard")(env)
    source.topologies()  # an unreachable Nimbus fails here, in one line, not in the page
    with dashboard(source, host=bind, port=port, token=token, allow_remote=allow_remote) as server:
        click.echo(f"Storm cluster {env.name}: Nimbus {env.nimbus_host}:{env.nimbus_port}")
        _announce(server, "Dashboard")
        click.echo("Ctrl-C stops it.")
        _wait_for_signal()
        click.echo("Stopped.")


def _wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM (handlers restored after)."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
