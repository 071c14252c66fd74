"""The launcher scripts Storm runs for each component of a squall topology jar.

Storm starts a shell component as exactly ``[execution_command, script]`` with the
jar's unzipped ``resources/`` as working directory, so the script name is the only
per-component information available before the multi-lang handshake. squall
therefore writes one tiny script per component, ``squall_launch_<id>.py``, which
hard-wires its component id and hands over to the shared ``squall_launcher.py``.
That module reads ``squall-manifest.json`` (class path, serializer, Python version,
import roots), puts the ``resources/`` roots first on ``sys.path``, adds the worker's
``resources/_vendor[/<platform family>]`` as a site directory (``site.addsitedir``:
vendored ``.pth`` files work) right after them, and calls ``squall.multilang.run(class_path, serializer)``, the
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


def _worker_family():
    import platform

    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    libc = "manylinux" if platform.libc_ver()[0] == "glibc" else "musllinux"
    return libc + "_" + machine


def _vendor_dir(manifest):
    vendors = manifest.get("vendor")
    if vendors is None:  # a jar from before per-platform vendoring
        return os.path.join(HERE, "_vendor")
    if not vendors:
        return None
    family = _worker_family()
    if family not in vendors:
        libc, machine = family.split("_", 1)
        example = ("manylinux_2_28_" if libc == "manylinux" else "musllinux_1_2_") + machine
        _fail("the jar vendors wheels for %s but this worker is %s; add a platform tag for it "
              "(e.g. %s) to the environment's platforms" % (", ".join(sorted(vendors)), family,
                                                           example))
    return os.path.join(HERE, vendors[family])


def setup_path(manifest):
    """Put the import roots first on sys.path, then the worker's vendored site directory."""
    roots = [os.path.normpath(os.path.join(HERE, p)) for p in manifest.get("paths", ["."])]
    before = list(sys.path)
    vendor = _vendor_dir(manifest)
    if vendor is not None and os.path.isdir(vendor):
        import site

        site.addsitedir(vendor)  # as an installed site-packages: its .pth files run
    extra = roots + [p for p in sys.path if p not in before]
    sys.path[:] = extra + [p for p in before if os.path.abspath(p or ".") not in extra]


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
              "python to a %s interpreter, or python_version = \\"%s\\" in squall.toml"
              % (wanted, sys.executable, running, wanted, running))
    setup_path(manifest)
    if sys.version_info < (3, 11):
        _fail("squall needs Python >= 3.11 but %s is Python %s; set the environment's python "
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
