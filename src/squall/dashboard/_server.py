"""The dashboard's HTTP server: the page, its JSON API, ``/metrics``; stdlib only.

Routes (``docs/dashboard.md`` documents each)::

    GET  /                                    the page (with ui=True)
    GET  /static/<file>                       its script, style sheet and icon
    GET  /metrics                             Prometheus text format
    GET  /api/session                         {"engine", "csrf"}
    GET  /api/topologies                      summary rows
    GET  /api/topologies/<name>               the topology view (what the page draws)
    GET  /api/topologies/<name>/graph.svg     the graph, drawn by squall.topology
    POST /api/topologies/<name>/actions/<a>   activate, deactivate, kill, rebalance

Security: binds 127.0.0.1 unless told otherwise; any other address needs
``allow_remote=True`` and a token, and then every request must carry it
(``Authorization: Bearer``, the ``squall_token`` cookie the page gets, or ``?token=``).
POSTs need the ``X-Squall-CSRF`` header (the page reads it from its own HTML; other
origins cannot) and a matching ``Origin`` when one is sent. On a loopback bind the
``Host`` header must name a loopback address (no DNS rebinding).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, Optional, Protocol
from urllib.parse import parse_qs, quote, unquote, urlsplit

from squall.dashboard._errors import DashboardError, UnknownTopology, UnsupportedAction
from squall.dashboard._prometheus import CONTENT_TYPE, prometheus_text
from squall.errors import NimbusError, SquallError
from squall.topology import TopologyModel
from squall.topology._render import render_svg

_STATIC = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8",
           "favicon.svg": "image/svg+xml"}
_MAX_BODY = 64 * 1024
_COOKIE = "squall_token"


class Source(Protocol):
    """What the server reads: one engine's topologies, views, models and actions."""

    engine: str

    def topologies(self) -> list[dict[str, Any]]:
        """Return a summary row per topology."""

    def view(self, name: str) -> dict[str, Any]:
        """Return the view of one topology; raise UnknownTopology when there is none."""

    def topology_model(self, name: str) -> Optional[TopologyModel]:
        """Return the model of one topology (None: the graph cannot be drawn)."""

    def act(self, name: str, action: str, params: dict[str, Any]) -> str:
        """Do ``action``; return a one-line result; raise UnsupportedAction or SquallError."""


