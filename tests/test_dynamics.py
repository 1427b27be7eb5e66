"""Build-ups and climax on designed intensity arcs."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import PIECES, requires_fluidsynth
from songlens.analysis.dynamics import onset_times
from songlens.pipeline import analyze_signal

CLIMAX_TOL = 3.0  # s, the tolerance
BUILDUP_TOL = 3.0  # s, start/end of a designed crescendo


def _enveloped_noise(env_db: np.ndarray, sr: int, rng) -> np.ndarray:
    """Pink-ish noise bursts (8 per second) following a gain envelope in dB."""
    n = env_db.size
    x = rng.standard_normal(n)
    x = np.convolve(x, np.ones(8) / 8, mode="same")
    bursts = (np.arange(n) % (sr // 8)) < (sr // 16)
    return (x * bursts * 10 ** (env_db / 20))[np.newaxis, :]


def test_linear_crescendo_is_a_buildup_and_peak_is_climax(rng):
    sr = 22050
    t = np.arange(60 * sr) / sr
    # flat -30 dB for 15 s, rise to -6 dB over 20 s (15..35), fall back over 15 s, flat
    env = np.interp(t, [0, 15, 35, 50, 60], [-30, -30, -6, -30, -30])
    r = analyze_signal(_enveloped_noise(env, sr, rng), sr=sr)
    assert r.climax is not None
    assert r.climax.time == pytest.approx(35.0, abs=CLIMAX_TOL)
    assert len(r.buildups) == 1
    b = r.buildups[0]
    assert b.start == pytest.approx(15.0, abs=BUILDUP_TOL)
    assert b.end == pytest.approx(35.0, abs=BUILDUP_TOL)
    assert b.rise_db == pytest.approx(24.0, abs=4.0)


def test_sudden_step_is_not_a_buildup(rng):
    sr = 22050
    t = np.arange(40 * sr) / sr
    env = np.where(t < 20, -30.0, -10.0)
    r = analyze_signal(_enveloped_noise(env, sr, rng), sr=sr)
    assert r.buildups == []


def test_flat_signal_has_no_climax(rng):
    sr = 22050
    env = np.full(30 * sr, -20.0)
    r = analyze_signal(_enveloped_noise(env, sr, rng), sr=sr)
    assert r.climax is None
    assert r.buildups == []


def test_denser_events_raise_intensity(rng):
    # same loudness envelope, but the second half has 4x as many events:
    # the climax must fall in the denser half
    sr = 22050
    n = 40 * sr
    x = np.zeros(n)
    for k, rate in ((0, 2), (1, 8)):
        period = sr // rate
        for start in range(k * n // 2, (k + 1) * n // 2, period):
            m = min(1000, n - start)
            seg = rng.standard_normal(m) * np.hanning(m)
            x[start:start + seg.size] += seg
    # normalise each half to the same RMS so loudness alone cannot decide
    half = n // 2
    x[:half] /= np.sqrt(np.mean(x[:half] ** 2))
    x[half:] /= np.sqrt(np.mean(x[half:] ** 2))
    r = analyze_signal(0.05 * x[np.newaxis, :], sr=sr)
    assert r.climax is not None and r.climax.time > 20.0


def test_onset_times_on_clicks():
    from songlens.dsp.spectral import onset_envelope

    env = np.zeros(500)
    env[[50, 150, 250, 350]] = 5.0
    env += 0.01
    got = onset_times(env, frame_rate=100.0)
    np.testing.assert_allclose(got, [0.5, 1.5, 2.5, 3.5])
    assert onset_times(np.zeros(100), frame_rate=100.0).size == 0
    assert onset_envelope(np.zeros((10, 4))).shape == (10,)


@requires_fluidsynth
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PIECES))
def test_rendered_piece_climax_and_buildup(rendered, name):
    y, sr, truth = rendered(name)
    r = analyze_signal(y, sr=sr)
    assert r.climax is not None
    assert r.climax.time == pytest.approx(truth.climax, abs=CLIMAX_TOL)
    (gs, ge), = truth.buildups
    assert r.buildups, "the designed crescendo was not found"
    best = max(r.buildups, key=lambda b: min(b.end, ge) - max(b.start, gs))
    assert best.start == pytest.approx(gs, abs=BUILDUP_TOL)
    assert best.end == pytest.approx(ge, abs=BUILDUP_TOL)
    assert best.rise_db > 6.0


# DSP facets: analyses without a config run the fast profile (see conftest.fast_profile)
pytestmark = pytest.mark.usefixtures("fast_profile")
