"""The exceptions squall raises, sorted by whose fault it is.

Every message says what is wrong, names the component, field or file involved, and
ends with what to do about it. The CLI prints ``str(exc)`` as one line; tracebacks
are shown only with ``--debug``.

>>> from squall.errors import SquallError, TopologyError
>>> try:
...     raise TopologyError("component 'count': par must be >= 1, got 0")
... except SquallError as exc:
...     print(exc)
component 'count': par must be >= 1, got 0
"""

from __future__ import annotations

__all__ = [
    "SquallError",
    "TopologyError",
    "ConfigError",
    "ProtocolError",
    "PeerGoneError",
    "ComponentCrashed",
    "EngineError",
    "ClusterError",
    "NimbusError",
    "BrokerError",
    "PackagingError",
    "ConnectorError",
]


class SquallError(Exception):
    """Base of every error squall raises on purpose."""


class TopologyError(SquallError, ValueError):
    """A topology or component definition is invalid (raised when the class is defined)."""


class ConfigError(SquallError, ValueError):
    """A configuration value, option or squall.toml entry is invalid."""


class ProtocolError(SquallError):
    """The peer sent bytes that are not a valid multi-lang message (the peer's fault)."""


class PeerGoneError(SquallError):
    """The peer closed the stream (EOF): an orderly end, not garbage."""


class ComponentCrashed(SquallError):
    """User code raised and the component cannot go on (the user's fault)."""


class EngineError(SquallError):
    """The embedded engine cannot run or keep running the topology."""


class ClusterError(SquallError):
    """The local Storm dev cluster cannot be started, reached or stopped."""


class NimbusError(ClusterError):
    """Nimbus refused a request or cannot be reached."""


class BrokerError(ClusterError):
    """The Kafka dev broker cannot be started, reached or asked (or a topic request failed)."""


class PackagingError(SquallError):
    """The topology jar cannot be built."""


class ConnectorError(SquallError):
    """A connector cannot reach, or is misconfigured for, its external system (Kafka...)."""
