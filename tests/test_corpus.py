"""The music21 corpus set: key rule, chord labels and beat grid are consistent."""

from __future__ import annotations

import numpy as np
import pytest

mir_eval = pytest.importorskip("mir_eval")

from songlens.testing.corpus import (  # noqa: E402
    _decide_key,
    corpus_works,
    harte_from_pitches,
)


def test_harte_labels_from_pitches():
    assert harte_from_pitches("B-", [10, 2, 5], 10) == "Bb:maj"
    assert harte_from_pitches("F#", [6, 9, 1], 9) == "F#:min/b3"
    assert harte_from_pitches("G", [7, 11, 2, 5], 5) == "G:7/b7"
    assert harte_from_pitches("C#", [1, 4, 7, 10], 1) == "C#:dim7"
    assert harte_from_pitches("C#", [1, 4, 7, 10], 10) == "C#:dim7/bb7"
    assert harte_from_pitches("D", [2, 5, 9, 0], 2) == "D:min7"
    # an augmented sixth chord has no shorthand: written as intervals, still valid Harte
    lab = harte_from_pitches("A-", [8, 0, 2, 6], 8)
    root, bitmap, bass = mir_eval.chord.encode(lab)
    assert root == 8 and {(root + i) % 12 for i in np.flatnonzero(bitmap)} == {8, 0, 2, 6}


def test_key_rule():
    # annotated key confirmed by the final bass
    assert _decide_key("A major", 3, 9, expert=True) == ("A major", "annotated+final")
    # a file's default "major" is overruled by signature + final bass (relative minor)
    assert _decide_key("C major", 0, 9, expert=False) == ("A minor", "signature+final")
    # an expert key that does not end on its tonic (Phrygian chorale) is left out
    assert _decide_key("A minor", 0, 4, expert=True)[0] is None
    # modal ending with no annotation
    assert _decide_key(None, -1, 7, expert=False)[0] is None
    assert _decide_key(None, -3, 0, expert=False) == ("C minor", "signature+final")


def test_work_list_is_varied():
    works = corpus_works()
    assert len(works) >= 36
    assert len({w.path.split("/")[0] for w in works}) >= 10
    assert len({w.soundfont for w in works}) >= 2
    assert sum(w.analysis is not None for w in works) >= 15


@pytest.mark.slow
def test_chorale_truth_is_consistent():
    pytest.importorskip("music21")
    pytest.importorskip("pretty_midi")
    from songlens.testing.corpus import CorpusWork, build_work

    work = CorpusWork(path="bach/bwv347.mxl", ensemble="organ",
                      analysis="bach/choraleAnalyses/riemenschneider002.rntxt")
    midi, t = build_work(work)
    assert t.key == "A major" and t.notes["key_method"] == "annotated+final"
    beats = np.array(t.beats)
    # constant tempo: every inter-beat interval is 60 / tempo (the file rounds to ticks)
    np.testing.assert_allclose(np.diff(beats), 60.0 / t.tempo_bpm, atol=2e-3)
    # pickup bar: the first beat is not a downbeat; then a downbeat every 4 beats
    assert t.downbeats[0] == pytest.approx(beats[1])
    np.testing.assert_allclose(t.downbeats, beats[1::4][: len(t.downbeats)], atol=1e-6)
    # chord truth from the expert analysis, agreeing with the notes
    assert t.notes["chord_note_agreement"] >= 0.85
    assert t.chords[0][2] == "N" and t.chords[-1][2] == "N"
    assert t.chords[0][0] == 0.0 and t.chords[-1][1] == pytest.approx(t.duration)
    assert all(abs(a[1] - b[0]) < 1e-6 for a, b in zip(t.chords[:-1], t.chords[1:], strict=True))
    for _, _, lab in t.chords:
        mir_eval.chord.encode(lab)
    for _, _, k in t.key_segments:
        mir_eval.key.validate_key(k)
    assert [k for _, _, k in t.key_segments][:2] == ["A major", "E major"]
    # the first chord of the music is the tonic on the pickup beat
    assert t.chords[1][2] == "A:maj" and t.chords[1][0] == pytest.approx(beats[0])
    import io

    import pretty_midi
    pm = pretty_midi.PrettyMIDI(io.BytesIO(midi))
    first = min(n.start for inst in pm.instruments for n in inst.notes)
    assert first == pytest.approx(beats[0], abs=2e-3)
