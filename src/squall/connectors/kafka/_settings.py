"""The settings of the Kafka connectors: class attributes, conf-key overrides, validation.

Every setting is a class attribute of the connector; the component's conf key
``squall.kafka.<attribute>`` overrides it (set per component with ``spec(config=...)`` or
for the whole topology with ``-o``). Brokers are looked up in their own order (see
:func:`brokers`). Bad values fail when the class is defined (``TopologyError``) or, for
conf overrides, when the task starts (``ConfigError``), with a message naming the
component, the setting and the fix.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from squall.errors import ConfigError, ConnectorError, TopologyError

CONF_PREFIX = "squall.kafka."
BROKERS_KEY = "squall.kafka.brokers"
STARTS = ("earliest", "latest")


@dataclass(frozen=True)
class Setting:
    """One setting: its attribute name, what it must be, and its normaliser."""

    name: str
    expected: str
    normalise: Callable[[Any], Any]  # returns the value to use, or raises ValueError


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError
    return value


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else check(value)


def _topics(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise ValueError
    return tuple(_text(topic) for topic in value)


def _pattern(value: Any) -> str:
    text = _text(value)
    try:
        re.compile(text)
    except re.error as exc:
        raise ValueError from exc
    return text


def _start(value: Any) -> str:
    if value not in STARTS:
        raise ValueError
    return str(value)


def _count(minimum: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError
        return value

    return check


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError
    if not math.isfinite(value) or value <= 0:
        raise ValueError
    return float(value)


def _client_config(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValueError
    return dict(value)


SPOUT_SETTINGS = (
    Setting("topics", "a list of topic names", _topics),
    Setting("topic_pattern", "a regular expression or None", _optional(_pattern)),
    Setting("group_id", "a non-empty string or None", _optional(_text)),
    Setting("start", "'earliest' or 'latest'", _start),
    Setting("max_retries", "an integer >= 0", _count(0)),
    Setting("retry_backoff_secs", "a number of seconds > 0", _seconds),
    Setting("retry_backoff_max_secs", "a number of seconds > 0", _seconds),
    Setting("dead_letter_topic", "a topic name or None", _optional(_text)),
    Setting("max_uncommitted", "an integer >= 1", _count(1)),
    Setting("commit_interval_secs", "a number of seconds > 0", _seconds),
    Setting("poll_batch", "an integer >= 1", _count(1)),
    Setting("connect_timeout_secs", "a number of seconds > 0", _seconds),
    Setting("consumer_config", "a dict of librdkafka consumer settings", _client_config),
)

BOLT_SETTINGS = (
    Setting("topic", "a topic name or None", _optional(_text)),
    Setting("topic_field", "a field name or None", _optional(_text)),
    Setting("key_field", "a field name or None", _optional(_text)),
    Setting("value_field", "a field name or None", _optional(_text)),
    Setting("connect_timeout_secs", "a number of seconds > 0", _seconds),
    Setting("flush_timeout_secs", "a number of seconds > 0", _seconds),
    Setting("producer_config", "a dict of librdkafka producer settings", _client_config),
)


def check_class(cls: type, settings: tuple[Setting, ...]) -> None:
    """Validate the class attributes of a connector subclass (raises TopologyError)."""
    for setting in settings:
        value = getattr(cls, setting.name)
        try:
            setting.normalise(value)
        except ValueError:
            raise TopologyError(
                f"{cls.__name__}.{setting.name} must be {setting.expected}, got {value!r}; "
                "fix the class attribute"
            ) from None


def resolve(component: Any, settings: tuple[Setting, ...], conf: Mapping[str, Any]) -> dict[str, Any]:
    """Return every setting of ``component``: its conf key if set, else its attribute.

    Raises ConfigError naming the component, the conf key and what was expected.
    """
    values: dict[str, Any] = {}
    for setting in settings:
        key = CONF_PREFIX + setting.name
        from_conf = key in conf
        value = conf[key] if from_conf else getattr(component, setting.name)
        try:
            values[setting.name] = setting.normalise(value)
        except ValueError:
            source = f"conf key {key!r}" if from_conf else f"{type(component).__name__}.{setting.name}"
            raise ConfigError(
                f"{component.component_name}: {source} must be {setting.expected}, got {value!r}"
            ) from None
    return values


def brokers(component: Any, conf: Mapping[str, Any]) -> str:
    """Return the bootstrap servers of ``component`` as ``"host:port,host:port"``.

    Looked up in this order: the class's ``brokers`` attribute; the conf key
    ``squall.kafka.brokers`` (set by ``-o``, by the environment's ``kafka`` setting in
    squall.toml, or by ``squall run``/``squall submit`` from the running dev broker).
    """
    value = getattr(component, "brokers", None)
    source = f"{type(component).__name__}.brokers"
    if value is None:
        value, source = conf.get(BROKERS_KEY), f"conf key {BROKERS_KEY!r}"
    if value is None:
        raise ConnectorError(
            f"{component.component_name}: no Kafka brokers configured; set `brokers = \"host:port\"` on "
            f"the class, `kafka = \"host:port\"` in the squall.toml environment, -o {BROKERS_KEY}=host:port, "
            "or start a dev broker with `squall kafka up`"
        )
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{component.component_name}: {source} must be \"host:port[,host:port...]\", got {value!r}")
    return value.strip()
