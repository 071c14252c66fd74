"""The examples in the engine's docstrings hold."""

import doctest

import pytest

import squall.engine._carry
import squall.engine._metrics

MODULES = [squall.engine._carry, squall.engine._metrics]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
