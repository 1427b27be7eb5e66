"""The labelled dataset's truth is self-consistent (issue 3 ground truth).

Composition tests read the MIDI file the renderer plays and compare it with the
truth record: beats against pretty_midi's own tempo-map beats, chord labels
against the notes that sound, sections/keys/chords covering the piece, labels
that mir_eval parses. Rendering tests (slow) check the audio and the cache.
"""

from __future__ import annotations

import dataclasses
import shutil
import time

import numpy as np
import pytest

mir_eval = pytest.importorskip("mir_eval")
pytest.importorskip("pretty_midi")

from songlens.errors import ParameterError  # noqa: E402
from songlens.testing.dataset import (  # noqa: E402
    METERS,
    KeySig,
    PieceTruth,
    compose_piece,
    load_truth,
    realize_chord,
    render_piece,
    save_truth,
    synthetic_specs,
    write_lab_files,
)


def _short(spec, **kw):
    """The same piece with 2-bar phrases (about a third of the length)."""
    return dataclasses.replace(spec, **{"phrase_bars": 2, **kw})


SPECS = {s.name: s for s in synthetic_specs()}
# 4/4 pop with a modulation up a semitone; 6/8 ballad with a ritardando and a
# relative-key bridge; 3/4 jazz waltz in minor; 2/4 classical with an accelerando.
PICKS = ["syn02_pop_4-4_major", "syn14_ballad_6-8_minor", "syn20_jazz_3-4_minor",
         "syn27_classical_2-4_minor"]


@pytest.fixture(scope="module")
def composed():
    return {n: compose_piece(_short(SPECS[n])) for n in PICKS}


def test_specs_cover_the_factors():
    specs = synthetic_specs()
    assert len(specs) >= 30
    assert len({s.name for s in specs}) == len(specs)
    assert {s.meter for s in specs} == set(METERS)
    assert {s.tempo_change for s in specs} == {"none", "step", "accel", "rit"}
    assert {s.modulation for s in specs} == {"none", "up1", "up2", "relative", "dominant"}
    assert {s.mode for s in specs} == {"major", "minor"}
    assert len({s.soundfont for s in specs}) >= 2
    assert any(s.noise_snr_db for s in specs) and any(s.lossy_kbps for s in specs)
    assert any(not s.reverb for s in specs) and any(not s.drums for s in specs)
    assert any(s.tuning_cents for s in specs)
    assert synthetic_specs() == specs  # deterministic


@pytest.mark.slow
def test_full_length_pieces_last_60_to_125_s():
    for spec in synthetic_specs()[::5]:
        d = compose_piece(spec).truth.duration
        assert 55.0 <= d <= 125.0, (spec.name, d)


@pytest.mark.parametrize("name", PICKS)
def test_beats_follow_the_midi_tempo_map(composed, name):
    comp = composed[name]
    t = comp.truth
    beats = np.array(t.beats)
    assert np.all(np.diff(beats) > 0)
    # pretty_midi's beats from the file's tempo and time-signature events
    # (dotted quarters in 6/8, the convention used here)
    ref = comp.pm.get_beats(start_time=beats[0])
    assert len(ref) >= len(beats)
    np.testing.assert_allclose(beats, ref[: len(beats)], atol=1e-6, rtol=0)
    ref_db = comp.pm.get_downbeats(start_time=beats[0])
    np.testing.assert_allclose(t.downbeats, ref_db[: len(t.downbeats)], atol=1e-6, rtol=0)
    # a downbeat every beats_per_bar beats, and the final chord's downbeat last
    np.testing.assert_allclose(t.downbeats[:-1], beats[:-1][:: t.beats_per_bar], atol=1e-9)
    assert t.downbeats[-1] == beats[-1]
    # the tempo curve is 60 / IBI at every beat
    curve = np.array(t.tempo_curve)
    np.testing.assert_allclose(curve[:-1, 1], 60.0 / np.diff(beats), rtol=1e-3)
    spec = SPECS[name]
    assert t.tempo_bpm == pytest.approx(spec.bpm, rel=2e-3)
    if spec.tempo_change != "none":
        # the MIDI tempo map ends at the target tempo (quarter notes per minute) ...
        qpm_per_bpm = METERS[spec.meter].beat_ticks / 960
        _, qpm = comp.pm.get_tempo_changes()
        assert qpm[-1] / qpm_per_bpm == pytest.approx(spec.bpm * spec.tempo_ratio, rel=1e-3)
        # ... and the beat tempo moves monotonically from the opening to there
        d = np.diff(curve[:, 1])
        assert np.all(d >= -1e-3) if spec.tempo_ratio > 1 else np.all(d <= 1e-3)
        assert abs(curve[-1, 1] - spec.bpm) > 0.5 * abs(spec.bpm * (spec.tempo_ratio - 1))
    else:
        np.testing.assert_allclose(curve[:, 1], spec.bpm, rtol=2e-3)


