"""The dashboard of a real Storm dev cluster: API, /metrics, and actions from the page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from squall.dashboard import DashboardServer, StormSource
from squall.storm import find_topology, kill
from squall.storm._submit import submit
from tests.conformance import topologies as topo
from tests.dashboard.conftest import request, wait_for

pytestmark = [pytest.mark.storm, pytest.mark.slow]
NAME = "DashboardPaced"
TIMEOUT = 120.0


@pytest.fixture(scope="module")
def storm_dashboard(storm_cluster, tmp_path_factory):
    """Submit Paced as NAME, serve the cluster's dashboard; kill the topology after."""
    env = storm_cluster.storm_env()
    out = tmp_path_factory.mktemp("paced-out")
    submit(topo.Paced.model, env, name=NAME, force=True, wait=True,
           options={topo.OUT_KEY: str(out), topo.COUNT_KEY: 1_000_000})
    try:
        with DashboardServer(StormSource(env)) as server:
            yield env, server
    finally:
        if find_topology(env, NAME) is not None:
            kill(NAME, env, wait_secs=0, wait_gone=TIMEOUT)


def _view(server):
    response = request(f"{server.url}api/topologies/{NAME}")
    assert response.status == 200, response.body
    return response.json()


def test_the_cluster_topology_is_listed_with_its_graph_and_figures(storm_dashboard):
    env, server = storm_dashboard
    listing = request(server.url + "api/topologies").json()
    assert listing["engine"] == "storm" and NAME in [t["name"] for t in listing["topologies"]]
    view = wait_for(lambda: (v := _view(server))["tasks"] and all(c["reporting"] for c in v["components"])
                    and v, timeout=TIMEOUT, what="every executor to report stats")
    assert [c["name"] for c in view["components"]] == ["words", "sink"]
    assert view["status"] == "ACTIVE" and view["actions"] == ["activate", "deactivate", "rebalance", "kill"]
    assert view["edges"] == [{"source": "words", "target": "sink", "stream": "default",
                              "grouping": "shuffle", "tuples_per_sec": view["components"][0]["emitted_per_sec"]}]
    assert "lag by up to executor.metrics.frequency.secs" in view["notes"][0]
    svg = request(f"{server.url}api/topologies/{NAME}/graph.svg").body.decode()
    assert 'id="component-words"' in svg and 'id="component-sink"' in svg
    moved = wait_for(lambda: (v := _view(server))["components"][1]["executed"] > 0 and v,
                     timeout=TIMEOUT, what="the sink to execute tuples")
    sink = moved["components"][1]
    assert sink["kind"] == "bolt" and sink["execute_latency_ms"] is not None


def test_metrics_of_the_cluster_parse(storm_dashboard):
    env, server = storm_dashboard
    wait_for(lambda: _view(server)["tasks"], timeout=TIMEOUT, what="executor stats")
    families = {f.name: f for f in text_string_to_metric_families(request(server.url + "metrics").body.decode())}
    samples = [s for s in families["squall_tuples_emitted"].samples if s.labels["topology"] == NAME]
    assert {s.labels["component"] for s in samples} == {"words", "sink"}
    assert all(set(s.labels) == {"topology", "component", "task"} for s in samples)
    info = [s.labels for s in families["squall_topology_info"].samples if s.labels["topology"] == NAME]
    assert info == [{"topology": NAME, "engine": "storm", "status": "ACTIVE"}]


def _post(server, action, params):
    csrf = request(server.url + "api/session").json()["csrf"]
    return request(f"{server.url}api/topologies/{NAME}/actions/{action}", method="POST",
                   body=json.dumps(params).encode(), headers={"X-Squall-CSRF": csrf})


