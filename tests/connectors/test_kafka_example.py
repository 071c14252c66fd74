"""The README's Kafka steps, as a user types them: dev broker, topics, produce, run, consume."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_process import squall_command

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kafka_wordcount.py"


def test_kafka_wordcount_example_end_to_end(kafka_broker, tmp_path):
    env = {**os.environ, "SQUALL_KAFKA_HOME": str(kafka_broker.home), "NO_COLOR": "1", "COLUMNS": "120"}

    def squall(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run([*squall_command(), *args], env=env, cwd=tmp_path, input=stdin,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    squall("kafka", "topic", "create", "lines", "--partitions", "4")
    squall("kafka", "topic", "create", "counts")
    assert "Delivered 2 record(s)" in squall("kafka", "produce", "lines", stdin="the cat sat\nthe dog ran\n")
    run = subprocess.Popen([*squall_command(), "run", str(EXAMPLE)], env=env, cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:  # the run found the dev broker by itself (no brokers configured anywhere)
        counts = squall("kafka", "consume", "counts", "--from-beginning", "-n", "6", "--timeout", "90")
    finally:
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    assert sorted(counts.splitlines()) == sorted(["the\t1", "cat\t1", "sat\t1", "the\t2", "dog\t1", "ran\t1"])
    assert "KafkaWordCount" in out and "counts (bolt)" in out
