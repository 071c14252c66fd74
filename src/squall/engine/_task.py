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
import json
import os
import resource
import select
import signal
import socket
import time
from collections import namedtuple
from typing import Any, Callable, Optional, Sequence

from squall.api import Bolt, Spout, Tuple
from squall.api._bolt import _SETTLED
from squall.api._tuple import tick_tuple
from squall.api._dispatch import dispatch, dispatch_one, format_exception, on_user_error, report_exception
from squall.engine import _conf
from squall.engine._carry import salvage, uncarried_message
from squall.engine._collector import Collector, EmitFn
from squall.engine._transport import ACKS, DATA, FRAG, RECORD_WIDTH, Reassembler, make_packer, unpack
from squall.engine._tasklog import TaskLog
from squall.engine._wiring import TaskPlan, Wiring
from squall.topology import DEFAULT_STREAM, SPOUT

MAX_ERROR_CHARS = 32_000  # a report is one SEQPACKET message (at most 256 KiB)


def clip_error(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """Keep the head and tail of a long error text (the exception line is at the end).

    >>> clip_error("a" * 10 + "b" * 10, limit=10)
    'aaaaa\\n[... 10 characters cut ...]\\nbbbbb'
    """
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - 2 * half} characters cut ...]\n{text[-half:]}"


_LEVEL_NAMES = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")
_HOUSEKEEPING_SECS = 0.05
_RECV_BYTES = 1 << 19
_POLLIN = select.POLLIN
_POLLOUT = select.POLLOUT
_new = tuple.__new__
WAIT_TRACE_ENV = "SQUALL_ENGINE_WAIT_TRACE"  # developer aid: a directory; each task writes its waits there


DispatchFn = Callable[[Any, Sequence[Tuple], Callable[[Exception, Tuple], None], Any, Any], None]
"""``run(bolt, tuples, on_error, settled, tuple_class)``: how a bolt task hands a batch to its bolt."""


def _api_dispatch(bolt: Any, tuples: Sequence[Tuple], on_error: Callable[[Exception, Tuple], None],
                  settled: Any, tuple_class: Any) -> None:
    dispatch(bolt, tuples, on_error)