@pytest.mark.parametrize("name", PICKS)
def test_chords_cover_the_piece_and_match_the_notes(composed, name):
    comp = composed[name]
    t = comp.truth
    for facet in (t.chords, t.romans, t.sections, t.key_segments):
        assert facet[0][0] >= 0 and all(a < b for a, b, _ in facet)
        assert all(abs(facet[i][1] - facet[i + 1][0]) < 1e-6 for i in range(len(facet) - 1))
    assert t.chords[0][0] == 0.0 and t.chords[-1][1] == pytest.approx(t.duration)
    assert [c[:2] for c in t.chords] == [r[:2] for r in t.romans]
    assert t.sections[0][0] == pytest.approx(t.beats[0])
    assert t.key_segments[0][0] == pytest.approx(t.beats[0])
    assert t.sections[-1][1] == pytest.approx(t.key_segments[-1][1])
    # every accompaniment note (comp, pad, extra) that starts inside a chord is a chord tone,
    # and the bass starts each chord on the chord's bass note
    by_part = {inst.name.split("|")[0]: inst for inst in comp.pm.instruments}
    n_checked = 0
    for a, b, lab in t.chords:
        if lab == "N":
            continue
        root, bitmap, bass = mir_eval.chord.encode(lab)
        pcs = {(root + i) % 12 for i in np.flatnonzero(bitmap)}
        for part in ("comp", "pad", "extra"):
            if part not in by_part:
                continue
            for n in by_part[part].notes:
                if a + 0.02 <= n.start < b - 0.02:
                    assert n.pitch % 12 in pcs, (lab, part, n)
                    n_checked += 1
        if "bass" in by_part:
            first = [n for n in by_part["bass"].notes if abs(n.start - a) < 0.02]
            for n in first:
                assert n.pitch % 12 == (root + bass) % 12, (lab, n)
    assert n_checked > 50


@pytest.mark.parametrize("name", PICKS)
def test_labels_are_valid_mir_eval(composed, name, tmp_path):
    t = composed[name].truth
    for _, _, lab in t.chords:
        mir_eval.chord.encode(lab)  # raises on a bad label
    mir_eval.key.validate_key(t.key)
    for _, _, k in t.key_segments:
        mir_eval.key.validate_key(k)
    mir_eval.beat.validate(np.array(t.beats), np.array(t.beats))
    files = write_lab_files(t, tmp_path)
    iv, labels = mir_eval.io.load_labeled_intervals(str(files["chords"]))
    assert labels == [c[2] for c in t.chords]
    np.testing.assert_allclose(mir_eval.io.load_events(str(files["beats"])), t.beats, atol=1e-6)
    assert mir_eval.io.load_key(str(files["key"])) == t.key
    iv, labels = mir_eval.io.load_labeled_intervals(str(files["sections"]))
    mir_eval.segment.validate_boundary(iv, iv, trim=True)
    # a perfect estimate scores 1
    scores = mir_eval.chord.evaluate(iv := np.array([c[:2] for c in t.chords]),
                                     [c[2] for c in t.chords], iv, [c[2] for c in t.chords])
    assert scores["majmin"] == pytest.approx(1.0)


def test_modulations_and_keys(composed):
    up = composed["syn02_pop_4-4_major"].truth  # last chorus up a semitone
    home = SPECS["syn02_pop_4-4_major"]
    assert up.key == f"{home.tonic} {home.mode}"
    assert [k for _, _, k in up.key_segments] == [up.key, KeySig(home.tonic, "major")
                                                  .transpose(1).label]
    # the modulation starts where the last chorus starts
    last_chorus = [s for s in up.sections if s[2] == "chorus"][-1]
    assert up.key_segments[1][0] == pytest.approx(last_chorus[0])
    rel = composed["syn14_ballad_6-8_minor"].truth  # relative-major bridge
    keys = [k for _, _, k in rel.key_segments]
    assert len(keys) == 3 and keys[0] == keys[2] == rel.key and keys[1].endswith("major")
    bridge = [s for s in rel.sections if s[2] == "bridge"][0]
    assert rel.key_segments[1][:2] == pytest.approx(bridge[:2])


