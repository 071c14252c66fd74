"""Grouping kinds are one Enum whose values are the strings saved in models and JSON."""

from __future__ import annotations

import json
import pickle

import pytest

from squall import Grouping
from squall.errors import TopologyError
from squall.topology import GroupingKind, unknown_grouping


def test_kinds_keep_their_saved_strings() -> None:
    assert [k.value for k in GroupingKind] == list(Grouping.KINDS)
    assert Grouping("fields", ("w",)) == Grouping.fields("w")
    assert Grouping.fields("w").kind is GroupingKind.FIELDS
    assert json.dumps({"g": Grouping.SHUFFLE.kind}) == '{"g": "shuffle"}'
    assert f"{GroupingKind.LOCAL_OR_SHUFFLE}" == str(GroupingKind.LOCAL_OR_SHUFFLE) == "local_or_shuffle"
    assert pickle.loads(pickle.dumps(Grouping.partial_key("w"))) == Grouping.partial_key("w")
    assert repr(Grouping.LOCAL_OR_SHUFFLE) == "Grouping.LOCAL_OR_SHUFFLE"


def test_an_unknown_kind_is_refused_with_the_choices() -> None:
    with pytest.raises(TopologyError, match=r"^unknown grouping 'random': use one of Grouping.SHUFFLE, "):
        Grouping("random")


def test_unknown_grouping_raises_when_reached_at_run_time() -> None:
    with pytest.raises(TopologyError, match=r"^unknown grouping kind 'spiral': expected one of shuffle, local_or_shuffle, fields, global, "):
        unknown_grouping("spiral")  # type: ignore[arg-type]
