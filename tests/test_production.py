"""Production figures on signals with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from songlens.pipeline import analyze_signal
from songlens.testing.signals import sine, square, stereo, white_noise


def test_sine_crest_plr_and_balance():
    sr = 44100
    r = analyze_signal(stereo(sine(1000.0, 10.0, sr=sr, dbfs=-20.0)), sr=sr)
    p = r.production
    assert p.peak_dbfs == pytest.approx(-20.0, abs=0.01)
    assert p.crest_factor_db == pytest.approx(3.01, abs=0.02)
    assert p.plr_db == pytest.approx(p.true_peak_dbtp - r.loudness.integrated_lufs, abs=1e-9)
    assert p.clipped_samples == 0
    assert p.stereo_correlation == pytest.approx(1.0, abs=1e-6)
    assert p.stereo_width == pytest.approx(0.0, abs=1e-6)
    assert p.spectral_balance["mid"] > 0.99
    assert sum(p.spectral_balance.values()) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("freq,band", [(80.0, "low"), (1000.0, "mid"), (8000.0, "high")])
def test_spectral_balance_bands(freq, band):
    sr = 44100
    r = analyze_signal(sine(freq, 5.0, sr=sr, dbfs=-10.0), sr=sr)
    assert r.production.spectral_balance[band] > 0.95


def test_clipped_square_wave():
    sr = 44100
    r = analyze_signal(stereo(square(100.0, 3.0, sr=sr, gain=2.0)), sr=sr)
    p = r.production
    assert p.clipped_samples > 0.9 * 2 * 3 * sr
    assert p.peak_dbfs == pytest.approx(0.0, abs=0.01)
    assert p.crest_factor_db == pytest.approx(0.0, abs=0.05)
    assert any("clipped" in w for w in r.warnings)


def test_dc_offset():
    sr = 22050
    y = sine(440.0, 4.0, sr=sr, dbfs=-20.0) + 0.1
    r = analyze_signal(y, sr=sr)
    assert r.production.dc_offset[0] == pytest.approx(0.1, abs=1e-3)
    assert any("DC offset" in w for w in r.warnings)


def test_stereo_image(rng):
    sr = 22050
    a = white_noise(5.0, sr=sr, dbfs_rms=-20.0, rng=rng)
    b = white_noise(5.0, sr=sr, dbfs_rms=-20.0, rng=rng)
    r = analyze_signal(np.concatenate([a, b]), sr=sr)  # unrelated channels
    assert r.production.stereo_correlation == pytest.approx(0.0, abs=0.02)
    assert r.production.stereo_width == pytest.approx(0.5, abs=0.02)
    r = analyze_signal(np.concatenate([a, -a]), sr=sr)  # out of phase
    assert r.production.stereo_correlation == pytest.approx(-1.0, abs=1e-6)
    assert r.production.stereo_width == pytest.approx(1.0, abs=1e-6)
    r = analyze_signal(a, sr=sr)  # mono
    assert r.production.stereo_correlation is None and r.production.stereo_width is None


def test_white_noise_is_bright(rng):
    sr = 44100
    r = analyze_signal(white_noise(5.0, sr=sr, dbfs_rms=-20, rng=rng, channels=2), sr=sr)
    # flat spectrum: the share of each band follows its bandwidth in the analysis signal
    bal = r.production.spectral_balance
    assert bal["high"] > bal["mid"] > bal["low"]
    assert r.climax is None


def test_delivery_targets():
    sr = 48000
    r = analyze_signal(stereo(sine(1000.0, 10.0, sr=sr, dbfs=-14.0)), sr=sr)
    t = r.production.targets
    assert t["streaming"]["offset_lu"] == pytest.approx(0.0, abs=0.1)
    assert t["streaming"]["loudness_ok"] is True
    assert t["broadcast_ebu_r128"]["gain_to_target_db"] == pytest.approx(-9.0, abs=0.1)
    assert t["broadcast_ebu_r128"]["loudness_ok"] is False
    assert t["streaming"]["true_peak_ok"] is True


# DSP facets: analyses without a config run the fast profile (see conftest.fast_profile)
pytestmark = pytest.mark.usefixtures("fast_profile")
