"""Run a topology on the embedded engine (real processes) and read back what it did.

Every component class is replaced by a subclass that wraps its host: each task
process appends what its component emitted, acked (spouts' callbacks), failed,
logged and reported to a JSON-lines file in a private temporary folder, read back
when the run ends. The topology itself (components, streams, groupings, task ids)
is unchanged.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any, Optional, Sequence

from squall.api import Spout
from squall.errors import ComponentCrashed
from squall.testing._recording import LogEntry
from squall.testing._result import TopologyResult, declared_streams
from squall.topology import TopologyModel


class _Recorder:
    """Append one JSON line per event to this task process's file."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the task

    def write(self, *event: Any) -> None:
        self._file.write(json.dumps(event, default=repr) + "\n")
        self._file.flush()


class _TapHost:
    """Forward every host call to the real host, recording it first."""

    def __init__(self, host: Any, recorder: _Recorder, component: str) -> None:
        self._host = host
        self._rec = recorder
        self._component = component

    def emit(self, stream: str, values: list[Any], anchors: Sequence[Any], tup_id: Any,
             direct_task: Optional[int], need_task_ids: bool) -> Optional[list[int]]:
        self._rec.write("emit", self._component, stream, list(values), tup_id)
        task_ids: Optional[list[int]] = self._host.emit(stream, values, anchors, tup_id, direct_task, need_task_ids)
        return task_ids

    def ack(self, tup_id: Any) -> None:
        self._host.ack(tup_id)

    def fail(self, tup_id: Any) -> None:
        self._host.fail(tup_id)

    def log(self, message: str, level: int) -> None:
        self._rec.write("log", self._component, level, message)
        self._host.log(message, level)

    def report_error(self, message: str) -> None:
        self._rec.write("error", self._component, message)
        self._host.report_error(message)

    def fatal(self, error: BaseException) -> None:
        self._host.fatal(error)


def _recording_class(cls: type, record_dir: str) -> type:
    """Return a subclass of ``cls`` whose tasks record what they do to ``record_dir``."""

    def _squall_prepare(self: Any, host: Any, conf: Any, context: Any) -> None:
        path = Path(record_dir) / f"{context.component_id}-{context.task_id}-{os.getpid()}.jsonl"
        self._squall_recorder = _Recorder(path)
        base: Any = cls
        base._squall_prepare(self, _TapHost(host, self._squall_recorder, context.component_id), conf, context)

    namespace: dict[str, Any] = {
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "_squall_prepare": _squall_prepare,
    }
    if issubclass(cls, Spout):
        def ack(self: Any, tup_id: Any) -> None:
            self._squall_recorder.write("ack", self.component_name, tup_id)
            cls.ack(self, tup_id)

        def fail(self: Any, tup_id: Any) -> None:
            self._squall_recorder.write("fail", self.component_name, tup_id)
            cls.fail(self, tup_id)

        namespace.update(ack=ack, fail=fail)
    else:
        def emit(self: Any, *args: Any, **kwargs: Any) -> Any:
            # Defined here so engines keep routing emits through the (wrapped) host
            # instead of a fast path that bypasses it.
            base: Any = cls
            return base.emit(self, *args, **kwargs)

        namespace["emit"] = emit
    return type(cls.__name__, (cls,), namespace)


def run_embedded(model: TopologyModel, *, timeout: float, raise_errors: bool = True,
                 idle_secs: float = 1.0) -> TopologyResult:
    """Run ``model`` with ``squall.engine.run_local`` until idle or ``timeout``; read the records."""
    from squall.engine import run_local

    with tempfile.TemporaryDirectory(prefix="squall-testing-") as tmp:
        record_dir = os.path.join(tmp, "records")
        os.mkdir(record_dir)
        components = {
            name: replace(comp, component_class=_recording_class(comp.component_class, record_dir))
            for name, comp in model.components.items()
        }
        run = run_local(replace(model, components=components), time=timeout, until_idle=True,
                        idle_secs=idle_secs, log_dir=os.path.join(tmp, "logs"))
        result = _read_records(Path(record_dir))
    result.idle = run.stop_reason == "idle"
    result.streams = declared_streams(model)
    for crash in run.crashes:  # the engine reports a crash itself, not through the component's host
        text = crash.error or f"task {crash.task} exited with code {crash.exit_code}"
        if text not in result.errors.get(crash.component, []):
            result.errors.setdefault(crash.component, []).append(text)
    if raise_errors and run.crashes:
        crash = run.crashes[0]
        raise ComponentCrashed(
            f"component {crash.component!r} (task {crash.task}) crashed on the embedded engine: "
            f"{(crash.error or f'exit code {crash.exit_code}').strip().splitlines()[-1]}; "
            "fix the component, or pass raise_errors=False to record errors in result.errors"
        )
    return result


def _read_records(record_dir: Path) -> TopologyResult:
    result = TopologyResult(engine="embedded")
    open_ids: dict[str, dict[Any, None]] = {}
    for path in sorted(record_dir.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            kind, component, *rest = json.loads(line)
            if kind == "emit":
                stream, values, tup_id = rest
                result.emitted.setdefault(component, {}).setdefault(stream, []).append(tuple(values))
                if tup_id is not None:
                    open_ids.setdefault(component, {})[_key(tup_id)] = None
            elif kind in ("ack", "fail"):
                target = result.acked if kind == "ack" else result.failed
                target.setdefault(component, []).append(_key(rest[0]))
                open_ids.get(component, {}).pop(_key(rest[0]), None)
            elif kind == "error":
                result.errors.setdefault(component, []).append(rest[0])
            elif kind == "log":
                result.logs.setdefault(component, []).append(LogEntry(rest[0], rest[1]))
    result.pending = {c: list(ids) for c, ids in open_ids.items() if ids}
    return result


def _key(tup_id: Any) -> Any:
    return tuple(tup_id) if isinstance(tup_id, list) else tup_id
