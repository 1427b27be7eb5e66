"""Silences: where the music stops, long enough to be heard as a rest.

Conventions
-----------
* Input: mean-square level per 10 ms frame (over channels), at the file's rate.
* A frame is silent when it is digital silence or its level is below
  ``min(ceiling_dbfs, max(floor_dbfs, loud_level - relative_db))``, where the
  track's loud level is the 95th percentile of its frame levels (dBFS). So
  "far below the track's own level" adapts to quiet and loud masters alike,
  while nothing above ``ceiling_dbfs`` ever counts as silence.
* Isolated sounding stretches of a single 10 ms frame inside a silence (clicks) are
  ignored. Intervals of at least ``min_duration`` seconds are reported,
  including those at the very start and end. Times in seconds.
"""

from __future__ import annotations

import numpy as np

from ..config import SilenceConfig
from ..errors import ParameterError
from ..result.model import Silence

__all__ = ["silence_threshold_db", "find_silences"]

FRAME_RATE = 100.0
"""Frames per second of the level input."""

_CLICK_FRAMES = 2


def _levels_db(power: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(power)


def silence_threshold_db(power_10ms: np.ndarray, *, config: SilenceConfig) -> float:
    """Level (dBFS, RMS) below which a frame is silent for this track."""
    levels = _levels_db(power_10ms)
    finite = levels[np.isfinite(levels)]
    if finite.size == 0:
        return config.floor_dbfs
    loud = float(np.percentile(finite, 95))
    return float(min(config.ceiling_dbfs, max(config.floor_dbfs, loud - config.relative_db)))


def find_silences(power_10ms: np.ndarray, *, config: SilenceConfig | None = None,
                  frame_rate: float = FRAME_RATE) -> list[Silence]:
    """Find silent intervals.

    Parameters
    ----------
    power_10ms : np.ndarray [shape=(n,)]
        Mean square per frame (linear, full scale = 1).
    config : SilenceConfig
    frame_rate : float > 0
        Frames per second of ``power_10ms``.

    Returns
    -------
    silences : list of Silence
        Sorted, non-overlapping intervals (s).
    """
    config = config or SilenceConfig()
    p = np.asarray(power_10ms, dtype=np.float64)
    if p.ndim != 1:
        raise ParameterError("power_10ms must be 1-D")
    if np.any(~np.isfinite(p)) or np.any(p < 0):
        raise ParameterError("power_10ms must be finite and non-negative")
    if frame_rate <= 0:
        raise ParameterError("frame_rate must be positive")
    if p.size == 0:
        return []
    thr = silence_threshold_db(p, config=config)
    silent = (p == 0) | (_levels_db(p) < thr)
    # absorb short sounding blips inside silence
    sounding_runs = _runs(~silent)
    for a, b in sounding_runs:
        if b - a < _CLICK_FRAMES and a > 0 and b < p.size:
            silent[a:b] = True
    out = []
    min_frames = config.min_duration * frame_rate
    for a, b in _runs(silent):
        if b - a >= min_frames - 1e-9:
            out.append(Silence(start=a / frame_rate, end=min(b, p.size) / frame_rate))
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index runs where ``mask`` is True."""
    if mask.size == 0:
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.nonzero(d == 1)[0].tolist(), np.nonzero(d == -1)[0].tolist(), strict=False))
