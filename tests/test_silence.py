"""Silences: synthetic signals with exact gaps, and rendered pieces (±0.1 s)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import PIECES, requires_fluidsynth
from songlens.analysis.silence import find_silences
from songlens.config import SilenceConfig
from songlens.errors import ParameterError
from songlens.pipeline import analyze_signal
from songlens.testing.signals import concat, silence, sine, stereo, white_noise

TOL = 0.1  # s, the tolerance


def _tone(d, sr, db=-12.0):
    return stereo(sine(440.0, d, sr=sr, dbfs=db))


def test_gaps_between_tones_found_within_tolerance():
    sr = 44100
    y = concat(silence(1.5, sr=sr, channels=2), _tone(5, sr), silence(2.0, sr=sr, channels=2),
               _tone(4, sr), silence(0.5, sr=sr, channels=2), _tone(3, sr),
               silence(1.2, sr=sr, channels=2))
    r = analyze_signal(y, sr=sr)
    got = [(s.start, s.end) for s in r.silences]
    want = [(0.0, 1.5), (6.5, 8.5), (16.0, 17.2)]  # the 0.5 s gap is too short
    assert len(got) == len(want)
    for (a, b), (c, d) in zip(got, want, strict=False):
        assert a == pytest.approx(c, abs=TOL)
        assert b == pytest.approx(d, abs=TOL)


def test_near_silence_far_below_track_level(rng):
    # a noise floor at -75 dBFS is "effectively silent" next to music at -12 dBFS
    sr = 48000
    floor = white_noise(20.0, sr=sr, dbfs_rms=-75.0, rng=rng, channels=2)
    music = concat(_tone(6, sr), np.zeros((2, int(3 * sr))), _tone(11, sr))
    r = analyze_signal(music + floor, sr=sr)
    got = [(s.start, s.end) for s in r.silences]
    assert len(got) == 1
    assert got[0][0] == pytest.approx(6.0, abs=TOL)
    assert got[0][1] == pytest.approx(9.0, abs=TOL)


def test_quiet_passage_is_not_silence(rng):
    # pianissimo at -40 dBFS after a forte at -10 dBFS is music, not silence
    sr = 22050
    y = concat(_tone(5, sr, db=-10.0), _tone(5, sr, db=-40.0), _tone(5, sr, db=-10.0))
    r = analyze_signal(y, sr=sr)
    assert r.silences == []


def test_whole_track_silent():
    r = analyze_signal(np.zeros((1, 22050 * 12)), sr=22050)
    assert [(s.start, s.end) for s in r.silences] == [(0.0, pytest.approx(12.0, abs=0.01))]


def test_click_inside_silence_does_not_split_it():
    sr = 44100
    gap = np.zeros((1, 3 * sr))
    gap[0, int(1.5 * sr)] = 0.5  # a single-sample click
    y = concat(sine(300, 3, sr=sr, dbfs=-6), gap, sine(300, 3, sr=sr, dbfs=-6))
    r = analyze_signal(y, sr=sr)
    assert len(r.silences) == 1
    assert r.silences[0].start == pytest.approx(3.0, abs=TOL)
    assert r.silences[0].end == pytest.approx(6.0, abs=TOL)


def test_min_duration_setting():
    sr = 22050
    y = concat(sine(300, 2, sr=sr), silence(0.6, sr=sr), sine(300, 2, sr=sr))
    r = analyze_signal(y, sr=sr, config={"silence": {"min_duration": 0.5}})
    assert len(r.silences) == 1
    r = analyze_signal(y, sr=sr)
    assert r.silences == []


def test_validation():
    with pytest.raises(ParameterError):
        find_silences(np.array([0.1, np.nan]))
    with pytest.raises(ParameterError):
        find_silences(np.ones((2, 2)))
    with pytest.raises(ParameterError):
        SilenceConfig(min_duration=-1)
    assert find_silences(np.zeros(0)) == []


@requires_fluidsynth
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PIECES))
def test_rendered_piece_silences(rendered, name):
    y, sr, truth = rendered(name)
    r = analyze_signal(y, sr=sr)
    want = [(a, b) for a, b in truth.silences if b - a >= 1.0]
    got = [(s.start, s.end) for s in r.silences]
    assert len(got) == len(want), (got, want)
    for (a, b), (c, d) in zip(got, want, strict=False):
        assert a == pytest.approx(c, abs=TOL)
        assert b == pytest.approx(d, abs=TOL)


# DSP facets: analyses without a config run the fast profile (see conftest.fast_profile)
pytestmark = pytest.mark.usefixtures("fast_profile")
