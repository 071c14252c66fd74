"""The launcher scripts Storm runs for each component of a squall topology jar.

Storm starts a shell component as exactly ``[execution_command, script]`` with the
jar's unzipped ``resources/`` as working directory, so the script name is the only
per-component information available before the multi-lang handshake. squall
therefore writes one tiny script per component, ``squall_launch_<id>.py``, which
hard-wires its component id and hands over to the shared ``squall_launcher.py``.
That module reads ``squall-manifest.json`` (class path, serializer, Python version,
import roots), puts ``resources/`` roots and ``resources/_vendor`` first on
``sys.path`` and calls ``squall.multilang.run(class_path, serializer)``, the
runtime's process entry point. Nothing needs execute permission (unzipping loses
it) and no argument parsing is involved.
"""

from __future__ import annotations

import re

MANIFEST_NAME = "squall-manifest.json"
BOOT_MODULE = "squall_launcher"
VENDOR_DIR = "_vendor"
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")

# The shared bootstrap. Runs on the worker's interpreter (any Python >= 3.8): keep it
# free of squall imports until sys.path is set, and write diagnostics to stderr only,
# because stdout belongs to the multi-lang protocol.
BOOT_SOURCE = '''\
"""Start one squall component under Storm's multi-lang protocol (written by squall)."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _fail(message):
    sys.stderr.write("squall launcher: " + message + "\\n")
    sys.stderr.flush()
    sys.exit(2)


def main(component):
    with open(os.path.join(HERE, "squall-manifest.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    entry = manifest["components"].get(component)
    if entry is None:
        _fail("component %r is not in squall-manifest.json; rebuild the jar" % (component,))
    wanted = manifest.get("python")
    running = "%d.%d" % sys.version_info[:2]
    if wanted and wanted != running:
        _fail("the jar vendors wheels for Python %s but %s is Python %s; set the environment's "
              "python to a %s interpreter, or python_version to %s"
              % (wanted, sys.executable, running, wanted, running))
    roots = [os.path.normpath(os.path.join(HERE, p)) for p in manifest.get("paths", ["."])]
    vendor = os.path.join(HERE, "_vendor")
    extra = roots + ([vendor] if os.path.isdir(vendor) else [])
    sys.path[:] = extra + [p for p in sys.path if os.path.abspath(p or ".") not in extra]
    if sys.version_info < (3, 10):
        _fail("squall needs Python >= 3.10 but %s is Python %s; set the environment's python "
              "to a newer interpreter" % (sys.executable, running))
    try:
        from squall.multilang import run
    except ImportError as exc:
        _fail("cannot import squall's runtime on %s (%s); vendor the dependencies (the "
              "environment's vendor option) or install orjson and msgpack for that interpreter"
              % (sys.executable, exc))

    sys.exit(run(entry["class"], manifest.get("serializer", "json")))
'''

LAUNCH_TEMPLATE = '''\
# Run component {component!r} of topology {topology!r} (written by squall).
# (A comment, not a docstring: a repr never holds a newline, but may hold triple quotes.)

import squall_launcher

squall_launcher.main({component!r})
'''


def launch_script_name(component: str, taken: set[str]) -> str:
    """Return a file name for ``component``'s launcher, unique among ``taken``.

    >>> launch_script_name("count-words", set())
    'squall_launch_count_words.py'
    """
    base = f"squall_launch_{_UNSAFE.sub('_', component)}"
    name, n = f"{base}.py", 2
    while name in taken:
        name, n = f"{base}_{n}.py", n + 1
    taken.add(name)
    return name


def launch_script(topology: str, component: str) -> str:
    """Return the source of the launcher of one component."""
    return LAUNCH_TEMPLATE.format(topology=topology, component=component)
