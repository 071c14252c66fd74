"""``squall kafka ...``: the local Apache Kafka dev broker, its topics, produce and consume."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import click

from squall.cli._cluster import _progress
from squall.cli._common import need
from squall.errors import BrokerError

__all__ = ["kafka"]

_HOME = click.option("--home", type=click.Path(file_okay=False, path_type=Path),
                     envvar="SQUALL_KAFKA_HOME",
                     help="Broker folder (default: $SQUALL_KAFKA_HOME or ~/.squall/kafka).")
_BOOTSTRAP = click.option("--bootstrap", metavar="HOST:PORT",
                          help="Talk to this Kafka cluster (default: the dev broker's address).")


@click.group(epilog="""\b
Examples:
  squall kafka up                       # first run downloads Kafka's jars from Maven Central
  squall kafka topic create events --partitions 4
  seq 1000 | squall kafka produce events
  squall kafka consume events --from-beginning -n 10
  squall kafka down                     # topics and offsets are kept; --wipe deletes them
""")
def kafka() -> None:
    """Start, inspect and stop a real Apache Kafka broker (KRaft) for development."""


def _broker(home: Path | None, **kwargs: Any) -> Any:
    broker = need("squall.devcluster", "KafkaBroker", "the Kafka dev broker")
    return broker(home=home, **kwargs)


def _client(name: str) -> Callable[..., Any]:
    return need("squall.devcluster", name, "the Kafka client commands")


def _bootstrap(home: Path | None, bootstrap: str | None) -> str:
    """Return ``--bootstrap``, else the running dev broker's address."""
    if bootstrap:
        return bootstrap
    status = _broker(home).status()
    if not status.running:
        raise BrokerError(f"no Kafka broker running in {status.home}: start one with "
                          "`squall kafka up`, or pass --bootstrap HOST:PORT")
    return str(status.bootstrap)


# -- the broker -----------------------------------------------------------------------

@kafka.command(epilog="""\b
Example:
  squall kafka up --kafka-version 4.1.1 --home /tmp/kafka-dev
""")
@click.option("--kafka-version", metavar="V", help="Apache Kafka version (default: squall's tested one).")
@_HOME
@click.option("--exit-with-pid", type=click.IntRange(min=1), metavar="PID",
              help="Stop the broker when process PID ends (e.g. $$ in a CI script).")
def up(kafka_version: str | None, home: Path | None, exit_with_pid: int | None) -> None:
    """Start the broker on 127.0.0.1 (no-op if running); print its bootstrap address.

    A broker started again in the same home serves the same topics, records and
    committed offsets on the same address. It keeps running after this command returns;
    stop it with `squall kafka down`.
    """
    kwargs: dict[str, Any] = {"version": kafka_version} if kafka_version else {}
    with _progress() as report:
        broker = _broker(home, progress=report, **kwargs)
        status = broker.up(exit_with_pid=exit_with_pid)
    _print_running(status)


@kafka.command(epilog="""\b
Example:
  squall kafka down --wipe              # also delete topics, records and offsets
""")
@_HOME
@click.option("--wipe", is_flag=True, help="Also delete the broker's data and recorded ports.")
def down(home: Path | None, wipe: bool) -> None:
    """Stop the broker (its data and address are kept for the next `up`, unless --wipe)."""
    broker = _broker(home)
    ended = broker.down(wipe=wipe)
    kept = "its data was deleted" if wipe else "its data is kept (--wipe deletes it)"
    if ended:
        click.echo(f"Kafka broker in {broker.home} stopped ({len(ended)} processes); {kept}.")
    else:
        click.echo(f"No Kafka broker was running in {broker.home}; {kept}.")


@kafka.command(epilog="""\b
Example:
  squall kafka status --json | jq -r .bootstrap
""")
@_HOME
@click.option("--json", "as_json", is_flag=True,
              help="Print bootstrap, home, running, version, pid and log as JSON.")
def status(home: Path | None, as_json: bool) -> None:
    """Show the broker's address and process (exit code 3 when it is not running)."""
    state = _broker(home).status()
    if as_json:
        click.echo(json.dumps({"bootstrap": state.bootstrap, "home": str(state.home),
                               "running": state.running, "version": state.version,
                               "pid": state.pid if state.running else None,
                               "watchdog_pid": state.watchdog_pid, "log": str(state.log)}))
    elif state.running:
        _print_running(state)
    elif state.bootstrap:
        click.echo(f"Kafka broker in {state.home} is stopped (its address stays "
                   f"{state.bootstrap}): start it with `squall kafka up`.")
    else:
        click.echo(f"No Kafka broker recorded in {state.home}: start one with `squall kafka up`.")
    if not state.running:
        sys.exit(3)


def _print_running(state: Any) -> None:
    click.echo(f"Kafka {state.version} broker running in {state.home}")
    click.echo(f"  bootstrap: {state.bootstrap}")
    click.echo(f"  pid:       {state.pid}")
    click.echo(f"  log:       {state.log}")


# -- topics ---------------------------------------------------------------------------

