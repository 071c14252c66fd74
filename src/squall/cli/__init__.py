"""The ``squall`` command line: the only layer that prints or exits.

Nothing in squall imports this package. Entry point: ``squall = squall.cli:main``.
"""

from squall.cli._main import main

__all__ = ["main"]