def test_repeated_sections_repeat_their_chords(composed):
    t = composed["syn02_pop_4-4_major"].truth
    def chords_in(sec):
        return [lab for a, b, lab in t.chords if sec[0] - 1e-6 <= a < sec[1] - 1e-6]
    verses = [s for s in t.sections if s[2] == "verse"]
    assert len(verses) == 2 and chords_in(verses[0]) == chords_in(verses[1])
    choruses = [s for s in t.sections if s[2] == "chorus"]
    assert chords_in(choruses[0]) == chords_in(choruses[1])
    # the last chorus is the same progression a semitone up
    r0 = [mir_eval.chord.encode(c)[0] for c in chords_in(choruses[0])]
    r2 = [mir_eval.chord.encode(c)[0] for c in chords_in(choruses[2])]
    assert [(b - a) % 12 for a, b in zip(r0, r2, strict=True)] == [1] * len(r0)


def test_instrument_intervals_are_merged_and_inside_the_music(composed):
    for comp in composed.values():
        t = comp.truth
        assert t.instruments
        for ivs in t.instruments.values():
            assert all(a < b for a, b in ivs)
            assert all(ivs[i][1] + 2.0 <= ivs[i + 1][0] + 1e-9 for i in range(len(ivs) - 1))
            assert ivs[0][0] >= t.beats[0] - 0.02 and ivs[-1][1] <= t.duration


def test_chord_spelling_follows_the_key():
    assert realize_chord("IV", KeySig("F", "major")).harte == "Bb:maj"
    assert realize_chord("viio", KeySig("F#", "major")).harte == "E#:dim"
    assert realize_chord("III", KeySig("Eb", "minor")).harte == "Gb:maj"
    assert realize_chord("ii6", KeySig("C", "major")).harte == "D:min/b3"
    assert realize_chord("I64", KeySig("C", "major")).harte == "C:maj/5"
    assert realize_chord("#io", KeySig("C", "major")).harte == "C#:dim"
    assert realize_chord("V7", KeySig("A", "minor")).harte == "E:7"
    assert realize_chord("iiø7", KeySig("A", "minor")).harte == "B:hdim7"
    assert realize_chord("Vsus4", KeySig("D", "major")).pcs == (9, 2, 4)
    with pytest.raises(ParameterError):
        realize_chord("Vsus46", KeySig("C", "major"))  # no inversions of sus chords
    with pytest.raises(ParameterError):
        realize_chord("Io", KeySig("C", "major"))


def test_truth_json_round_trip(composed, tmp_path):
    t = composed["syn20_jazz_3-4_minor"].truth
    save_truth(t, tmp_path / "t.json")
    back = load_truth(tmp_path / "t.json")
    assert back == t
    with pytest.raises(ParameterError):
        PieceTruth.from_dict({**t.to_dict(), "bogus": 1})


def _have_fluidsynth() -> bool:
    return shutil.which("fluidsynth") is not None


@pytest.mark.slow
@pytest.mark.skipif(not _have_fluidsynth(), reason="needs the fluidsynth program")
def test_render_matches_truth_and_is_cached(tmp_path):
    sf = pytest.importorskip("soundfile")
    spec = _short(SPECS["syn01_pop_4-4_major"], phrase_bars=1)
    piece = render_piece(spec, cache_dir=tmp_path, sr=22050)
    y, sr = sf.read(piece.audio_path, dtype="float32", always_2d=True)
    assert sr == 22050 and y.shape[1] == 2
    assert y.shape[0] == round(piece.truth.duration * sr)
    assert np.max(np.abs(y)) == pytest.approx(10 ** (-1 / 20), abs=2e-3)
    env = np.abs(y).mean(1)
    lead_in = env[: int(piece.truth.beats[0] * sr) - 64]
    music = env[int(piece.truth.beats[0] * sr): int(piece.truth.beats[-1] * sr)]
    assert lead_in.max() < 1e-3 < music.mean()
    t0 = time.perf_counter()
    again = render_piece(spec, cache_dir=tmp_path, sr=22050)
    assert time.perf_counter() - t0 < 1.0 and again.audio_path == piece.audio_path
    assert again.truth == piece.truth


@pytest.mark.slow
@pytest.mark.skipif(not _have_fluidsynth(), reason="needs the fluidsynth program")
def test_lossy_round_trip_stays_aligned(tmp_path):
    sf = pytest.importorskip("soundfile")
    base = _short(SPECS["syn01_pop_4-4_major"], phrase_bars=1)
    clean = render_piece(base, cache_dir=tmp_path, sr=22050)
    lossy = render_piece(dataclasses.replace(base, lossy_kbps=96), cache_dir=tmp_path, sr=22050)
    a, _ = sf.read(clean.audio_path, dtype="float32")
    b, _ = sf.read(lossy.audio_path, dtype="float32")
    a, b = a.mean(1), b.mean(1)
    lags = range(-40, 41)
    c = [np.dot(a[1000:-1000], np.roll(b, k)[1000:-1000]) for k in lags]
    assert list(lags)[int(np.argmax(c))] == 0
    assert lossy.truth.lossy == "mp3 96 kbps"
