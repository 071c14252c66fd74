"""Storm's multi-lang JSON framing, by hand, for the smoke test's two scripts.

Shipped beside them in the jar's resources/ (the scripts' folder is first on sys.path).
"""
import json
import os
import sys


def read_message():
    """Return the next message from Storm; exit when stdin closes."""
    lines = []
    for line in sys.stdin:
        if line == "end\n":
            return json.loads("".join(lines))
        lines.append(line)
    sys.exit(0)


def send(message):
    sys.stdout.write(json.dumps(message) + "\nend\n")
    sys.stdout.flush()


def handshake():
    """Answer Storm's setup message (the pid file and reply); return the setup message."""
    setup = read_message()
    open(os.path.join(setup["pidDir"], str(os.getpid())), "w").close()
    send({"pid": os.getpid()})
    return setup
