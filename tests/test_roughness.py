"""Sensory roughness on tones with known consonance (Plomp & Levelt 1965)."""

from __future__ import annotations

import numpy as np
import pytest

from songlens.dsp.roughness import sensory_roughness
from songlens.errors import ParameterError

SR = 22050


def _tone(f0: float, *, seconds: float = 2.0, n_harm: int = 6, amp: float = 0.2) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return sum(amp * 0.8 ** (h - 1) * np.sin(2 * np.pi * h * f0 * t) for h in range(1, n_harm + 1))


def _median(y: np.ndarray) -> float:
    _, r = sensory_roughness(y, sr=SR)
    return float(np.nanmedian(r))


def test_single_sine_is_smooth() -> None:
    t = np.arange(2 * SR) / SR
    assert _median(0.3 * np.sin(2 * np.pi * 220 * t)) < 1e-3


def test_dyads_follow_the_consonance_ranking() -> None:
    # harmonic dyads on C4: the order of Plomp & Levelt's (1965) complex-tone
    # curve (and Helmholtz's), octave smoothest, minor second roughest
    a = 262.0
    r = {n: _median(_tone(a) + _tone(a * 2 ** (k / 12)))
         for n, k in [("m2", 1), ("M2", 2), ("m3", 3), ("M3", 4), ("P4", 5), ("TT", 6),
                      ("P5", 7), ("P8", 12)]}
    assert r["m2"] > r["M2"] > r["m3"] > r["M3"] > r["P4"] > r["P5"] > r["P8"]
    assert r["TT"] > r["P4"]
    assert r["m2"] > 4 * r["P5"]
    assert r["P8"] < 0.01


def test_level_independent_and_quiet_frames_nan() -> None:
    y = _tone(110.0) + _tone(110.0 * 2 ** (1 / 12))
    assert _median(0.05 * y) == pytest.approx(_median(y), rel=1e-6)
    quiet = np.concatenate([y, 1e-4 * y])  # second half 80 dB down
    times, r = sensory_roughness(quiet, sr=SR)
    assert np.all(np.isnan(r[times > 2.3]))
    assert np.all(np.isfinite(r[times < 1.7]))


def test_validation() -> None:
    with pytest.raises(ParameterError):
        sensory_roughness(np.zeros((2, 100)), sr=SR)
    with pytest.raises(ParameterError):
        sensory_roughness(np.full(8192, np.nan), sr=SR)
    t, r = sensory_roughness(np.zeros(100), sr=SR)
    assert t.size == r.size == 0
