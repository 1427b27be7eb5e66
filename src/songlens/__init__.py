"""SongLens: measure why a song or soundtrack cue moves people.

Public API::

    import songlens
    result = songlens.analyze("song.flac")          # AnalysisResult
    songlens.dump_json(result, "song.json")         # strict, versioned JSON
    result = songlens.load_json("song.json")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

__all__ = [
    "__version__",
    "analyze",
    "analyze_signal",
    "AnalysisConfig",
    "AnalysisResult",
    "dump_json",
    "load_json",
    "SongLensError",
]

if TYPE_CHECKING:  # pragma: no cover
    from .config import AnalysisConfig
    from .errors import SongLensError
    from .pipeline import analyze, analyze_signal
    from .result import AnalysisResult, dump_json, load_json

_LAZY = {
    "analyze": ("pipeline", "analyze"),
    "analyze_signal": ("pipeline", "analyze_signal"),
    "AnalysisConfig": ("config", "AnalysisConfig"),
    "AnalysisResult": ("result", "AnalysisResult"),
    "dump_json": ("result", "dump_json"),
    "load_json": ("result", "load_json"),
    "SongLensError": ("errors", "SongLensError"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{mod}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'songlens' has no attribute {name!r}")
