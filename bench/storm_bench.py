"""Benchmark: wordcount on a real Storm dev cluster, pystorm 3.1.4 vs squall JSON vs squall msgpack.

Usage::

    python bench/storm_bench.py [--repeat R] [--pars 1,2] [--window S] [--warmup S]
                                [--variants pystorm,json,msgpack] [-o key=value ...]

Starts a private dev cluster (Storm 2.8.3, one supervisor; stopped at the end), then,
alternating variants within each repeat so machine noise hits all of them, submits
``bench/storm_wordcount.py``'s topology: a spout of tracked 10-word sentences -> split
(shuffle) -> count (fields on the word), every component at par P, one worker, acking
on (one acker), ``topology.max.spout.pending`` 1000. Variants:

* ``pystorm``: the same logic on pystorm 3.1.4's Spout/Bolt (streamparse's runtime, JSON),
  packed and submitted through squall's jar builder and Nimbus client as shell components;
* ``json``: squall's components, Storm's JsonSerializer;
* ``msgpack``: squall's components, squall's msgpack serializer (its Java half in the jar).

A variant may carry its own conf after ``@``, to measure a Storm setting in the same run:
``--variants msgpack,msgpack@topology.shellbolt.max.pending=1000``.

After ``--warmup`` seconds of traffic it measures ``--window`` seconds: words/s at the
count bolt, spout acks/s, complete latency p50/p99 (emit to ack callback, sampled by the
spout), and CPU of each process (% of one core, from /proc via psutil): the worker JVM and
the Python tasks. Prints one line per run, then medians per variant and par with the
ratios to pystorm, and the load average (other work on the machine skews the figures).
Needs ``pip install -e '.[bench]'`` for pystorm, plus Java and Maven for the cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any, Optional

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import storm_wordcount  # noqa: E402
from squall.devcluster import DevCluster  # noqa: E402
from squall.storm import StormEnv  # noqa: E402
from squall.storm._control import find_topology, kill, nimbus  # noqa: E402
from squall.storm._jar import build_jar_report  # noqa: E402
from squall.storm._mapping import storm_topology, topology_conf  # noqa: E402
from squall.storm._submit import submit  # noqa: E402

BASE_CONF = {"topology.workers": 1, "topology.acker.executors": 1, "topology.max.spout.pending": 1000}


def pystorm_script(component: str) -> str:
    return ("import os, sys\n"
            "sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))\n"
            "import storm_wordcount\n"
            f"storm_wordcount.pystorm_main({component!r})\n")


def submit_pystorm(model: Any, env: StormEnv, name: str, options: dict[str, Any]) -> str:
    """Submit ``model``'s shape with pystorm components; return the topology id."""
    conf = topology_conf(model, options=options, serializer="json")
    with tempfile.TemporaryDirectory(prefix="bench-jar-") as tmp:
        report = build_jar_report(model, HERE, Path(tmp) / f"{name}.jar", serializer="json",
                                  python=env.worker_python, vendor=False)
        scripts = {c: f"pystorm_{c}.py" for c in model.components}
        with zipfile.ZipFile(report.path, "a") as jar:
            for component, script in scripts.items():
                jar.writestr(f"resources/{script}", pystorm_script(component))
        topology = storm_topology(model, env.worker_python, scripts)
        with nimbus(env) as client:
            location = client.upload_jar(report.path)
            client.submit(name, location, conf, topology)
    found = find_topology(env, name)
    assert found is not None, f"Nimbus does not list {name}"
    return str(found.id)


def last_lines(out: Path, kind: str) -> dict[str, dict[str, Any]]:
    """Return the latest progress line of every task file of ``kind``."""
    latest = {}
    for path in out.glob(f"{kind}-*.jsonl"):
        lines = path.read_text().splitlines()
        if lines:
            latest[path.name] = json.loads(lines[-1])
    return latest


def all_lines(out: Path, kind: str) -> list[dict[str, Any]]:
    found = []
    for path in out.glob(f"{kind}-*.jsonl"):
        found += [json.loads(line) for line in path.read_text().splitlines() if line]
    return found


def processes(topology_id: str) -> dict[str, list[psutil.Process]]:
    """Return the worker JVM(s) and the Python tasks of ``topology_id``, by role."""
    roles: dict[str, list[psutil.Process]] = {}
    for proc in psutil.process_iter(["cmdline"]):
        try:
            cmd = proc.info["cmdline"] or []
            joined = " ".join(cmd)
            if "org.apache.storm.daemon.worker.Worker" in joined and topology_id in joined \
                    and "org.apache.storm.LogWriter" not in joined:
                roles.setdefault("worker-jvm", []).append(proc)
            elif len(cmd) == 2 and cmd[1].endswith(".py") and topology_id in proc.cwd():
                role = cmd[1].removesuffix(".py").replace("squall_launch_", "").replace("pystorm_", "")
                roles.setdefault(role, []).append(proc)
        except psutil.Error:
            continue
    return roles


def cpu_seconds(procs: dict[str, list[psutil.Process]]) -> dict[str, float]:
    total = {}
    for role, found in procs.items():
        seconds = 0.0
        for proc in found:
            try:
                times = proc.cpu_times()
                seconds += times.user + times.system
            except psutil.Error:
                pass
        total[role] = seconds
    return total


