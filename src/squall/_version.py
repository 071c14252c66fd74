"""squall's version: the one place it is written.

``pyproject.toml`` reads it at build time (``[tool.setuptools.dynamic]``), and
``squall.__version__``, ``squall --version`` and the jars squall builds read it from here.
"""

__version__ = "0.1.0"
