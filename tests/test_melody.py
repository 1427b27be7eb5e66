"""Lead line and melody figures on synthetic notes; lead line on a rendered piece."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import requires_fluidsynth
from songlens.analysis import melody as M
from songlens.errors import ParameterError


def _seq(pitches, ioi=0.5, dur=0.45, t0=0.0, amp=0.8):
    return np.array([(t0 + i * ioi, t0 + i * ioi + dur, p, amp) for i, p in enumerate(pitches)])


SCALE_PHRASE = [60, 62, 64, 65, 67, 65, 64, 62]


def _phrases(pitches, n=4, rest=1.0, ioi=0.5):
    out, t = [], 0.0
    for _ in range(n):
        out.append(_seq(pitches, ioi=ioi, t0=t))
        t += len(pitches) * ioi + rest
    return np.vstack(out)


def test_lead_line_picks_melody_over_accompaniment():
    mel = _seq([72, 74, 76, 77, 79, 77, 76, 74, 72, 71, 72], ioi=0.5, dur=0.45)
    chords = []
    for i in range(11):  # three-note chords under every melody note, softer and lower
        for p in (48, 52, 55):
            chords.append((i * 0.5, i * 0.5 + 0.45, p, 0.6))
    lead = M.lead_line(np.vstack([mel, np.array(chords)]))
    assert lead[:, 2].tolist() == mel[:, 2].tolist()
    np.testing.assert_allclose(lead[:, 0], mel[:, 0])


def test_lead_line_prefers_small_intervals_between_equal_candidates():
    # two equally loud, equally long candidates at each step; one continues stepwise
    notes = [(0.0, 0.4, 72, 0.8)]
    for i in range(1, 6):
        notes.append((i * 0.5, i * 0.5 + 0.4, 72 + i, 0.8))          # steps
        notes.append((i * 0.5, i * 0.5 + 0.4, 72 + i + 12 * (i % 2 * 2 - 1) * 0, 0.8))
        notes.append((i * 0.5 + 0.01, i * 0.5 + 0.4, 72 + i - 11, 0.8))  # far below
    lead = M.lead_line(np.array(notes))
    assert lead[:, 2].tolist() == [72, 73, 74, 75, 76, 77]


def test_lead_line_empty_and_validation():
    assert M.lead_line(np.zeros((0, 4))).shape == (0, 4)
    with pytest.raises(ParameterError):
        M.lead_line(np.array([[1.0, 0.5, 60]]))
    with pytest.raises(ParameterError):
        M.lead_line(np.zeros((3, 5)))


def test_figures_of_a_scale_arch():
    f = M.melody_figures(_phrases(SCALE_PHRASE + [60]))
    assert f["n_notes"] == 36
    assert f["range_semitones"] == 7
    assert f["phrases"]["count"] == 4
    assert f["intervals"]["step_share"] == 1.0 and f["intervals"]["leap_share"] == 0.0
    assert f["contour"]["up"] == pytest.approx(0.5) and f["contour"]["down"] == pytest.approx(0.5)
    assert f["contour"]["dominant_shape"] == "arch"
    assert f["rhythm"]["npvi"] == pytest.approx(0.0, abs=1e-9)
    assert f["rhythm"]["ioi_entropy"] == 0.0
    # the same phrase four times: every 5-note figure recurs
    assert f["repetition"]["ngram_share"] == 1.0
    assert f["tessitura"]["mean"] == pytest.approx(np.mean(SCALE_PHRASE + [60]))
    assert f["tessitura"]["mean_note"] == "Eb4"  # mean 63.2 -> MIDI 63


def test_descending_phrases_and_npvi_of_alternating_durations():
    lead = []
    t = 0.0
    for _ in range(3):
        for i, p in enumerate([72, 71, 69, 67, 65, 64]):
            d = 0.75 if i % 2 == 0 else 0.25  # long-short: nPVI = 100
            lead.append((t, t + d * 0.9, p, 1.0))
            t += d
        t += 1.0
    f = M.melody_figures(np.array(lead))
    assert f["contour"]["dominant_shape"] == "descending"
    assert f["rhythm"]["npvi"] == pytest.approx(100.0, rel=1e-6)


def test_simple_repeated_tune_scores_simpler_and_more_memorable_than_random_leaps(rng):
    simple = _phrases(SCALE_PHRASE + [60])
    pitches = (60 + rng.integers(-12, 13, size=36)).tolist()
    iois = rng.choice([0.25, 0.5, 0.75, 1.0], size=36)
    t = np.concatenate([[0], np.cumsum(iois[:-1])])
    random = np.column_stack([t, t + 0.2, pitches, np.ones(36)])
    fs, fr = M.melody_figures(simple), M.melody_figures(random)
    assert fs["simplicity"]["score"] > fr["simplicity"]["score"] + 0.2
    assert fs["memorability"]["score"] > fr["memorability"]["score"] + 0.2
    for f in (fs, fr):
        for k in ("simplicity", "memorability"):
            assert 0.0 <= f[k]["score"] <= 1.0 and f[k]["reasons"]


def test_too_few_notes():
    f = M.melody_figures(_seq([60, 62, 64]))
    assert f["n_notes"] == 3 and "note" in f


def test_note_salience_adds_onset_only_candidates():
    n = 200
    note = np.full((n, 88), 0.1, np.float32)
    onset = np.full((n, 88), 0.05, np.float32)
    onset[50, 58] = 0.7  # an attack at MIDI 79 whose note head stays low
    times = np.arange(n) * 256 / 22050
    cand = M.note_salience(np.zeros((0, 4)), note=note, onset=onset, times=times)
    assert cand.shape == (1, 4) and cand[0, 2] == 79
    assert cand[0, 0] == pytest.approx(times[50])
    assert cand[0, 3] == pytest.approx(0.5 * (0.1 + 0.7), abs=1e-6)
    # an attack that did start a note is not duplicated
    ev = np.array([[50, 90, 79, 0.6]])
    cand = M.note_salience(ev, note=note, onset=onset, times=times)
    assert cand.shape == (1, 4)


@pytest.mark.slow
@requires_fluidsynth
def test_lead_line_of_a_rendered_piano_intro(rendered):
    """On the solo-piano intro of a rendered piece the lead line meets the project's
    melody target (note F-measure >= 0.6, onsets within 50 ms)."""
    pytest.importorskip("onnxruntime")
    import mir_eval
    import soxr

    y, sr, truth = rendered("minor_ballad")
    intro_end = truth.sections[0][1]
    y22 = soxr.resample(y.mean(axis=0)[: int(intro_end * sr)], sr, 22050, quality="HQ")
    melody, notes, lead = M.transcribe_melody(y22.astype(np.float32), sr=22050)
    ref = np.array([m for m in truth.melody if m[1] <= intro_end])
    est = np.array([(n.start, n.end, n.pitch) for n in melody.notes])

    def hz(p):
        return 440.0 * 2 ** ((np.asarray(p) - 69) / 12)

    p, r, f, _ = mir_eval.transcription.precision_recall_f1_overlap(
        ref[:, :2], hz(ref[:, 2]), est[:, :2], hz(est[:, 2]), onset_tolerance=0.05,
        offset_ratio=None)
    assert f >= 0.6, (p, r, f)


def test_attack_starts_moves_slow_attacks_to_the_half_maximum_edge():
    n = 120
    onset = np.full((n, 88), 0.05, np.float32)
    # a slow attack: the onset activation climbs over 8 frames and peaks late
    onset[40:49, 30] = [0.1, 0.2, 0.3, 0.42, 0.5, 0.6, 0.7, 0.78, 0.8]
    onset[49:53, 30] = [0.7, 0.5, 0.3, 0.1]
    # a sharp attack: one frame wide
    onset[80, 40] = 0.9
    starts = M.attack_starts(np.array([48, 80, 48]), np.array([51, 61, 52]), onset=onset)
    # 0.5 * 0.8 = 0.4: frame 43 (0.42) is the first frame of the run above it
    assert starts.tolist() == [43, 80, 48]
    # bounded by max_back
    assert M.attack_starts(np.array([48]), np.array([51]), onset=onset, max_back=2)[0] == 46
    # a start whose onset is below the threshold (a rise of the note head) stays
    onset[60, 30] = 0.3
    assert M.attack_starts(np.array([60]), np.array([51]), onset=onset)[0] == 60
    with pytest.raises(ParameterError):
        M.attack_starts(np.array([48]), np.array([51]), onset=onset, fraction=1.0)


def _partial_scene(lower_frames):
    """A note event at MIDI 53 and an onset-only attack at its octave (65)."""
    n = 200
    note = np.full((n, 88), 0.1, np.float32)
    onset = np.full((n, 88), 0.05, np.float32)
    note[50:50 + lower_frames, 53 - 21] = 0.75
    onset[50, 53 - 21] = 0.7          # the lower note's attack, weaker than the octave's
    onset[51, 65 - 21] = 0.75         # the octave's onset peak, one frame later
    note[51:140, 65 - 21] = 0.15
    times = np.arange(n) * 256 / 22050
    ev = np.array([[50, 50 + lower_frames, 53, 0.75]])
    return M.note_salience(ev, note=note, onset=onset, times=times)


def test_note_salience_drops_the_octave_partial_of_a_sustained_note():
    # the lower note sounds through the candidate (until the next onset, 1 s at most):
    # its 2nd partial, not a note
    cand = _partial_scene(lower_frames=120)
    assert cand[:, 2].tolist() == [53]
    # a short lower note (an arpeggio tone under a melody note at its octave) covers
    # less than PARTIAL_COVERAGE of the candidate: both stay
    cand = _partial_scene(lower_frames=20)
    assert sorted(cand[:, 2].tolist()) == [53, 65]


@pytest.mark.slow
@requires_fluidsynth
def test_lead_line_of_a_sad_pilot_piece():
    """A low, soft, legato French-horn melody over string pads (pilot seed 1 of the
    sad quadrant): before onset refinement and partial pruning the lead was the
    horn's octave partials, 50-100 ms late (F = 0.00); now F >= 0.5 (measured 0.69)."""
    pytest.importorskip("onnxruntime")
    import mir_eval
    import soxr

    from songlens.testing.expressive import compose_quadrant_piece

    y, truth = compose_quadrant_piece(1, "sad")
    y22 = soxr.resample(y.mean(axis=0), 44100, 22050, quality="HQ").astype(np.float32)
    melody, _, _ = M.transcribe_melody(y22, sr=22050)
    ref = np.array(truth.melody, dtype=float)
    est = np.array([(n.start, n.end, n.pitch) for n in melody.notes])

    def hz(p):
        return 440.0 * 2 ** ((np.asarray(p) - 69) / 12)

    p, r, f, _ = mir_eval.transcription.precision_recall_f1_overlap(
        ref[:, :2], hz(ref[:, 2]), est[:, :2], hz(est[:, 2]), onset_tolerance=0.05,
        pitch_tolerance=50.0, offset_ratio=None)
    assert f >= 0.5, (p, r, f)


