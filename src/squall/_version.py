"""The installed version of squall."""

__version__ = "0.1.0"
