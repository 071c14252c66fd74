"""Micro-benchmark: a tracked spout's round trips over Storm's multi-lang protocol, no JVM.

Usage::

    python bench/spout_roundtrip_bench.py [--sentences N] [--repeat R] [--only squall|pystorm]

This driver plays ShellSpout: after the handshake, for each sentence it sends
``next``, reads until ``sync`` (taking the emitted tuple's id), sends ``ack`` with
that id and reads until ``sync`` again: the two blocking round trips Storm makes per
tracked tuple. Reported per runtime and serializer: sentences/s (best of R runs) and
the spout process's CPU time per sentence (least of R runs, from /proc), then the
squall/pystorm ratios. Runtimes alternate within each repeat so machine noise hits
both. The reference is pystorm 3.1.4 (``pip install -e '.[bench]'``) as shipped; both
spouts emit with ``need_task_ids`` false.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional

import msgpack
import orjson

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def encode(serializer: str, message: object) -> bytes:
    if serializer == "json":
        return orjson.dumps(message) + b"\nend\n"
    return msgpack.packb(message, use_bin_type=True)


def command(runtime: str, serializer: str) -> list[str]:
    if runtime == "squall":
        return [sys.executable, "-m", "squall.multilang", "--serializer", serializer,
                "spout_components:Sentences"]
    return [sys.executable, str(HERE / "spout_components.py"), serializer]


def handshake(serializer: str, pid_dir: str) -> bytes:
    context = {
        "taskid": 1, "componentid": "sentences", "task->component": {"1": "sentences", "2": "split"},
        "streams": ["default"], "stream->outputfields": {"default": ["sentence"]},
        "stream->target->grouping": {"default": {"split": {"type": "SHUFFLE"}}},
        "source->stream->grouping": {}, "source->stream->fields": {},
    }
    return encode(serializer, {"conf": {"topology.name": "bench"}, "context": context, "pidDir": pid_dir})


class Messages:
    """Read whole messages from a pipe with either framing."""

    def __init__(self, fd: int, serializer: str) -> None:
        self.fd = fd
        self.pending: list[Any] = []
        if serializer == "msgpack":
            unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)

            def feed(data: bytes) -> list[Any]:
                unpacker.feed(data)
                return list(unpacker)
        else:
            buf = bytearray()

            def feed(data: bytes) -> list[Any]:
                buf.extend(data)
                out = []
                while True:
                    end = buf.find(b"\nend\n")
                    if end < 0:
                        return out
                    out.append(orjson.loads(bytes(buf[:end])))
                    del buf[:end + 5]
        self.feed: Callable[[bytes], list[Any]] = feed

    def next(self) -> Any:
        while not self.pending:
            data = os.read(self.fd, 1 << 16)
            if not data:
                raise SystemExit("the spout closed its stdout")
            self.pending.extend(self.feed(data))
        return self.pending.pop(0)

    def until_sync(self) -> list[Any]:
        seen = []
        while True:
            msg = self.next()
            if isinstance(msg, dict) and msg.get("command") == "sync":
                return seen
            seen.append(msg)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_once(runtime: str, serializer: str, n: int) -> tuple[float, float]:
    """Return (sentences/s, spout CPU microseconds per sentence) of one run."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(HERE), str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))
    next_frame = encode(serializer, {"command": "next", "id": ""})
    with tempfile.TemporaryDirectory() as pid_dir:
        proc = subprocess.Popen(command(runtime, serializer), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, cwd=HERE, env=env, bufsize=0)
        try:
            assert proc.stdin is not None and proc.stdout is not None
            out_fd, in_fd = proc.stdout.fileno(), proc.stdin.fileno()
            os.write(in_fd, handshake(serializer, pid_dir))
            messages = Messages(out_fd, serializer)
            messages.next()  # the pid reply
            cpu_start = cpu_seconds(proc.pid)
            start = time.perf_counter()
            for _ in range(n):
                os.write(in_fd, next_frame)
                emits = [m for m in messages.until_sync() if m.get("command") == "emit"]
                if len(emits) != 1:
                    raise SystemExit(f"{runtime}/{serializer}: expected one emit per next, got {emits}")
                os.write(in_fd, encode(serializer, {"command": "ack", "id": emits[0]["id"]}))
                messages.until_sync()
            elapsed = time.perf_counter() - start
            cpu = cpu_seconds(proc.pid) - cpu_start
            return n / elapsed, cpu / n * 1e6
        finally:
            proc.kill()
            proc.wait()


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=20_000, help="sentences per run (default 20000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration (default 3)")
    parser.add_argument("--serializers", default="json,msgpack")
    parser.add_argument("--only", choices=["squall", "pystorm"], default=None)
    args = parser.parse_args(argv)
    runtimes = [args.only] if args.only else ["squall", "pystorm"]
    if "pystorm" in runtimes and importlib.util.find_spec("pystorm") is None:
        raise SystemExit("the pystorm reference is not installed: pip install -e '.[bench]' (or pass --only squall)")
    load = os.getloadavg()
    print(f"tracked spout round trips (next->emit->sync, ack->sync), {args.sentences} sentences per run, "
          f"best of {args.repeat}, python {sys.version.split()[0]}, load average {load[0]:.2f} {load[1]:.2f}")
    results: dict[tuple[str, str], tuple[float, float]] = {}
    for serializer in args.serializers.split(","):
        best = {r: 0.0 for r in runtimes}
        least_cpu = {r: float("inf") for r in runtimes}
        for _ in range(args.repeat):
            for runtime in runtimes:
                rate, cpu = run_once(runtime, serializer, args.sentences)
                best[runtime] = max(best[runtime], rate)
                least_cpu[runtime] = min(least_cpu[runtime], cpu)
        for runtime in runtimes:
            results[(runtime, serializer)] = (best[runtime], least_cpu[runtime])
            print(f"{runtime:8s} {serializer:8s} {best[runtime]:9,.0f} sentences/s "
                  f"{least_cpu[runtime]:7.1f} us CPU/sentence (spout process)")
    if not args.only:
        for serializer in args.serializers.split(","):
            sq, ps = results[("squall", serializer)], results[("pystorm", serializer)]
            print(f"squall/pystorm {serializer:8s} round trips {sq[0] / ps[0]:5.2f}x   "
                  f"CPU per sentence {ps[1] / sq[1]:5.2f}x less")


if __name__ == "__main__":
    main()
