"""-o key=value and --par component=N parsing, and the option precedence."""

import pytest

from squall.config import merge_options, parse_option, parse_options, parse_par, parse_pars
from squall.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("topology.message.timeout.secs=5", ("topology.message.timeout.secs", 5)),
        ("a=[1,2]", ("a", [1, 2])),
        ("s=hello", ("s", "hello")),
        ("f=0.5", ("f", 0.5)),
        ("b=true", ("b", True)),
        ("n=null", ("n", None)),
        ("q='5'", ("q", "5")),
        ("e=", ("e", "")),
        ("url=http://x:1/a=b", ("url", "http://x:1/a=b")),
        (" k =v", ("k", "v")),
    ],
)
def test_option_values_are_yaml(text, expected):
    assert parse_option(text) == expected


def test_option_without_equals_sign():
    with pytest.raises(ConfigError) as err:
        parse_option("topology.workers")
    assert str(err.value) == "-o 'topology.workers': missing '='; write it as -o key=value"


def test_option_without_key():
    with pytest.raises(ConfigError) as err:
        parse_option("=5")
    assert str(err.value) == "-o '=5': missing the name before '='; write it as -o key=value"


def test_option_with_invalid_yaml():
    with pytest.raises(ConfigError) as err:
        parse_option("a=[1,2")
    assert str(err.value).startswith("-o 'a=[1,2': value '[1,2' is not valid YAML (")


def test_repeated_option_keeps_last():
    assert parse_options(["a=1", "b=2", "a=3"]) == {"a": 3, "b": 2}


def test_par():
    assert parse_par("count=4") == ("count", 4)
    assert parse_pars(["a=1", "b=2", "a=3"]) == {"a": 3, "b": 2}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("count", "--par 'count': missing '='; write it as --par component=N"),
        ("count=x", "--par 'count=x': 'x' is not an integer; write it as --par count=2"),
        ("count=0", "--par 'count=0': parallelism must be >= 1, got 0"),
        ("=2", "--par '=2': missing the name before '='; write it as --par component=N"),
    ],
)
def test_par_errors(text, message):
    with pytest.raises(ConfigError) as err:
        parse_par(text)
    assert str(err.value) == message


def test_precedence_cli_over_topology_over_env_over_defaults():
    merged = merge_options(
        cli={"a": "cli"},
        topology={"a": "topo", "b": "topo"},
        env={"a": "env", "b": "env", "c": "env"},
        defaults={"a": "def", "b": "def", "c": "def", "d": "def"},
    )
    assert merged == {"a": "cli", "b": "topo", "c": "env", "d": "def"}


def test_merge_does_not_modify_inputs():
    topo = {"a": 1}
    merge_options(cli={"a": 2}, topology=topo)
    assert topo == {"a": 1}


@pytest.mark.parametrize("text, message", [
    ("topology.message.timeout.secs=.nan",
     "-o 'topology.message.timeout.secs=.nan': conf 'topology.message.timeout.secs' must be a finite number >= 0.001, got nan"),
    ("squall.engine.max.restarts=.inf",
     "-o 'squall.engine.max.restarts=.inf': conf 'squall.engine.max.restarts' must be a finite number >= 0, got inf"),
    ("topology.max.spout.pending=1.5",
     "-o 'topology.max.spout.pending=1.5': conf 'topology.max.spout.pending' must be an integer, got 1.5"),
])
def test_engine_keys_are_checked_as_they_are_parsed(text, message):
    with pytest.raises(ConfigError) as info:
        parse_option(text)
    assert str(info.value) == message


def test_unknown_keys_keep_any_value():
    assert parse_option("my.key=.nan")[0] == "my.key"