def is_loopback(host: str) -> bool:
    """Return whether ``host`` (an address or ``localhost``) is a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, allow_remote: bool, token: Optional[str]) -> None:
    """Raise DashboardError unless ``host`` is loopback, or remote with the flag and a token."""
    if is_loopback(host):
        return
    if not allow_remote:
        raise DashboardError(f"the dashboard binds {host}, which is not a loopback address: "
                             "pass --allow-remote (and a --token) to serve other machines")
    if not token:
        raise DashboardError(f"serving on {host} needs a token: pass --token or set "
                             "SQUALL_UI_TOKEN, and give it to the people who may connect")


class DashboardServer:
    """Serve ``source`` over HTTP on ``host:port`` (0: a free port) from a background thread.

    ``ui=False`` serves only ``/metrics`` and the JSON API (``squall run --metrics-port``).
    A non-loopback ``host`` raises DashboardError unless ``allow_remote`` and ``token``
    are given. Use as a context manager, or call :meth:`start` and :meth:`close`.

    Example::

        with DashboardServer(EmbeddedSource(model)) as server:
            print(server.url)
    """

    def __init__(self, source: Source, *, host: str = "127.0.0.1", port: int = 0,
                 token: Optional[str] = None, allow_remote: bool = False, ui: bool = True) -> None:
        check_bind(host, allow_remote, token)
        self.source, self.host, self.ui, self.token = source, host, ui, token or None
        self.csrf = secrets.token_urlsafe(24)
        try:
            self._httpd = _Server((host, port), _Handler)
        except OSError as exc:
            raise DashboardError(f"cannot serve the dashboard on {host}:{port}: "
                                 f"{exc.strerror or exc}; choose another port") from None
        self._httpd.dashboard = self
        self._thread: Optional[threading.Thread] = None

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The address to open (with ``?token=`` when a token is needed)."""
        host = socket.gethostname() if self.host in ("0.0.0.0", "::", "") else self.host  # all interfaces
        host = f"[{host}]" if ":" in host else host
        base = f"http://{host}:{self.port}/"
        return base + (f"?token={quote(self.token)}" if self.token else "")

    def start(self) -> "DashboardServer":
        """Serve from a daemon thread; return self."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                            name="squall-dashboard", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> "DashboardServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    dashboard: DashboardServer

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "squall-dashboard"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        """Stay quiet: only the CLI prints."""

    # -- dispatch -----------------------------------------------------------------------

    @property
    def dash(self) -> DashboardServer:
        return self.server.dashboard

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self._handle("POST")

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if not self._host_ok():
            self._error(HTTPStatus.FORBIDDEN, "the Host header must name the address the dashboard binds")
            return
        if not self._authorized(query):
            self._error(HTTPStatus.UNAUTHORIZED, "a token is needed: open the address squall printed "
                        "(with ?token=...) or send 'Authorization: Bearer TOKEN'",
                        extra={"WWW-Authenticate": 'Bearer realm="squall"'})
            return
        parts = [unquote(p) for p in url.path.split("/") if p]
        try:
            if method == "POST":
                self._post(parts)
            else:
                self._get(parts, query)
        except UnknownTopology as exc:
            self._error(HTTPStatus.NOT_FOUND, str(exc))
        except UnsupportedAction as exc:
            self._error(HTTPStatus.CONFLICT, str(exc))
        except NimbusError as exc:
            self._error(HTTPStatus.BAD_GATEWAY, str(exc))
        except SquallError as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))

    def _get(self, parts: list[str], query: dict[str, list[str]]) -> None:
        dash = self.dash
        if parts == ["metrics"]:
            views = [dash.source.view(t["name"]) for t in dash.source.topologies()]
            self._send(HTTPStatus.OK, prometheus_text(views).encode(), CONTENT_TYPE)
        elif parts == ["api", "session"]:
            self._json({"engine": dash.source.engine, "csrf": dash.csrf, "ui": dash.ui})
        elif parts == ["api", "topologies"]:
            self._json({"engine": dash.source.engine, "topologies": dash.source.topologies()})
        elif len(parts) == 3 and parts[:2] == ["api", "topologies"]:
            self._json(dash.source.view(parts[2]))
        elif len(parts) == 4 and parts[:2] == ["api", "topologies"] and parts[3] == "graph.svg":
            self._graph(parts[2])
        elif dash.ui and not parts:
            self._index(query)
        elif dash.ui and len(parts) == 2 and parts[0] == "static" and parts[1] in _STATIC:
            body = (resources.files("squall.dashboard") / "static" / parts[1]).read_bytes()
            self._send(HTTPStatus.OK, body, _STATIC[parts[1]])
        else:
            self._error(HTTPStatus.NOT_FOUND, f"no such page: {self.path.split('?')[0]}")

    def _graph(self, name: str) -> None:
        model = self.dash.source.topology_model(name)
        if model is None:
            raise UnknownTopology(f"the graph of '{name}' is not available (Nimbus did not return "
                                  "its structure)")
        self._send(HTTPStatus.OK, render_svg(model).encode(), "image/svg+xml")

    def _index(self, query: dict[str, list[str]]) -> None:
        page = (resources.files("squall.dashboard") / "static" / "index.html").read_text("utf-8")
        body = page.replace("{{csrf}}", self.dash.csrf).replace("{{engine}}", self.dash.source.engine)
        cookie = {}
        if self.dash.token and query.get("token"):
            cookie["Set-Cookie"] = f"{_COOKIE}={self.dash.token}; HttpOnly; SameSite=Strict; Path=/"
        self._send(HTTPStatus.OK, body.encode(), "text/html; charset=utf-8", extra=cookie)

    def _post(self, parts: list[str]) -> None:
        if not (len(parts) == 5 and parts[:2] == ["api", "topologies"] and parts[3] == "actions"):
            self._error(HTTPStatus.NOT_FOUND, f"no such action: {self.path}")
            return
        if not self._csrf_ok():
            self._error(HTTPStatus.FORBIDDEN, "actions need the X-Squall-CSRF header of the page "
                        "(GET /api/session) and a same-origin request")
            return
        params = self._body()
        message = self.dash.source.act(parts[2], parts[4], params)
        self._json({"ok": True, "message": message})

    # -- checks -------------------------------------------------------------------------

    def _host_ok(self) -> bool:
        if not is_loopback(self.dash.host):
            return True  # the token guards remote binds
        host = urlsplit("//" + (self.headers.get("Host") or "")).hostname or ""
        return is_loopback(host)

    def _authorized(self, query: dict[str, list[str]]) -> bool:
        token = self.dash.token
        if token is None:
            return True
        offered = []
        auth = self.headers.get("Authorization") or ""
        if auth.startswith("Bearer "):
            offered.append(auth[7:].strip())
        for part in (self.headers.get("Cookie") or "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == _COOKIE:
                offered.append(value)
        offered += query.get("token", [])
        return any(hmac.compare_digest(o.encode(), token.encode()) for o in offered)

    def _csrf_ok(self) -> bool:
        sent = self.headers.get("X-Squall-CSRF") or ""
        if not hmac.compare_digest(sent.encode(), self.dash.csrf.encode()):
            return False
        origin = self.headers.get("Origin")
        if origin and origin != "null":
            return urlsplit(origin).netloc == (self.headers.get("Host") or "")
        return True

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise DashboardError(f"the request body is {length} bytes; actions take at most {_MAX_BODY}")
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return {}
        try:
            params = json.loads(raw)
        except ValueError:
            raise DashboardError("the action's body is not JSON: send e.g. {\"wait_secs\": 0}") from None
        if not isinstance(params, dict):
            raise DashboardError("the action's body must be a JSON object, e.g. {\"wait_secs\": 0}")
        return params

    # -- responses ----------------------------------------------------------------------

    def _json(self, data: Any) -> None:
        self._send(HTTPStatus.OK, json.dumps(data).encode(), "application/json")

    def _error(self, status: HTTPStatus, message: str, extra: Optional[dict[str, str]] = None) -> None:
        body = json.dumps({"error": message}).encode()
        self._send(status, body, "application/json", extra=extra)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str,
              extra: Optional[dict[str, str]] = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
                         "style-src 'self'; script-src 'self'; frame-ancestors 'none'")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
