"""What every task process inherits from the engine: its plan and all the sockets."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from squall.api import TopologyContext
from squall.engine._routing import Subscription


@dataclass(frozen=True)
class TaskPlan:
    """Everything one task needs to run, computed by the engine before forking."""

    component: str
    task: int
    kind: str
    component_class: type
    conf: Mapping[str, Any]
    context: TopologyContext
    subscriptions: Mapping[str, list[Subscription]]
    direct_streams: frozenset[str]
    task_component: Mapping[int, str]
    spout_tasks: frozenset[int]
    stream_names: Mapping[str, tuple[str, ...]]  # component -> its streams (records carry the index)
    log_path: Path
    incarnation: int = 0
    active: bool = True  # spouts: start activated (False: restarted while the run stops, as a deactivated topology)


@dataclass
class Wiring:
    """The sockets and pipes of a run; created once, inherited by every forked task."""

    parent_pid: int
    inbox_read: dict[int, socket.socket] = field(default_factory=dict)
    inbox_write: dict[int, socket.socket] = field(default_factory=dict)
    control_parent: dict[int, socket.socket] = field(default_factory=dict)
    control_child: dict[int, socket.socket] = field(default_factory=dict)
    report_read: Any = None
    report_write: Any = None
    death_read: int = -1
    death_write: int = -1

    def new_control(self, task: int) -> None:
        """Create the control socket pair of a task's next incarnation (closing the previous one)."""
        for table in (self.control_parent, self.control_child):
            old = table.pop(task, None)
            if old is not None:
                old.close()
        self.control_parent[task], self.control_child[task] = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)

    def keep_only(self, task: int, destinations: set[int]) -> None:
        """In a task process: close every socket the task does not use (its file descriptors stay few).

        A task reads its own inbox and control socket, and writes to the inboxes of
        ``destinations`` (the tasks it emits or acks to) and to the report socket.
        """
        for other, sock in list(self.inbox_read.items()):
            if other != task:
                sock.close()
                del self.inbox_read[other]
        for other, sock in list(self.inbox_write.items()):
            if other not in destinations:
                sock.close()
                del self.inbox_write[other]
        for table in (self.control_parent, self.control_child):
            for other, sock in list(table.items()):
                if other != task or table is self.control_parent:
                    sock.close()
                    del table[other]
        self.report_read.close()
        self.report_read = None

    def close(self) -> None:
        """Close everything (the engine, once all tasks are gone)."""
        socks = [*self.inbox_read.values(), *self.inbox_write.values(), *self.control_parent.values(), *self.control_child.values()]
        for sock in socks + [self.report_read, self.report_write]:
            if sock is not None:
                sock.close()
        for fd in (self.death_read, self.death_write):
            if fd >= 0:
                try:
                    import os

                    os.close(fd)
                except OSError:
                    pass
        self.death_read = self.death_write = -1
