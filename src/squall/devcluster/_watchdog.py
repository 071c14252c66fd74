"""Stop a dev cluster or dev broker when its owner ends: ``python -m squall.devcluster._watchdog``.

Runs in its own session so that a signal to the owner's process group spares it. Waits on
a pidfd (an event, no polling) where the kernel offers one, else polls every half second.
"""

from __future__ import annotations

import argparse
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Literal

import psutil

from squall.devcluster._procs import python_env
from squall.errors import ClusterError

Kind = Literal["storm", "kafka"]


def start_watchdog(owner_pid: int, kind: Kind, home: Path,
                   console: Path) -> subprocess.Popen[bytes]:
    """Start a watchdog that stops the ``kind`` home ``home`` once ``owner_pid`` ends.

    Raises ClusterError when ``owner_pid`` names no running process. The watchdog's own
    output goes to ``console``.
    """
    try:
        owner_created = psutil.Process(owner_pid).create_time()
    except psutil.Error as exc:
        raise ClusterError(f"exit_with_pid={owner_pid}: no such process") from exc
    command = [sys.executable, "-m", "squall.devcluster._watchdog",
               "--owner", str(owner_pid), "--owner-create-time", repr(owner_created),
               "--kind", kind, "--home", str(home)]
    with open(console, "ab") as log:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                close_fds=True, env=python_env())


def wait_for_exit(pid: int, create_time: float) -> None:
    """Return once process ``pid`` (started at ``create_time``) has ended."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = -1
    if fd >= 0:
        try:
            if _same_process(pid, create_time):
                select.select([fd], [], [])
        finally:
            os.close(fd)
        return
    while _same_process(pid, create_time):
        time.sleep(0.5)


def _same_process(pid: int, create_time: float) -> bool:
    try:
        proc = psutil.Process(pid)
        return bool(abs(proc.create_time() - create_time) < 0.5
                    and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def main(argv: list[str] | None = None) -> int:
    """Wait for the owner to exit, then bring the cluster or broker in ``--home`` down."""
    parser = argparse.ArgumentParser(prog="squall.devcluster._watchdog")
    parser.add_argument("--owner", type=int, required=True)
    parser.add_argument("--owner-create-time", type=float, required=True)
    parser.add_argument("--kind", choices=["storm", "kafka"], default="storm")
    parser.add_argument("--home", type=Path, required=True)
    args = parser.parse_args(argv)
    wait_for_exit(args.owner, args.owner_create_time)
    if args.kind == "kafka":
        from squall.devcluster._kafka import KafkaBroker

        KafkaBroker(home=args.home).down(from_watchdog=True)
        return 0
    from squall.devcluster._cluster import DevCluster

    DevCluster(home=args.home).down(from_watchdog=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
