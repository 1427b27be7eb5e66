"""Loudness against EBU Tech 3341/3342 test signals and a reference meter."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import PIECES, requires_fluidsynth
from songlens.analysis.loudness import integrated_loudness, loudness_curve, loudness_range
from songlens.dsp.filters import k_weighting_sos
from songlens.pipeline import analyze_signal
from songlens.testing.signals import concat, ebu3341_case, ebu3342_case, sine, stereo

LUFS_TOL = 0.1  # EBU Tech 3341: +/-0.1 LU
LRA_TOL = 1.0  # EBU Tech 3342: +/-1 LU


def test_k_weighting_matches_bs1770_coefficients_at_48k():
    sos = k_weighting_sos(sr=48000)
    np.testing.assert_allclose(sos[0, :3], [1.53512485958697, -2.69169618940638,
                                            1.19839281085285], atol=1e-8)
    np.testing.assert_allclose(sos[0, 4:], [-1.69065929318241, 0.73248077421585], atol=1e-8)
    np.testing.assert_allclose(sos[1, 4:], [-1.99004745483398, 0.99007225036621], atol=1e-8)


@pytest.mark.parametrize("case", [1, 2, 3, 4, 5])
def test_ebu3341_integrated_loudness(case):
    y, expected = ebu3341_case(case, sr=48000)
    r = analyze_signal(y, sr=48000)
    assert r.loudness.integrated_lufs == pytest.approx(expected, abs=LUFS_TOL)


@pytest.mark.parametrize("sr", [8000, 22050, 44100, 96000])
def test_loudness_independent_of_sample_rate(sr):
    y = stereo(sine(1000.0, 10.0, sr=sr, dbfs=-23.0))
    r = analyze_signal(y, sr=sr)
    assert r.loudness.integrated_lufs == pytest.approx(-23.0, abs=LUFS_TOL)


@pytest.mark.parametrize("case", [1, 2, 3, 4])
def test_ebu3342_loudness_range(case):
    y, expected = ebu3342_case(case, sr=48000)
    r = analyze_signal(y, sr=48000)
    assert r.loudness.range_lu == pytest.approx(expected, abs=LRA_TOL)


def test_true_peak_between_samples():
    # A sine at fs/4 with a 45 degree phase: samples peak at -3.01 dBFS, the
    # waveform at 0 dBFS. BS.1770-4 allows -0.4/+0.2 dB around the true value.
    sr = 48000
    y = stereo(sine(sr / 4, 2.0, sr=sr, dbfs=0.0, phase=np.pi / 4))
    r = analyze_signal(y, sr=sr)
    assert r.production.peak_dbfs == pytest.approx(-3.01, abs=0.05)
    assert -0.4 <= r.loudness.true_peak_dbtp <= 0.2


def test_true_peak_of_low_sine_equals_sample_peak():
    y = stereo(sine(997.0, 2.0, sr=48000, dbfs=-6.0))
    r = analyze_signal(y, sr=48000)
    assert r.loudness.true_peak_dbtp == pytest.approx(-6.0, abs=0.05)


def test_surround_weights_and_lfe_excluded():
    sr = 48000
    tone = sine(1000.0, 10.0, sr=sr, dbfs=-23.0)[0]
    z = np.zeros_like(tone)
    names = ("FL", "FR", "FC", "LFE", "BL", "BR")
    # L+R only -> -23 LUFS as in stereo
    r = analyze_signal(np.stack([tone, tone, z, z, z, z]), sr=sr, channel_names=names)
    assert r.loudness.integrated_lufs == pytest.approx(-23.0, abs=LUFS_TOL)
    # LFE carries the same tone: must not change the reading
    r = analyze_signal(np.stack([tone, tone, z, tone, z, z]), sr=sr, channel_names=names)
    assert r.loudness.integrated_lufs == pytest.approx(-23.0, abs=LUFS_TOL)
    # one surround channel alone: weight 1.41 = +1.49 dB over one front channel
    r = analyze_signal(np.stack([z, z, z, z, tone, z]), sr=sr, channel_names=names)
    assert r.loudness.integrated_lufs == pytest.approx(-23.0 - 3.01 + 1.49, abs=LUFS_TOL)


def test_mono_counts_once():
    y = sine(1000.0, 10.0, sr=48000, dbfs=-23.0)
    r = analyze_signal(y, sr=48000)
    assert r.loudness.integrated_lufs == pytest.approx(-26.01, abs=LUFS_TOL)


def test_short_term_curve_rate_and_levels():
    sr = 48000
    y = concat(stereo(sine(1000, 10, sr=sr, dbfs=-20)), stereo(sine(1000, 10, sr=sr, dbfs=-30)))
    r = analyze_signal(y, sr=sr)
    t = np.array([p[0] for p in r.loudness.curve])
    v = np.array([p[1] for p in r.loudness.curve], dtype=float)
    assert np.median(np.diff(t)) == pytest.approx(0.1, abs=1e-6)  # 10 points/s
    assert t[0] == pytest.approx(0.05, abs=1e-6)
    assert v[(t > 2) & (t < 8)] == pytest.approx(-20.0, abs=0.1)
    assert v[(t > 12) & (t < 18)] == pytest.approx(-30.0, abs=0.1)


def test_silence_has_no_loudness():
    r = analyze_signal(np.zeros((2, 48000 * 5)), sr=48000)
    assert r.loudness.integrated_lufs is None
    assert r.loudness.true_peak_dbtp is None
    assert all(v is None for _, v in r.loudness.curve)


def test_subblock_validation():
    from songlens.errors import ParameterError

    with pytest.raises(ParameterError):
        integrated_loudness(np.array([1.0, np.nan]), np.array([10, 10]))
    with pytest.raises(ParameterError):
        loudness_range(np.ones(3), np.ones(2, dtype=int))
    with pytest.raises(ParameterError):
        loudness_curve(-np.ones(3), np.ones(3, dtype=int), sr=10)


@requires_fluidsynth
@pytest.mark.parametrize("name", sorted(PIECES))
def test_music_loudness_matches_reference_meter(rendered, name):
    """Integrated loudness within 0.3 LU of pyloudnorm (an independent BS.1770 meter)."""
    pyln = pytest.importorskip("pyloudnorm")
    y, sr, _ = rendered(name)
    ref = pyln.Meter(sr).integrated_loudness(y.T.astype(np.float64))
    r = analyze_signal(y, sr=sr)
    assert r.loudness.integrated_lufs == pytest.approx(ref, abs=0.3)
    # and LRA is plausible for a piece with a pp..ff arc
    assert 8.0 < r.loudness.range_lu < 40.0


def test_true_peak_equals_full_oversampling(rng):
    """The local-maximum shortcut finds the peak of the fully oversampled signal."""
    from scipy.signal import butter, sosfiltfilt

    from songlens.dsp.filters import true_peak_filter

    sr = 44100
    sos = butter(8, 15000, fs=sr, output="sos")
    x = sosfiltfilt(sos, rng.standard_normal((2, 5 * sr)), axis=1)
    x *= np.linspace(0.1, 1.0, x.shape[1])  # a crescendo: the running peak keeps rising
    x = 0.5 * x / np.abs(x).max()
    phases = true_peak_filter(factor=4)
    full = max(np.abs(np.convolve(x[c], phases[p])).max() for c in range(2) for p in range(4))
    r = analyze_signal(x, sr=sr)
    assert r.loudness.true_peak_dbtp == pytest.approx(20 * np.log10(full), abs=0.01)
    assert r.loudness.true_peak_dbtp >= r.production.peak_dbfs


# DSP facets: analyses without a config run the fast profile (see conftest.fast_profile)
pytestmark = pytest.mark.usefixtures("fast_profile")
