"""Find the component class named by ``module:Class``."""

from __future__ import annotations

import importlib
from typing import Any

from squall.api import Bolt, Component, Spout
from squall.errors import ConfigError


def load_component_class(target: str) -> type[Component]:
    """Import ``module:Qualname`` from ``sys.path`` and return the Spout/Bolt subclass.

    Raises ``ConfigError`` with a one-line fix when the module or attribute is
    missing or the attribute is not a Spout or Bolt subclass.

    >>> load_component_class("squall.api:Bolt").__name__
    'Bolt'
    """
    module_name, sep, qualname = target.partition(":")
    if not sep or not module_name or not qualname:
        raise ConfigError(f"component {target!r} is not 'module:Class'; use e.g. 'mypkg.bolts:WordCount'")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ConfigError(
                f"cannot import module {module_name!r} for component {target!r}: {exc}; "
                "run from the directory that holds it or add it to PYTHONPATH"
            ) from exc
        raise ConfigError(f"importing module {module_name!r} for component {target!r} failed: {exc}") from exc
    except Exception as exc:
        raise ConfigError(
            f"importing module {module_name!r} for component {target!r} raised "
            f"{type(exc).__name__}: {exc}; fix the module"
        ) from exc
    obj: Any = module
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(
                f"module {module_name!r} has no attribute {qualname!r} (component {target!r}); "
                "check the class name"
            ) from None
    if not (isinstance(obj, type) and issubclass(obj, (Spout, Bolt))):
        raise ConfigError(
            f"{target!r} is {obj!r}, not a Spout or Bolt subclass; point at a component class"
        )
    return obj