@kafka.group(epilog="""\b
Examples:
  squall kafka topic create events --partitions 4
  squall kafka topic list
  squall kafka topic delete events
""")
def topic() -> None:
    """Create, list and delete topics on the dev broker (or any cluster: --bootstrap)."""


def _admin(home: Path | None, bootstrap: str | None) -> Any:
    return _client("KafkaAdmin")(_bootstrap(home, bootstrap))


@topic.command("create", epilog="""\b
Example:
  squall kafka topic create events --partitions 4
""")
@click.argument("name")
@click.option("-p", "--partitions", type=click.IntRange(min=1), default=1, show_default=True,
              help="Number of partitions.")
@_HOME
@_BOOTSTRAP
def topic_create(name: str, partitions: int, home: Path | None, bootstrap: str | None) -> None:
    """Create topic NAME (one replica); return once every partition has a leader."""
    admin = _admin(home, bootstrap)
    admin.create_topic(name, partitions)
    click.echo(f"Created topic '{name}' with {partitions} partition(s) on {admin.bootstrap}.")


@topic.command("list", epilog="""\b
Example:
  squall kafka topic list --bootstrap 127.0.0.1:9092
""")
@_HOME
@_BOOTSTRAP
def topic_list(home: Path | None, bootstrap: str | None) -> None:
    """Print each topic and its partition count (internal topics are left out)."""
    for name, partitions in _admin(home, bootstrap).topics().items():
        click.echo(f"{name}\t{partitions}")


@topic.command("delete", epilog="""\b
Example:
  squall kafka topic delete events
""")
@click.argument("name")
@_HOME
@_BOOTSTRAP
def topic_delete(name: str, home: Path | None, bootstrap: str | None) -> None:
    """Delete topic NAME and its records."""
    admin = _admin(home, bootstrap)
    admin.delete_topic(name)
    click.echo(f"Deleted topic '{name}' on {admin.bootstrap}.")


# -- records --------------------------------------------------------------------------

@kafka.command(epilog="""\b
Examples:
  squall kafka produce events "hello" "world"
  printf 'user1:clicked\\nuser2:left\\n' | squall kafka produce events --key-separator :
""")
@click.argument("topic_name", metavar="TOPIC")
@click.argument("lines", nargs=-1, metavar="[LINE]...")
@click.option("--key-separator", metavar="SEP",
              help="Split each line at the first SEP into key and value.")
@_HOME
@_BOOTSTRAP
def produce(topic_name: str, lines: tuple[str, ...], key_separator: str | None,
            home: Path | None, bootstrap: str | None) -> None:
    """Send one record per LINE (or per line of stdin); wait until all are delivered."""
    if key_separator == "":
        raise click.BadParameter("must not be empty", param_hint="--key-separator")
    address = _bootstrap(home, bootstrap)
    source: Iterable[str] = lines if lines else _stdin_lines()
    records = _records(source, key_separator)
    delivered = _client("kafka_produce")(address, topic_name, records)
    click.echo(f"Delivered {delivered} record(s) to topic '{topic_name}' on {address}.")


def _stdin_lines() -> Iterator[str]:
    for line in click.get_text_stream("stdin"):
        yield line.rstrip("\r\n")


def _records(lines: Iterable[str], separator: str | None) -> Iterator[tuple[bytes | None, bytes]]:
    for number, line in enumerate(lines, start=1):
        if separator is None:
            yield None, line.encode()
            continue
        key, found, value = line.partition(separator)
        if not found:
            raise click.ClickException(f"line {number} has no key separator {separator!r}: "
                                       f"{line[:60]!r} (write KEY{separator}VALUE)")
        yield key.encode(), value.encode()


@kafka.command(epilog="""\b
Examples:
  squall kafka consume events --from-beginning -n 10
  squall kafka consume events --group audit --timeout 30     # commits, resumes next time
""")
@click.argument("topic_name", metavar="TOPIC")
@click.option("--from-beginning", is_flag=True,
              help="Start at the oldest record (where the group has no committed offset).")
@click.option("-n", "--max-records", type=click.IntRange(min=1), metavar="N",
              help="Stop after N records.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=10.0,
              show_default=True, metavar="SECS", help="Stop when no record arrived for SECS.")
@click.option("--group", metavar="G",
              help="Consumer group; its offsets are committed (default: none, nothing committed).")
@_HOME
@_BOOTSTRAP
def consume(topic_name: str, from_beginning: bool, max_records: int | None, timeout: float,
            group: str | None, home: Path | None, bootstrap: str | None) -> None:
    """Print records of TOPIC as `key<TAB>value` (or value) lines, one per record.

    Ctrl-C stops it cleanly (exit code 0); with --group, only records printed are committed.
    """
    address = _bootstrap(home, bootstrap)
    records = _client("kafka_consume")(address, topic_name, from_beginning=from_beginning,
                                       max_records=max_records, idle_timeout=timeout,
                                       group=group)
    try:
        for record in records:
            value = _text(record.value)
            click.echo(value if record.key is None else f"{_text(record.key)}\t{value}")
    except KeyboardInterrupt:
        pass
    finally:
        records.close()


def _text(data: bytes | None) -> str:
    return "" if data is None else data.decode("utf-8", "backslashreplace")
