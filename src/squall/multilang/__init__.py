"""Run one spout or bolt as an Apache Storm multi-lang subprocess.

Command line: ``python -m squall.multilang [--serializer json|msgpack]
[--log-file PATH] module:Class`` (see ``_exit`` for the exit codes). Library use,
e.g. from the Storm launcher after it set ``sys.path``::

    from squall.multilang import run
    sys.exit(run("mypkg.bolts:WordCount", "json"))

or ``serve(WordCount, "json", stdin, stdout)`` over any binary streams.

Threads: the main thread runs user code; for a bolt, a reader thread decodes stdin,
answers heartbeats (so a slow ``process()`` is not killed) and routes task-id replies;
a spout reads its commands on the main thread (Storm sends the next one only after
the spout's ``sync``). Every thread writes through one locked frame writer.
"""

from squall.multilang._exit import (
    EXIT_COMPONENT_CRASHED,
    EXIT_INTERNAL,
    EXIT_PEER_GONE,
    EXIT_PROTOCOL,
    EXIT_USAGE,
)
from squall.multilang._loader import load_component_class
from squall.multilang._logfile import log_file_path
from squall.multilang._main import EXIT_GRACE_SECS, main, run
from squall.multilang._runtime import DEFAULT_MAX_QUEUED, MAX_QUEUED_KEY, serve

__all__ = [
    "DEFAULT_MAX_QUEUED",
    "EXIT_COMPONENT_CRASHED",
    "EXIT_GRACE_SECS",
    "EXIT_INTERNAL",
    "EXIT_PEER_GONE",
    "EXIT_PROTOCOL",
    "EXIT_USAGE",
    "MAX_QUEUED_KEY",
    "load_component_class",
    "log_file_path",
    "main",
    "run",
    "serve",
]
