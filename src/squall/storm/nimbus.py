"""A Nimbus Thrift client: upload jars, submit, kill and inspect topologies.

Speaks framed binary Thrift, as Storm's default ``SimpleTransportPlugin`` expects, using
Storm's own ``storm.thrift`` (see :mod:`squall.storm._thrift`). Every failure surfaces as a :class:`~squall.errors.NimbusError`
(or one of the subclasses below) whose message is one actionable line; the Thrift or socket
exception is chained as ``__cause__``.

>>> with NimbusClient("127.0.0.1", 6627) as nimbus:     # doctest: +SKIP
...     print([t.name for t in nimbus.list_topologies()])
[]
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from thriftpy2.protocol import TBinaryProtocolFactory
from thriftpy2.rpc import make_client
from thriftpy2.thrift import TApplicationException, TClient
from thriftpy2.transport import TFramedTransportFactory, TTransportException

from squall.errors import NimbusError
from squall.storm._thrift import storm_thrift

UPLOAD_CHUNK_BYTES = 307200
DEFAULT_PORT = 6627

Progress = Callable[[int, int], None]


class NimbusUnreachable(NimbusError):
    """No Nimbus answers at the address (cluster down, wrong port, or timed out)."""


class TopologyAlreadyRunning(NimbusError):
    """A topology of that name is already alive."""


class TopologyNotRunning(NimbusError):
    """No topology of that name (or id) is alive."""


class InvalidTopology(NimbusError):
    """Nimbus rejected the topology; the message is Nimbus' reason."""


class NimbusAuthRequired(NimbusError):
    """Nimbus wants an authenticated transport (SASL, Kerberos, TLS) or refused the user."""


