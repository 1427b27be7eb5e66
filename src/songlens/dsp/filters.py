"""Filters for loudness and true-peak measurement.

Conventions
-----------
Sample rates in Hz. Second-order sections in SciPy's ``sos`` layout.

References
----------
ITU-R BS.1770-4 (2015), "Algorithms to measure audio programme loudness and
true-peak audio level", Annex 1 (K-weighting) and Annex 2 (true peak).
B. De Man, "Evaluation of implementations of the EBU R128 loudness
measurement", AES 145th Convention (2018) - the analog prototype parameters
that reproduce the 48 kHz coefficients at any sample rate.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["k_weighting_sos", "true_peak_filter", "oversampling_factor"]

# Analog prototype of the two K-weighting stages (gives BS.1770's 48 kHz
# coefficients to within 1e-8 when discretised at 48 kHz).
_SHELF_GAIN_DB = 3.999843853973347
_SHELF_Q = 0.7071752369554196
_SHELF_FC = 1681.974450955533
_HP_Q = 0.5003270373238773
_HP_FC = 38.13547087602444


def k_weighting_sos(*, sr: float) -> np.ndarray:
    """K-weighting filter (pre-filter shelf + RLB high-pass) for sample rate ``sr``.

    Parameters
    ----------
    sr : number > 0
        Sample rate in Hz.

    Returns
    -------
    sos : np.ndarray [shape=(2, 6)]
    """
    if not sr > 0:
        raise ParameterError(f"sr must be positive, got {sr}")
    k = np.tan(np.pi * _SHELF_FC / sr)
    vh = 10.0 ** (_SHELF_GAIN_DB / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / _SHELF_Q + k * k
    shelf = [
        (vh + vb * k / _SHELF_Q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / _SHELF_Q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / _SHELF_Q + k * k) / a0,
    ]
    k = np.tan(np.pi * _HP_FC / sr)
    a0 = 1.0 + k / _HP_Q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / _HP_Q + k * k) / a0]
    return np.array([shelf, highpass], dtype=np.float64)


def oversampling_factor(*, sr: float) -> int:
    """True-peak oversampling factor so that the oversampled rate is >= 192 kHz."""
    if sr < 96000:
        return 4
    if sr < 192000:
        return 2
    return 1


def true_peak_filter(*, factor: int, taps_per_phase: int = 12) -> np.ndarray:
    """Polyphase interpolation filter for true-peak measurement.

    A Kaiser-windowed sinc low-pass at the original Nyquist frequency, as the
    48-tap, 4-phase example filter of BS.1770-4 Annex 2.

    Parameters
    ----------
    factor : int >= 1
        Oversampling factor.
    taps_per_phase : int >= 2
        Filter length per phase.

    Returns
    -------
    phases : np.ndarray [shape=(factor, taps_per_phase)]
        ``phases[p]`` interpolates the output at fractional position ``p/factor``.
    """
    from scipy.signal import firwin

    if factor < 1:
        raise ParameterError("factor must be >= 1")
    if factor == 1:
        out = np.zeros((1, taps_per_phase))
        out[0, taps_per_phase // 2] = 1.0
        return out
    n = factor * taps_per_phase
    h = firwin(n, cutoff=0.9 / factor, window=("kaiser", 6.0)) * factor
    # Polyphase split: phase p uses h[p::factor].
    return np.stack([h[p::factor] for p in range(factor)])