def test_lead_line_cuts_an_onset_only_candidate_at_the_next_note():
    # an onset-only candidate lasts until the next attack at its pitch (here 1 s): an
    # upper bound, so the melody notes that follow 0.3 s later may cut it
    notes = np.array([(0.0, 1.0, 72, 0.5), (0.3, 0.65, 74, 0.8), (0.65, 1.0, 76, 0.8)])
    assert M.lead_line(notes)[:, 2].tolist() == [74, 76]  # 0.7 s overlap > MAX_OVERLAP
    lead = M.lead_line(notes, open_end=np.array([True, False, False]))
    assert lead[:, 2].tolist() == [72, 74, 76]
    np.testing.assert_allclose(lead[:, 1], [0.3, 0.65, 1.0])
    with pytest.raises(ParameterError):
        M.lead_line(notes, open_end=np.array([True]))


def test_lead_line_pitch_preference_is_relative_to_the_register():
    # the same melody/accompaniment texture transposed two octaves down gives the
    # same lead (the preference centre follows the piece's register)
    mel = _seq([72, 74, 76, 77, 79, 77, 76, 74, 72, 71, 72], ioi=0.5, dur=0.45)
    chords = np.array([(i * 0.5, i * 0.5 + 0.45, p, 0.6) for i in range(11)
                       for p in (60, 64, 67)])
    both = np.vstack([mel, chords])
    low = both.copy()
    low[:, 2] -= 24
    assert M.lead_line(both)[:, 2].tolist() == mel[:, 2].tolist()
    assert M.lead_line(low)[:, 2].tolist() == (mel[:, 2] - 24).tolist()
