"""A Thrift server speaking squall's Nimbus IDL in a thread, for client tests without a JVM.

It is a fake: only what a test gives its handler answers. Real-cluster tests use it
beside the dev cluster's Nimbus (e.g. as a non-leader seed naming the real leader).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from thriftpy2.protocol import TBinaryProtocolFactory
from thriftpy2.rpc import make_server
from thriftpy2.transport import TFramedTransportFactory

from squall.devcluster._config import free_ports
from squall.storm._thrift import storm_thrift


@contextmanager
def fake_nimbus(handler: object) -> Iterator[int]:
    """Serve ``handler`` as a Nimbus on 127.0.0.1; yield its port; stop it after."""
    port = free_ports(1)[0]
    server = make_server(storm_thrift().Nimbus, handler, "127.0.0.1", port,
                         proto_factory=TBinaryProtocolFactory(),
                         trans_factory=TFramedTransportFactory(), client_timeout=5000)
    server.daemon = True
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    _wait_listening(port)
    try:
        yield port
    finally:
        server.close()
        _poke(port)  # unblock accept() so serve() sees closed
        thread.join(5)
        server.trans.close()


@contextmanager
def dropping_server() -> Iterator[int]:
    """Accept connections and close each at once (as a SASL-only Nimbus does to plain Thrift)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.recv(4096)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(5)


def _poke(port: int) -> None:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        pass


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.01)  # polling for a condition, with a deadline
    raise RuntimeError(f"fake Nimbus did not listen on {port}")