def wait_for_traffic(out: Path, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(line.get("words", 0) > 0 for line in last_lines(out, "count").values()):
            return
        time.sleep(0.5)
    raise SystemExit(f"no words counted within {timeout:.0f}s; see the worker log")


def measure(out: Path, topology_id: str, window: float) -> dict[str, float]:
    procs = processes(topology_id)
    count_a, spout_a, cpu_a, wall_a = last_lines(out, "count"), last_lines(out, "spout"), cpu_seconds(procs), time.time()
    time.sleep(window)
    count_b, spout_b, cpu_b, wall_b = last_lines(out, "count"), last_lines(out, "spout"), cpu_seconds(procs), time.time()
    words = sum((b["words"] - count_a.get(k, {"words": 0, "t": b["t"]})["words"])
                / max(1e-9, b["t"] - count_a.get(k, {"t": wall_a - window})["t"]) for k, b in count_b.items())
    acks = sum((b["acked"] - spout_a.get(k, {"acked": 0, "t": b["t"]})["acked"])
               / max(1e-9, b["t"] - spout_a.get(k, {"t": wall_a - window})["t"]) for k, b in spout_b.items())
    lat = sorted(x for line in all_lines(out, "spout") if wall_a < line["t"] <= wall_b for x in line["lat_ms"])
    result = {"words_s": words, "acks_s": acks,
              "p50_ms": lat[len(lat) // 2] if lat else float("nan"),
              "p99_ms": lat[int(len(lat) * 0.99)] if lat else float("nan")}
    for role in cpu_b:
        result[f"cpu_{role}"] = (cpu_b[role] - cpu_a.get(role, 0.0)) / (wall_b - wall_a) * 100.0
    return result


def run_variant(cluster: DevCluster, variant: str, par: int, rep: int, args: argparse.Namespace,
                extra: dict[str, Any]) -> dict[str, float]:
    model = storm_wordcount.wordcount(par).model
    name = f"bench-{len(variant)}-{abs(hash(variant)) % 10**6}-p{par}-r{rep}"
    variant, *settings = variant.split("@")
    extra = {**extra, **parse_options(settings)}
    with tempfile.TemporaryDirectory(prefix="bench-out-", ignore_cleanup_errors=True) as tmp:
        out = Path(tmp)
        out.chmod(0o777)
        options = {**BASE_CONF, **extra, storm_wordcount.OUT_KEY: str(out)}
        if variant == "pystorm":
            env = cluster.storm_env()
            topology_id = submit_pystorm(model, env, name, options)
        else:
            env = cluster.storm_env(serializer=variant)
            topology_id = submit(model, env, name=name, options=options, project_root=HERE).id
        try:
            wait_for_traffic(out)
            time.sleep(args.warmup)
            return measure(out, topology_id, args.window)
        finally:
            kill(name, env, wait_secs=0, wait_gone=120.0)


def run_with_retry(cluster: DevCluster, variant: str, par: int, rep: int, args: argparse.Namespace,
                   extra: dict[str, Any]) -> dict[str, float]:
    """Run once; on a cluster error (an overloaded machine can time Nimbus out) try once more."""
    from squall.errors import SquallError

    try:
        return run_variant(cluster, variant, par, rep, args, extra)
    except SquallError as exc:
        print(f"rep {rep} par {par} {variant}: {exc}; trying once more", flush=True)
        return run_variant(cluster, variant, par, rep + 100, args, extra)


def fmt(result: dict[str, float]) -> str:
    cpu = "  ".join(f"{k[4:]} {v:4.0f}%" for k, v in sorted(result.items()) if k.startswith("cpu_"))
    return (f"{result['words_s']:9,.0f} words/s {result['acks_s']:7,.0f} acks/s "
            f"p50 {result['p50_ms']:7.1f} ms p99 {result['p99_ms']:7.1f} ms  cpu: {cpu}")


def parse_options(pairs: list[str]) -> dict[str, Any]:
    import yaml

    extra = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        extra[key] = yaml.safe_load(value)
    return extra


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--pars", default="1,2")
    parser.add_argument("--variants", default="pystorm,json,msgpack")
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("-o", dest="options", action="append", default=[], help="extra topology conf key=value")
    args = parser.parse_args(argv)
    variants = args.variants.split(",")
    pars = [int(p) for p in args.pars.split(",")]
    extra = parse_options(args.options)
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-storm-", ignore_cleanup_errors=True) as home:
        cluster = DevCluster(home=Path(home))
        print("starting a dev cluster ...", flush=True)
        cluster.up(exit_with_pid=os.getpid())
        try:
            print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; conf {BASE_CONF} {extra}")
            for rep in range(args.repeat):
                for par in pars:
                    for variant in variants:
                        result = run_with_retry(cluster, variant, par, rep, args, extra)
                        results.setdefault((variant, par), []).append(result)
                        print(f"rep {rep} par {par} {variant:8s} {fmt(result)}  load {os.getloadavg()[0]:.2f}",
                              flush=True)
        finally:
            cluster.down()
    print(f"\nmedians of {args.repeat} (load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    for par in pars:
        for variant in variants:
            runs = results[(variant, par)]
            median = {k: statistics.median(r.get(k, 0.0) for r in runs) for k in runs[0]}
            ratio = ""
            if variant != "pystorm" and ("pystorm", par) in results:
                ref = statistics.median(r["words_s"] for r in results[("pystorm", par)])
                ref_p50 = statistics.median(r["p50_ms"] for r in results[("pystorm", par)])
                ratio = f"  {median['words_s'] / ref:4.2f}x pystorm words/s, p50 {median['p50_ms'] / ref_p50:4.2f}x"
            print(f"par {par} {variant:8s} {fmt(median)}{ratio}")


if __name__ == "__main__":
    main()