class NimbusClient:
    """A connection to the leader Nimbus. Not thread-safe: use one client per thread.

    ``seeds`` lists ``(host, port)`` of the cluster's Nimbus daemons (Storm's
    ``nimbus.seeds``); without it, ``host``/``port`` is the only one. With several seeds
    the client asks each in turn for the leader (``getLeader``) and talks to the leader,
    so submissions always reach it; ``host``/``port`` then name the leader. ``timeout``
    (seconds) bounds connecting and each call. The connection opens lazily on first use
    or on ``__enter__``; :meth:`close` (or leaving the ``with`` block) ends it.

    >>> NimbusClient(seeds=[("nimbus-a", 6627), ("nimbus-b", 6627)]).seeds[1]
    ('nimbus-b', 6627)
    """

    def __init__(self, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 timeout: float = 10.0, seeds: Sequence[tuple[str, int]] = ()) -> None:
        self.seeds: tuple[tuple[str, int], ...] = tuple(seeds) or ((host, port),)
        self.host, self.port = self.seeds[0]
        self.timeout = timeout
        self._client: TClient | None = None

    def __enter__(self) -> NimbusClient:
        self._connect()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (no-op when not connected)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def address(self) -> str:
        """Return ``host:port``."""
        return f"{self.host}:{self.port}"

    def _unreachable(self) -> str:
        return (f"Nimbus not reachable at {self.address}: is the cluster up? "
                "Run `squall cluster up`")

    def _connect(self) -> TClient:
        if self._client is None:
            if len(self.seeds) == 1:
                self._client = self._open(*self.seeds[0])
            else:
                self._client = self._open_leader()
        return self._client

    def _open(self, host: str, port: int) -> TClient:
        self.host, self.port = host, port
        try:
            return make_client(
                storm_thrift().Nimbus, host, port,
                timeout=int(self.timeout * 1000),
                trans_factory=TFramedTransportFactory(),
                proto_factory=TBinaryProtocolFactory(),  # type: ignore[no-untyped-call]
            )
        except (TTransportException, OSError) as exc:
            raise NimbusUnreachable(self._unreachable()) from exc

    def _open_leader(self) -> TClient:
        """Connect to the leader, asking the seeds in order who it is (as Storm's client does)."""
        tried: list[str] = []
        for host, port in self.seeds:
            try:
                client = self._open(host, port)
                leader = client.getLeader()
            except NimbusUnreachable:
                tried.append(f"{host}:{port} unreachable")
                continue
            except Exception:  # no leader elected yet, refused, connection dropped
                client.close()
                tried.append(f"{host}:{port} named no leader")
                continue
            if (leader.host, leader.port) == (host, port):
                return client
            client.close()
            try:
                return self._open(leader.host, leader.port)
            except NimbusUnreachable:
                tried.append(f"leader {leader.host}:{leader.port} (named by {host}:{port}) "
                             "unreachable")
        seeds = ", ".join(f"{h}:{p}" for h, p in self.seeds)
        raise NimbusUnreachable(f"no leader Nimbus reachable through the seeds {seeds} "
                                f"({'; '.join(tried)}); check that the cluster is up and the "
                                "env's nimbus list")

    def _auth_refused(self, what: str, msg: str) -> str:
        return (f"Nimbus at {self.address} refused {what}: {msg}; the cluster has an "
                "authorizer (nimbus.authorizer) and squall connects without authentication, "
                "so Nimbus sees no user: ask the cluster's admins to allow it for "
                "unauthenticated clients, or use a Nimbus without authorization")

    def _dropped(self) -> str:
        return (f"Nimbus at {self.address} accepted the connection but closed it without "
                "answering: it most likely requires authentication (storm.thrift.transport "
                "is a SASL/Kerberos or TLS plugin), which squall's plain framed Thrift "
                "client does not speak; use a Nimbus port served by SimpleTransportPlugin")

    @contextmanager
    def _call(self, topology: str | None = None) -> Iterator[TClient]:
        """Yield the Thrift client; translate every failure into a squall NimbusError."""
        types = storm_thrift()
        client = self._connect()
        try:
            yield client
        except types.AlreadyAliveException as exc:
            raise TopologyAlreadyRunning(
                f"topology '{topology}' already running (use --force to replace it)") from exc
        except types.NotAliveException as exc:
            raise TopologyNotRunning(f"topology '{topology}' is not running") from exc
        except types.InvalidTopologyException as exc:
            raise InvalidTopology(exc.msg) from exc
        except types.AuthorizationException as exc:
            what = f"the call for '{topology}'" if topology else "the call"
            raise NimbusAuthRequired(self._auth_refused(what, exc.msg)) from exc
        except TApplicationException as exc:
            raise NimbusError(f"Nimbus at {self.address} failed: {exc.message}") from exc
        except TTransportException as exc:
            self.close()
            if exc.type == TTransportException.END_OF_FILE:
                raise NimbusAuthRequired(self._dropped()) from exc
            raise NimbusUnreachable(self._unreachable()) from exc
        except (TimeoutError, OSError) as exc:
            self.close()
            if isinstance(exc, ConnectionResetError):
                raise NimbusAuthRequired(self._dropped()) from exc
            raise NimbusUnreachable(self._unreachable()) from exc

    # -- cluster ----------------------------------------------------------------------

    def cluster_info(self) -> Any:
        """Return the ``ClusterSummary``: supervisors, topologies and nimbuses."""
        with self._call() as client:
            return client.getClusterInfo()

    def list_topologies(self) -> list[Any]:
        """Return the ``TopologySummary`` of every topology alive on the cluster."""
        return list(self.cluster_info().topologies or [])

    def topology_summaries(self) -> list[Any]:
        """Return the ``TopologySummary`` of every topology (``getTopologySummaries``).

        Lighter than :meth:`cluster_info` on a big cluster: no supervisors, no nimbuses.
        """
        with self._call() as client:
            return list(client.getTopologySummaries() or [])

    def leader(self) -> Any:
        """Return the ``NimbusSummary`` of the leader Nimbus."""
        with self._call() as client:
            return client.getLeader()

    def nimbus_conf(self) -> dict[str, Any]:
        """Return Nimbus' effective configuration."""
        with self._call() as client:
            conf: dict[str, Any] = json.loads(client.getNimbusConf())
            return conf

    # -- submission -------------------------------------------------------------------

    def upload_jar(self, path: Path | str, progress: Progress | None = None) -> str:
        """Upload the jar at ``path`` in 300 KiB chunks; return its location on Nimbus.

        ``progress(sent_bytes, total_bytes)`` is called after each chunk.
        """
        path = Path(path)
        total = path.stat().st_size
        with self._call() as client:
            location: str = client.beginFileUpload()
            sent = 0
            with open(path, "rb") as jar:
                while chunk := jar.read(UPLOAD_CHUNK_BYTES):
                    client.uploadChunk(location, chunk)
                    sent += len(chunk)
                    if progress is not None:
                        progress(sent, total)
            client.finishFileUpload(location)
        return location

    def submit(self, name: str, jar_location: str, conf: dict[str, Any], topology: Any,
               inactive: bool = False) -> None:
        """Submit ``topology`` (a ``StormTopology`` struct) as ``name`` with ``conf``.

        ``jar_location`` comes from :meth:`upload_jar`. Raises TopologyAlreadyRunning or
        InvalidTopology when Nimbus refuses.
        """
        types = storm_thrift()
        status = (types.TopologyInitialStatus.INACTIVE if inactive
                  else types.TopologyInitialStatus.ACTIVE)
        options = types.SubmitOptions(initial_status=status)
        with self._call(name) as client:
            client.submitTopologyWithOpts(name, jar_location, json.dumps(conf), topology,
                                          options)

    def kill(self, name: str, wait_secs: int | None = None) -> None:
        """Kill topology ``name`` after ``wait_secs`` (Storm's message timeout if None)."""
        options = storm_thrift().KillOptions(wait_secs=wait_secs)
        with self._call(name) as client:
            client.killTopologyWithOpts(name, options)

    def activate(self, name: str) -> None:
        """Activate topology ``name`` (its spouts start emitting)."""
        with self._call(name) as client:
            client.activate(name)

    def deactivate(self, name: str) -> None:
        """Deactivate topology ``name`` (its spouts stop emitting)."""
        with self._call(name) as client:
            client.deactivate(name)

    def rebalance(self, name: str, wait_secs: int | None = None,
                  num_workers: int | None = None,
                  num_executors: dict[str, int] | None = None) -> None:
        """Rebalance topology ``name`` onto ``num_workers`` / per-component executors."""
        options = storm_thrift().RebalanceOptions(
            wait_secs=wait_secs, num_workers=num_workers, num_executors=num_executors)
        with self._call(name) as client:
            client.rebalance(name, options)

    # -- inspection -------------------------------------------------------------------

    def topology_info(self, topology_id: str) -> Any:
        """Return the ``TopologyInfo`` of the topology with id ``topology_id``."""
        with self._call(topology_id) as client:
            return client.getTopologyInfo(topology_id)

    def topology_info_by_name(self, name: str) -> Any:
        """Return the ``TopologyInfo`` of the topology named ``name``."""
        with self._call(name) as client:
            return client.getTopologyInfoByName(name)

    def topology_page_info(self, topology_id: str, window: str = ":all-time",
                           include_system: bool = False) -> Any:
        """Return the ``TopologyPageInfo``: per-component aggregates as Storm's UI shows them.

        ``window`` is ``":all-time"`` or a number of seconds Storm keeps (``"600"``,
        ``"10800"``, ``"86400"``); bolts' ``capacity`` always covers the last 10 minutes.
        """
        with self._call(topology_id) as client:
            return client.getTopologyPageInfo(topology_id, window, include_system)

    def topology_conf(self, topology_id: str) -> dict[str, Any]:
        """Return the effective configuration of topology ``topology_id``."""
        with self._call(topology_id) as client:
            conf: dict[str, Any] = json.loads(client.getTopologyConf(topology_id))
            return conf

    def user_topology(self, topology_id: str) -> Any:
        """Return the ``StormTopology`` as submitted (components, streams, groupings)."""
        with self._call(topology_id) as client:
            return client.getUserTopology(topology_id)

    def component_page_info(self, topology_id: str, component: str, window: str = ":all-time",
                            include_system: bool = False) -> Any:
        """Return the ``ComponentPageInfo`` of ``component``: per-executor and per-stream stats.

        ``window`` is as for :meth:`topology_page_info`.
        """
        with self._call(topology_id) as client:
            return client.getComponentPageInfo(topology_id, component, window, include_system)

    def log_config(self, topology_id: str) -> dict[str, Any]:
        """Return the topology's dynamic log levels: logger name -> ``LogLevel``.

        Empty until :meth:`set_log_level` (or Storm's ``storm set_log_level``) sets one.
        """
        with self._call(topology_id) as client:
            config = client.getLogConfig(topology_id)
        return dict(config.named_logger_level or {})

    def set_log_level(self, topology_id: str, logger: str, level: str | None,
                      timeout_secs: int = 0) -> None:
        """Set ``logger`` (``"ROOT"`` for the root) to ``level`` in the topology's workers.

        As Storm's ``storm set_log_level -l logger=LEVEL:timeout``: after ``timeout_secs``
        (0: never) the workers reset it; ``level=None`` removes the override.

        >>> client.set_log_level(topology_id, "org.apache.storm", "DEBUG", 60)  # doctest: +SKIP
        """
        types = storm_thrift()
        if level is None:
            entry = types.LogLevel(action=types.LogLevelAction.REMOVE)
        else:
            entry = types.LogLevel(action=types.LogLevelAction.UPDATE,
                                   target_log_level=level,
                                   reset_log_level_timeout_secs=timeout_secs)
        with self._call(topology_id) as client:
            client.setLogConfig(topology_id,
                                types.LogConfig(named_logger_level={logger: entry}))

    def is_name_allowed(self, name: str) -> bool:
        """Return whether Nimbus would accept ``name`` as a new topology's name."""
        with self._call(name) as client:
            return bool(client.isTopologyNameAllowed(name))
