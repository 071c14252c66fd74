"""A fixture for tests that import user projects: the import state is put back after each."""

from __future__ import annotations

import sys
from typing import Iterator

import pytest


@pytest.fixture(autouse=True)
def clean_imports() -> Iterator[None]:
    """Undo the sys.path entries and modules a test's imports add (autouse where imported)."""
    path, modules = list(sys.path), set(sys.modules)
    yield
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        del sys.modules[name]
