"""Chords, Roman numerals, cadences, tension and progressions on signals with known harmony."""

from __future__ import annotations

import json

import mir_eval
import numpy as np
import pytest

from conftest import PIECES, requires_fluidsynth
from harmonic_signals import chord_sequence
from songlens.analysis.chords import (
    analyze_chords,
    beat_grid,
    chord_label,
    decode_chords,
    find_cadences,
    recurring_progression,
    roman_numeral,
    tension_curve,
)
from songlens.analysis.key import analyze_key
from songlens.dsp.chroma import pitch_features
from songlens.dsp.viterbi import viterbi_uniform
from songlens.errors import ParameterError
from songlens.pipeline import analyze_signal
from songlens.result.model import Key, KeySegment
from songlens.result.serialize import dump_json, result_from_dict

SR = 22050
MAJMIN_MIN = 0.90  # synthetic chords: duration-weighted majmin accuracy
VOCAB_MIN = 0.85  # synthetic chords, full vocabulary (exact labels)
RENDERED_MAJMIN_MIN = 0.85  # rendered pieces (the target)

VOCAB = [(0, "maj"), (9, "min"), (2, "min7"), (7, "7"), (0, "maj7"), (11, "dim"),
         (7, "sus4"), (5, "maj"), (4, "min"), (2, "7")]


def _score(truth, est, metric):
    ri = np.array([[a, b] for a, b, _ in truth])
    rl = [lab for *_, lab in truth]
    ei = np.array([[c[0], c[1]] for c in est])
    el = [c[2] for c in est]
    ei, el = mir_eval.util.adjust_intervals(ei, el, ri.min(), ri.max(), "N", "N")
    iv, r, e = mir_eval.util.merge_labeled_intervals(ri, rl, ei, el)
    return mir_eval.chord.weighted_accuracy(getattr(mir_eval.chord, metric)(r, e),
                                            mir_eval.util.intervals_to_durations(iv))


def _decode(y, truth):
    pf = pitch_features(y, sr=SR)
    segs = decode_chords(pf, duration=y.size / SR)
    return pf, segs, [(s, e, chord_label(r, q)) for s, e, r, q in segs]


@pytest.mark.parametrize("a4", [435.0, 440.0, 445.0])
def test_vocabulary_is_recognised_at_any_tuning(rng, a4):
    y, truth = chord_sequence([(r, q, 2.5) for r, q in VOCAB], sr=SR, rng=rng, a4=a4)
    _, _, est = _decode(y, truth)
    assert _score(truth, est, "majmin") >= MAJMIN_MIN
    # exact labels over the whole vocabulary (sevenths, dim, sus4 included)
    exact = sum(min(e, b) - max(s, a) for a, b, lab in truth for s, e, el in est
                if el == lab or (lab.endswith(":dim") and el == lab))
    assert exact / truth[-1][1] >= VOCAB_MIN


def test_silence_gaps_are_no_chord(rng):
    y, truth = chord_sequence([(0, "maj", 3.0), (-1, "N", 2.0), (7, "maj", 3.0),
                               (-1, "N", 2.0)], sr=SR, rng=rng, noise_db=-90)
    _, segs, est = _decode(y, truth)
    assert _score(truth, est, "majmin") >= MAJMIN_MIN
    assert est[-1][2] == "N"
    # boundaries within a quarter of a second (the analysis window is 0.37 s)
    assert any(lab == "N" and abs(s - 3.0) < 0.25 and abs(e - 5.0) < 0.25 for s, e, lab in est)


def test_digital_silence_gives_a_single_no_chord():
    y = np.zeros(5 * SR, dtype=np.float32)
    pf = pitch_features(y, sr=SR)
    segs = decode_chords(pf, duration=5.0)
    assert segs == [(0.0, 5.0, -1, "N")]
    assert analyze_key(pf, chords=segs) is None
    chords, harmony = analyze_chords(pf, key=None, chords=segs)
    assert [c.label for c in chords] == ["N"] and harmony.tension == []


