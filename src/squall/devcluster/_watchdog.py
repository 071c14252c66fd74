"""Stop a dev cluster when its owner process ends: ``python -m squall.devcluster._watchdog``.

Runs in its own session so that a signal to the owner's process group spares it. Waits on
a pidfd (an event, no polling) where the kernel offers one, else polls every half second.
"""

from __future__ import annotations

import argparse
import os
import select
import sys
import time
from pathlib import Path

import psutil


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
    """Wait for the owner to exit, then bring the cluster in ``--home`` down."""
    parser = argparse.ArgumentParser(prog="squall.devcluster._watchdog")
    parser.add_argument("--owner", type=int, required=True)
    parser.add_argument("--owner-create-time", type=float, required=True)
    parser.add_argument("--home", type=Path, required=True)
    args = parser.parse_args(argv)
    wait_for_exit(args.owner, args.owner_create_time)
    from squall.devcluster._cluster import DevCluster

    DevCluster(home=args.home).down(from_watchdog=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
