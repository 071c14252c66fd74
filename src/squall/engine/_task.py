"""The task process: hosts one spout or bolt instance and moves its tuples.

One ``TaskHost`` per process implements ``squall.api.ComponentHost``. Its main loop
reads batches from the task's inbox, runs the user's code, routes emits into
per-destination output buffers and sends them without blocking. When a buffer cannot
be flushed the task stops reading new input (bolts) or calling ``next_tuple``
(spouts) but keeps draining acks and control messages, so backpressure propagates
upstream and acks always flow back: no deadlock.
"""

from __future__ import annotations

import gc
import os
import random
import select
import socket
import threading
import time
import traceback
from collections import deque
from typing import Any, Optional, Sequence

from squall.api import Bolt, Tuple, TupleFactory
from squall.api._tuple import TICK_COMPONENT, TICK_STREAM
from squall.engine import _conf
from squall.engine._acking import TASK_MASK, SpoutTracker
from squall.engine._transport import ACKS, DATA, FRAG, OutPort, Reassembler, make_packer, unpack
from squall.engine._wiring import TaskPlan, Wiring
from squall.errors import EngineError
from squall.topology import SPOUT

_LEVEL_NAMES = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")
_HOUSEKEEPING_SECS = 0.05
_RECV_BYTES = 1 << 19
_POLLIN = select.POLLIN
_POLLOUT = select.POLLOUT


