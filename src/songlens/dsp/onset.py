"""Onset strength for rhythm analysis: multi-band log-spectral flux.

Conventions
-----------
* Input is the shared log-power mel spectrogram (dB), frames on a centred STFT
  grid; output envelopes are on the same grid (frame ``i`` at
  ``i * hop_length / sr`` seconds), in dB of positive change per frame.
* The flux is the *SuperFlux* variant (Böck & Widmer 2013): the reference
  frame is ``lag`` frames back and maximum-filtered across neighbouring mel
  bands, so vibrato and slow glides do not register as onsets, while a new
  note or a drum hit does. The spectrogram is floored ``top_db`` below its
  loudest value (as librosa's ``power_to_db`` does), so the flux is
  level-invariant: a quiet intro yields onsets as clear as a loud chorus.
* Bands (Hz, on mel-band centres): low < 150 (kick, bass), 150-2000 (chords,
  melody), > 2000 (hi-hats, attacks). Each band's envelope is the mean
  positive change over its mel bands.

References
----------
.. [1] S. Böck and G. Widmer, "Maximum filter vibrato suppression for onset
       detection", DAFx 2013.
.. [2] A. Klapuri, A. Eronen and J. Astola, "Analysis of the meter of acoustic
       musical signals", IEEE TASLP 14(1), 2006 (band-wise accent signals).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d

from ..errors import ParameterError
from .spectral import hz_to_mel, mel_to_hz

__all__ = ["BAND_EDGES_HZ", "mel_band_centres", "band_flux", "onset_strength"]

BAND_EDGES_HZ = (150.0, 2000.0)
"""Edges between the low, mid and high flux bands (Hz)."""


def mel_band_centres(*, n_mels: int, fmin: float = 20.0, fmax: float = 11025.0) -> np.ndarray:
    """Centre frequencies (Hz) of the shared mel filterbank's bands, shape ``(n_mels,)``."""
    pts = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    return np.asarray(pts[1:-1])


def band_flux(log_mel: np.ndarray, *, lag: int = 1, max_size: int = 3, top_db: float = 80.0,
              fmin: float = 20.0, fmax: float = 11025.0,
              band_edges_hz: tuple[float, ...] = BAND_EDGES_HZ,
              direction: str = "increase") -> np.ndarray:
    """Band-wise SuperFlux envelopes.

    Parameters
    ----------
    log_mel : np.ndarray [shape=(n_frames, n_mels)]
        Log-power mel spectrogram (dB).
    lag : int >= 1
        Frames between the compared spectra.
    max_size : int >= 1
        Width (mel bands) of the maximum filter on the reference frame.
    top_db : float > 0
        Floor of the spectrogram below its maximum (dB).
    fmin, fmax : float
        Range of the mel filterbank that produced ``log_mel`` (Hz).
    band_edges_hz : tuple of float
        Band edges (Hz); ``len(band_edges_hz) + 1`` bands.
    direction : {"increase", "decrease"}
        ``"increase"``: energy that appears (attacks; the SuperFlux).
        ``"decrease"``: energy that disappears, the mirror image: the
        reference is the earlier frame, the maximum filter is applied to the
        later one, so a partial counts as gone only when no neighbouring band
        holds it. In legato playing (bowed strings, voices, organ) the old
        notes stop at the note change while the new ones swell slowly, so
        this marks the change where the increase comes late.

    Raises
    ------
    ParameterError
        If ``log_mel`` is not 2-D or a parameter is out of range.
    """
    x = np.asarray(log_mel, dtype=np.float32)
    if x.ndim != 2:
        raise ParameterError(f"log_mel must be 2-D (n_frames, n_mels), got shape {x.shape}")
    if lag < 1 or max_size < 1 or top_db <= 0:
        raise ParameterError("need lag >= 1, max_size >= 1 and top_db > 0")
    if direction not in ("increase", "decrease"):
        raise ParameterError(f"direction must be 'increase' or 'decrease', got {direction!r}")
    n, m = x.shape
    centres = mel_band_centres(n_mels=m, fmin=fmin, fmax=fmax)
    idx = np.searchsorted(centres, band_edges_hz)
    bounds = np.concatenate([[0], idx, [m]])
    out = np.zeros((n, len(bounds) - 1), dtype=np.float32)
    if n <= lag or m == 0:
        return out
    top = float(np.max(x, initial=-np.inf, where=np.isfinite(x)))
    if not np.isfinite(top):
        top = 0.0
    # in blocks of frames, so long tracks need no full-size temporaries
    block = 1 << 16
    for s in range(0, n, block):
        e = min(n, s + block)
        a = max(0, s - lag)
        xc = x[a:e]
        xc = np.where(np.isfinite(xc), np.maximum(xc, top - top_db), top - top_db)
        ref = maximum_filter1d(xc, size=max_size, axis=1) if max_size > 1 else xc
        if direction == "increase":
            diff = np.maximum(xc[lag:] - ref[:-lag], 0.0)
        else:
            diff = np.maximum(xc[:-lag] - ref[lag:], 0.0)
        first = a + lag
        for b in range(len(bounds) - 1):
            lo, hi = bounds[b], bounds[b + 1]
            if hi > lo:
                out[first:e, b] = diff[:, lo:hi].mean(axis=1)
    return out


def onset_strength(flux: np.ndarray, *, frame_rate: float, detrend_s: float = 1.0,
                   weights: tuple[float, ...] | None = None) -> np.ndarray:
    """Combine band fluxes into one onset-strength envelope for tempo and beats.

    Each band is divided by its own median absolute level (so a quiet band of
    sparse bass notes counts as much as busy hi-hats), the bands are summed
    with ``weights``, a moving average over ``detrend_s`` is subtracted and the
    result is half-wave rectified: what remains are the frames that stand out
    from their local context. Values above the 99th percentile of the positive
    frames are clipped to it (an entry out of digital silence would otherwise
    dwarf every other onset).

    Parameters
    ----------
    flux : np.ndarray [shape=(n_frames, n_bands)]
        From :func:`band_flux`.
    frame_rate : float > 0
        Frames per second.
    detrend_s : float > 0
        Length of the moving average removed (s).
    weights : tuple of float, optional
        Per-band weights (default: 1 each).

    Returns
    -------
    env : np.ndarray [shape=(n_frames,), dtype=float64]
    """
    from scipy.ndimage import uniform_filter1d

    f = np.asarray(flux, dtype=np.float64)
    if f.ndim != 2:
        raise ParameterError("flux must be 2-D (n_frames, n_bands)")
    if frame_rate <= 0 or detrend_s <= 0:
        raise ParameterError("frame_rate and detrend_s must be > 0")
    if f.shape[0] == 0:
        return np.zeros(0)
    w = np.ones(f.shape[1]) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (f.shape[1],):
        raise ParameterError(f"weights must have one value per band ({f.shape[1]})")
    scale = np.array([np.mean(c[c > 0]) if np.any(c > 0) else 1.0 for c in f.T])
    env = (f / scale) @ w / max(w.sum(), 1e-12)
    size = max(3, int(round(detrend_s * frame_rate)) | 1)
    env = np.maximum(env - uniform_filter1d(env, size=size, mode="nearest"), 0.0)
    # an entry out of digital silence jumps by the whole floor (tens of dB in
    # every band); cap such outliers so one event cannot dominate the envelope
    pos = env[env > 0]
    if pos.size:
        env = np.minimum(env, np.percentile(pos, 99.0))
    return env

