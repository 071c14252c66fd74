"""The run view: rates from snapshots, plain lines, live and summary tables."""

import io
from types import SimpleNamespace

from rich.console import Console

from squall.cli._runview import RateTracker, plain_lines, progress_table, summary_table


def comp(kind, par=1, emitted=0, executed=0, acked=0, failed=0, capacity=0.0, **extra):
    figures = dict(execute_latency_ms=0.0, complete_latency_ms=0.0, complete_p99_ms=0.0, restarts=0)
    figures.update(extra)
    return SimpleNamespace(kind=kind, par=par, emitted=emitted, executed=executed, acked=acked,
                           failed=failed, capacity=capacity, **figures)


def snapshot(elapsed, spout_emitted, bolt_executed):
    return SimpleNamespace(topology="Small", elapsed=elapsed, components={
        "numbers": comp("spout", emitted=spout_emitted, acked=spout_emitted, complete_latency_ms=2.5,
                        complete_p99_ms=9.0),
        "double": comp("bolt", par=2, emitted=bolt_executed, executed=bolt_executed, capacity=0.25,
                       execute_latency_ms=0.4),
    })


def render(renderable):
    out = io.StringIO()
    Console(file=out, width=120, no_color=True).print(renderable)
    return out.getvalue()


def test_rates_come_from_consecutive_snapshots():
    rates = RateTracker()
    rates.update(snapshot(1.0, 100, 50))
    assert rates.rates["numbers"] == (100.0, 0.0)
    rates.update(snapshot(3.0, 500, 450))
    assert rates.rates["numbers"] == (200.0, 0.0)
    assert rates.rates["double"] == (200.0, 200.0)


def test_plain_lines_one_per_component():
    rates = RateTracker()
    snap = snapshot(2.0, 2000, 1000)
    rates.update(snap)
    assert plain_lines(snap, rates.rates) == [
        "[    2.0s] numbers: emitted=2000 (1.0k/s) acked=2000 failed=0 latency=2.5/9.0ms",
        "[    2.0s] double: emitted=1000 (500/s) executed=1000 (500/s) capacity=0.25 acked=0 failed=0 "
        "latency=0.4ms",
    ]


def test_progress_table_has_a_row_per_component():
    rates = RateTracker()
    snap = snapshot(2.0, 2000, 1000)
    rates.update(snap)
    text = render(progress_table(snap, rates.rates, "Small 2s"))
    assert "emitted/s" in text and "capacity" in text
    assert "numbers (spout)" in text and "double (bolt)" in text
    assert "1.0k" in text and "0.25" in text


def test_summary_table():
    result = SimpleNamespace(topology="Small", elapsed=4.0, stop_reason="idle",
                             components=snapshot(4.0, 400, 400).components)
    text = render(summary_table(result))
    assert "Small: 4.0s, stopped when idle" in text
    assert "numbers (spout)" in text and "400" in text and "100" in text


def test_sub_millisecond_execute_latency_is_shown_in_microseconds():
    snap = SimpleNamespace(topology="Small", elapsed=1.0, components={
        "fast": comp("bolt", executed=10, execute_latency_ms=0.0029),
        "slow": comp("bolt", executed=10, execute_latency_ms=0.25),
    })
    lines = plain_lines(snap, {})
    assert lines[0].endswith("latency=2.9us") and lines[1].endswith("latency=0.2ms")


def test_summary_title_says_when_the_stop_began_and_how_long_it_took():
    result = SimpleNamespace(topology="Small", elapsed=31.25, stop_reason="time", stopping_at=30.0,
                             components=snapshot(31.25, 400, 400).components)
    text = render(summary_table(result))
    assert "Small: ran 30.0s, stopped at the time limit; stopping took 1.2s" in text
