"""Key, modulations and tuning on signals with known keys."""

from __future__ import annotations

import mir_eval
import numpy as np
import pytest

from harmonic_signals import (
    MAJOR_CADENCE,
    MAJOR_POP,
    MINOR_AEOLIAN,
    MINOR_CADENCE,
    chord_sequence,
    note,
    progression,
)
from songlens.analysis.chords import decode_chords
from songlens.analysis.key import KEY_NAMES, analyze_key, key_scores
from songlens.dsp.chroma import estimate_tuning, pitch_features
from songlens.errors import ParameterError

SR = 22050
TUNING_CENTS_TOL = 3.0  # A4 estimate, in cents
BOUNDARY_TOL = 4.0  # a modulation's time (s); key windows are 1 s blocks
CHROMA_SHARE_MIN = 0.8  # share of a C major chord's chroma on C, E and G


def _key(y):
    pf = pitch_features(y, sr=SR)
    return analyze_key(pf, chords=decode_chords(pf, duration=y.size / SR)), pf


def _cents(a, b):
    return 1200 * np.log2(a / b)


@pytest.mark.parametrize("a4", [435.0, 440.0, 445.0, 452.0])
def test_tuning_reference(rng, a4):
    y = sum(note(m, 6.0, sr=SR, rng=rng, a4=a4) for m in (48, 55, 64, 67, 72))
    pf = pitch_features(y.astype(np.float32), sr=SR)
    assert abs(_cents(pf.tuning_hz, a4)) < TUNING_CENTS_TOL
    # the salience lands on the played notes whatever the tuning (octave
    # ghosts of upper partials remain, so only the strongest three are checked)
    top = np.argsort(pf.notes[5:50].mean(axis=0))[-3:] + 21
    assert set(top.tolist()) <= {48, 55, 64, 67, 72}
    chroma = (pf.treble + pf.bass)[5:50].sum(axis=0)
    assert chroma[[0, 4, 7]].sum() / chroma.sum() > CHROMA_SHARE_MIN


def test_tuning_without_peaks_is_440():
    assert estimate_tuning(np.zeros((10, 500)), sr=11025, n_fft=4096) == 440.0


@pytest.mark.parametrize("tonic,mode,degrees", [
    (0, "major", MAJOR_CADENCE), (7, "major", MAJOR_POP), (3, "major", MAJOR_CADENCE),
    (9, "minor", MINOR_CADENCE), (4, "minor", MINOR_AEOLIAN), (6, "minor", MINOR_CADENCE),
    (10, "minor", MINOR_AEOLIAN),
])
def test_global_key(rng, tonic, mode, degrees):
    chords = progression(tonic, mode, degrees, bar=1.6, repeats=6)
    chords.append((tonic, "min" if mode == "minor" else "maj", 3.0))  # end on the tonic
    y, _ = chord_sequence(chords, sr=SR, rng=rng)
    key, _ = _key(y)
    truth = KEY_NAMES[tonic + (12 if mode == "minor" else 0)]
    assert key.label == truth
    assert mir_eval.key.weighted_score(truth, key.label) == 1.0
    assert key.tonic == truth.split()[0] and key.mode == mode
    assert 0.0 < key.confidence <= 1.0
    # the mode's probability sums the 12 keys of that mode, so it is at least the key's
    assert key.confidence - 1e-9 <= key.mode_confidence <= 1.0
    assert key.mode_confidence > 0.5
    assert len(key.segments) == 1 and key.segments[0].label == truth


@pytest.mark.parametrize("a4", [435.0, 445.0])
def test_key_and_tuning_off_440(rng, a4):
    chords = progression(2, "major", MAJOR_CADENCE, bar=1.5, repeats=6)
    y, _ = chord_sequence(chords, sr=SR, rng=rng, a4=a4)
    key, pf = _key(y)
    assert key.label == "D major"
    assert abs(_cents(key.tuning_hz, a4)) < TUNING_CENTS_TOL


