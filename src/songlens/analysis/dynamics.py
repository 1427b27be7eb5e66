"""Intensity arc: build-ups and the climax.

Conventions
-----------
* Intensity (dB) combines loudness and event density, sampled every 100 ms::

      intensity(t) = L(t) + w * clip(log2(d(t) / median(d)), -2, 2)

  where ``L`` is the loudness (LUFS; the pipeline passes the momentary
  400 ms loudness so that silences do not bleed into it), ``d`` the
  onset rate (events/s in a 3 s window) and ``w`` = ``density_weight_db``
  (3 dB: doubling the number of events counts like a 3 dB rise). The curve is
  smoothed with a ``smooth_seconds`` moving average.
* A build-up is a stretch where the smoothed intensity climbs steadily (slope
  above 0.1 dB/s, dips shorter than 1 s tolerated) for at least
  ``min_buildup_seconds`` and the (smoothed) loudness rises by at least
  ``min_rise_db``; ``rise_db`` is that loudness rise from start to end. A
  sudden step (an entrance) is not a build-up: its rise lasts only as long as
  the smoothing window. Smoothing never crosses a silence. The edges are then
  refined on a lightly (1 s) smoothed curve: the start is the last point within
  0.5 dB of the floor before the rise, the end the first point within 0.5 dB
  of its top, which removes the lead/lag the 3 s smoothing adds.
* The climax is the maximum of the intensity smoothed over
  ``climax_window_seconds`` (the broad arc, not a momentary spike), reported
  when it stands at least 1 dB above the track's 20th-percentile intensity
  (``prominence_db``).

Times in seconds, levels in dB.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from ..config import DynamicsConfig
from ..errors import ParameterError
from ..result.model import Buildup, Climax

__all__ = ["onset_times", "intensity_curve", "find_buildups", "find_climax", "analyze_dynamics"]

RATE = 10.0
"""Samples per second of the loudness and intensity curves."""

_MIN_SLOPE_DB_S = 0.1
_EDGE_DB = 0.5
_MAX_DIP_S = 1.0
_MIN_PROMINENCE_DB = 1.0
_SILENT_LUFS = -70.0


def onset_times(onset_env: np.ndarray, *, frame_rate: float) -> np.ndarray:
    """Pick onsets from a spectral-flux envelope.

    A frame is an onset when it is the maximum within ±30 ms, exceeds the mean
    of the surrounding ±0.5 s by an adaptive margin, and lies at least 50 ms
    after the previous onset.

    Parameters
    ----------
    onset_env : np.ndarray [shape=(n_frames,)]
    frame_rate : float > 0
        Frames per second.

    Returns
    -------
    times : np.ndarray
        Onset times (s).
    """
    env = np.asarray(onset_env, dtype=np.float64)
    if env.ndim != 1:
        raise ParameterError("onset_env must be 1-D")
    if env.size < 3 or not np.any(env > 0):
        return np.zeros(0)
    w_max = max(1, int(round(0.03 * frame_rate)))
    w_avg = max(1, int(round(0.5 * frame_rate)))
    local_max = maximum_filter1d(env, size=2 * w_max + 1, mode="nearest")
    local_avg = uniform_filter1d(env, size=2 * w_avg + 1, mode="nearest")
    delta = 0.5 * np.median(env[env > 0]) + 1e-9
    cand = np.nonzero((env == local_max) & (env >= local_avg + delta))[0]
    keep: list[int] = []
    wait = 0.05 * frame_rate
    for i in cand:
        if not keep or i - keep[-1] >= wait:
            keep.append(int(i))
    return np.asarray(keep, dtype=np.float64) / frame_rate


def _sounding_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.nonzero(d == 1)[0].tolist(), np.nonzero(d == -1)[0].tolist(), strict=False))


def intensity_curve(loudness: np.ndarray, onsets: np.ndarray, *, config: DynamicsConfig,
                    sounding: np.ndarray | None = None) -> np.ndarray:
    """Smoothed intensity (dB) on the 10 Hz loudness grid.

    Parameters
    ----------
    loudness : np.ndarray [shape=(n,)]
        Short-term loudness every 100 ms (LUFS; -inf for silence).
    onsets : np.ndarray
        Onset times (s).
    config : DynamicsConfig
    sounding : np.ndarray of bool [shape=(n,)], optional
        Where the music sounds (not a silence). Smoothing never crosses a
        silence, so a rise out of silence is not mistaken for a build-up.
        Silent samples are ``-inf`` in the output.

    Returns
    -------
    intensity : np.ndarray [shape=(n,)]
    """
    lo = np.where(np.isfinite(loudness), loudness, _SILENT_LUFS)
    lo = np.maximum(lo, _SILENT_LUFS)
    n = lo.size
    if n == 0:
        return lo
    if sounding is None:
        sounding = lo > _SILENT_LUFS
    counts = np.bincount(np.clip((onsets * RATE).astype(int), 0, n - 1), minlength=n)
    dens = uniform_filter1d(counts.astype(np.float64), size=int(3 * RATE), mode="constant")
    dens *= RATE  # events per second
    ref = np.median(dens[sounding]) if np.any(sounding) else 0.0
    raw = lo.copy()
    if ref > 0:
        ratio = np.log2(np.maximum(dens, ref / 4) / ref)
        raw = raw + config.density_weight_db * np.clip(ratio, -2, 2)
    size = max(1, int(round(config.smooth_seconds * RATE)))
    out = np.full(n, -np.inf)
    for a, b in _sounding_runs(sounding):
        out[a:b] = uniform_filter1d(raw[a:b], size=min(size, b - a), mode="nearest")
    return out


def _refine(light: np.ndarray, a: int, e: int, reach: int) -> tuple[int, int]:
    """Move a build-up's edges to where the lightly smoothed curve starts and stops rising.

    Smoothing over ``reach`` samples makes a rise look as if it started up to
    ``reach`` samples early and ended late; on the light curve the start is the
    last point near its floor and the end the first point near its top.
    """
    lo_w = light[a:min(e, a + 2 * reach) + 1]
    floor = float(lo_w.min())
    near = np.nonzero(lo_w <= floor + _EDGE_DB)[0]
    a2 = a + int(near[-1]) if near.size else a
    hi_start = max(a2, e - 2 * reach)
    hi_w = light[hi_start:e + 1]
    top = float(hi_w.max())
    e2 = hi_start + int(np.argmax(hi_w >= top - _EDGE_DB))
    return (a2, e2) if e2 > a2 else (a, e)


def find_buildups(intensity: np.ndarray, loudness: np.ndarray, *,
                  config: DynamicsConfig, light: np.ndarray | None = None) -> list[Buildup]:
    """Gradual rises of intensity (see module conventions).

    ``intensity`` is ``-inf`` in silences; each sounding stretch is searched
    on its own. A build-up is a run where the intensity climbs at least
    0.1 dB/s (dips shorter than 1 s tolerated), lasting ``min_buildup_seconds``
    and raising the loudness by ``min_rise_db``.
    """
    lo = np.maximum(np.where(np.isfinite(loudness), loudness, _SILENT_LUFS), _SILENT_LUFS)
    size = max(1, int(round(config.smooth_seconds * RATE)))
    out: list[Buildup] = []
    for ra, rb in _sounding_runs(np.isfinite(intensity)):
        x = intensity[ra:rb]
        if x.size < 3:
            continue
        lo_s = uniform_filter1d(lo[ra:rb], size=min(size, rb - ra), mode="nearest")
        slope = uniform_filter1d(np.gradient(x) * RATE, size=int(RATE), mode="nearest")
        rising = slope > _MIN_SLOPE_DB_S
        # tolerate short dips inside a rise
        for a, b in _sounding_runs(~rising):
            if a > 0 and b < rising.size and (b - a) < _MAX_DIP_S * RATE:
                rising[a:b] = True
        for a, b in _sounding_runs(rising):
            e = b - 1
            if light is not None:
                a, e = _refine(light[ra:rb], a, e, reach=size // 2 + int(RATE) // 2)
            if (e - a) / RATE < config.min_buildup_seconds:
                continue
            loud_rise = float(lo_s[e] - lo_s[a])
            if loud_rise < config.min_rise_db:
                continue
            out.append(Buildup(start=(ra + a) / RATE, end=(ra + e) / RATE, rise_db=loud_rise,
                               intensity_rise_db=float(x[e] - x[a])))
    return out


def find_climax(intensity: np.ndarray, loudness: np.ndarray, *, times: np.ndarray,
                config: DynamicsConfig) -> Climax | None:
    """The peak of the broad intensity arc, or ``None`` if the arc is flat or silent."""
    sounding = np.isfinite(intensity)
    if not np.any(sounding):
        return None
    x = np.where(sounding, intensity, np.min(intensity[sounding]))
    size = max(1, int(round(config.climax_window_seconds * RATE)))
    arc = uniform_filter1d(x, size=size, mode="nearest")
    arc = np.where(sounding, arc, -np.inf)
    i = int(np.argmax(arc))
    prominence = float(arc[i] - np.percentile(arc[sounding], 20))
    if prominence < _MIN_PROMINENCE_DB:
        return None
    half = size // 2
    a, b = max(0, i - half), min(x.size, i + half + 1)
    j = a + int(np.argmax(np.where(sounding[a:b], x[a:b], -np.inf)))
    lv = loudness[j] if np.isfinite(loudness[j]) else None
    return Climax(time=float(times[j]), loudness_lufs=None if lv is None else float(lv),
                  prominence_db=prominence)


def analyze_dynamics(loudness: np.ndarray, times: np.ndarray, onset_env: np.ndarray, *,
                     frame_rate: float, silences: list[tuple[float, float]] | None = None,
                     config: DynamicsConfig | None = None) -> tuple[list[Buildup], Climax | None]:
    """Build-ups and climax from the short-term loudness curve and onset envelope.

    Parameters
    ----------
    loudness : np.ndarray [shape=(n,)]
        Short-term loudness every 100 ms (LUFS, -inf for digital silence).
    times : np.ndarray [shape=(n,)]
        Times of the loudness values (s).
    onset_env : np.ndarray [shape=(n_frames,)]
        Spectral-flux envelope on the STFT grid.
    frame_rate : float > 0
        STFT frames per second.
    silences : list of (start, end), optional
        Silent intervals (s); build-ups never start from a silence.
    config : DynamicsConfig

    Returns
    -------
    buildups : list of Buildup
    climax : Climax or None
    """
    config = config or DynamicsConfig()
    loudness = np.asarray(loudness, dtype=np.float64)
    if loudness.shape != np.shape(times):
        raise ParameterError("loudness and times must have the same shape")
    times = np.asarray(times, dtype=np.float64)
    sounding = np.isfinite(loudness) & (loudness > _SILENT_LUFS)
    for a, b in silences or []:
        sounding &= ~((times >= a) & (times < b))
    onsets = onset_times(onset_env, frame_rate=frame_rate)
    intensity = intensity_curve(loudness, onsets, config=config, sounding=sounding)
    light = intensity_curve(loudness, onsets, sounding=sounding,
                            config=dataclasses.replace(config, smooth_seconds=1.0))
    return (find_buildups(intensity, loudness, config=config, light=light),
            find_climax(intensity, loudness, times=times, config=config))
