"""Spectral helpers: mel filterbank, STFT framing, onset envelope.

Conventions
-----------
Frequencies in Hz, frames centred (frame ``i`` is centred on sample
``i * hop_length``, i.e. at ``i * hop_length / sr`` seconds), power spectra.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["hz_to_mel", "mel_to_hz", "mel_filterbank", "onset_envelope", "frames_to_time"]


def hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    """Slaney-style mel scale (linear below 1 kHz, logarithmic above)."""
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(
        f >= min_log_hz,
        min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep,
        f / f_sp,
    )


def mel_to_hz(m: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`."""
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(*, sr: float, n_fft: int, n_mels: int, fmin: float = 0.0,
                   fmax: float | None = None) -> np.ndarray:
    """Triangular, area-normalised mel filterbank.

    Returns
    -------
    fb : np.ndarray [shape=(n_mels, n_fft // 2 + 1), dtype=float32]
    """
    fmax = sr / 2 if fmax is None else fmax
    if not 0 <= fmin < fmax <= sr / 2:
        raise ParameterError(f"need 0 <= fmin < fmax <= sr/2, got fmin={fmin}, fmax={fmax}")
    freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    mel_pts = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_pts)
    ramps = mel_pts[:, None] - freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    fb = np.maximum(0, np.minimum(lower, upper))
    fb *= (2.0 / (mel_pts[2:] - mel_pts[:-2]))[:, None]
    return fb.astype(np.float32)


def frames_to_time(frames: np.ndarray | int, *, sr: float, hop_length: int) -> np.ndarray:
    """Frame indices to seconds (centred frames)."""
    return np.asarray(frames, dtype=np.float64) * hop_length / sr


def onset_envelope(log_mel: np.ndarray, *, lag: int = 1) -> np.ndarray:
    """Spectral-flux onset strength from a log-power mel spectrogram.

    Parameters
    ----------
    log_mel : np.ndarray [shape=(n_frames, n_mels)]
        Log power (dB) mel spectrogram.
    lag : int >= 1
        Frame lag of the difference.

    Returns
    -------
    env : np.ndarray [shape=(n_frames,)]
        Mean positive change in dB per frame (0 for the first ``lag`` frames).
    """
    if log_mel.ndim != 2:
        raise ParameterError("log_mel must be 2-D (n_frames, n_mels)")
    n = log_mel.shape[0]
    env = np.zeros(n, dtype=np.float32)
    block = 1 << 16  # blocks of frames: no full-size temporaries on long tracks
    for s in range(lag, n, block):
        e = min(n, s + block)
        diff = log_mel[s:e] - log_mel[s - lag:e - lag]
        env[s:e] = np.maximum(diff, 0).mean(axis=1)
    return env