def test_beat_synchronous_chords_change_on_beats(rng):
    y, truth = chord_sequence([(0, "maj", 2.0), (5, "maj", 2.0), (7, "maj", 2.0),
                               (0, "maj", 2.0)], sr=SR, rng=rng, restrike=0.5)
    beats = np.arange(0.0, 8.0, 0.5) + 0.013  # beats slightly off the chord grid
    pf = pitch_features(y, sr=SR)
    segs = decode_chords(pf, beats=beats, duration=8.0)
    inner = [s for s, _, _, _ in segs[1:]]
    assert all(np.min(np.abs(beats - s)) < 1e-9 for s in inner)
    est = [(s, e, chord_label(r, q)) for s, e, r, q in segs]
    assert _score(truth, est, "majmin") >= MAJMIN_MIN
    with pytest.raises(ParameterError):
        decode_chords(pf, beats=np.array([1.0, 0.5]))


def test_final_chord_held_past_the_last_beat_ends_with_the_sound(rng):
    # the tracker's beats stop at 4 s, the last chord sounds until 6 s, then 3 s of silence
    y, truth = chord_sequence([(0, "maj", 2.0), (7, "maj", 4.0), (-1, "N", 3.0)], sr=SR,
                              rng=rng, noise_db=-90, restrike=0.5)
    pf = pitch_features(y, sr=SR)
    beats = np.arange(0.0, 4.01, 0.5)
    segs = decode_chords(pf, beats=beats, duration=9.0)
    est = [(s, e, chord_label(r, q)) for s, e, r, q in segs]
    g = [c for c in est if c[2] == "G:maj"]
    assert g, est
    # the chord ends with the sound, to within one beat (0.5 s), and silence is N
    assert abs(g[-1][1] - 6.0) <= 0.5
    assert est[-1][2] == "N" and est[-1][1] == 9.0
    assert _score(truth, est, "majmin") >= MAJMIN_MIN


def test_beat_grid_continues_the_beats_over_head_and_tail():
    grid = beat_grid(np.array([1.2, 1.7, 2.2, 2.7]), duration=4.4)
    # period 0.5 s: 0.7 before (0.2 is within half a period of 0), 3.2 and 3.7 after
    # (4.2 is within half a period of the end)
    np.testing.assert_allclose(grid, [0.7, 1.2, 1.7, 2.2, 2.7, 3.2, 3.7], atol=1e-9)
    np.testing.assert_allclose(beat_grid(np.array([1.0]), duration=5.0), [1.0])


@pytest.mark.parametrize("root,quality,tonic,mode,expected", [
    (7, "maj", 0, "major", "V"),
    (7, "7", 0, "major", "V7"),
    (2, "min7", 0, "major", "ii7"),
    (11, "dim", 0, "major", "vii°"),
    (10, "maj", 0, "major", "bVII"),
    (5, "min", 0, "major", "iv"),
    (0, "maj7", 0, "major", "Imaj7"),
    (7, "sus4", 0, "major", "Vsus4"),
    (9, "min", 9, "minor", "i"),
    (4, "maj", 9, "minor", "V"),
    (7, "maj", 9, "minor", "VII"),
    (8, "dim", 9, "minor", "vii°"),
    (5, "maj", 9, "minor", "VI"),
    (11, "hdim7", 9, "minor", "iiø7"),
    (1, "maj", 7, "major", "#IV"),
    (6, "dim", 7, "major", "vii°"),
])
def test_roman_numerals(root, quality, tonic, mode, expected):
    assert roman_numeral(root, quality, tonic=tonic, mode=mode) == expected


@pytest.mark.parametrize("root,quality,bass,tonic,expected", [
    (0, "maj", 4, 0, "I6"), (0, "maj", 7, 0, "I64"), (7, "7", 11, 0, "V65"),
    (7, "7", 2, 0, "V43"), (7, "7", 5, 0, "V42"), (11, "dim", 2, 0, "vii°6"),
    (7, "maj", 3, 0, "V"),  # a foreign bass note is no inversion
])
def test_inversion_figures(root, quality, bass, tonic, expected):
    assert roman_numeral(root, quality, tonic=tonic, mode="major", bass=bass) == expected


