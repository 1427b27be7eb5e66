"""Lazy access to optional dependencies with an install hint."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingDependencyError


def require(module: str, *, extra: str, purpose: str = "") -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` with an install hint.

    Parameters
    ----------
    module : str
        Dotted module name to import.
    extra : str
        Name of the songlens extra that installs it.
    purpose : str
        What the module is needed for, for the message.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        why = f" for {purpose}" if purpose else ""
        raise MissingDependencyError(
            f"'{module}' is needed{why}; install it with: pip install 'songlens[{extra}]'"
        ) from exc
