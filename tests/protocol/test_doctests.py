"""The literal frames shown in the protocol docstrings are what the code produces."""

import doctest

import pytest

import squall.multilang._loader
import squall.multilang._logfile
import squall.protocol
import squall.protocol._json
import squall.protocol._messages
import squall.protocol._msgpack

MODULES = [
    squall.protocol,
    squall.protocol._json,
    squall.protocol._messages,
    squall.protocol._msgpack,
    squall.multilang._loader,
    squall.multilang._logfile,
]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
