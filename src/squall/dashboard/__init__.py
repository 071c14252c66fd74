"""A web dashboard and Prometheus ``/metrics`` for both engines (``squall ui``, ``run --ui``).

The server is the standard library's ``ThreadingHTTPServer``; the page is plain
HTML, CSS, JavaScript and SVG shipped in this package (no CDN, works offline). A
source feeds it: :class:`EmbeddedSource` keeps the snapshots an embedded run already
makes; :class:`StormSource` reads Nimbus as ``squall stats`` does. Nothing here prints.

>>> from squall.dashboard import DashboardServer, EmbeddedSource   # doctest: +SKIP
>>> source = EmbeddedSource(WordCount.model, stop_event=stop)        # doctest: +SKIP
>>> with DashboardServer(source) as server:                          # doctest: +SKIP
...     run_local(WordCount, on_progress=source.on_progress, stop_event=stop)
"""

from squall.dashboard._embedded import EmbeddedSource
from squall.dashboard._errors import DashboardError, UnknownTopology, UnsupportedAction
from squall.dashboard._history import History
from squall.dashboard._prometheus import prometheus_text
from squall.dashboard._storm import StormSource, model_from_storm
from squall.dashboard._server import DashboardServer, Source, check_bind, is_loopback

__all__ = [
    "DashboardError",
    "DashboardServer",
    "EmbeddedSource",
    "History",
    "Source",
    "StormSource",
    "UnknownTopology",
    "UnsupportedAction",
    "check_bind",
    "is_loopback",
    "model_from_storm",
    "prometheus_text",
]
