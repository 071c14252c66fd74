"""The process entry point: ``python -m squall.multilang [options] module:Class``."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import traceback
from typing import Optional, Sequence, TextIO, Union

from squall.api import Component
from squall.errors import ComponentCrashed, ConfigError, PeerGoneError, ProtocolError
from squall.multilang._exit import (
    EXIT_COMPONENT_CRASHED,
    EXIT_INTERNAL,
    EXIT_PEER_GONE,
    EXIT_PROTOCOL,
    EXIT_USAGE,
)
from squall.multilang._loader import load_component_class
from squall.multilang._runtime import serve
from squall.protocol import SERIALIZERS

#: Seconds user code may keep running after the input ended before the process exits anyway.
EXIT_GRACE_SECS = 5.0


def _exit_later(code: int, grace: float) -> None:
    timer = threading.Timer(grace, os._exit, (code,))
    timer.daemon = True
    timer.start()


def run(
    component: Union[str, type[Component]],
    serializer: str = "json",
    *,
    log_file: Optional[str] = None,
    stderr: Optional[TextIO] = None,
    exit_grace: float = EXIT_GRACE_SECS,
) -> int:
    """Serve ``component`` on this process's stdin/stdout and return the exit code.

    For process entry points only (it takes over fds 0 and 1). Failures are
    written to ``stderr`` as one line ``squall.multilang: <what and fix>``. If user
    code (e.g. a non-daemon thread) is still running ``exit_grace`` seconds after the
    input ended or after this returned, the process exits anyway with the same code:
    no orphan outlives its Storm worker, and a crashed task's stdout closes.

    Example (a launcher script)::

        sys.exit(run("mypkg.bolts:WordCount", "msgpack"))
    """
    err = stderr if stderr is not None else sys.stderr
    code = _serve(component, serializer, log_file, err, exit_grace)
    # The task is over: a non-daemon user thread must not keep the process (and so its
    # stdout, which is how Storm notices the end) alive.
    _exit_later(code, exit_grace)
    return code


def _serve(
    component: Union[str, type[Component]],
    serializer: str,
    log_file: Optional[str],
    err: TextIO,
    exit_grace: float,
) -> int:
    def fail(code: int, message: str) -> int:
        err.write(f"squall.multilang: {message}\n")
        err.flush()
        return code

    try:
        cls = load_component_class(component) if isinstance(component, str) else component
        serve(
            cls,
            serializer,
            log_file=log_file,
            on_input_end=lambda e: _exit_later(
                EXIT_PEER_GONE if isinstance(e, PeerGoneError) else EXIT_PROTOCOL, exit_grace
            ),
        )
    except ConfigError as exc:
        return fail(EXIT_USAGE, str(exc))
    except ProtocolError as exc:
        return fail(EXIT_PROTOCOL, f"protocol error: {exc}")
    except ComponentCrashed as exc:
        return fail(EXIT_COMPONENT_CRASHED, f"{exc} (traceback sent to Storm as an error)")
    except PeerGoneError:
        return EXIT_PEER_GONE
    except Exception:  # a squall bug: say so with the traceback
        return fail(EXIT_INTERNAL, "internal error, please report:\n" + traceback.format_exc())
    return EXIT_PEER_GONE


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse ``argv`` (``[--serializer json|msgpack] [--log-file PATH] [--exit-grace SECS] module:Class``) and run."""
    parser = argparse.ArgumentParser(
        prog="python -m squall.multilang",
        description="Host one squall spout or bolt as an Apache Storm multi-lang subprocess.",
    )
    parser.add_argument("--serializer", choices=SERIALIZERS, default="json", help="wire format (default: json)")
    parser.add_argument("--log-file", default=None, metavar="PATH", help="also log to this rotating file")
    parser.add_argument(
        "--exit-grace",
        type=float,
        default=EXIT_GRACE_SECS,
        metavar="SECS",
        help=f"exit this long after stdin ends even if user code still runs (default {EXIT_GRACE_SECS:g})",
    )
    parser.add_argument("component", help="the component class, as module:Class")
    args = parser.parse_args(argv)
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    return run(args.component, args.serializer, log_file=args.log_file, exit_grace=args.exit_grace)
