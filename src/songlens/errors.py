"""The SongLens exception hierarchy.

Every error raised on purpose by SongLens derives from :class:`SongLensError`,
and every message says what went wrong and what to do about it, on one line.
"""

from __future__ import annotations

__all__ = [
    "SongLensError",
    "ParameterError",
    "AudioLoadError",
    "AudioTooShortError",
    "MissingDependencyError",
    "ModelLoadingError",
    "ResultFormatError",
]


class SongLensError(Exception):
    """Base class of all SongLens errors."""


class ParameterError(SongLensError, ValueError):
    """A parameter or configuration value is invalid."""


class AudioLoadError(SongLensError):
    """An input could not be read as audio (missing, not audio, corrupt, empty)."""


class AudioTooShortError(AudioLoadError):
    """The decoded audio is too short to analyse."""


class MissingDependencyError(SongLensError, ImportError):
    """An optional dependency is needed for this feature but is not installed."""


class ModelLoadingError(SongLensError):
    """A model's weights could not be found or verified."""


class ResultFormatError(SongLensError, ValueError):
    """A stored analysis JSON is not a valid SongLens result."""
