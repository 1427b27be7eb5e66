"""Synthetic test signals with known measurements.

All functions return ``float64`` arrays shaped ``(channels, n)`` (full scale 1)
and take the sample rate explicitly.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sine", "stereo", "silence", "white_noise", "concat", "ebu3341_case",
           "ebu3342_case", "square"]


def sine(freq: float, dur: float, *, sr: int, dbfs: float = 0.0, phase: float = 0.0) -> np.ndarray:
    """Mono sine whose *peak* is at ``dbfs``; shape ``(1, n)``."""
    t = np.arange(int(round(dur * sr))) / sr
    return (10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t + phase))[np.newaxis, :]


def square(freq: float, dur: float, *, sr: int, gain: float = 1.0) -> np.ndarray:
    """Mono square wave of peak ``gain`` clipped to [-1, 1]; shape ``(1, n)``."""
    t = np.arange(int(round(dur * sr))) / sr
    return np.clip(gain * np.sign(np.sin(2 * np.pi * freq * t + 1e-3)), -1, 1)[np.newaxis, :]


def stereo(x: np.ndarray) -> np.ndarray:
    """Duplicate a mono ``(1, n)`` signal to two channels."""
    return np.repeat(np.atleast_2d(x), 2, axis=0)


def silence(dur: float, *, sr: int, channels: int = 1) -> np.ndarray:
    """Digital silence of ``dur`` seconds."""
    return np.zeros((channels, int(round(dur * sr))))


def white_noise(dur: float, *, sr: int, dbfs_rms: float, rng: np.random.Generator,
                channels: int = 1) -> np.ndarray:
    """Gaussian white noise at an RMS level of ``dbfs_rms``."""
    return rng.standard_normal((channels, int(round(dur * sr)))) * 10 ** (dbfs_rms / 20)


def concat(*parts: np.ndarray) -> np.ndarray:
    """Concatenate signals in time."""
    return np.concatenate(parts, axis=1)


def ebu3341_case(case: int, *, sr: int = 48000) -> tuple[np.ndarray, float]:
    """EBU Tech 3341 (2016) test signals 1-5: stereo 1 kHz sines.

    Returns
    -------
    y : np.ndarray [shape=(2, n)]
    expected_lufs : float
        The integrated loudness the meter must show (±0.1 LU).
    """
    def s(db: float, dur: float) -> np.ndarray:
        return stereo(sine(1000.0, dur, sr=sr, dbfs=db))

    if case == 1:
        return s(-23.0, 20.0), -23.0
    if case == 2:
        return s(-33.0, 20.0), -33.0
    if case == 3:
        return concat(s(-36.0, 10), s(-23.0, 60), s(-36.0, 10)), -23.0
    if case == 4:
        return concat(s(-72, 10), s(-36, 10), s(-23, 60), s(-36, 10), s(-72, 10)), -23.0
    if case == 5:
        return concat(s(-26, 20), s(-20, 20.1), s(-26, 20)), -23.0
    raise ValueError(f"EBU Tech 3341 case {case} is not synthetic here (1-5 only)")


def ebu3342_case(case: int, *, sr: int = 48000) -> tuple[np.ndarray, float]:
    """EBU Tech 3342 (2016) loudness-range test signals 1-4.

    Returns
    -------
    y : np.ndarray [shape=(2, n)]
    expected_lra : float
        The loudness range the meter must show (±1 LU).
    """
    def s(db: float, dur: float) -> np.ndarray:
        return stereo(sine(1000.0, dur, sr=sr, dbfs=db))

    if case == 1:
        return concat(s(-20, 20), s(-30, 20)), 10.0
    if case == 2:
        return concat(s(-20, 20), s(-15, 20)), 5.0
    if case == 3:
        return concat(s(-40, 20), s(-20, 20)), 20.0
    if case == 4:
        return concat(s(-50, 20), s(-35, 20), s(-20, 20), s(-35, 20), s(-50, 20)), 15.0
    raise ValueError(f"EBU Tech 3342 case {case} is not synthetic here (1-4 only)")