def test_inversions_are_heard(rng):
    # C - G/B - Am - C/E - F - G7/F - C, two seconds each
    spec = [(0, "maj", 2.0), (7, "maj", 2.0, 4), (9, "min", 2.0), (0, "maj", 2.0, 4),
            (5, "maj", 2.0), (7, "7", 2.0, 10), (0, "maj", 3.0)]
    y, truth = chord_sequence(spec, sr=SR, rng=rng)
    pf = pitch_features(y, sr=SR)
    key = Key(label="C major", tonic="C", mode="major", confidence=1.0,
              segments=[KeySegment(0.0, 15.0, "C major")])
    chords, _ = analyze_chords(pf, key=key, duration=15.0)
    got = [c.roman for c in chords if c.roman is not None]
    assert got == ["I", "V6", "vi", "I6", "IV", "V42", "I"]
    assert [c.label for c in chords if c.label != "N"] == [
        "C:maj", "G:maj/3", "A:min", "C:maj/3", "F:maj", "G:7/b7", "C:maj"]


def test_roman_numeral_of_no_chord_and_bad_input():
    assert roman_numeral(-1, "N", tonic=0, mode="major") is None
    with pytest.raises(ParameterError):
        roman_numeral(0, "aug9", tonic=0, mode="major")
    with pytest.raises(ParameterError):
        roman_numeral(0, "maj", tonic=0, mode="dorian")


def test_chord_spelling_follows_the_key():
    assert chord_label(10, "maj", tonic=5, mode="major") == "Bb:maj"
    assert chord_label(6, "min", tonic=2, mode="major") == "F#:min"
    assert chord_label(-1, "N") == "N"


def _chords(spec):
    """[(root, quality, seconds)] -> decoded-chord tuples."""
    out, t = [], 0.0
    for r, q, d in spec:
        out.append((t, t + d, r, q))
        t += d
    return out


def test_cadences_at_phrase_ends_only():
    c_major = (0, "major")
    # I IV V I(long) | I vi IV V(long) | IV I(long) | V vi, then silence
    spec = [(0, "maj", 2), (5, "maj", 2), (7, "7", 2), (0, "maj", 4),
            (0, "maj", 2), (9, "min", 2), (5, "maj", 2), (7, "maj", 4),
            (5, "maj", 2), (0, "maj", 4),
            (7, "maj", 2), (9, "min", 2), (-1, "N", 2)]
    chords = _chords(spec)
    keys = [c_major if q != "N" else None for _, _, _, q in chords]
    cad = find_cadences(chords, keys)
    got = [(c.time, c.type, tuple(c.numerals)) for c in cad]
    assert got == [(6.0, "authentic", ("V7", "I")), (16.0, "half", ("IV", "V")),
                   (22.0, "plagal", ("IV", "I")), (28.0, "deceptive", ("V", "vi"))]
    assert all(c.key == "C major" for c in cad)
    # V-I in the middle of a phrase (the I is short and more chords follow) is no cadence
    mid = _chords([(0, "maj", 2), (7, "maj", 2), (0, "maj", 2), (5, "maj", 2), (9, "min", 2),
                   (5, "maj", 2)])
    assert find_cadences(mid, [c_major] * len(mid)) == []


def test_recurring_progression():
    loop = ["vi", "IV", "I", "V"]
    numerals = ["I"] + loop * 8 + ["I"]
    prog = recurring_progression(numerals)
    assert prog is not None
    assert prog.pattern == "vi–IV–I–V" and prog.count == 8
    assert prog.coverage == pytest.approx(32 / 34, abs=1e-3)
    assert recurring_progression(["I", "IV", "V", "vi", "ii", "iii"]) is None


def test_tension_rises_away_from_the_tonic(rng):
    spec = [(0, "maj", 3.0), (7, "7", 3.0), (6, "maj", 3.0), (0, "maj", 3.0)]
    y, _ = chord_sequence(spec, sr=SR, rng=rng)
    pf = pitch_features(y, sr=SR)
    chords = _chords(spec)
    keys = [(0, "major")] * len(chords)
    curve = np.array(tension_curve(pf, chords, keys, home=(0, "major"), duration=12.0))
    t, v = curve[:, 0], curve[:, 1]
    assert np.all((v >= 0) & (v <= 1))
    mean = [v[(t > a + 0.6) & (t < a + 2.4)].mean() for a in (0, 3, 6, 9)]
    tonic, dominant, tritone, back = mean
    assert tonic < dominant < tritone
    assert back < dominant


