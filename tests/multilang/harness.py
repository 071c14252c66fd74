"""Drive a real ``python -m squall.multilang`` child over pipes, message by message."""

from __future__ import annotations

import ctypes
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Optional

from squall.protocol import serializer_for

REPO = Path(__file__).resolve().parents[2]
DEADLINE = 20.0  # safety net for waits; tests never rely on it passing time
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def context(component: str = "echo", task: int = 3, sources: Optional[dict] = None, outputs: Optional[dict] = None) -> dict:
    """A Storm-shaped handshake context for one task of ``component``."""
    return {
        "taskid": task,
        "componentid": component,
        "task->component": {"1": "words", str(task): component, "7": "sink"},
        "streams": list(outputs or {"default": ["word"]}),
        "stream->outputfields": outputs or {"default": ["word"]},
        "stream->target->grouping": {},
        "source->stream->grouping": {"words": {"default": {"type": "SHUFFLE"}}},
        "source->stream->fields": sources if sources is not None else {"words": {"default": ["word"]}},
    }


class Child:
    """A multilang child process with a decoding reader on its stdout."""

    def __init__(self, target: str, serializer: str = "json", extra_args: tuple[str, ...] = (), cwd: Path = REPO) -> None:
        self.serializer = serializer_for(serializer)
        self.raw = bytearray()
        self.messages: "queue.Queue[Any]" = queue.Queue()
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "squall.multilang", "--serializer", serializer, *extra_args, target],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            preexec_fn=_die_with_parent,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._stderr = b""
        self._err_reader = threading.Thread(target=self._read_err, daemon=True)
        self._err_reader.start()

    def _read(self) -> None:
        decoder = self.serializer.decoder()
        assert self.proc.stdout is not None
        while True:
            data = self.proc.stdout.read1(65536)
            if not data:
                self.messages.put(EOFError())
                return
            self.raw += data
            for msg in decoder.feed(data):
                self.messages.put(msg)

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        self._stderr = self.proc.stderr.read()

    def send(self, message: Any) -> None:
        self.send_bytes(self.serializer.encode(message))

    def send_bytes(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close_stdin(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()

    def recv(self) -> Any:
        msg = self.messages.get(timeout=DEADLINE)
        if isinstance(msg, EOFError):
            raise AssertionError(f"child closed stdout; stderr: {self.stderr()}")
        return msg

    def recv_until(self, predicate) -> list[Any]:
        """Receive messages until one matches ``predicate``; return them all (match last)."""
        got = []
        while True:
            msg = self.recv()
            got.append(msg)
            if predicate(msg):
                return got

    def handshake(self, pid_dir: Path, conf: Optional[dict] = None, ctx: Optional[dict] = None) -> dict:
        self.send({"conf": conf or {}, "context": ctx or context(), "pidDir": str(pid_dir)})
        return self.recv()

    def wait(self) -> int:
        return self.proc.wait(timeout=DEADLINE)

    def stderr(self) -> str:
        self._err_reader.join(timeout=DEADLINE)
        return self._stderr.decode("utf-8", "replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=DEADLINE)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


def tup(tup_id: str, value: Any, comp: str = "words", stream: str = "default", task: int = 1) -> dict:
    return {"id": tup_id, "comp": comp, "stream": stream, "task": task, "tuple": [value]}


def heartbeat(hb_id: str = "-42") -> dict:
    return {"id": hb_id, "comp": None, "stream": "__heartbeat", "task": -1, "tuple": []}


def tick(tick_id: str) -> dict:
    return {"id": tick_id, "comp": "__system", "stream": "__tick", "task": -1, "tuple": [1]}
