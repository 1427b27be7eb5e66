"""Sensory roughness (sensory dissonance) of a signal, frame by frame.

Conventions
-----------
* Frames of ``n_fft`` samples (Hann window) every ``hop_length`` samples;
  frame ``i`` is centred at ``(i * hop_length + n_fft / 2) / sr`` seconds.
* Per frame, the ``n_peaks`` strongest local maxima of the magnitude spectrum
  between ``fmin`` and ``fmax`` that lie within ``range_db`` of the frame's
  strongest peak are the partials.
* Roughness of two partials ``(f1, a1)``, ``(f2, a2)`` with ``f1 <= f2`` is
  ``a1 * a2 * (exp(-b1 * s * df) - exp(-b2 * s * df))`` with ``df = f2 - f1``,
  ``s = 0.24 / (0.0207 * f1 + 18.96)``, ``b1 = 3.51``, ``b2 = 5.75``: Sethares'
  (1993) fit of the Plomp & Levelt (1965) dissonance curve, whose maximum lies
  at about a quarter of the critical bandwidth. A frame's roughness is the sum
  over all pairs divided by the sum of the squared amplitudes, so it does not
  depend on the level: 0 for a single partial, larger when many strong
  partials fall within a critical band of each other (a minor-second cluster
  in the bass, a tritone, distortion), small for harmonic tones in consonant
  intervals.
* The value is dimensionless; typical music lies between about 0.01 (a soft
  triad on a mellow instrument) and 0.2 (dense low clusters, distorted
  guitars). Noise-like frames (cymbals) also read rough: the measure is
  sensory, not tonal.
* Partials closer than the window's main lobe (4 bins of ``sr / n_fft``,
  about 21 Hz with the defaults) merge into one peak: below about 150 Hz a
  semitone is not resolved and the roughness of low clusters comes from
  their upper partials.
* Frames whose level is more than ``silence_db`` below the 95th percentile of
  frame levels get NaN.

References
----------
.. [1] Plomp, R. and Levelt, W. J. M. (1965). Tonal consonance and critical
   bandwidth. J. Acoust. Soc. Am. 38, 548-560.
.. [2] Sethares, W. A. (1993). Local consonance and the relationship between
   timbre and scale. J. Acoust. Soc. Am. 94(3), 1218-1228.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["sensory_roughness"]

_B1, _B2 = 3.51, 5.75
_S1, _S2 = 0.0207, 18.96
_BLOCK = 256  # frames per FFT batch: bounded memory on long signals


def sensory_roughness(y: np.ndarray, *, sr: int, n_fft: int = 4096, hop_length: int = 2205,
                      fmin: float = 40.0, fmax: float = 5000.0, n_peaks: int = 24,
                      range_db: float = 30.0, silence_db: float = 40.0,
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Roughness per frame (see module conventions).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono signal.
    sr : int
        Sample rate (Hz). ``n_fft`` should give bins narrower than the
        smallest interval of interest: 4096 at 22050 Hz gives 5.4 Hz, a
        semitone at about 90 Hz.
    n_fft, hop_length : int
        Frame and hop (samples).
    fmin, fmax : float
        Frequency range of the partials (Hz).
    n_peaks : int >= 2
        Partials kept per frame.
    range_db : float > 0
        Partials weaker than the frame's strongest by more than this are dropped.
    silence_db : float > 0
        Frames this far below the 95th percentile of frame levels are NaN.

    Returns
    -------
    times : np.ndarray [shape=(n_frames,)]
        Frame centres (s).
    roughness : np.ndarray [shape=(n_frames,)]
        Dimensionless, >= 0; NaN for quiet frames.
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ParameterError(f"y must be mono (1-D), got shape {y.shape}")
    if sr <= 0 or n_fft < 16 or hop_length < 1 or n_peaks < 2:
        raise ParameterError("need sr > 0, n_fft >= 16, hop_length >= 1, n_peaks >= 2")
    if not 0 < fmin < fmax:
        raise ParameterError("need 0 < fmin < fmax")
    if y.size < n_fft:
        return np.zeros(0), np.zeros(0)
    if not np.all(np.isfinite(y)):
        raise ParameterError("y contains NaN or infinite samples")
    n_frames = 1 + (y.size - n_fft) // hop_length
    times = (np.arange(n_frames) * hop_length + n_fft / 2) / sr
    window = np.hanning(n_fft)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    band = np.flatnonzero((freqs >= fmin) & (freqs <= fmax))
    lo, hi = int(band[0]), int(band[-1]) + 1
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop_length][:n_frames]
    rough = np.full(n_frames, np.nan)
    level = np.full(n_frames, -np.inf)
    k = min(n_peaks, hi - lo - 2)
    iu = np.triu_indices(k, 1)
    for i in range(0, n_frames, _BLOCK):
        mag = np.abs(np.fft.rfft(frames[i:i + _BLOCK] * window, axis=1))[:, lo - 1:hi + 1]
        inner = mag[:, 1:-1]
        is_peak = (inner > mag[:, :-2]) & (inner >= mag[:, 2:])
        amp = np.where(is_peak, inner, 0.0)
        top = np.argpartition(-amp, k - 1, axis=1)[:, :k]
        a = np.take_along_axis(amp, top, axis=1)
        f = freqs[lo + top]
        strongest = a.max(axis=1, keepdims=True)
        a = np.where(a >= strongest * 10 ** (-range_db / 20), a, 0.0)
        energy = np.sum(a * a, axis=1)
        level[i:i + a.shape[0]] = 10 * np.log10(np.maximum(energy, 1e-30))
        f1, f2 = f[:, iu[0]], f[:, iu[1]]
        fmn, df = np.minimum(f1, f2), np.abs(f1 - f2)
        s = 0.24 / (_S1 * fmn + _S2)
        d = a[:, iu[0]] * a[:, iu[1]] * (np.exp(-_B1 * s * df) - np.exp(-_B2 * s * df))
        with np.errstate(invalid="ignore", divide="ignore"):
            rough[i:i + a.shape[0]] = np.where(energy > 0, d.sum(axis=1) / energy, np.nan)
    finite = level[np.isfinite(level)]
    if finite.size:
        rough[level < np.percentile(finite, 95) - silence_db] = np.nan
    else:
        rough[:] = np.nan
    return times, rough
