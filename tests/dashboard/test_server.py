"""The server on its own: binding rules, tokens, static files, history (no engine)."""

from __future__ import annotations

import pytest

from squall.dashboard import DashboardError, DashboardServer, EmbeddedSource, History, check_bind

from tests.dashboard.conftest import request
from tests.dashboard.topologies import Numbers


def test_a_non_loopback_bind_needs_the_flag():
    with pytest.raises(DashboardError, match=r"^the dashboard binds 0\.0\.0\.0, which is not a loopback "
                       r"address: pass --allow-remote \(and a --token\) to serve other machines$"):
        check_bind("0.0.0.0", allow_remote=False, token=None)


def test_a_non_loopback_bind_needs_a_token():
    with pytest.raises(DashboardError, match=r"^serving on 0\.0\.0\.0 needs a token: pass --token or set "
                       r"SQUALL_UI_TOKEN, and give it to the people who may connect$"):
        DashboardServer(EmbeddedSource(Numbers.model), host="0.0.0.0", allow_remote=True)


def test_loopback_binds_need_nothing():
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_bind(host, allow_remote=False, token=None)


def test_a_busy_port_is_a_clear_error():
    with DashboardServer(EmbeddedSource(Numbers.model)) as first:
        with pytest.raises(DashboardError, match=rf"^cannot serve the dashboard on 127\.0\.0\.1:{first.port}: "
                           r"Address already in use; choose another port$"):
            DashboardServer(EmbeddedSource(Numbers.model), port=first.port)


def test_with_a_token_every_request_needs_it():
    with DashboardServer(EmbeddedSource(Numbers.model), token="s3cret") as server:
        base = server.url.split("?")[0]
        assert server.url.endswith("/?token=s3cret")
        refused = request(base + "metrics")
        assert refused.status == 401 and refused.headers["WWW-Authenticate"] == 'Bearer realm="squall"'
        assert refused.json()["error"].startswith("a token is needed")
        assert request(base + "metrics", headers={"Authorization": "Bearer wrong"}).status == 401
        assert request(base + "metrics", headers={"Authorization": "Bearer s3cret"}).status == 200
        page = request(server.url)
        assert page.status == 200
        cookie = page.headers["Set-Cookie"]
        assert cookie.startswith("squall_token=s3cret;") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert request(base + "api/topologies", headers={"Cookie": "squall_token=s3cret"}).status == 200


def test_the_page_and_its_files_are_served_from_the_package():
    with DashboardServer(EmbeddedSource(Numbers.model)) as server:
        page = request(server.url)
        assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
        csrf = request(server.url + "api/session").json()["csrf"]
        assert f'content="{csrf}"' in page.body.decode()
        assert "default-src 'self'" in page.headers["Content-Security-Policy"]
        for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
            response = request(server.url + "static/" + name)
            assert response.status == 200 and response.headers["Content-Type"].startswith(kind)
        assert request(server.url + "static/../_server.py").status == 404


def test_metrics_only_servers_have_no_page():
    with DashboardServer(EmbeddedSource(Numbers.model), ui=False) as server:
        assert request(server.url).status == 404
        assert request(server.url + "metrics").status == 200


def test_history_rates_come_from_the_counters_over_the_window():
    history = History(window_secs=2.0, points=3)
    for second in range(5):
        history.add(float(second), {"c": {"emitted": 100 * second, "executed": 10 * second, "capacity": 0.5}})
    rates = history.rates("c")
    assert rates["emitted_per_sec"] == pytest.approx(100.0)
    assert rates["executed_per_sec"] == pytest.approx(10.0)
    points = history.sparkline("c")
    assert [p["t"] for p in points] == [2.0, 3.0, 4.0]
    assert points[-1]["capacity"] == 0.5
    assert history.rates("unknown")["emitted_per_sec"] == 0.0