class _Exit(Exception):
    """Leave the main loop with an exit code (1: user code raised; 0: parent gone)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class TaskHost:
    """Run one task: the ``ComponentHost`` of its component instance and its I/O loop.

    A task host *has* a ``Collector`` (``self.collector``: routing, input entries, ack
    aggregation, output ports) and lends it the component's ``emit``/``ack``/
    ``ack_many``/``fail`` calls directly (bound methods, no extra call per tuple); it
    adds the rest of ``ComponentHost`` (``log``, ``report_error``, ``fatal``), the
    reading of inputs, user-code dispatch and error policy (``squall.api._dispatch``),
    reports to the engine and the main loops.
    """

    emit: EmitFn
    ack: Callable[[Any], None]
    ack_many: Callable[[Sequence[Any]], None]
    emit_many: Callable[[str, Sequence[Any], Optional[int], Sequence[Any], Optional[int]], int]
    fail: Callable[[Any], None]

    def __init__(self, plan: TaskPlan, wiring: Wiring) -> None:
        settings = _conf.task_settings(plan.conf)
        self.plan = plan
        self.task_id = plan.task
        self._wiring = wiring
        self.batch = settings.batch_size
        self._pack = make_packer()
        self.wake_read, self.wake_write = os.pipe()
        os.set_blocking(self.wake_read, False)
        os.set_blocking(self.wake_write, False)
        self._wake_pending = False  # a byte is in the wake pipe: later wakes need no syscall
        self.collector = collector = Collector(
            plan, wiring, self.batch, settings.message_timeout, self._pack,
            wake=self._wake, report_uncarried=self._report_uncarried,
        )
        # the component calls these straight on the collector (the per-tuple path)
        self.emit = collector.emit
        self.ack = collector.ack
        self.ack_many = collector.ack_many
        if collector.emit_many is not None:  # bolts: the loop of Bolt.emit_many in one call
            self.emit_many = collector.emit_many
        self.fail = collector.fail
        self.is_spout = plan.kind == SPOUT
        self.max_pending = settings.max_spout_pending
        # a spout at max.spout.pending resumes once this many of its trees completed: a few
        # fuller batches instead of a one-line burst per ack message (costs per message dominate)
        self._resume_gap = max(1, min(self.batch, (self.max_pending or 0) // 20))
        # tick tuples are for bolts: on Storm a spout's user code never sees them
        self.tick_secs = None if self.is_spout else settings.tick_secs
        self.spout_wait = settings.spout_wait_secs
        self.metrics_secs = settings.metrics_secs
        self.shutdown_secs = settings.shutdown_secs
        self.inbox = wiring.inbox_read[plan.task]
        self.control = wiring.control_child[plan.task]
        self.report = wiring.report_write
        self.next_handle = 0
        self.task_log = TaskLog(plan.log_path, settings.log_max_bytes, settings.log_backups)
        self._reassembler = Reassembler()
        self._rbuf = bytearray(_RECV_BYTES)
        self._rview = memoryview(self._rbuf)
        self._uniform = self.collector._fast.uniform_tuples
        self._decode = self.collector._fast.decode_batch
        self._spout_acks = self.collector._fast.spout_acks
        self._burst = self.collector._fast.spout_burst
        self._fold_acks = self.collector._fast.fold_acks_message
        self._sources: dict[int, list[Any]] = {}  # source task -> per stream index: (component, stream, class, size)
        self._waits = 0
        self._wait_secs = 0.0  # inside poll(): asleep, or runnable but not yet scheduled
        # (start, end, spout trees pending) of every wait, when WAIT_TRACE_ENV names a directory
        self._wait_trace: Optional[list[tuple[float, float, int]]] = [] if os.environ.get(WAIT_TRACE_ENV) else None
        self._poller = select.poll()  # registrations kept between waits
        self._polled: dict[int, int] = {}
        self._received = 0
        self.active = plan.active
        self.stop_requested = False
        self.fatal_error: Optional[BaseException] = None
        self.instance: Any = None
        self.executed = 0
        self.exec_secs = 0.0
        self._error_tuple: Optional[Tuple] = None  # the input whose processing raised last
        self._dispatch_batch: Optional[DispatchFn] = None  # chosen at the first batch (see _choose_dispatch)
        now = time.monotonic()
        self.next_housekeeping = now
        self.next_metrics = now + self.metrics_secs
        self.next_tick = now + self.tick_secs if self.tick_secs else float("inf")

    # -- ComponentHost (emit, ack, ack_many, fail: the collector's) -----------------------

    def bind_emit(self, component: Any, emit: Any) -> Any:
        """Return a component's ``emit`` with its common call compiled, or ``emit`` itself.

        ``_hotpath.AutoEmit`` for a bolt, ``_hotpath.SpoutAutoEmit`` for a spout.
        """
        if self.is_spout:
            return self.collector._fast.SpoutAutoEmit(component, self.emit, emit, DEFAULT_STREAM)
        return self.collector._fast.AutoEmit(component, self.emit, emit, DEFAULT_STREAM)

    def log(self, message: str, level: int) -> None:
        """Append a line to this task's log file."""
        name = _LEVEL_NAMES[level] if 0 <= level < len(_LEVEL_NAMES) else str(level)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self.task_log.write(f"{stamp} {name} {self.plan.component}[{self.task_id}]: {message}\n")

    def report_error(self, message: str) -> None:
        """Send an error text to the engine (shown in crash reports), clipped to fit one report."""
        self._send_report(("error", self.task_id, clip_error(str(message))), block=True)

    def fatal(self, error: BaseException) -> None:
        """Stop the task because ``error`` escaped a thread of user code."""
        self._report_exception(error, "in a thread of user code")
        self.fatal_error = error
        self.next_housekeeping = 0.0
        self._wake()

    def _blocked_socks(self) -> list[socket.socket]:
        return [p.sock for p in (*self.collector.ports.values(), *self.collector.ack_ports.values()) if p.queued]

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
            decoded = self._decode(view[:size], self._sources, self.collector.inputs, self.next_handle + 1, Tuple)
            if decoded is not None:  # a batch of plain values, decoded straight to tuples
                self.next_handle += len(decoded[1])
                self._run_tuples(decoded[1])
                continue
            if self.is_spout and self._fold_acks_message(view[:size]):
                continue
            try:
                msg = unpack(view[:size])
            except Exception as exc:  # a value that packed but cannot be decoded (a tuple dict key...)
                msg = self._salvage(bytes(view[:size]), exc)
            self._on_message(msg)
        return count

    def _on_message(self, msg: Any) -> None:
        kind = msg[0]
        if kind == FRAG:
            data = self._reassembler.add(msg[1], msg[2], msg[3], msg[4])
            if data is None:
                return
            try:
                msg = unpack(data)
            except Exception as exc:
                msg = self._salvage(data, exc)
            kind = msg[0]
        if kind == DATA:
            self._process_batch(msg[1], msg[2])
        elif kind == ACKS:
            self._process_acks(msg[2], msg[3])

    def _salvage(self, data: bytes, error: Exception) -> Any:
        """Decode a batch record by record: fail and report the records that cannot be decoded."""
        try:
            src, good, bad = salvage(data)
        except Exception:
            raise error from None  # not a batch of user values: an engine bug, crash with its cause
        table = self._sources.get(src) or self._source(src)
        for (sidx, _, root, _edge), index, exc in bad:
            component, stream, values_class, _ = table[sidx] if sidx < len(table) else ("?", str(sidx), tuple, -1)
            self.collector.fail_trees(root)
            where = f"{self.plan.component}[{self.task_id}]"
            self._report_uncarried(uncarried_message(
                where, stream, getattr(values_class, "_fields", ()), index, "value", exc,
                what=f"cannot decode (sent by {component}[{src}])"))
        return (DATA, src, good)

    def _report_uncarried(self, message: str) -> None:
        self.log(message, 4)
        self.report_error(message)

    def _source(self, src: int) -> list[Any]:
        """Return, per stream index of ``src``'s component: (component, stream, values class, size)."""
        component = self.plan.task_component.get(src, "")
        fields = self.plan.context.source_fields.get(component, {})
        table: list[Any] = []
        for stream in self.plan.stream_names.get(component, ()):
            names = fields.get(stream)
            if names:
                values_class: Any = namedtuple("Values", list(names), rename=True)  # type: ignore[misc]
                table.append((component, stream, values_class, len(names)))
            else:
                table.append((component, stream, tuple, -1))
        self._sources[src] = table
        return table

    def _process_batch(self, src: int, records: Sequence[Any]) -> None:
        """Register the batch's tracked tuples as inputs, then run the bolt on all of them."""
        self._run_tuples(self._uniform_tuples(src, records) or self._tuples(src, records))

    def _run_tuples(self, tuples: list[Tuple]) -> None:
        """Run the bolt on a batch's tuples (their inputs are registered)."""
        executed = len(tuples)
        run = self._dispatch_batch or self._choose_dispatch()
        start = time.perf_counter()
        try:
            run(self.instance, tuples, self._tuple_error, _SETTLED, Tuple)
        except _Exit:  # user code raised: the task stops at that tuple, the rest never ran
            executed = next((i + 1 for i, tup in enumerate(tuples) if tup is self._error_tuple), executed)
            raise
        finally:
            self.executed += executed
            self.exec_secs += time.perf_counter() - start

    def _choose_dispatch(self) -> DispatchFn:
        """Pick how batches reach the bolt: the compiled fused loop when it is what would run, else the api's.

        ``Bolt._squall_on_tuples``'s fused loop runs when the bolt's class overrides
        neither ``_squall_on_tuples`` nor ``_squall_on_tuple``; ``_hotpath.dispatch_batch``
        is that loop (compiled, or the Python loop itself in the pure-Python twin).
        """
        cls = type(self.instance)
        fused = (getattr(cls, "_squall_on_tuples", None) is Bolt._squall_on_tuples
                 and getattr(cls, "_squall_on_tuple", None) is Bolt._squall_on_tuple)
        run: DispatchFn = self.collector._fast.dispatch_batch if fused else _api_dispatch
        self._dispatch_batch = run
        return run

    def _uniform_tuples(self, src: int, records: Sequence[Any]) -> Optional[list[Tuple]]:
        """Build the tuples of the common batch (one stream, all tracked, values that fit) in one go.

        Return None when the batch is not that uniform.
        """
        if not records or type(records) is not list:
            return None
        table = self._sources.get(src) or self._source(src)
        sidx = records[0]
        if type(sidx) is not int or not 0 <= sidx < len(table):
            return None
        component, stream, values_class, size = table[sidx]
        first = self.next_handle + 1
        tuples: Optional[list[Tuple]] = self._uniform(self.collector.inputs, first, records, component, stream, src,
                                                      values_class, size, Tuple)
        if tuples is not None:
            self.next_handle += len(tuples)
        return tuples

    def _tuples(self, src: int, records: Sequence[Any]) -> list[Tuple]:
        """Build the tuples of any batch, one record at a time."""
        table = self._sources.get(src) or self._source(src)
        inputs = self.collector.inputs
        handle = self.next_handle
        tuples: list[Tuple] = []
        append = tuples.append
        last = -1
        component: Any = None
        stream: Any = None
        values_class: Any = tuple
        size = 0
        width = RECORD_WIDTH
        for sidx, values, root, edge in zip(records[0::width], records[1::width], records[2::width], records[3::width]):
            if sidx != last:
                last = sidx
                component, stream, values_class, size = table[sidx]
            handle += 1
            if root is None:
                tup_id = -handle
            else:
                inputs[handle] = (root, edge)  # made a list by the first anchored emit
                tup_id = handle
            if len(values) == size:
                append(_new(Tuple, (tup_id, component, stream, src, _new(values_class, values))))
            else:
                append(_new(Tuple, (tup_id, component, stream, src, tuple(values))))
        self.next_handle = handle
        return tuples

    def _tuple_error(self, exc: Exception, tup: Tuple) -> None:
        self._error_tuple = tup
        self._user_error(exc, f"while processing {tup!r}")

    def _fold_acks_message(self, data: memoryview) -> bool:
        """Fold a plain ACKS message into the spout's trees from its bytes; False when it takes the general way."""
        now = time.monotonic()
        done = self._fold_acks(data, self.collector.tracker, self.collector, self.instance, now)
        if done is None:  # fails, a fragment, another encoding, or the pure-Python path
            return False
        if done is not True:  # ack() raised: the error policy, then the rest of the message
            start, exc = done
            self._user_error(exc, "in ack()")
            msg = unpack(data)
            self._process_acks(msg[2], msg[3], start, now)
        return True

    def _process_acks(self, acks: Sequence[int], fails: Sequence[int], start: int = 0,
                      now: Optional[float] = None) -> None:
        """Fold an ACKS message's pairs from index ``start`` on into the spout's trees, then fail its ``fails``."""
        tracker = self.collector.tracker
        if tracker is None:
            return
        now = time.monotonic() if now is None else now
        spout = self.instance
        while True:  # the pairs in order; a crash in ack() stops there, or goes on (the error policy)
            stopped = self._spout_acks(tracker, self.collector, spout, acks, start, now)
            if stopped is None:
                break
            start, exc = stopped
            self._user_error(exc, "in ack()")
        for root in fails:
            msg_id = tracker.fail(root)
            if msg_id is not None:
                self.collector.failed += 1
                self._call(spout.fail, msg_id)

    # -- user code --------------------------------------------------------------------

    def _call(self, func: Any, *args: Any) -> None:
        try:
            func(*args)
        except Exception as exc:
            self._user_error(exc, f"in {getattr(func, '__name__', 'callback')}()")

    def _user_error(self, exc: BaseException, where: str) -> None:
        """Report ``exc`` from user code and stop the task, or go on (the shared policy)."""
        if on_user_error(self, self.instance, exc, self._where(where)):
            raise _Exit(1) from exc

    def _report_exception(self, exc: BaseException, where: str) -> None:
        report_exception(self, exc, self._where(where))

    def _where(self, where: str) -> str:
        return f"{self.plan.component}[{self.task_id}] {where}"

    # -- reports and control ------------------------------------------------------------

    def _send_report(self, message: Any, block: bool = False) -> None:
        try:
            self.report.send(self._pack(message), 0 if block else socket.MSG_DONTWAIT)
        except (BlockingIOError, OSError):
            pass  # metrics are cumulative: the next report carries them

    def _metrics(self) -> dict[str, Any]:
        report: dict[str, Any] = {
            "emitted": self.collector.emitted,
            "transferred": self.collector.transferred,
            "executed": self.executed,
            "exec_secs": self.exec_secs,
            "acked": self.collector.acked,
            "failed": self.collector.failed,
        }
        if self.collector.tracker is not None:
            lat = self.collector.tracker.latency
            report.update(active=self.active, pending=len(self.collector.tracker.pending), lat_count=lat.count, lat_total=lat.total,
                          lat_buckets=lat.buckets, given_up=getattr(self.instance, "_squall_given_up", 0))
        return report

    def _send_metrics(self) -> None:
        self._send_report(("metrics", self.task_id, self._metrics()))

    def _send_final_metrics(self) -> None:
        """Send the last cumulative report, waiting up to a second for room (the engine keeps it)."""
        data = self._pack(("metrics", self.task_id, self._metrics()))
        deadline = time.monotonic() + 1.0
        while True:
            try:
                self.report.send(data, socket.MSG_DONTWAIT)
                return
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                select.select([], [self.report], [], left)
            except OSError:
                return  # the engine is gone

    def _read_control(self) -> None:
        while True:
            try:
                data = self.control.recv(4096, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            if not data:  # end of file: the engine is gone (it holds its end while the task lives)
                raise _Exit(0)
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
            elif command == "abort":  # the run failed: leave now, without draining
                raise _Exit(0)

    def _housekeeping(self, now: float) -> None:
        self.next_housekeeping = now + _HOUSEKEEPING_SECS
        self.task_log.roll_if_due()
        if os.getppid() != self._wiring.parent_pid:
            raise _Exit(0)
        if self.fatal_error is not None:
            raise _Exit(1)
        self._read_control()
        if self.collector.tracker is not None:
            expired = self.collector.tracker.expired(now)
            for msg_id in expired:
                self.collector.failed += 1
                self._call(self.instance.fail, msg_id)
        if now >= self.next_tick and not self.collector.blocked:
            self.next_tick = max(self.next_tick + self.tick_secs, now)  # type: ignore[operator]
            self._deliver_tick()
        if now >= self.next_metrics or (self.collector.tracker is not None and not self.active):
            self.next_metrics = now + self.metrics_secs
            self._send_metrics()

    def _deliver_tick(self) -> None:
        tup = tick_tuple(self.tick_secs)  # type: ignore[arg-type]  # (freq,), as Storm sends
        try:
            dispatch_one(self.instance, tup)
        except Exception as exc:
            self._user_error(exc, "while processing a tick tuple")

    def _wake(self) -> None:
        if self._wake_pending:
            return
        self._wake_pending = True
        try:
            os.write(self.wake_write, b"x")
        except (BlockingIOError, OSError):
            pass

    def _wait(self, read_inbox: bool, timeout: float) -> None:
        """Sleep until input, control, a writable destination, or ``timeout`` seconds."""
        self._waits += 1
        poller = self._poller
        events: dict[int, int] = {self.control.fileno(): _POLLIN, self.wake_read: _POLLIN}
        if self._wiring.death_read >= 0:
            events[self._wiring.death_read] = _POLLIN
        for sock in self._blocked_socks():
            events[sock.fileno()] = events.get(sock.fileno(), 0) | _POLLOUT
        if read_inbox:
            fd = self.inbox.fileno()
            events[fd] = events.get(fd, 0) | _POLLIN
        if events != self._polled:  # re-register only what changed since the last wait
            for fd in self._polled.keys() - events.keys():
                poller.unregister(fd)
            for fd, mask in events.items():
                if self._polled.get(fd) != mask:
                    poller.register(fd, mask)  # registering again modifies
            self._polled = events
        start = time.monotonic()
        ready = poller.poll(max(0.0, timeout) * 1000.0)
        end = time.monotonic()
        self._wait_secs += end - start
        if self._wait_trace is not None:
            self._wait_trace.append((start, end, len(self.collector.tracker.pending) if self.collector.tracker else -1))
        for fd, _ in ready:
            if fd == self._wiring.death_read:
                raise _Exit(0)  # the engine is gone: so are we
            if fd == self.wake_read:
                self._wake_pending = False  # cleared before draining: a wake after this writes again
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
            try:
                self.instance = plan.component_class()
            except Exception as exc:
                self._report_exception(exc, f"in {plan.component_class.__name__}()")
                raise _Exit(1) from exc
            try:
                self.instance._squall_prepare(self, plan.conf, plan.context)
            except Exception as exc:
                self._report_exception(exc, "in initialize()")
                raise _Exit(1) from exc
            code = self._spout_loop() if self.is_spout else self._bolt_loop()
        except _Exit as stop:
            code = stop.code
            if code:
                held = self.collector.fail_held_inputs()  # replayed now, not at the message timeout
                if held:
                    self.log(f"failed the {held} input tuple{'s' if held > 1 else ''} this task still held", 2)
                self._best_effort_flush()
        self._close_component()
        self._write_wait_trace()
        self._send_final_metrics()
        self.log(f"task {plan.task} of {plan.component!r} exiting with code {code} ({self._exit_figures()})", 2)
        return code

    def _write_wait_trace(self) -> None:
        """Write this task's waits as JSON (wall-clock start and end, pending trees) to WAIT_TRACE_ENV's directory."""
        if self._wait_trace is None:
            return
        offset = time.time() - time.monotonic()
        waits = [(start + offset, end + offset, pending) for start, end, pending in self._wait_trace]
        path = os.path.join(os.environ[WAIT_TRACE_ENV], f"{self.plan.component}-{self.task_id}.waits.json")
        try:
            with open(path, "w", encoding="utf-8") as out:
                json.dump({"task": f"{self.plan.component}[{self.task_id}]", "waits": waits}, out)
        except OSError as exc:
            self.log(f"cannot write the wait trace {path}: {exc}", 3)

    def _exit_figures(self) -> str:
        """The task's lifetime figures for its last log line: messages, waits, CPU, context switches."""
        times = os.times()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return (f"{self._received} messages received, {self.executed} executed, {self._waits} waits "
                f"({self._wait_secs:.2f}s waiting), {times.user + times.system:.2f}s CPU, {times.system:.2f}s of it system, "
                f"{usage.ru_nvcsw} voluntary and {usage.ru_nivcsw} involuntary context switches")

    def _best_effort_flush(self) -> None:
        try:
            self.collector.flush()
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
            if self.collector.flush():
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
        if self.active:  # a spout restarted while the run stops stays deactivated: no activate(), no next_tuple()
            self._call(self.instance.activate)
        tracker = self.collector.tracker
        assert tracker is not None
        paused = False
        while True:
            now = time.monotonic()
            if now >= self.next_housekeeping:
                self._housekeeping(now)
                if self.stop_requested:
                    return self._finish()
            self._read_inbox(64)
            self._run_callbacks()
            flushed = self.collector.flush()
            limit = self.max_pending
            if limit is not None:
                pending = len(tracker.pending)
                if pending >= limit:
                    paused = True
                elif paused and pending <= limit - self._resume_gap:
                    paused = False
            if self.active and flushed and not paused:
                emitted = self._spout_burst(limit)
                self.collector.flush()
                if not emitted:
                    self._wait(True, min(self.spout_wait, self._timeout(now)))
            else:
                self._wait(True, self._timeout(now))

    def _spout_burst(self, limit: Optional[int]) -> int:
        collector = self.collector
        pending = collector.tracker.pending  # type: ignore[union-attr]
        target, method = self._next_tuple_call()
        start = collector.emit_calls
        left = self.batch
        while left:  # the calls in order; a crash in next_tuple() stops there, or goes on (the error policy)
            stopped = self._burst(target, method, collector, collector.emit, pending, left, limit)
            if stopped is None:
                break
            left, exc, emitted = stopped
            self._user_error(exc, "in next_tuple()")
            if not emitted or collector.blocked or (limit is not None and len(pending) >= limit):
                break
        self._run_callbacks()
        return collector.emit_calls - start

    def _next_tuple_call(self) -> tuple[Any, Optional[str]]:
        """Return what the burst calls: the spout's ``next_tuple`` by name when ``_squall_next_tuple`` is the api's.

        ``Spout._squall_next_tuple`` only calls ``self.next_tuple()``: calling that by
        name (looked up per call, as the wrapper does) saves a Python frame per call.
        """
        next_tuple = self.instance._squall_next_tuple
        if getattr(next_tuple, "__func__", None) is Spout._squall_next_tuple:
            return self.instance, "next_tuple"
        return next_tuple, None

    def _run_callbacks(self) -> None:
        if not self.collector.callbacks:
            return
        with self.collector.lock:
            done, self.collector.callbacks = self.collector.callbacks, []
        for msg_id in done:
            self.collector.acked += 1
            self._call(self.instance.ack, msg_id)

    def _finish(self) -> int:
        """Stop: handle what is left in the inbox, send everything, and exit cleanly."""
        deadline = time.monotonic() + self.shutdown_secs
        while time.monotonic() < deadline:
            flushed = self.collector.flush()
            if flushed and not self._read_inbox(8):
                if self.collector.flush():
                    break
            if not flushed:
                data_left = any(p.queued for p in self.collector.ports.values())
                if not data_left:
                    for port in self.collector.ack_ports.values():
                        port.discard()  # spouts have stopped: nobody reads these acks
                    continue
                self._wait(False, 0.05)
        return 0


def task_main(plan: TaskPlan, wiring: Wiring) -> int:
    """Entry point of a forked task process; returns the exit code."""
    from squall.engine import _procs

    if plan.conf.get(_conf.PDEATHSIG, True):
        # SIGTERM, handled by killing the task's process group (in _task_main): if the
        # engine is SIGKILLed, the processes its components started die too
        _procs.set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != wiring.parent_pid:
        return 0
    if wiring.death_write >= 0:
        os.close(wiring.death_write)
        wiring.death_write = -1
    wiring.keep_only(plan.task, _destinations(plan))
    try:
        return _task_main(plan, wiring)
    except BaseException as exc:  # whatever kills a task, the engine's crash report says why
        _report_crash(plan, wiring, exc)
        raise
    finally:
        if _engine_gone(wiring, plan.task):  # nobody else will stop what our component started
            os.killpg(os.getpgid(0), signal.SIGKILL)


def _destinations(plan: TaskPlan) -> set[int]:
    """Return the tasks this task may send to: its streams' subscribers, and the spouts (acks)."""
    tasks = set(plan.spout_tasks)
    for subs in plan.subscriptions.values():
        for sub in subs:
            tasks.update(sub.tasks)
    return tasks


def _engine_gone(wiring: Wiring, task: int) -> bool:
    """Whether the engine died or is dying.

    A dying engine closes its descriptors one by one before the kernel re-parents its
    tasks, so the first sign may be the death pipe or the task's control socket at end
    of file (the engine holds its end while the task lives), not the parent pid.
    """
    if os.getppid() != wiring.parent_pid:
        return True
    if wiring.death_read >= 0 and select.select([wiring.death_read], [], [], 0)[0]:
        return True
    control = wiring.control_child.get(task)
    if control is None:
        return False
    try:
        return control.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except OSError:
        return False  # open with nothing to read (BlockingIOError), or not ours to judge


def _report_crash(plan: TaskPlan, wiring: Wiring, exc: BaseException) -> None:
    message = clip_error(format_exception(exc, f"{plan.component}[{plan.task}] crashed"))
    try:
        wiring.report_write.send(make_packer()(("error", plan.task, message)))
    except OSError:
        pass  # the engine is gone: nobody to tell


def _task_main(plan: TaskPlan, wiring: Wiring) -> int:
    from squall.engine import _procs

    _procs.redirect_stdio(plan.log_path)
    _procs.reset_process_state()
    _procs.kill_own_group_on(signal.SIGTERM)
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
