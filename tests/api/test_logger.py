"""Each component instance has its own logger, wired to its own host."""

from __future__ import annotations

from squall import Bolt

from tests.api.fakes import prepared


def test_two_instances_of_one_task_log_to_their_own_hosts():
    a, host_a = prepared(Bolt)
    b, host_b = prepared(Bolt)
    assert a.logger.name == b.logger.name == "squall.task.c.1"
    a.logger.info("from a")
    b.logger.warning("from b")
    assert [e.message for e in host_a.logs] == ["from a"] and [e.message for e in host_b.logs] == ["from b"]