class _Exit(Exception):
    """Leave the main loop with an exit code (1: user code raised; 0: parent gone)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class TaskHost:
    """Run one task: the ``ComponentHost`` of its component instance and its I/O loop."""

    def __init__(self, plan: TaskPlan, wiring: Wiring) -> None:
        self.plan = plan
        self.task_id = plan.task
        self.is_spout = plan.kind == SPOUT
        conf = plan.conf
        self.batch = _conf.integer(conf, _conf.BATCH_SIZE, minimum=1) or 1
        self._flat_limit = self.batch * 3
        self.max_pending = _conf.integer(conf, _conf.MAX_SPOUT_PENDING, minimum=1, allow_none=True)
        self.tick_secs = _conf.number(conf, _conf.TICK_FREQ, minimum=0.001, allow_none=True)
        self.spout_wait = (_conf.number(conf, _conf.SPOUT_WAIT_MS) or 0.0) / 1000.0
        self.metrics_secs = _conf.number(conf, _conf.METRICS_INTERVAL, minimum=0.01) or 0.5
        self.shutdown_secs = _conf.number(conf, _conf.SHUTDOWN_TIMEOUT, minimum=0.1) or 10.0
        timeout = _conf.number(conf, _conf.MESSAGE_TIMEOUT, minimum=0.001) or 30.0
        self._rng = random.Random(os.urandom(16))
        self._rand64 = self._rng.getrandbits
        from squall.engine._routing import Router

        self.router = Router(plan.component, plan.subscriptions, set(plan.direct_streams), self._rng)
        self._routes = self.router.functions
        self._pack = make_packer()
        self._wiring = wiring
        self.inbox = wiring.inbox_read[plan.task]
        self.control = wiring.control_child[plan.task]
        self.report = wiring.report_write
        self.ports: dict[int, OutPort] = {}
        self.ack_ports: dict[int, OutPort] = {}
        self.acks: dict[int, list[int]] = {}
        self.fails: dict[int, list[int]] = {}
        self.inputs: dict[int, list[Any]] = {}
        self.next_handle = 0
        self.tracker = SpoutTracker(plan.task, timeout, self._rng) if self.is_spout else None
        self.lock = threading.Lock()
        self.main_thread = threading.get_ident()
        self.wake_read, self.wake_write = os.pipe()
        os.set_blocking(self.wake_read, False)
        os.set_blocking(self.wake_write, False)
        self.factory = TupleFactory(plan.context.source_fields)
        self.log_file = open(plan.log_path, "a", buffering=1, encoding="utf-8", errors="backslashreplace")
        self._log_lock = threading.Lock()
        self._reassembler = Reassembler()
        self._rbuf = bytearray(_RECV_BYTES)
        self._rview = memoryview(self._rbuf)
        self.callbacks: deque[Any] = deque()
        self._waits = 0
        self._received = 0
        self.blocked = False
        self.active = True
        self.stop_requested = False
        self.fatal_error: Optional[BaseException] = None
        self.instance: Any = None
        self._inline_bolt = False
        from squall.engine._fastpath import TupleMaker

        self._tuple_maker = TupleMaker(plan.context.source_fields)
        self._makers: dict[tuple[str, str], Any] = {}
        self.emitted = self.transferred = self.executed = self.acked = self.failed = 0
        self.exec_secs = 0.0
        now = time.monotonic()
        self.next_housekeeping = now
        self.next_metrics = now + self.metrics_secs
        self.next_tick = now + self.tick_secs if self.tick_secs else float("inf")

    # -- ComponentHost -----------------------------------------------------------------

    def emit(
        self,
        stream: str,
        values: list[Any],
        anchors: Sequence[Any],
        tup_id: Any,
        direct_task: Optional[int],
        need_task_ids: bool,
    ) -> Optional[list[int]]:
        """Route one tuple into the output buffers of its receiving tasks."""
        with self.lock:
            targets = self._routes[stream](values, direct_task)
            self.emitted += 1
            if targets:
                self.transferred += len(targets)
                if self.is_spout:
                    self._emit_spout(stream, values, tup_id, targets)
                elif not anchors:
                    for task in targets:
                        self._append(task, stream, values, None)
                elif len(anchors) == 1 and len(targets) == 1:
                    # the common case: auto-anchored to one input, one receiver
                    handle = anchors[0]
                    entry = self.inputs.get(handle) if type(handle) is int else None
                    if entry is not None and len(entry[0]) == 2:
                        edge = self._rand64(64) | 1
                        entry[1] ^= edge
                        port = self.ports.get(targets[0]) or self._new_port(targets[0])
                        records = port.records
                        records += (stream, values, [entry[0][0], edge])
                        if len(records) >= self._flat_limit:
                            port.seal()
                            if not port.flush():
                                self.blocked = True
                    else:
                        self._emit_anchored(stream, values, anchors, targets)
                else:
                    self._emit_anchored(stream, values, anchors, targets)
            elif self.is_spout and tup_id is not None:
                self.callbacks.append(tup_id)  # nobody listens: the tree is complete at once
        if threading.get_ident() != self.main_thread:
            self._wake()
        return targets if need_task_ids else None

    def ack(self, tup_id: Any) -> None:
        """Ack an input tuple: send its roots' XOR values to their spout tasks."""
        if tup_id is None:
            return
        with self.lock:
            anchors, ack_val = self._take_input(tup_id, "ack")
            self.acked += 1
            for i in range(0, len(anchors), 2):
                root = anchors[i]
                pending = self.acks.get(root & TASK_MASK)
                if pending is None:
                    pending = self.acks[root & TASK_MASK] = []
                pending.append(root)
                pending.append(anchors[i + 1] ^ ack_val)

    def fail(self, tup_id: Any) -> None:
        """Fail an input tuple: its spout tuples fail at once."""
        if tup_id is None:
            return
        with self.lock:
            anchors, _ = self._take_input(tup_id, "fail")
            self.failed += 1
            for i in range(0, len(anchors), 2):
                root = anchors[i]
                self.fails.setdefault(root & TASK_MASK, []).append(root)

    def log(self, message: str, level: int) -> None:
        """Append a line to this task's log file."""
        name = _LEVEL_NAMES[level] if 0 <= level < len(_LEVEL_NAMES) else str(level)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with self._log_lock:
            self.log_file.write(f"{stamp} {name} {self.plan.component}[{self.task_id}]: {message}\n")

    def report_error(self, message: str) -> None:
        """Send an error text to the engine (shown in crash reports)."""
        self._send_report(("error", self.task_id, str(message)), block=True)

    def fatal(self, error: BaseException) -> None:
        """Stop the task because ``error`` escaped a thread of user code."""
        self._report_exception(error, "in a thread of user code")
        self.fatal_error = error
        self.next_housekeeping = 0.0
        self._wake()

    # -- emit internals ---------------------------------------------------------------

    def _new_port(self, task: int) -> OutPort:
        port = self.ports[task] = OutPort(task, self._wiring.inbox_write[task], self.task_id, DATA, self._pack)
        return port

    def _append(self, task: int, stream: str, values: Any, anchors: Any) -> None:
        port = self.ports.get(task) or self._new_port(task)
        records = port.records
        records += (stream, values, anchors)
        if len(records) >= self._flat_limit:
            port.seal()
            if not port.flush():
                self.blocked = True

    def _emit_spout(self, stream: str, values: Any, tup_id: Any, targets: list[int]) -> None:
        if tup_id is None:
            for task in targets:
                self._append(task, stream, values, None)
            return
        tracker = self.tracker
        root = tracker.new_root()  # type: ignore[union-attr]
        xor = 0
        for task in targets:
            edge = self._rand64(64) | 1
            xor ^= edge
            self._append(task, stream, values, [root, edge])
        tracker.start(root, tup_id, xor, time.monotonic())  # type: ignore[union-attr]

    def _emit_anchored(self, stream: str, values: Any, anchors: Sequence[Any], targets: list[int]) -> None:
        entries = []
        for handle in anchors:
            if handle is None or (type(handle) is int and handle < 0):
                continue  # tick tuples and untracked inputs add nothing to a tree
            entry = self.inputs.get(handle) if type(handle) is int else None
            if entry is None:
                raise EngineError(
                    f"{self.plan.component}[{self.task_id}]: emit anchored to unknown tuple id {handle!r} "
                    "(already acked or failed, or not an input of this task); anchor to live input tuples"
                )
            entries.append(entry)
        if not entries:
            for task in targets:
                self._append(task, stream, values, None)
        elif len(entries) == 1 and len(entries[0][0]) == 2:
            entry = entries[0]
            root = entry[0][0]
            for task in targets:
                edge = self._rand64(64) | 1
                entry[1] ^= edge
                self._append(task, stream, values, [root, edge])
        else:
            for task in targets:
                tree: dict[int, int] = {}
                for entry in entries:
                    edge = self._rand64(64) | 1
                    entry[1] ^= edge
                    anchor_ids = entry[0]
                    for i in range(0, len(anchor_ids), 2):
                        tree[anchor_ids[i]] = tree.get(anchor_ids[i], 0) ^ edge
                self._append(task, stream, values, [x for pair in tree.items() for x in pair])

    def _take_input(self, tup_id: Any, what: str) -> tuple[Sequence[int], int]:
        if type(tup_id) is int and tup_id < 0:
            return (), 0
        entry = self.inputs.pop(tup_id, None) if type(tup_id) is int else None
        if entry is None:
            raise EngineError(
                f"{self.plan.component}[{self.task_id}]: {what}() of unknown tuple id {tup_id!r} "
                f"(already acked or failed, or not an input of this task); {what} each input tuple once"
            )
        return entry[0], entry[1]

    # -- output -----------------------------------------------------------------------

    def _ack_port(self, task: int) -> OutPort:
        port = self.ack_ports.get(task)
        if port is None:
            port = self.ack_ports[task] = OutPort(task, self._wiring.inbox_write[task], self.task_id, ACKS, self._pack)
        return port

    def _flush(self) -> bool:
        """Seal and send what can be sent now; return True when every buffer is empty."""
        ok = True
        with self.lock:
            if self.acks or self.fails:
                for task in set(self.acks) | set(self.fails):
                    if task in self.plan.spout_tasks:
                        self._ack_port(task).queue_message((ACKS, self.task_id, self.acks.get(task, []), self.fails.get(task, [])))
                self.acks.clear()
                self.fails.clear()
            for port in self.ports.values():
                if port.records:
                    port.seal()
                if port.queued and not port.flush():
                    ok = False
            for port in self.ack_ports.values():
                if port.queued and not port.flush():
                    ok = False
            self.blocked = not ok
        return ok

    def _blocked_socks(self) -> list[socket.socket]:
        return [p.sock for p in (*self.ports.values(), *self.ack_ports.values()) if p.queued]

    # -- input ------------------------------------------------------------------------

    def _read_inbox(self, limit: int) -> int:
        """Receive and handle up to ``limit`` messages without blocking; return how many."""
        recv_into = self.inbox.recv_into
        view = self._rview
        count = 0
        while count < limit:
            try:
                size = recv_into(self._rbuf, _RECV_BYTES, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            count += 1
            self._received += 1
            self._on_message(unpack(view[:size]))
        return count

    def _on_message(self, msg: Any) -> None:
        kind = msg[0]
        if kind == FRAG:
            msg = self._reassembler.add(msg[1], msg[2], msg[3], msg[4])
            if msg is None:
                return
            kind = msg[0]
        if kind == DATA:
            self._process_batch(msg[1], msg[2])
        elif kind == ACKS:
            self._process_acks(msg[2], msg[3])

    def _process_batch(self, src: int, records: list[Any]) -> None:
        if self._inline_bolt:
            self._process_batch_inline(src, records)
            return
        component = self.plan.task_component.get(src, "")
        make = self.factory.make
        on_tuple = self.instance._squall_on_tuple
        inputs = self.inputs
        handle = self.next_handle
        start = time.perf_counter()
        try:
            for i in range(0, len(records), 3):
                anchors = records[i + 2]
                handle += 1
                if anchors:
                    inputs[handle] = [anchors, 0]
                    tup = make(handle, component, records[i], src, records[i + 1])
                else:
                    tup = make(-handle, component, records[i], src, records[i + 1])
                self.executed += 1
                try:
                    on_tuple(tup)
                except Exception as exc:
                    self._user_error(exc, f"while processing {tup!r}")
        finally:
            self.next_handle = handle
            self.exec_secs += time.perf_counter() - start

    def _process_batch_inline(self, src: int, records: list[Any]) -> None:
        """``Bolt._squall_on_tuple`` for a whole batch, for bolts that do not override it.

        Same semantics (auto_anchor, auto_ack, auto_fail), fewer calls per tuple.
        """
        component = self.plan.task_component.get(src, "")
        makers = self._makers
        inst = self.instance
        process = inst.process
        auto_anchor, auto_ack, auto_fail = inst.auto_anchor, inst.auto_ack, inst.auto_fail
        main = self.main_thread
        inputs = self.inputs
        acks = self.acks
        handle = self.next_handle
        start = time.perf_counter()
        executed = 0
        last_stream = None
        make: Any = None
        try:
            for i in range(0, len(records), 3):
                stream = records[i]
                if stream != last_stream:
                    last_stream = stream
                    make = makers.get((component, stream)) or self._maker(component, stream)
                anchors = records[i + 2]
                handle += 1
                if anchors:
                    inputs[handle] = [anchors, 0]
                    tup_id = handle
                else:
                    tup_id = -handle
                tup = make(tup_id, src, records[i + 1])
                executed += 1
                if auto_anchor:
                    inst._squall_anchors = (tup_id,)
                    inst._squall_anchor_thread = main
                try:
                    process(tup)
                except Exception as exc:
                    inst._squall_anchor_thread = None
                    if auto_fail:
                        self.fail(tup_id)
                    self._user_error(exc, f"while processing {tup!r}")
                    continue
                inst._squall_anchor_thread = None
                if not auto_ack:
                    continue
                if tup_id < 0:
                    self.acked += 1
                    continue
                with self.lock:
                    entry = inputs.pop(tup_id, None)
                    if entry is None or len(entry[0]) != 2:
                        if entry is not None:
                            inputs[tup_id] = entry
                        self.lock.release()
                        try:
                            self.ack(tup_id)
                        except Exception as exc:
                            self._user_error(exc, f"while processing {tup!r}")
                        finally:
                            self.lock.acquire()
                        continue
                    root = entry[0][0]
                    pending = acks.get(root & TASK_MASK)
                    if pending is None:
                        pending = acks[root & TASK_MASK] = []
                    pending.append(root)
                    pending.append(entry[0][1] ^ entry[1])
                    self.acked += 1
        finally:
            self.executed += executed
            self.next_handle = handle
            self.exec_secs += time.perf_counter() - start

    def _maker(self, component: str, stream: str) -> Any:
        make = self._makers[(component, stream)] = self._tuple_maker.maker(component, stream)
        return make

    def _process_acks(self, acks: list[int], fails: list[int]) -> None:
        tracker = self.tracker
        if tracker is None:
            return
        now = time.monotonic()
        spout = self.instance
        for i in range(0, len(acks), 2):
            msg_id = tracker.ack(acks[i], acks[i + 1], now)
            if msg_id is not None:
                self.acked += 1
                self._call(spout.ack, msg_id)
        for root in fails:
            msg_id = tracker.fail(root)
            if msg_id is not None:
                self.failed += 1
                self._call(spout.fail, msg_id)

    # -- user code --------------------------------------------------------------------

    def _call(self, func: Any, *args: Any) -> None:
        try:
            func(*args)
        except Exception as exc:
            self._user_error(exc, f"in {getattr(func, '__name__', 'callback')}()")

    def _user_error(self, exc: BaseException, where: str) -> None:
        self._report_exception(exc, where)
        if getattr(self.instance, "exit_on_exception", True):
            raise _Exit(1) from exc

    def _report_exception(self, exc: BaseException, where: str) -> None:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        message = f"{self.plan.component}[{self.task_id}] {where}:\n{text}"
        self.log(message, 4)
        self.report_error(message)

    # -- reports and control ------------------------------------------------------------

    def _send_report(self, message: Any, block: bool = False) -> None:
        try:
            self.report.send(self._pack(message), 0 if block else socket.MSG_DONTWAIT)
        except (BlockingIOError, OSError):
            pass  # metrics are cumulative: the next report carries them

    def _metrics(self) -> dict[str, Any]:
        report: dict[str, Any] = {
            "emitted": self.emitted,
            "transferred": self.transferred,
            "executed": self.executed,
            "exec_secs": self.exec_secs,
            "acked": self.acked,
            "failed": self.failed,
        }
        if self.tracker is not None:
            lat = self.tracker.latency
            report.update(active=self.active, pending=len(self.tracker.pending), lat_count=lat.count, lat_total=lat.total, lat_buckets=lat.buckets)
        return report

    def _send_metrics(self) -> None:
        self._send_report(("metrics", self.task_id, self._metrics()))

    def _read_control(self) -> None:
        while True:
            try:
                data = self.control.recv(4096, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            command = unpack(data)[0]
            if command == "deactivate" and self.active and self.is_spout:
                self.active = False
                self._call(self.instance.deactivate)
                self._send_metrics()
            elif command == "activate" and not self.active and self.is_spout:
                self.active = True
                self._call(self.instance.activate)
            elif command == "stop":
                self.stop_requested = True

    def _housekeeping(self, now: float) -> None:
        self.next_housekeeping = now + _HOUSEKEEPING_SECS
        if os.getppid() != self._wiring.parent_pid:
            raise _Exit(0)
        if self.fatal_error is not None:
            raise _Exit(1)
        self._read_control()
        if self.tracker is not None:
            expired = self.tracker.expired(now)
            for msg_id in expired:
                self.failed += 1
                self._call(self.instance.fail, msg_id)
        if now >= self.next_tick and not self.blocked:
            self.next_tick = max(self.next_tick + self.tick_secs, now)  # type: ignore[operator]
            self._deliver_tick()
        if now >= self.next_metrics or (self.tracker is not None and not self.active):
            self.next_metrics = now + self.metrics_secs
            self._send_metrics()

    def _deliver_tick(self) -> None:
        tup = Tuple(None, TICK_COMPONENT, TICK_STREAM, -1, ())
        try:
            self.instance._squall_on_tuple(tup)
        except Exception as exc:
            self._user_error(exc, "while processing a tick tuple")

    def _wake(self) -> None:
        try:
            os.write(self.wake_write, b"x")
        except (BlockingIOError, OSError):
            pass

    def _wait(self, read_inbox: bool, timeout: float) -> None:
        """Sleep until input, control, a writable destination, or ``timeout`` seconds."""
        self._waits += 1
        poller = select.poll()
        events: dict[int, int] = {self.control.fileno(): _POLLIN, self.wake_read: _POLLIN}
        if self._wiring.death_read >= 0:
            events[self._wiring.death_read] = _POLLIN
        for sock in self._blocked_socks():
            events[sock.fileno()] = events.get(sock.fileno(), 0) | _POLLOUT
        if read_inbox:
            fd = self.inbox.fileno()
            events[fd] = events.get(fd, 0) | _POLLIN
        for fd, mask in events.items():
            poller.register(fd, mask)
        for fd, _ in poller.poll(max(0.0, timeout) * 1000.0):
            if fd == self._wiring.death_read:
                raise _Exit(0)  # the engine is gone: so are we
            if fd == self.wake_read:
                try:
                    os.read(self.wake_read, 4096)
                except BlockingIOError:
                    pass
            elif fd == self.control.fileno():
                self.next_housekeeping = 0.0

    # -- main loops -------------------------------------------------------------------

    def run(self) -> int:
        """Prepare the component and run until stopped; return the process exit code."""
        plan = self.plan
        self.log(f"task {plan.task} of {plan.component!r} starting (pid {os.getpid()}, incarnation {plan.incarnation})", 2)
        try:
            self.instance = plan.component_class()
            try:
                self.instance._squall_prepare(self, plan.conf, plan.context)
            except Exception as exc:
                self._report_exception(exc, "in initialize()")
                raise _Exit(1) from exc
            self._install_fast_paths()
            code = self._spout_loop() if self.is_spout else self._bolt_loop()
        except _Exit as stop:
            code = stop.code
            if code:
                self._best_effort_flush()
        self._close_component()
        self._send_metrics()
        self.log(f"task {plan.task} of {plan.component!r} exiting with code {code} ({self._received} messages received, "
            f"{self.executed} executed, {self._waits} waits, {sum(os.times()[:2]):.2f}s CPU)", 2)
        return code

    def _install_fast_paths(self) -> None:
        """Use the engine's equivalents of ``Bolt.emit`` / ``_squall_on_tuple`` unless overridden."""
        from squall.engine._fastpath import fast_bolt_emit

        cls = type(self.instance)
        if self.is_spout:
            return
        self._inline_bolt = cls._squall_on_tuple is Bolt._squall_on_tuple
        if cls.emit is Bolt.emit:
            self.instance.emit = fast_bolt_emit(self.instance, self)

    def _best_effort_flush(self) -> None:
        try:
            self._flush()
        except Exception:  # we are crashing already; the crash report has the cause
            pass

    def _close_component(self) -> None:
        close = getattr(self.instance, "_squall_close", None)
        if close is not None:
            try:
                close()
            except Exception as exc:
                self._report_exception(exc, "while closing")

    def _bolt_loop(self) -> int:
        while True:
            now = time.monotonic()
            if now >= self.next_housekeeping:
                self._housekeeping(now)
                if self.stop_requested:
                    return self._finish()
            if self._flush():
                if self._read_inbox(8):
                    continue
                self._wait(True, self._timeout(now))
            else:
                self._wait(False, self._timeout(now))

    def _timeout(self, now: float) -> float:
        if self.next_tick <= now:  # a tick waits for the outputs to drain: wake on housekeeping only
            return max(0.001, self.next_housekeeping - now)
        return max(0.0, min(self.next_housekeeping, self.next_tick) - now)

    def _spout_loop(self) -> int:
        self._call(self.instance.activate)
        tracker = self.tracker
        assert tracker is not None
        while True:
            now = time.monotonic()
            if now >= self.next_housekeeping:
                self._housekeeping(now)
                if self.stop_requested:
                    return self._finish()
            self._read_inbox(64)
            self._run_callbacks()
            flushed = self._flush()
            limit = self.max_pending
            if self.active and flushed and (limit is None or len(tracker.pending) < limit):
                emitted = self._spout_burst(limit)
                self._flush()
                if not emitted:
                    self._wait(True, min(self.spout_wait, self._timeout(now)))
            else:
                self._wait(True, self._timeout(now))

    def _spout_burst(self, limit: Optional[int]) -> int:
        pending = self.tracker.pending  # type: ignore[union-attr]
        next_tuple = self.instance.next_tuple
        start = self.emitted
        for _ in range(self.batch):
            before = self.emitted
            try:
                next_tuple()
            except Exception as exc:
                self._user_error(exc, "in next_tuple()")
            if self.emitted == before or self.blocked or (limit is not None and len(pending) >= limit):
                break
        self._run_callbacks()
        return self.emitted - start

    def _run_callbacks(self) -> None:
        while self.callbacks:
            msg_id = self.callbacks.popleft()
            self.acked += 1
            self._call(self.instance.ack, msg_id)

    def _finish(self) -> int:
        """Stop: handle what is left in the inbox, send everything, and exit cleanly."""
        deadline = time.monotonic() + self.shutdown_secs
        while time.monotonic() < deadline:
            flushed = self._flush()
            if flushed and not self._read_inbox(8):
                if self._flush():
                    break
            if not flushed:
                data_left = any(p.queued for p in self.ports.values())
                if not data_left:
                    for port in self.ack_ports.values():
                        port.discard()  # spouts have stopped: nobody reads these acks
                    continue
                self._wait(False, 0.05)
        return 0


def task_main(plan: TaskPlan, wiring: Wiring) -> int:
    """Entry point of a forked task process; returns the exit code."""
    from squall.engine import _procs

    if plan.conf.get(_conf.PDEATHSIG, True):
        _procs.set_parent_death_signal()
    if os.getppid() != wiring.parent_pid:
        return 0
    if wiring.death_write >= 0:
        os.close(wiring.death_write)
    _procs.redirect_stdio(plan.log_path)
    _procs.reset_process_state()
    gc.freeze()  # what the engine inherited stays shared with it (no copy-on-write by the collector)
    gc.set_threshold(50_000, 20, 20)  # batches allocate many short-lived containers
    profile_dir = os.environ.get("SQUALL_ENGINE_PROFILE")
    if profile_dir:  # developer aid: one cProfile dump per task process
        import cProfile

        profiler = cProfile.Profile()
        try:
            return profiler.runcall(TaskHost(plan, wiring).run)
        finally:
            profiler.dump_stats(os.path.join(profile_dir, f"{plan.component}-{plan.task}-{os.getpid()}.prof"))
    return TaskHost(plan, wiring).run()
