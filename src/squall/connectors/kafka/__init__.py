"""Kafka in and out: :class:`KafkaSpout` and :class:`KafkaBolt` with at-least-once offsets.

Needs confluent-kafka: ``pip install 'squall[kafka]'`` (from a checkout:
``pip install -e '.[kafka]'``). A real broker for development: ``squall kafka up``.

>>> from squall.connectors.kafka import KafkaSpout, KafkaBolt
>>> class Events(KafkaSpout):
...     topics = ["events"]
...     group_id = "wordcount"
>>> class Counts(KafkaBolt):
...     topic = "counts"
"""

from squall.connectors.kafka._bolt import KafkaBolt
from squall.connectors.kafka._offsets import Backoff, OffsetBook
from squall.connectors.kafka._record import KafkaRecord, encode
from squall.connectors.kafka._settings import BROKERS_KEY
from squall.connectors.kafka._spout import KafkaSpout

__all__ = ["BROKERS_KEY", "Backoff", "KafkaBolt", "KafkaRecord", "KafkaSpout", "OffsetBook", "encode"]