def test_last_chorus_lift_by_a_tone(rng):
    # 48 s in C major, then the last 24 s a tone up, in D major
    chords = progression(0, "major", MAJOR_POP, bar=2.0, repeats=6)
    chords += progression(2, "major", MAJOR_POP, bar=2.0, repeats=3)
    chords.append((2, "maj", 2.0))
    y, _ = chord_sequence(chords, sr=SR, rng=rng)
    key, _ = _key(y)
    assert key.label == "C major"  # the key held longest
    labels = [s.label for s in key.segments]
    assert labels == ["C major", "D major"]
    assert abs(key.segments[1].start - 48.0) < BOUNDARY_TOL
    assert key.segments[0].start < 0.5 and key.segments[-1].end > 73.0


def test_modulation_to_the_relative_major(rng):
    # A minor (harmonic minor cadences) for 40 s, then C major for 30 s, ending on I
    chords = progression(9, "minor", MINOR_CADENCE, bar=2.0, repeats=5)
    chords += progression(0, "major", MAJOR_CADENCE, bar=2.0, repeats=4)
    chords.append((0, "maj", 2.0))
    y, _ = chord_sequence(chords, sr=SR, rng=rng)
    key, _ = _key(y)
    assert [s.label for s in key.segments] == ["A minor", "C major"]
    assert abs(key.segments[1].start - 40.0) < BOUNDARY_TOL
    assert key.label == "A minor"


def test_no_modulation_reported_for_a_steady_loop(rng):
    chords = progression(4, "minor", MINOR_AEOLIAN, bar=2.0, repeats=10)
    chords.append((4, "min", 2.0))
    y, _ = chord_sequence(chords, sr=SR, rng=rng)
    key, _ = _key(y)
    assert key.label == "E minor"
    assert len(key.segments) == 1


def test_key_without_decoded_chords_uses_chroma_only(rng):
    chords = progression(5, "major", MAJOR_CADENCE, bar=1.5, repeats=6)
    y, _ = chord_sequence(chords, sr=SR, rng=rng)
    pf = pitch_features(y, sr=SR)
    assert analyze_key(pf).label == "F major"


def test_noise_has_no_key_and_no_chords(rng):
    y = (0.1 * rng.standard_normal(6 * SR)).astype(np.float32)
    pf = pitch_features(y, sr=SR)
    segs = decode_chords(pf, duration=6.0)
    assert [q for *_, q in segs] == ["N"]
    assert analyze_key(pf, chords=segs) is None


def test_silence_has_no_key():
    pf = pitch_features(np.zeros(4 * SR, dtype=np.float32), sr=SR)
    assert analyze_key(pf) is None


def test_key_scores_shape_and_validation():
    c = np.zeros(12)
    c[[0, 4, 7]] = 1.0
    s = key_scores(c)
    assert s.shape == (24,) and int(np.argmax(s)) == 0
    assert np.allclose(key_scores(np.ones(12)), 0.0)
    with pytest.raises(ParameterError):
        key_scores(np.ones(11))


def test_parameter_errors(rng):
    with pytest.raises(ParameterError):
        pitch_features(np.zeros((2, 100)), sr=SR)
    with pytest.raises(ParameterError):
        pitch_features(np.zeros(100), sr=22050.0)
    with pytest.raises(ParameterError):
        pitch_features(np.zeros(100), sr=SR, tuning_hz=300.0)
    pf = pitch_features(np.zeros(SR, dtype=np.float32), sr=SR)
    with pytest.raises(ParameterError):
        analyze_key(pf, min_segment_seconds=0.0)


def test_added_sixth_tonic_labelled_as_the_relative_seventh_chord(rng):
    # I6-vi-IV-V in C with the tonic as C E G A over a C bass, the opening and
    # closing chords labelled A:min7 (the same tones): the C bass makes them
    # C major's tonic, not A minor's
    spec = [(0, "maj6", 2.0), (9, "min", 2.0), (5, "maj", 2.0), (7, "maj", 2.0)] * 3
    spec.append((0, "maj6", 3.0))
    y, _ = chord_sequence(spec, sr=SR, rng=rng)
    pf = pitch_features(y, sr=SR)
    t, chords = 0.0, []
    for root, quality, dur in spec:
        chords.append((t, t + dur, 9 if quality == "maj6" else root,
                       "min7" if quality == "maj6" else quality))
        t += dur
    assert analyze_key(pf, chords=chords).label == "C major"
