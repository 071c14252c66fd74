"""Load squall's subset of Storm's Thrift IDL (``storm.thrift`` beside this file)."""

from __future__ import annotations

import functools
from pathlib import Path
from types import ModuleType

import thriftpy2

IDL_PATH = Path(__file__).with_name("storm.thrift")


@functools.cache
def storm_thrift() -> ModuleType:
    """Return the thriftpy2 module of Storm's types and the ``Nimbus`` service (loaded once)."""
    return thriftpy2.load(str(IDL_PATH), module_name="squall_storm_thrift")
