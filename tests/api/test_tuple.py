"""Tuples and their field-named values."""

from squall.api import TupleFactory, Tuple


def test_values_by_position_and_name():
    factory = TupleFactory({"split": {"default": ["word", "count"]}})
    t = factory.make("1", "split", "default", 3, ["dog", 2])
    assert t.values[0] == "dog" and t.values.word == "dog" and t.values.count == 2
    assert t.id == "1" and t.component == "split" and t.task == 3


def test_unknown_stream_or_wrong_arity_gives_plain_tuple():
    factory = TupleFactory({"split": {"default": ["word"]}})
    assert factory.make("1", "other", "default", 1, ["a"]).values == ("a",)
    assert factory.make("1", "split", "default", 1, ["a", "b"]).values == ("a", "b")


def test_field_names_that_are_not_identifiers():
    factory = TupleFactory({"s": {"default": ["class", "x-y"]}})
    assert factory.make("1", "s", "default", 1, [1, 2]).values[1] == 2


def test_tick_and_heartbeat_flags():
    assert Tuple(None, "__system", "__tick", -1, ()).is_tick
    assert Tuple("x", None, "__heartbeat", -1, ()).is_heartbeat
