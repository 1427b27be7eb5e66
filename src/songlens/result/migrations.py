"""Upgrades of stored analysis JSON from older schema versions.

Each schema version ``N`` that is superseded gets a function
``v{N}_to_v{N+1}(data) -> data`` registered in :data:`MIGRATIONS`;
:func:`migrate` applies them in order on load. Version 1 is current, so there
is nothing to upgrade yet, but files from a *newer* SongLens are rejected
with an actionable message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ResultFormatError

__all__ = ["SCHEMA_PREFIX", "CURRENT_VERSION", "MIGRATIONS", "schema_version", "migrate"]

SCHEMA_PREFIX = "songlens.analysis/"
CURRENT_VERSION = 1

MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}
"""``MIGRATIONS[n]`` upgrades a version-``n`` dict to version ``n + 1``."""


def schema_version(data: dict[str, Any]) -> int:
    """The schema version number of a stored analysis dict."""
    schema = data.get("schema")
    if not isinstance(schema, str) or not schema.startswith(SCHEMA_PREFIX):
        raise ResultFormatError(
            f"not a SongLens analysis (schema {schema!r}; expected '{SCHEMA_PREFIX}N')"
        )
    try:
        return int(schema[len(SCHEMA_PREFIX):])
    except ValueError:
        raise ResultFormatError(f"unreadable schema version {schema!r}") from None


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Upgrade ``data`` to the current schema version."""
    version = schema_version(data)
    if version > CURRENT_VERSION:
        raise ResultFormatError(
            f"analysis uses schema version {version}, newer than this SongLens supports "
            f"({CURRENT_VERSION}); upgrade songlens"
        )
    while version < CURRENT_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ResultFormatError(f"no migration from schema version {version}")
        data = step(data)
        version += 1
        data["schema"] = f"{SCHEMA_PREFIX}{version}"
    return data
