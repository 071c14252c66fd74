"""The examples in the engine's docstrings hold."""

import doctest

import pytest

import squall.engine._acking
import squall.engine._carry
import squall.engine._hotpath
import squall.engine._metrics

MODULES = [squall.engine._acking, squall.engine._carry, squall.engine._hotpath, squall.engine._metrics]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_conf_rules_doctest():
    import squall.engine._conf

    result = doctest.testmod(squall.engine._conf)
    assert result.attempted > 0 and result.failed == 0


def test_run_local_refuses_a_nan_run_time():
    from squall.engine import run_local
    from squall.errors import ConfigError
    from tests.engine.test_reliability import Hold

    with pytest.raises(ConfigError, match=r"run_local\(time=nan\): the run time must be a finite number of seconds > 0"):
        run_local(Hold, time=float("nan"))
