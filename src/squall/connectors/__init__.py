"""Connectors: spouts and bolts that read from and write to external systems.

A connector is an ordinary component written against the component API
(:mod:`squall.api`) only, like user code: it runs unchanged on the embedded engine, on
Storm (as a multi-lang subprocess, its client library vendored into the topology jar
like any dependency) and in :mod:`squall.testing`. Every connector keeps this contract:

* **Never block the task.** ``next_tuple`` returns within a few milliseconds whether or
  not data is ready (the host sleeps ``topology.sleep.spout.wait.strategy.time.ms``
  when it emitted nothing). A bolt may wait only for backpressure from its sink.
* **Clients start in the task.** Network clients (and their threads) are created when
  the task is prepared, after the engine forked it, never at import or class definition.
* **ack and fail mean something for the source.** A source spout emits every record with
  a tuple id naming its position in the source; ``ack(id)`` means the record's whole
  tuple tree was processed, so its position may be committed; ``fail(id)`` (an explicit
  fail or the message timeout) means it must be delivered again. A sink bolt acks its
  input only once the sink confirmed the write, and fails it on a write error.
* **Positions live in the source system** (Kafka: committed consumer-group offsets), never
  in the task, so a crashed or restarted task resumes from the last commit and only what
  came after it is delivered twice: at-least-once, on every host.
* **Bad data is isolated.** A record the connector cannot turn into values, or a tuple it
  cannot write, fails or is given up alone, is reported (``report_error`` / the log) and
  never takes other tuples with it.
* **Settings** are class attributes, each overridable by a conf key; bad values fail at
  class definition (``TopologyError``) or at task start (``ConfigError``); an unreachable
  system or a missing resource is one ``ConnectorError`` line naming the fix.
* **Stopping** (the host's ``_squall_close``) commits what is safe and flushes writes.

In :mod:`squall.testing`, ``run_topology(..., inputs={"spout": [...]})`` replaces a
source spout by a list, so topology logic is tested without the external system; tests
of the connector itself run against the real system (``squall kafka up``).

Available: :mod:`squall.connectors.kafka` (``KafkaSpout``, ``KafkaBolt``).
"""