def test_bad_rebalance_requests_say_what_to_send(storm_dashboard):
    env, server = storm_dashboard
    unknown = _post(server, "rebalance", {"par": {"nope": 2}})
    assert unknown.status == 400
    assert unknown.json()["error"] == (f"rebalance: topology '{NAME}' has no component 'nope' "
                                       "(components: sink, words)")
    assert _post(server, "rebalance", {"par": {"sink": 0}}).json()["error"] == (
        'rebalance: "par" must map component names to executor counts >= 1, e.g. {"par": {"count": 4}}')
    assert _post(server, "rebalance", {}).json()["error"] == (
        'rebalance: give "workers" and/or "par", e.g. {"par": {"count": 4}}')
    assert _post(server, "kill", {"wait_secs": -1}).json()["error"] == '"wait_secs" must be a whole number >= 0, got -1'
    other = _post(server, "explode", {})
    assert other.status == 409
    assert other.json()["error"] == "Storm has no action 'explode': use activate, deactivate, rebalance or kill"
    gone = request(f"{server.url}api/topologies/Nope")
    assert gone.status == 404 and gone.json()["error"].startswith("topology 'Nope' is not running")


@pytest.mark.browser
def test_deactivate_then_activate_from_the_page(storm_dashboard, browser, screenshots):
    from tests.dashboard.test_page import _click, _text, _wait

    env, server = storm_dashboard
    browser.get(f"{server.url}#{NAME}")
    _wait(browser, lambda d: _text(d, "#name") == NAME and _text(d, "#status") == "ACTIVE", what="the topology")
    _wait(browser, lambda d: d.execute_script("return document.querySelectorAll('#graph g.component').length") == 2,
          what="the graph")
    _click(browser, 'button[data-action="deactivate"]')
    _wait(browser, lambda d: _text(d, "#message") == f"deactivated {NAME}", what="the answer", timeout=60)
    assert find_topology(env, NAME).status == "INACTIVE"
    _wait(browser, lambda d: _text(d, "#status") == "INACTIVE", what="the page to show INACTIVE")
    path = Path(screenshots) / "storm-inactive.png"
    browser.save_screenshot(str(path))
    print(f"screenshot: {path}")
    _click(browser, 'button[data-action="activate"]')
    _wait(browser, lambda d: _text(d, "#message") == f"activated {NAME}", what="the answer", timeout=60)
    assert find_topology(env, NAME).status == "ACTIVE"
    _wait(browser, lambda d: _text(d, "#status") == "ACTIVE", what="the page to show ACTIVE")


@pytest.mark.browser
def test_rebalance_then_kill_from_the_page(storm_dashboard, browser):
    """Last in this module: the topology is gone afterwards."""
    from tests.dashboard.test_page import _click, _text, _wait

    env, server = storm_dashboard
    browser.get(f"{server.url}#{NAME}")
    _wait(browser, lambda d: _text(d, "#name") == NAME and _text(d, "#status") == "ACTIVE", what="the topology")
    _click(browser, 'button[data-action="rebalance"]')
    _wait(browser, lambda d: d.execute_script("return !document.getElementById('rebalance').hidden"),
          what="the rebalance form")
    browser.execute_script("document.querySelector('#rebalance input[name=workers]').value = '1';"
                           "document.querySelector('#rebalance input[name=wait_secs]').value = '0';")
    browser.execute_script("document.getElementById('rebalance').requestSubmit();")
    _wait(browser, lambda d: _text(d, "#message") == f"rebalancing {NAME}: workers=1", what="the answer", timeout=60)
    wait_for(lambda: find_topology(env, NAME).status == "ACTIVE", timeout=TIMEOUT, what="the rebalance to end")
    _click(browser, 'button[data-action="kill"]')
    prompt = _wait(browser, lambda d: _alert(d), what="the kill prompt")
    assert "Seconds to wait after deactivating" in prompt.text
    prompt.send_keys("0")
    prompt.accept()
    _wait(browser, lambda d: _text(d, "#message") == f"killing {NAME} after 0 s", what="the answer", timeout=60)
    wait_for(lambda: find_topology(env, NAME) is None, timeout=TIMEOUT, what="Nimbus to forget it")
    gone = wait_for(lambda: (r := request(f"{server.url}api/topologies/{NAME}")).status == 404 and r,
                    what="the dashboard to drop it (answers are cached for a second)")
    assert gone.json()["error"].startswith(f"topology '{NAME}' is not running")


def _alert(driver):
    try:
        return driver.switch_to.alert
    except Exception:  # NoAlertPresentException until the page opened it
        return None
