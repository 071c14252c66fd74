"""The JSON API, /metrics and the graph, served for a real embedded run."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.dashboard.conftest import request, wait_for
from tests.dashboard.topologies import Numbers

NAME = Numbers.model.name


def _view(run):
    response = run.get(f"api/topologies/{NAME}")
    assert response.status == 200, response.body
    return response.json()


def _components(view):
    return {c["name"]: c for c in view["components"]}


def test_the_view_shows_every_component_in_model_order_before_any_figure(live_run):
    view = _view(live_run)
    assert [c["name"] for c in view["components"]] == list(Numbers.model.components)
    assert view["engine"] == "embedded" and view["status"] == "ACTIVE"
    assert {(e["source"], e["target"], e["grouping"]) for e in view["edges"]} == {
        ("ticker", "double", "shuffle"), ("double", "picky", "fields(n2)")}


def test_figures_rates_and_history_move_while_the_topology_runs(live_run):
    first = wait_for(lambda: (v := _view(live_run))["tasks"] and _components(v)["ticker"]["emitted"] and v,
                     what="the spout's first emits")

    def moved(view):
        now, then = _components(view), _components(first)
        return (now["ticker"]["emitted"] > then["ticker"]["emitted"]
                and now["double"]["executed"] > then["double"]["executed"]
                and now["double"]["executed_per_sec"] > 0 and now["ticker"]["emitted_per_sec"] > 0)

    later = wait_for(lambda: v if moved(v := _view(live_run)) else None, what="the figures to move")
    after = _components(later)
    assert len(after["double"]["history"]) >= 2
    edge = next(e for e in later["edges"] if e["source"] == "ticker")
    assert edge["tuples_per_sec"] == after["ticker"]["emitted_per_sec"]
    tasks = {(t["component"], t["task"]) for t in later["tasks"]}
    assert {c for c, _ in tasks} == {"ticker", "double", "picky"} and len(tasks) == 4
    assert sum(t["executed"] for t in later["tasks"] if t["component"] == "double") \
        == after["double"]["executed"]


def test_a_crash_shows_as_an_error_with_its_text(live_run):
    view = wait_for(lambda: (v := _view(live_run))["errors"] and v, what="the picky bolt's crash")
    error = view["errors"][0]
    assert error["component"] == "picky" and "picky bolt refuses 50" in error["text"]


def test_metrics_are_read_by_prometheus_own_parser(live_run):
    wait_for(lambda: _view(live_run)["tasks"], what="a first snapshot")
    response = live_run.get("metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(response.body.decode())}
    view = _view(live_run)
    assert families["squall_tuples_emitted"].type == "counter"
    assert families["squall_capacity_ratio"].type == "gauge"
    assert families["squall_execute_latency_seconds"].type == "gauge"
    emitted = {(s.labels["component"], s.labels["task"]): s.value
               for s in families["squall_tuples_emitted"].samples}
    assert all(s.name == "squall_tuples_emitted_total" for s in families["squall_tuples_emitted"].samples)
    assert {k for k in emitted} == {(t["component"], str(t["task"])) for t in view["tasks"]}
    labels = families["squall_tuples_acked"].samples[0].labels
    assert set(labels) == {"topology", "component", "task"} and labels["topology"] == NAME
    capacity = {s.labels["component"] for s in families["squall_capacity_ratio"].samples}
    assert capacity == {"double", "picky"}  # bolts only
    info = families["squall_topology_info"].samples[0].labels
    assert info == {"topology": NAME, "engine": "embedded", "status": "ACTIVE"}


def test_the_graph_is_squalls_svg_with_every_component(live_run):
    response = live_run.get(f"api/topologies/{NAME}/graph.svg")
    assert response.status == 200 and response.headers["Content-Type"] == "image/svg+xml"
    svg = response.body.decode()
    for name in Numbers.model.components:
        assert f'id="component-{name}"' in svg


def test_the_topology_list_and_session(live_run):
    listing = live_run.get("api/topologies").json()
    assert listing["engine"] == "embedded"
    assert [t["name"] for t in listing["topologies"]] == [NAME]
    session = live_run.get("api/session").json()
    assert session["engine"] == "embedded" and len(session["csrf"]) > 20


def test_an_unknown_topology_is_404_with_a_message(live_run):
    response = live_run.get("api/topologies/Nope")
    assert response.status == 404
    assert response.json()["error"] == "this run shows topology 'Numbers', not 'Nope'"
    assert live_run.get("no/such/page").status == 404


def _post(run, action, body=b"{}", headers=None):
    csrf = run.get("api/session").json()["csrf"]
    sent = {"X-Squall-CSRF": csrf, "Content-Type": "application/json"}
    sent.update(headers or {})
    return request(f"{run.base}api/topologies/{NAME}/actions/{action}", method="POST",
                   body=body, headers=sent)


def test_actions_need_the_csrf_header_and_the_same_origin(live_run):
    bare = request(f"{live_run.base}api/topologies/{NAME}/actions/kill", method="POST", body=b"{}")
    assert bare.status == 403 and "X-Squall-CSRF" in bare.json()["error"]
    foreign = _post(live_run, "kill", headers={"Origin": "http://evil.example"})
    assert foreign.status == 403
    assert not live_run.stop.is_set()


def test_the_embedded_engine_refuses_storm_only_actions(live_run):
    response = _post(live_run, "deactivate")
    assert response.status == 409
    assert response.json()["error"] == ("the embedded engine cannot 'deactivate' a run; its only "
                                        "action is 'kill' (stop the run cleanly, as Ctrl-C does)")


def test_a_body_that_is_not_json_is_400(live_run):
    response = _post(live_run, "kill", body=b"wait=0")
    assert response.status == 400
    assert response.json()["error"] == 'the action\'s body is not JSON: send e.g. {"wait_secs": 0}'
    listed = _post(live_run, "kill", body=b"[1]")
    assert listed.json()["error"] == 'the action\'s body must be a JSON object, e.g. {"wait_secs": 0}'


def test_kill_stops_the_run_cleanly(live_run):
    response = _post(live_run, "kill", headers={"Origin": live_run.base.rstrip("/")})
    assert response.status == 200 and response.json()["message"] == "stopping Numbers: draining pending tuples"
    assert live_run.stop.is_set()
    live_run.thread.join(60)
    assert not live_run.thread.is_alive()


def test_a_foreign_host_header_is_refused(live_run):
    response = live_run.get("api/topologies", headers={"Host": f"evil.example:{live_run.server.port}"})
    assert response.status == 403
    assert response.json()["error"] == "the Host header must name the address the dashboard binds"
