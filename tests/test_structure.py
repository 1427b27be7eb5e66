"""Sections: boundaries within 3 s (mir_eval detection) and shared labels for repeats."""

from __future__ import annotations

import numpy as np
import pytest

from songlens.analysis.structure import analyze_sections, mfcc_from_log_mel
from songlens.errors import ParameterError
from songlens.pipeline import analyze_signal

SR = 22050


def _chord_tone(midis, dur, *, bright: float, rng) -> np.ndarray:
    t = np.arange(int(dur * SR)) / SR
    y = np.zeros_like(t)
    for m in midis:
        f0 = 440.0 * 2 ** ((m - 69) / 12)
        for h in range(1, 8):
            if f0 * h < SR / 2:
                y += (bright ** (h - 1)) * np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 6.28))
    env = np.minimum(1.0, np.minimum(t / 0.02, (dur - t) / 0.05))
    return y * env


SECTION_TYPES = {
    # (chord pattern as MIDI triads, brightness, level)
    "A": ([[57, 60, 64], [53, 57, 60]], 0.3, 0.15),
    "B": ([[60, 64, 67], [55, 59, 62], [57, 60, 64], [53, 57, 60]], 0.7, 0.35),
    "C": ([[50, 53, 57], [52, 55, 59]], 0.5, 0.2),
}


def _song(pattern: str, rng, section_s: float = 8.0) -> tuple[np.ndarray, list[float]]:
    parts, bounds, t = [], [0.0], 0.0
    for sym in pattern:
        chords, bright, level = SECTION_TYPES[sym]
        n = int(section_s)  # one chord per second
        for k in range(n):
            parts.append(level * _chord_tone(chords[k % len(chords)], 1.0, bright=bright, rng=rng))
        t += section_s
        bounds.append(t)
    return np.concatenate(parts)[np.newaxis, :] / 4, bounds


def test_repeated_sections_found_and_labelled(rng):
    mir_eval = pytest.importorskip("mir_eval")
    pattern = "ABABCB"
    y, bounds = _song(pattern, rng)
    r = analyze_signal(y, sr=SR)
    est = np.array([(s.start, s.end) for s in r.sections])
    ref = np.array(list(zip(bounds[:-1], bounds[1:], strict=True)))
    f = mir_eval.segment.detection(ref, est, window=3.0, trim=False)[2]
    assert f >= 0.8, [(s.start, s.end, s.label) for s in r.sections]
    # labels: sections of the same type share a label, different types differ

    def label_at(t):
        return next(s.label for s in r.sections if s.start <= t < s.end)

    mids = [b + 4.0 for b in bounds[:-1]]
    got = [label_at(t) for t in mids]
    for i in range(len(pattern)):
        for j in range(len(pattern)):
            assert (got[i] == got[j]) == (pattern[i] == pattern[j]), (got, pattern)


def test_loud_repeated_group_is_the_chorus(rng):
    y, bounds = _song("ABABCB", rng)
    r = analyze_signal(y, sr=SR)
    labels = {s.label for s in r.sections}
    assert "chorus" in labels
    chorus = [s for s in r.sections if s.label == "chorus"]
    assert all(any(abs(s.start - b) < 3.0 for b in (8.0, 24.0, 40.0)) for s in chorus)


def test_uniform_signal_is_one_section(rng):
    y = np.concatenate([_chord_tone([60, 64, 67], 1.0, bright=0.5, rng=rng) for _ in range(30)])
    r = analyze_signal(0.2 * y[np.newaxis, :], sr=SR)
    assert len(r.sections) <= 2


def test_validation():
    with pytest.raises(ParameterError):
        analyze_sections([], frame_rate=10.0, span=(0, 1))
    with pytest.raises(ParameterError):
        analyze_sections([np.zeros((10, 3)), np.zeros((9, 3))], frame_rate=10.0, span=(0, 1))
    assert mfcc_from_log_mel(np.zeros((5, 80))).shape == (5, 19)


# DSP facets: analyses without a config run the fast profile (see conftest.fast_profile)
pytestmark = pytest.mark.usefixtures("fast_profile")
