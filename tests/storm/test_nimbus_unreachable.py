"""NimbusClient errors when nobody listens: no JVM needed."""

from __future__ import annotations

import pytest

from squall.devcluster._config import free_ports
from squall.errors import NimbusError
from squall.storm.nimbus import NimbusClient, NimbusUnreachable


def test_unreachable_nimbus_names_the_address_and_the_fix() -> None:
    port = free_ports(1)[0]
    expected = (rf"^Nimbus not reachable at 127\.0\.0\.1:{port}: is the cluster up\? "
                r"Run `squall cluster up`$")
    with pytest.raises(NimbusUnreachable, match=expected) as caught:
        NimbusClient("127.0.0.1", port, timeout=0.5).cluster_info()
    assert isinstance(caught.value, NimbusError)
    assert caught.value.__cause__ is not None


def test_context_manager_raises_on_enter_when_unreachable() -> None:
    port = free_ports(1)[0]
    with pytest.raises(NimbusUnreachable):
        with NimbusClient("127.0.0.1", port, timeout=0.5):
            pass
