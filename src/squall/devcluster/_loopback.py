"""Keep the dev cluster's servers on loopback: build and apply the ``bind()`` shim.

Storm 2.8.3 has no bind-address setting: Nimbus' and the Supervisor's Thrift servers
(``TNonblockingServerSocket(port)``) and the workers' Netty server
(``bootstrap.bind(new InetSocketAddress(port))``) listen on every interface. The C shim
``_loopback_bind.c``, preloaded into every daemon JVM (workers inherit the Supervisor's
environment), turns a TCP bind to the wildcard address into a bind to 127.0.0.1. It is
compiled with gcc once per source version into the jar cache; without gcc (or off Linux)
the cluster still starts, listening on all interfaces, and a warning says so.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

SHIM_SOURCE = Path(__file__).with_name("_loopback_bind.c")
NO_GCC_WARNING = ("gcc not found: Storm daemons will listen on all interfaces; "
                  "install gcc for loopback-only")
_COMPILE_TIMEOUT_SECS = 60


def shim_path(cache_dir: Path, source: Path = SHIM_SOURCE) -> Path:
    """Return where the shim built from ``source`` lives in ``cache_dir`` (named by its hash)."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    return cache_dir / f"loopback-bind-{digest}.so"


def build_shim(cache_dir: Path, progress: Callable[[str], None],
               source: Path = SHIM_SOURCE) -> Path | None:
    """Return the compiled shim for ``source``, compiling it into ``cache_dir`` if needed.

    Never raises for a missing compiler or a failed build: it reports a one-line warning
    through ``progress`` and returns None (the cluster then listens on all interfaces).
    Safe to call from concurrent processes (the library is built aside, then renamed).
    """
    if not sys.platform.startswith("linux"):
        progress("loopback-only binding needs Linux (LD_PRELOAD): "
                 "Storm daemons will listen on all interfaces")
        return None
    if not source.is_file():
        progress(f"{source} is missing (reinstall squall): "
                 "Storm daemons will listen on all interfaces")
        return None
    target = shim_path(cache_dir, source)
    if any(sep in str(target) for sep in " \t:"):
        progress(f"the loopback shim cannot be preloaded from {target} (LD_PRELOAD splits "
                 "paths at spaces and colons): Storm daemons will listen on all interfaces")
        return None
    if target.is_file():
        return target
    gcc = shutil.which("gcc")
    if gcc is None:
        progress(NO_GCC_WARNING)
        return None
    error = _compile(gcc, source, target)
    if error:
        progress(f"building the loopback shim failed ({error}): "
                 "Storm daemons will listen on all interfaces")
        return None
    progress(f"built the loopback-only bind shim {target}")
    return target


def _compile(gcc: str, source: Path, target: Path) -> str | None:
    """Compile ``source`` into ``target``; return None, or the compiler's first error line."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    command = [gcc, "-shared", "-fPIC", "-O2", "-o", str(partial), str(source), "-ldl"]
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=_COMPILE_TIMEOUT_SECS, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        lines = [line for line in done.stderr.splitlines() if "error" in line]
        return (lines or done.stderr.splitlines() or [f"gcc exit {done.returncode}"])[0][:300]
    partial.replace(target)
    return None


def preload_env(env: Mapping[str, str], shim: Path | None) -> dict[str, str]:
    """Return ``env`` with ``shim`` first in ``LD_PRELOAD`` (unchanged when ``shim`` is None).

    >>> preload_env({"LD_PRELOAD": "/lib/x.so"}, Path("/c/s.so"))["LD_PRELOAD"]
    '/c/s.so:/lib/x.so'
    """
    result = dict(env)
    if shim is not None:
        entries = [str(shim), *re.split(r"[:\s]+", result.get("LD_PRELOAD", "").strip())]
        entries = [e for e in entries if e]
        result["LD_PRELOAD"] = ":".join(entries)
    return result