def test_numerals_follow_the_local_key(rng):
    # I-IV-V7-I in C for 24 s, then the same a tone up (D major) for 24 s
    spec = [(0, "maj", 2.0), (5, "maj", 2.0), (7, "7", 2.0), (0, "maj", 2.0)] * 3
    spec += [(2, "maj", 2.0), (7, "maj", 2.0), (9, "7", 2.0), (2, "maj", 2.0)] * 3
    y, truth = chord_sequence(spec, sr=SR, rng=rng)
    pf = pitch_features(y, sr=SR)
    key = Key(label="C major", tonic="C", mode="major", confidence=1.0,
              segments=[KeySegment(0.0, 24.0, "C major"), KeySegment(24.0, 48.0, "D major")])
    chords, harmony = analyze_chords(pf, key=key, duration=48.0)
    late = [c.roman for c in chords if c.start > 25 and c.end < 47]
    assert late and set(late) <= {"I", "IV", "V", "V7"}
    assert harmony.progression is not None and harmony.progression.count >= 4
    assert any(c.type == "authentic" for c in harmony.cadences) or harmony.cadences == []


def test_viterbi_uniform_switches_only_when_worth_it():
    s = np.zeros((10, 2))
    s[:, 0] = 1.0
    s[4:6, 1] = 1.6  # a short blip worth 1.2 in total, less than two switches
    assert viterbi_uniform(s, switch_cost=1.0).tolist() == [0] * 10
    assert viterbi_uniform(s, switch_cost=0.5).tolist() == [0] * 4 + [1] * 2 + [0] * 4
    with pytest.raises(ParameterError):
        viterbi_uniform(s, switch_cost=-1.0)


def test_pipeline_writes_key_chords_and_harmony(rng):
    spec = [(0, "maj", 2.0), (9, "min", 2.0), (5, "maj", 2.0), (7, "7", 2.0)] * 5
    spec += [(0, "maj", 4.0)]
    y, truth = chord_sequence(spec, sr=SR, rng=rng)
    r = analyze_signal(np.stack([y, y]), sr=SR)
    assert r.key is not None and r.key.label == "C major"
    assert r.key.tuning_hz == pytest.approx(440.0, abs=440 * (2 ** (3 / 1200) - 1))
    est = [(c.start, c.end, c.label) for c in r.chords]
    assert _score(truth, est, "majmin") >= MAJMIN_MIN
    assert r.chords[0].start == 0.0
    assert r.chords[-1].end == pytest.approx(r.track.duration, abs=1e-3)
    assert r.harmony.progression.pattern in ("I–vi–IV–V7", "vi–IV–V7–I", "IV–V7–I–vi",
                                             "V7–I–vi–IV")
    assert r.harmony.cadences and r.harmony.cadences[-1].type == "authentic"
    back = result_from_dict(json.loads(dump_json(r)))
    assert [c.label for c in back.chords] == [c.label for c in r.chords]
    assert back.harmony.progression == r.harmony.progression
    assert back.key.tuning_hz == pytest.approx(r.key.tuning_hz, abs=1e-3)


def _truth_with_gaps(truth):
    out, t = [], 0.0
    for s, e, lab in sorted(truth.chords):
        s = max(s, t)
        if s > t + 1e-3:
            out.append((t, s, "N"))
        if e > s:
            out.append((s, e, lab))
            t = e
    if truth.duration > t + 1e-3:
        out.append((t, truth.duration, "N"))
    return out


@requires_fluidsynth
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PIECES))
def test_rendered_pieces_chords_and_key(rendered, name):
    y, sr, truth = rendered(name)
    r = analyze_signal(y, sr=sr)
    ref = _truth_with_gaps(truth)
    est = [(c.start, c.end, c.label) for c in r.chords]
    assert _score(ref, est, "majmin") >= RENDERED_MAJMIN_MIN
    assert mir_eval.key.weighted_score(truth.key, r.key.label) == 1.0
    assert r.harmony.progression is not None and r.harmony.progression.count >= 3


# DSP facets: analyses without a config run the fast profile (see conftest.fast_profile)
pytestmark = pytest.mark.usefixtures("fast_profile")
