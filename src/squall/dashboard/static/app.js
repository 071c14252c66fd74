// squall dashboard: polls the JSON API and draws it. No framework, no build step.
// What the page shows is exactly what GET api/topologies/<name> returns.
"use strict";

const POLL_MS = 500;          // figures: twice a second
const LIST_MS = 2000;         // the topology list
const SVG_NS = "http://www.w3.org/2000/svg";
const CSRF = document.querySelector('meta[name="squall-csrf"]').content;

const state = { topology: null, graphOf: null, view: null, selected: null, busy: false };
const $ = (id) => document.getElementById(id);

// -- formatting -------------------------------------------------------------------------

function count(n) {
  if (n === null || n === undefined) return "-";
  const units = [["G", 1e9], ["M", 1e6], ["k", 1e3]];
  for (const [unit, size] of units) if (Math.abs(n) >= size) return (n / size).toFixed(1) + unit;
  return Math.round(n).toString();
}
function ms(v) {
  if (v === null || v === undefined || v === 0) return "-";
  return v >= 0.1 ? v.toFixed(1) + " ms" : (v * 1000).toFixed(1) + " µs";
}
function duration(secs) {
  secs = Math.floor(secs || 0);
  const h = Math.floor(secs / 3600), m = Math.floor((secs % 3600) / 60), s = secs % 60;
  return (h ? h + "h " : "") + (h || m ? m + "m " : "") + s + "s";
}
function capLevel(c) {
  if (c === null || c === undefined) return 0;
  return c >= 0.9 ? 4 : c >= 0.7 ? 3 : c >= 0.5 ? 2 : c >= 0.2 ? 1 : 0;
}
const CAP_FILL = ["#dcfce7", "#bbf7d0", "#fde68a", "#fdba74", "#fca5a5"];
function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}
function svgEl(tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// -- API --------------------------------------------------------------------------------

async function getJSON(path) {
  const response = await fetch(path, { cache: "no-store", credentials: "same-origin" });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}
async function act(action, params) {
  const response = await fetch(`api/topologies/${encodeURIComponent(state.topology)}/actions/${action}`, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Squall-CSRF": CSRF },
    body: JSON.stringify(params || {}),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body.message;
}
function say(text, isError) {
  const box = $("message");
  box.hidden = false;
  box.textContent = text;
  box.classList.toggle("error", !!isError);
}

// -- topology list ----------------------------------------------------------------------

async function refreshList() {
  let listing;
  try {
    listing = await getJSON("api/topologies");
  } catch (err) {
    $("connection").textContent = "no answer: " + err.message;
    $("connection").classList.add("down");
    return;
  }
  const nav = $("topologies");
  const names = listing.topologies.map((t) => t.name);
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (!names.includes(state.topology)) state.topology = names.includes(wanted) ? wanted : (names[0] || null);
  nav.replaceChildren(...listing.topologies.map((t) => {
    const link = el("a", { href: "#" + encodeURIComponent(t.name), "data-topology": t.name,
                           class: t.name === state.topology ? "current" : "" }, t.name);
    link.addEventListener("click", () => { state.topology = t.name; state.graphOf = null; refreshList(); });
    return link;
  }));
  $("empty").hidden = names.length > 0;
  $("topology").hidden = names.length === 0;
}

// -- the graph --------------------------------------------------------------------------

async function loadGraph(name) {
  const response = await fetch(`api/topologies/${encodeURIComponent(name)}/graph.svg`, { cache: "no-store" });
  const holder = $("graph");
  if (!response.ok) {
    holder.replaceChildren(el("p", { class: "muted" }, "The graph is not available: " +
                              ((await response.json()).error || response.statusText)));
    state.graphOf = name;
    return;
  }
  const doc = new DOMParser().parseFromString(await response.text(), "image/svg+xml");
  const svg = document.importNode(doc.documentElement, true);
  const width = +svg.getAttribute("width"), height = +svg.getAttribute("height") + 14;  // + the live line
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", (width * 1.3).toFixed(0));   // drawn 30 % larger; CSS caps it at the panel
  svg.setAttribute("height", (height * 1.3).toFixed(0));
  for (const node of svg.querySelectorAll("g.component")) {
    const rect = node.querySelector("rect");
    const x = +rect.getAttribute("x") + +rect.getAttribute("width") / 2;
    const y = +rect.getAttribute("y") + +rect.getAttribute("height") + 13;
    node.appendChild(svgEl("text", { x, y, "text-anchor": "middle", class: "live" }, ""));
    const name = node.id.replace(/^component-/, "");
    node.addEventListener("click", () => { state.selected = state.selected === name ? null : name; draw(); });
  }
  for (const edge of svg.querySelectorAll("g.edge")) {
    const label = edge.querySelectorAll("text");
    const last = label[label.length - 1];
    edge.appendChild(svgEl("text", { x: last.getAttribute("x"), y: +last.getAttribute("y") + 13,
                                     "text-anchor": "middle", class: "edge-rate" }, ""));
  }
  $("graph").replaceChildren(svg);
  state.graphOf = name;
}

function drawGraph(view) {
  const svg = $("graph").querySelector("svg");
  if (!svg) return;
  const byName = Object.fromEntries(view.components.map((c) => [c.name, c]));
  for (const node of svg.querySelectorAll("g.component")) {
    const comp = byName[node.id.replace(/^component-/, "")];
    const live = node.querySelector("text.live");
    node.classList.toggle("selected", !!comp && comp.name === state.selected);
    if (!comp) { live.textContent = ""; continue; }
    const rect = node.querySelector("rect");
    if (comp.kind !== "spout") rect.setAttribute("fill", CAP_FILL[capLevel(comp.capacity)]);
    live.textContent = comp.kind === "spout"
      ? `${count(comp.emitted_per_sec)}/s emitted`
      : `${count(comp.executed_per_sec)}/s · capacity ${comp.capacity === null ? "-" : comp.capacity.toFixed(2)}`;
  }
  for (const edge of svg.querySelectorAll("g.edge")) {
    const link = view.edges.find((e) => e.source === edge.dataset.source && e.target === edge.dataset.target &&
                                        e.stream === edge.dataset.stream);
    const rate = link ? link.tuples_per_sec : 0;
    edge.querySelector("text.edge-rate").textContent = `${count(rate)}/s`;
    edge.classList.toggle("flowing", rate > 0);
    edge.querySelector("path").setAttribute("stroke-width", (1.4 + Math.min(1.6, Math.log10(1 + rate) * 0.3)).toFixed(1));
  }
}

// -- tables -----------------------------------------------------------------------------

function sparkline(points, key) {
  const width = 90, height = 20;
  const svg = svgEl("svg", { class: "spark", width, height, viewBox: `0 0 ${width} ${height}` });
  const values = points.map((p) => p[key] || 0);
  if (values.length < 2) return svg;
  const top = Math.max(...values) || 1;
  const step = width / (values.length - 1);
  const coords = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / top) * (height - 2)).toFixed(1)}`);
  svg.appendChild(svgEl("polyline", { points: coords.join(" ") }));
  svg.appendChild(svgEl("title", {}, `${key.replace(/_/g, " ")}: max ${count(top)}`));
  return svg;
}
function capacityCell(c, kind) {
  const td = el("td", { class: "capacity" });
  if (kind === "spout" || c === null || c === undefined) { td.textContent = "-"; return td; }
  const bar = el("span", { class: "capbar" });
  const fill = el("span", { class: "cap" + capLevel(c) });
  fill.style.width = Math.min(100, c * 100).toFixed(0) + "%";
  bar.appendChild(fill);
  td.append(bar, c.toFixed(2));
  return td;
}
function completeLatency(row) {
  if (row.kind !== "spout" || !row.complete_latency_ms) return "-";
  return row.complete_p99_ms ? `${ms(row.complete_latency_ms)} (p99 ${ms(row.complete_p99_ms)})`
                             : ms(row.complete_latency_ms);
}
function cell(cls, text) { return el("td", { class: cls }, text); }

function drawComponents(view) {
  const rows = view.components.map((c) => {
    const tr = el("tr", { "data-component": c.name, class: c.name === state.selected ? "selected" : "" });
    const name = el("td", { class: "name" }, c.name + " ");
    name.appendChild(el("span", { class: "kind" }, c.kind));
    const failed = cell("failed" + (c.failed ? " bad" : ""), count(c.failed));
    tr.append(name, cell("tasks", String(c.tasks ?? c.par ?? "-")), cell("emitted", count(c.emitted)),
              cell("emitted-rate", count(c.emitted_per_sec)),
              cell("executed", c.kind === "spout" ? "-" : count(c.executed)),
              cell("executed-rate", c.kind === "spout" ? "-" : count(c.executed_per_sec)),
              cell("acked", count(c.acked)), failed, capacityCell(c.capacity, c.kind),
              cell("execute-latency", c.kind === "spout" ? "-" : ms(c.execute_latency_ms)),
              cell("complete-latency", completeLatency(c)));
    const spark = el("td", { class: "spark" });
    spark.appendChild(sparkline(c.history || [], c.kind === "spout" ? "emitted_per_sec" : "executed_per_sec"));
    tr.appendChild(spark);
    tr.addEventListener("click", () => { state.selected = state.selected === c.name ? null : c.name; draw(); });
    return tr;
  });
  $("components").tBodies[0].replaceChildren(...rows);
}

function drawTasks(view) {
  const kinds = Object.fromEntries(view.components.map((c) => [c.name, c.kind]));
  const tasks = view.tasks.filter((t) => !state.selected || t.component === state.selected);
  $("task-filter").textContent = state.selected ? `of ${state.selected} (click it again for all)` : "";
  $("tasks-note").hidden = view.tasks.length > 0;
  $("tasks-note").textContent = view.tasks.length ? "" : "No per-task figures reported yet.";
  $("tasks").tBodies[0].replaceChildren(...tasks.map((t) => {
    const kind = kinds[t.component] || t.kind;
    const tr = el("tr", { "data-task": t.task, "data-component": t.component });
    tr.append(cell("task", String(t.task)), cell("name", t.component), cell("emitted", count(t.emitted)),
              cell("executed", kind === "spout" ? "-" : count(t.executed)), cell("acked", count(t.acked)),
              cell("failed" + (t.failed ? " bad" : ""), count(t.failed)), capacityCell(t.capacity, kind),
              cell("execute-latency", kind === "spout" ? "-" : ms(t.execute_latency_ms)),
              cell("complete-latency", completeLatency(Object.assign({ kind }, t))),
              cell("restarts", t.restarts === null || t.restarts === undefined ? "-" : String(t.restarts)));
    return tr;
  }));
}

function drawErrors(view) {
  const list = $("errors");
  list.replaceChildren(...view.errors.slice(0, 20).map((e) => {
    const li = el("li", { "data-component": e.component });
    const where = e.task !== null && e.task !== undefined ? ` task ${e.task}` : "";
    const host = e.host ? ` on ${e.host}:${e.port}` : "";
    li.appendChild(el("strong", {}, `${e.component}${where}${host}`));
    li.append(" at " + (view.engine === "storm" ? new Date(e.time_secs * 1000).toLocaleTimeString()
                                                 : `${e.time_secs.toFixed(1)}s`));
    li.appendChild(el("pre", {}, e.text));
    return li;
  }));
  $("no-errors").hidden = view.errors.length > 0;
}

// -- actions ----------------------------------------------------------------------------

const ACTION_LABELS = { activate: "Activate", deactivate: "Deactivate", rebalance: "Rebalance…", kill: "Kill" };

function drawActions(view) {
  const box = $("actions");
  const wanted = view.actions.join(",");
  if (box.dataset.actions === wanted && box.dataset.topology === view.name) return;
  box.dataset.actions = wanted;
  box.dataset.topology = view.name;
  box.replaceChildren(...view.actions.map((action) => {
    const label = view.engine === "embedded" && action === "kill" ? "Stop run" : ACTION_LABELS[action] || action;
    const button = el("button", { type: "button", "data-action": action,
                                  class: action === "kill" ? "danger" : "secondary" }, label);
    button.addEventListener("click", () => onAction(action));
    return button;
  }));
}

async function run(action, params) {
  if (state.busy) return;
  state.busy = true;
  for (const b of $("actions").querySelectorAll("button")) b.disabled = true;
  say(`${action}: sending…`);
  try {
    say(await act(action, params));
  } catch (err) {
    say(`${action} failed: ${err.message}`, true);
  } finally {
    state.busy = false;
    for (const b of $("actions").querySelectorAll("button")) b.disabled = false;
    poll();
  }
}

function onAction(action) {
  if (action === "rebalance") { openRebalance(); return; }
  if (action === "kill") {
    const embedded = state.view && state.view.engine === "embedded";
    const question = embedded ? "Stop this run? Pending tuples are drained first."
      : `Kill ${state.topology}? Seconds to wait after deactivating (empty: the message timeout):`;
    if (embedded) { if (window.confirm(question)) run("kill", {}); return; }
    const answer = window.prompt(question, "0");
    if (answer === null) return;
    run("kill", answer.trim() === "" ? {} : { wait_secs: Number(answer) });
    return;
  }
  run(action, {});
}

function openRebalance() {
  const form = $("rebalance");
  const fields = $("rebalance-fields");
  fields.replaceChildren(...state.view.components.map((c) => {
    const label = el("label", {}, c.name + " ");
    label.appendChild(el("input", { type: "number", min: "1", name: "par:" + c.name, value: c.par ?? "" }));
    return label;
  }));
  form.hidden = false;
}

function submitRebalance(event) {
  event.preventDefault();
  const form = $("rebalance");
  const params = { par: {} };
  for (const input of form.querySelectorAll("input")) {
    if (input.value === "") continue;
    if (input.name.startsWith("par:")) {
      const comp = state.view.components.find((c) => c.name === input.name.slice(4));
      if (!comp || Number(input.value) !== comp.par) params.par[input.name.slice(4)] = Number(input.value);
    } else {
      params[input.name] = Number(input.value);
    }
  }
  form.hidden = true;
  run("rebalance", params);
}

// -- the loop ---------------------------------------------------------------------------

function draw() {
  const view = state.view;
  if (!view) return;
  $("name").textContent = view.name;
  $("status").textContent = view.status;
  $("status").className = "status " + view.status;
  $("uptime").textContent = `up ${duration(view.uptime_secs)}`;
  $("api-link").setAttribute("href", `api/topologies/${encodeURIComponent(view.name)}`);
  drawActions(view);
  drawGraph(view);
  drawComponents(view);
  drawTasks(view);
  drawErrors(view);
  $("notes").replaceChildren(...view.notes.map((n) => el("li", {}, n)));
}

async function poll() {
  if (!state.topology) return;
  const name = state.topology;
  try {
    const view = await getJSON(`api/topologies/${encodeURIComponent(name)}`);
    if (name !== state.topology) return;
    if (state.graphOf !== name) await loadGraph(name);
    state.view = view;
    $("connection").textContent = "live";
    $("connection").classList.remove("down");
    draw();
  } catch (err) {
    $("connection").textContent = "no answer: " + err.message;
    $("connection").classList.add("down");
  }
}

async function start() {
  $("rebalance").addEventListener("submit", submitRebalance);
  $("rebalance-cancel").addEventListener("click", () => { $("rebalance").hidden = true; });
  await refreshList();
  await poll();
  setInterval(refreshList, LIST_MS);
  setInterval(poll, POLL_MS);
}

start();
