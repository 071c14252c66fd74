"""Micro-benchmark: a pass-through bolt over Storm's multi-lang protocol, squall vs pystorm 3.1.4.

Usage::

    python bench/multilang_bench.py [--tuples N] [--repeat R] [--only squall|pystorm]

This driver plays Storm's role without a JVM: it starts the bolt process, does the
handshake, then a writer thread pours N pre-encoded tuple frames into its stdin
while a reader thread drains its stdout and counts acks. A run ends at the N-th
ack. Reported per runtime and serializer: tuples/s (best of R runs) and output
bytes per tuple (emit + ack frames), the bolt process's CPU time per tuple
(least of R runs, from /proc: steadier than wall time on a shared machine); then
squall/pystorm ratios.

The reference is pystorm 3.1.4 (``pip install pystorm==3.1.4``) used as shipped:
its ``Bolt`` with ``serializer="json"`` (simplejson, line-by-line reads, one
write+flush per message) or ``serializer="msgpack"`` (``msgpack.packb`` with the
library defaults, ``Unpacker()`` fed 1 MiB ``os.read`` chunks, no ``end`` lines).
Both bolts emit anchored with ``need_task_ids`` false and auto-ack.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Optional

import msgpack
import orjson

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def encode(serializer: str, message: object) -> bytes:
    if serializer == "json":
        return orjson.dumps(message) + b"\nend\n"
    return msgpack.packb(message, use_bin_type=True)


def ack_marker(serializer: str) -> bytes:
    # The ack command's value: '"ack"' in JSON (any spacing), fixstr 'ack' in msgpack.
    return b'"ack"' if serializer == "json" else b"\xa3ack"


def command(runtime: str, serializer: str) -> list[str]:
    if runtime == "squall":
        return [sys.executable, "-m", "squall.multilang", "--serializer", serializer,
                "multilang_components:PassThrough"]
    return [sys.executable, str(HERE / "multilang_components.py"), serializer]


def handshake(serializer: str, pid_dir: str) -> bytes:
    context = {
        "taskid": 2, "componentid": "pass", "task->component": {"1": "words", "2": "pass"},
        "streams": ["default"], "stream->outputfields": {"default": ["word"]},
        "stream->target->grouping": {}, "source->stream->grouping": {"words": {"default": {"type": "SHUFFLE"}}},
        "source->stream->fields": {"words": {"default": ["word"]}},
    }
    return encode(serializer, {"conf": {"topology.name": "bench"}, "context": context, "pidDir": pid_dir})


def tuple_frames(serializer: str, n: int) -> bytes:
    words = ["snow", "white", "and", "the", "seven", "dwarfs", "apple", "mirror"]
    return b"".join(
        encode(serializer, {"id": str(-6955786537413359385 + i * 7919), "comp": "words", "stream": "default",
                            "task": 1, "tuple": [words[i % 8]]})
        for i in range(n)
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_once(runtime: str, serializer: str, frames: bytes, n: int) -> tuple[float, float, float]:
    """Return (tuples/s, output bytes per tuple, bolt CPU microseconds per tuple) of one run."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))
    with tempfile.TemporaryDirectory() as pid_dir:
        proc = subprocess.Popen(command(runtime, serializer), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, cwd=HERE, env=env, bufsize=0)
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(handshake(serializer, pid_dir))
            first = proc.stdout.read(65536)  # the pid reply
            if not first:
                raise SystemExit(f"{runtime}/{serializer}: bolt died during the handshake")
            marker = ack_marker(serializer)
            state = {"acks": 0, "bytes": 0, "end": 0.0}

            def drain() -> None:
                fd = proc.stdout.fileno()  # type: ignore[union-attr]
                tail = b""
                keep = len(marker) - 1
                while state["acks"] < n:
                    data = os.read(fd, 1 << 20)
                    if not data:
                        break
                    state["bytes"] += len(data)
                    # markers inside data, plus one straddling the previous chunk's end
                    state["acks"] += data.count(marker) + (tail + data[:keep]).count(marker)
                    tail = data[-keep:]
                state["end"] = time.perf_counter()

            def pour() -> None:
                view = memoryview(frames)
                fd = proc.stdin.fileno()  # type: ignore[union-attr]
                try:
                    while view:
                        view = view[os.write(fd, view[: 1 << 16]) :]
                except BrokenPipeError:
                    pass

            reader = threading.Thread(target=drain, daemon=True)
            writer = threading.Thread(target=pour, daemon=True)
            cpu_start = cpu_seconds(proc.pid)
            start = time.perf_counter()
            reader.start()
            writer.start()
            reader.join()
            cpu = cpu_seconds(proc.pid) - cpu_start
            if state["acks"] < n:
                raise SystemExit(f"{runtime}/{serializer}: only {state['acks']} of {n} acks before EOF")
            return n / (state["end"] - start), state["bytes"] / n, cpu / n * 1e6
        finally:
            proc.kill()
            proc.wait()


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tuples", type=int, default=100_000, help="tuples per run (default 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration; best is reported (default 3)")
    parser.add_argument("--serializers", default="json,msgpack")
    parser.add_argument("--only", choices=["squall", "pystorm"], default=None)
    args = parser.parse_args(argv)
    runtimes = [args.only] if args.only else ["squall", "pystorm"]
    if "pystorm" in runtimes and importlib.util.find_spec("pystorm") is None:
        raise SystemExit("the pystorm reference is not installed: pip install pystorm==3.1.4 (or pass --only squall)")
    results: dict[tuple[str, str], tuple[float, float, float]] = {}
    print(f"pass-through bolt, {args.tuples} tuples per run, best of {args.repeat}, python {sys.version.split()[0]}")
    for serializer in args.serializers.split(","):
        frames = tuple_frames(serializer, args.tuples)
        best = {r: (0.0, 0.0, 0.0) for r in runtimes}
        least_cpu = {r: float("inf") for r in runtimes}
        for _ in range(args.repeat):  # interleave runtimes so machine noise hits both
            for runtime in runtimes:
                rate, size, cpu = run_once(runtime, serializer, frames, args.tuples)
                if rate > best[runtime][0]:
                    best[runtime] = (rate, size, cpu)
                least_cpu[runtime] = min(least_cpu[runtime], cpu)
        for runtime in runtimes:
            rate, size, _ = best[runtime]
            results[(runtime, serializer)] = (rate, size, least_cpu[runtime])
            print(f"{runtime:8s} {serializer:8s} {rate:10,.0f} tuples/s {size:7.1f} bytes/tuple out "
                  f"{least_cpu[runtime]:6.2f} us CPU/tuple (bolt process)")
    if not args.only:
        for serializer in args.serializers.split(","):
            sq, ps = results[("squall", serializer)], results[("pystorm", serializer)]
            print(f"squall/pystorm {serializer:8s} throughput {sq[0] / ps[0]:5.2f}x   "
                  f"CPU per tuple {ps[2] / sq[2]:5.2f}x less")


if __name__ == "__main__":
    main()
