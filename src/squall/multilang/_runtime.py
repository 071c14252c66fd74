"""Host one spout or bolt over the multi-lang protocol: handshake, then the command loop."""

from __future__ import annotations

import os
from typing import Any, BinaryIO, Callable, Iterator, Optional, Union

from squall.api import INFO, Bolt, Component, TopologyContext, TupleFactory
from squall.api._dispatch import dispatch, on_user_error
from squall.errors import ComponentCrashed, ConfigError, PeerGoneError, ProtocolError
from squall.multilang._host import MultilangHost
from squall.multilang._io import (
    DEFAULT_MAX_FRAME,
    MAX_FRAME_KEY,
    READ_CHUNK,
    FrameWriter,
    Inbox,
    InputReader,
    TaskIdWaiters,
    byte_sink,
    byte_source,
)
from squall.multilang._logfile import log_file_path, open_log_file
from squall.multilang._spout_input import SpoutInput
from squall.multilang._stdio import LineRouter, protocol_stdio
from squall.protocol import SYNC, Serializer, bad_bolt_message, check_handshake, check_spout_command, serializer_for

DEFAULT_MAX_QUEUED = 10_000
#: Conf key overriding how many input messages may wait for user code (default 10000).
#: Past it the reader stops reading, so Storm's backpressure engages; heartbeats are
#: answered as long as fewer are queued (raise it for bolts whose process() is slow).
MAX_QUEUED_KEY = "squall.multilang.max_queued"


def serve(
    component_class: type[Component],
    serializer: Union[str, Serializer] = "json",
    stdin: Optional[BinaryIO] = None,
    stdout: Optional[BinaryIO] = None,
    *,
    log_file: Optional[str] = None,
    max_queued: int = DEFAULT_MAX_QUEUED,
    on_input_end: Optional[Callable[[BaseException], None]] = None,
) -> None:
    """Run ``component_class`` as a Storm multi-lang subprocess until Storm closes stdin.

    With ``stdin``/``stdout`` (binary streams, e.g. pipes or ``BytesIO``) the
    protocol runs over them and the process's stdio is left alone. Without them
    the process's fds 0/1 carry the protocol and ``print``/fd-1 output become
    ``log`` commands (see ``protocol_stdio``): only do that from an entry point.

    Returns when the input ends cleanly (EOF). Raises ``ProtocolError`` on
    malformed input, ``ComponentCrashed`` when user code raised (after ``error``
    and ``log`` were sent and the current tuple failed), ``ConfigError`` for a bad
    ``squall.*`` conf value. At most ``max_queued`` messages (conf
    ``squall.multilang.max_queued`` overrides it) are read ahead of user code. ``on_input_end`` is called on the reader
    thread when input ends (EOF or garbage), even while user code still runs (a spout has no
    reader thread: it reads its commands on the main thread, which calls ``on_input_end``).

    Example (what the Storm launcher does after fixing ``sys.path``)::

        from squall.multilang import serve
        serve(WordCountBolt, "json")
    """
    ser = serializer_for(serializer) if isinstance(serializer, str) else serializer
    if stdin is not None and stdout is not None:
        _Runtime(component_class, ser, stdin, stdout, None, log_file, max_queued, on_input_end).run()
        return
    router = LineRouter()
    with protocol_stdio(router) as (proto_in, proto_out):
        _Runtime(component_class, ser, proto_in, proto_out, router, log_file, max_queued, on_input_end).run()


