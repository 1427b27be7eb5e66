"""Programme loudness, loudness range, true peak and the short-term loudness curve.

Conventions
-----------
* Input: channel-weighted K-filtered mean square per 100 ms sub-block
  (``k_power``), with the number of samples in each (``k_count``), as the
  :mod:`songlens.features` extractor produces them.
* Loudness in LUFS (= LKFS), ranges in LU, peaks in dBTP.
* The curve is the short-term loudness (3 s window) every 100 ms, stamped at
  the window's *centre* so it lines up with musical events; near the edges the
  window is cut to the part inside the track. A window of pure digital silence
  has no loudness and is ``None``.

References
----------
ITU-R BS.1770-4 (2015): gating blocks of 400 ms with 75 % overlap, absolute
gate -70 LUFS, relative gate -10 LU.
EBU Tech 3341 (2016), loudness metering ("EBU mode"): short-term = 3 s window.
EBU Tech 3342 (2016), loudness range: short-term values, absolute gate -70 LUFS,
relative gate -20 LU, LRA = 95th - 10th percentile.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..result.model import Loudness

__all__ = ["integrated_loudness", "loudness_range", "loudness_curve", "measure_loudness"]

ABS_GATE_LUFS = -70.0
REL_GATE_LU = -10.0
LRA_REL_GATE_LU = -20.0
SUBBLOCKS_PER_S = 10


def _lufs(power: np.ndarray | float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return -0.691 + 10.0 * np.log10(np.asarray(power, dtype=np.float64))


def validate_subblocks(k_power: np.ndarray, k_count: np.ndarray) -> None:
    """Check the 100 ms sub-block arrays."""
    if k_power.ndim != 1 or k_count.shape != k_power.shape:
        raise ParameterError("k_power and k_count must be 1-D arrays of equal length")
    if np.any(~np.isfinite(k_power)) or np.any(k_power < 0):
        raise ParameterError("k_power must be finite and non-negative (mean squares)")


def _windows(k_power: np.ndarray, k_count: np.ndarray, width: int) -> np.ndarray:
    """Mean power of complete windows of ``width`` sub-blocks, hop one sub-block."""
    full = k_count == (k_count.max() if k_count.size else 0)
    # a partial sub-block may only be the last one; exclude windows containing it
    n_full = k_power.size if full.all() else k_power.size - 1
    if n_full < width:
        return np.zeros(0)
    e = np.concatenate([[0.0], np.cumsum(k_power[:n_full] * k_count[:n_full])])
    c = np.concatenate([[0], np.cumsum(k_count[:n_full])])
    return (e[width:] - e[:-width]) / (c[width:] - c[:-width])


def integrated_loudness(k_power: np.ndarray, k_count: np.ndarray) -> float | None:
    """Gated programme loudness (BS.1770-4).

    Returns
    -------
    lufs : float or None
        ``None`` when no 400 ms block passes the absolute gate (silence or a
        clip shorter than 0.4 s).
    """
    validate_subblocks(k_power, k_count)
    blocks = _windows(k_power, k_count, 4)
    blocks = blocks[_lufs(blocks) > ABS_GATE_LUFS] if blocks.size else blocks
    if blocks.size == 0:
        return None
    rel = _lufs(blocks.mean()) + REL_GATE_LU
    gated = blocks[_lufs(blocks) > rel]
    return float(_lufs(gated.mean()))


def loudness_range(k_power: np.ndarray, k_count: np.ndarray) -> float | None:
    """Loudness range LRA in LU (EBU Tech 3342); ``None`` if under 3 s of sound."""
    validate_subblocks(k_power, k_count)
    st = _windows(k_power, k_count, 30)
    if st.size == 0:
        return None
    st = st[_lufs(st) > ABS_GATE_LUFS]
    if st.size == 0:
        return None
    rel = _lufs(st.mean()) + LRA_REL_GATE_LU
    levels = _lufs(st[_lufs(st) > rel])
    lo, hi = np.percentile(levels, [10, 95])
    return float(hi - lo)


def loudness_curve(k_power: np.ndarray, k_count: np.ndarray, *, sr: int,
                   window_s: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """Sliding loudness every 100 ms, centred, windows cut to the track at the edges.

    Parameters
    ----------
    k_power, k_count : np.ndarray [shape=(n_sub,)]
        K-weighted mean square and sample count per 100 ms sub-block.
    sr : int > 0
        Native sample rate (Hz).
    window_s : float
        Window length (s): 3.0 is EBU short-term loudness, 0.4 momentary.

    Returns
    -------
    times : np.ndarray [shape=(n_sub,)]
        Centre of each 100 ms sub-block (s).
    lufs : np.ndarray [shape=(n_sub,)]
        Loudness (LUFS); ``-inf`` where the window is digital silence.
    """
    validate_subblocks(k_power, k_count)
    n = k_power.size
    if n == 0:
        return np.zeros(0), np.zeros(0)
    half = max(1, int(round(window_s * SUBBLOCKS_PER_S / 2)))
    e = np.concatenate([[0.0], np.cumsum(k_power * k_count)])
    c = np.concatenate([[0], np.cumsum(k_count)])
    idx = np.arange(n)
    lo = np.clip(idx - half, 0, n)
    hi = np.maximum(np.clip(idx + half, 0, n), idx + 1)
    power = (e[hi] - e[lo]) / np.maximum(c[hi] - c[lo], 1)
    starts = c[:-1]
    times = (starts + k_count / 2.0) / sr
    return times, _lufs(power)


def true_peak_dbtp(true_peak: np.ndarray) -> float | None:
    """Largest channel true peak in dBTP; ``None`` for digital silence."""
    tp = float(np.max(true_peak)) if np.size(true_peak) else 0.0
    return float(20.0 * np.log10(tp)) if tp > 0 else None


def measure_loudness(k_power: np.ndarray, k_count: np.ndarray, *, sr: int,
                     true_peak: np.ndarray) -> Loudness:
    """Loudness facet: integrated, range, true peak and the short-term curve.

    Parameters
    ----------
    k_power : np.ndarray [shape=(n_sub,)]
        Channel-weighted K-filtered mean square per 100 ms sub-block.
    k_count : np.ndarray [shape=(n_sub,)]
        Samples per sub-block.
    sr : int > 0
        Native sample rate (Hz), to place the sub-blocks in time.
    true_peak : np.ndarray [shape=(channels,)]
        Oversampled absolute peak per channel (linear).

    Returns
    -------
    Loudness
    """
    validate_subblocks(k_power, k_count)
    if sr <= 0:
        raise ParameterError("sr must be positive")
    times, lufs = loudness_curve(k_power, k_count, sr=sr, window_s=3.0)
    curve = [(float(t), float(v) if np.isfinite(v) else None)
             for t, v in zip(times, lufs, strict=True)]
    return Loudness(
        integrated_lufs=integrated_loudness(k_power, k_count),
        range_lu=loudness_range(k_power, k_count),
        true_peak_dbtp=true_peak_dbtp(true_peak),
        curve=curve,
    )