class _Runtime:
    def __init__(
        self,
        component_class: type[Component],
        serializer: Serializer,
        stdin: BinaryIO,
        stdout: BinaryIO,
        router: Optional[LineRouter],
        log_file: Optional[str],
        max_queued: int,
        on_input_end: Optional[Callable[[BaseException], None]],
    ) -> None:
        self._cls = component_class
        self._ser = serializer
        self._read = byte_source(stdin)
        self._writer = FrameWriter(byte_sink(stdout))
        self._router = router
        self._log_file = log_file
        self._max_queued = max_queued
        self._on_input_end = on_input_end
        self._is_bolt = issubclass(component_class, Bolt)
        self._name = component_class.__name__

    def run(self) -> None:
        decoder = self._ser.decoder()
        first = self._read_handshake(decoder)
        conf, raw_context, pid_dir = check_handshake(first[0])
        self._write_pid(pid_dir)
        try:
            context = TopologyContext.from_storm(raw_context)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ProtocolError(
                f"handshake context is malformed ({type(exc).__name__}: {exc}); "
                "expected Storm's TopologyContext JSON (taskid, componentid, task->component, ...)"
            ) from None
        self._name = context.component_id or self._name
        comp: Optional[Component] = None
        try:
            if self._is_bolt:
                host, inbox = self._start(decoder, conf, context, first[1:])
                comp = self._prepare(host, conf, context)
                self._bolt_loop(comp, inbox, TupleFactory(context.source_fields), host)
            else:
                host, commands = self._start_spout(decoder, conf, context, first[1:])
                comp = self._prepare(host, conf, context)
                self._spout_loop(comp, commands)
        except PeerGoneError:
            return
        finally:
            self._close(comp)

    def _read_handshake(self, decoder: Any) -> list[Any]:
        messages: list[Any] = []
        while not messages:
            data = self._read(READ_CHUNK)
            if not data:
                if decoder.buffered():
                    raise ProtocolError(
                        f"input ended inside the handshake frame ({decoder.buffered()} bytes); "
                        "the peer must finish every message"
                    )
                raise PeerGoneError("stdin closed before the handshake")
            messages = decoder.feed(data)
        return messages

    def _write_pid(self, pid_dir: str) -> None:
        pid = os.getpid()
        try:
            open(os.path.join(pid_dir, str(pid)), "w").close()
        except OSError as exc:
            raise ProtocolError(
                f"cannot create the pid file in pidDir {pid_dir!r}: {exc.strerror}; "
                "the handshake's pidDir must be an existing writable directory"
            ) from None
        self._writer.send_now(self._ser.encode({"pid": pid}))

    def _start(
        self, decoder: Any, conf: dict[str, Any], context: TopologyContext, rest: list[Any]
    ) -> tuple[MultilangHost, Inbox]:
        path = self._log_file or log_file_path(conf, context.component_id, context.task_id)
        file_log = open_log_file(path, conf, f"{context.component_id}.{context.task_id}") if path else None
        writer = self._writer
        holder: list[Inbox] = []
        waiters = TaskIdWaiters(writer, on_register=lambda: holder[0].wake())
        max_queued = conf.get(MAX_QUEUED_KEY, self._max_queued)
        if not isinstance(max_queued, int) or isinstance(max_queued, bool) or max_queued < 1:
            raise ConfigError(f"conf {MAX_QUEUED_KEY!r} must be a positive integer, got {max_queued!r}")
        max_frame = conf.get(MAX_FRAME_KEY, DEFAULT_MAX_FRAME)
        if not isinstance(max_frame, int) or isinstance(max_frame, bool) or max_frame < 1024:
            raise ConfigError(f"conf {MAX_FRAME_KEY!r} must be an integer number of bytes >= 1024, got {max_frame!r}")
        inbox = Inbox(max_queued, before_wait=writer.flush, may_block=lambda: not waiters.pending())
        holder.append(inbox)
        host = MultilangHost(self._ser, writer, waiters, on_fatal=inbox.abort, file_log=file_log)
        if self._router is not None:
            self._router.set_target(lambda line: host.log(line, INFO))
        reader = InputReader(
            self._read,
            decoder,
            inbox,
            waiters,
            writer,
            self._ser.encode(SYNC),
            self._is_bolt,
            self._ser.heartbeat_marker,
            self._on_input_end,
            max_frame,
        )
        reader.start(rest)
        self._host = host
        return host, inbox

    def _start_spout(
        self, decoder: Any, conf: dict[str, Any], context: TopologyContext, rest: list[Any]
    ) -> tuple[MultilangHost, SpoutInput]:
        # A spout reads its commands on the main thread: Storm sends the next one only
        # after our sync, so a reader thread would only add a hand-off per round trip.
        path = self._log_file or log_file_path(conf, context.component_id, context.task_id)
        file_log = open_log_file(path, conf, f"{context.component_id}.{context.task_id}") if path else None
        commands = SpoutInput(self._read, decoder, self._writer, rest, self._on_input_end)
        host = MultilangHost(self._ser, self._writer, commands, on_fatal=commands.abort, file_log=file_log)
        if self._router is not None:
            self._router.set_target(lambda line: host.log(line, INFO))
        self._host = host
        return host, commands

    def _prepare(self, host: MultilangHost, conf: dict[str, Any], context: TopologyContext) -> Component:
        try:
            comp = self._cls()
            comp._squall_prepare(host, conf, context)
        except Exception as exc:
            host.report_exception(exc)
            raise ComponentCrashed(
                f"component {self._name!r} failed to start: {type(exc).__name__}: {exc}"
            ) from exc
        return comp

    def _user_error(self, comp: Component, exc: Exception) -> None:
        """Apply the shared error policy; the peer's errors are not user errors and end the run."""
        if isinstance(exc, (PeerGoneError, ProtocolError)):
            raise exc
        if on_user_error(self._host, comp, exc):
            raise ComponentCrashed(f"component {self._name!r} raised {type(exc).__name__}: {exc}") from exc

    def _bolt_loop(self, comp: Component, inbox: Inbox, factory: TupleFactory, host: MultilangHost) -> None:
        make = factory.make
        get = inbox.get

        def on_error(exc: Exception, tup: Any) -> None:
            self._user_error(comp, exc)

        def tuples(messages: list[Any]) -> Iterator[Any]:
            for msg in messages:
                try:
                    tup = make(msg["id"], msg["comp"], msg["stream"], msg["task"], msg["tuple"])
                except (KeyError, TypeError):
                    raise bad_bolt_message(msg) from None
                yield tup

        while True:
            dispatch(comp, tuples(get()), on_error)  # type: ignore[arg-type]

    def _spout_loop(self, comp: Component, commands: SpoutInput) -> None:
        sync = self._ser.encode(SYNC)
        send_now = self._writer.send_now
        callbacks: dict[str, Callable[..., None]] = {
            "next": comp._squall_next_tuple,  # type: ignore[attr-defined]
            "ack": comp.ack,  # type: ignore[attr-defined]
            "fail": comp.fail,  # type: ignore[attr-defined]
            "activate": comp.activate,  # type: ignore[attr-defined]
            "deactivate": comp.deactivate,  # type: ignore[attr-defined]
        }
        next_command = commands.next_command
        while True:
            command, tup_id = check_spout_command(next_command())
            try:
                if command == "ack" or command == "fail":
                    callbacks[command](tup_id)
                else:
                    callbacks[command]()
            except Exception as exc:
                self._user_error(comp, exc)
            send_now(sync)

    def _close(self, comp: Optional[Component]) -> None:
        close = getattr(comp, "_squall_close", None)
        if close is not None:
            close()
        if self._router is not None:
            self._router.set_target(None)
        try:
            self._writer.flush()
        except PeerGoneError:
            pass
