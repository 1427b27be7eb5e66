"""Emotion cue model: fallbacks, weights, directions, curve, moods and reasons."""

from __future__ import annotations

import json

import numpy as np
import pytest

from songlens.analysis import emotion as E
from songlens.errors import ParameterError

REQUIRED_MOODS = {"melancholic", "longing", "reflective", "hopeful", "tender", "bittersweet",
                  "nostalgic", "peaceful", "joyful", "triumphant", "tense", "dark"}


def _notes(pcs_octave, n=40, dur=0.4, base=60):
    return np.array([(i * 0.5, i * 0.5 + dur, base + pcs_octave[i % len(pcs_octave)], 0.8)
                     for i in range(n)], dtype=float)


def test_weights_follow_the_published_ranking():
    v, a = E.VALENCE_WEIGHTS, E.AROUSAL_WEIGHTS
    assert v["mode"] > v["register"] > 0 > v["dissonance"]
    # valence-ambiguous cues (fast: happy *and* scary; slow: sad *and* peaceful)
    assert v["tempo"] == v["dynamics"] == v["articulation"] == v["timbre"] == 0
    assert a["tempo"] > a["dynamics"] > a["articulation"] > a["timbre"] > 0
    assert a["mode"] == 0 and a["register"] == 0 and v["dynamics"] == 0
    assert set(E.MOODS) >= REQUIRED_MOODS


def test_estimate_mode_major_and_minor():
    c_major = _notes([0, 4, 7, 12, 2, 5, 9, 11, 7, 4, 0])
    a_minor = _notes([-3, 0, 4, 9, 2, 5, 8, 11, 4, 0, -3], base=57 + 3)
    t, m, conf = E.estimate_mode(c_major)
    assert (t, m) == ("C", "major") and 0 < conf <= 1
    assert E.estimate_mode(a_minor)[1] == "minor"
    assert E.estimate_mode(c_major[:5]) is None


@pytest.mark.parametrize("bpm", [72.0, 96.0, 128.0])
def test_estimate_tempo_on_a_click_envelope(bpm):
    fr = 22050 / 512
    env = np.zeros(int(30 * fr))
    env[(np.arange(0, 30, 60 / bpm) * fr).astype(int)] = 1.0
    est = E.estimate_tempo(env, frame_rate=fr)
    assert est == pytest.approx(bpm, rel=0.04)
    assert E.estimate_tempo(np.zeros(100), frame_rate=fr) is None


def _reading(**kw):
    base = dict(lufs=-20.0, centroid_hz=1000.0, articulation_db=7.0, bpm=100.0, mode="major",
                notes=_notes([0, 4, 7]), lead=None)
    base.update(kw)
    return E.measure_cues(**base)


def test_cue_directions():
    v_maj, a_maj, _ = E.valence_arousal(_reading(mode="major"))
    v_min, a_min, _ = E.valence_arousal(_reading(mode="minor"))
    assert v_maj > v_min and a_maj == pytest.approx(a_min)
    v_fast, a_fast, _ = E.valence_arousal(_reading(bpm=150.0))
    v_slow, a_slow, _ = E.valence_arousal(_reading(bpm=65.0))
    assert v_fast == pytest.approx(v_slow) and a_fast > a_slow  # tempo: arousal only
    _, a_loud, _ = E.valence_arousal(_reading(lufs=-10.0))
    _, a_soft, _ = E.valence_arousal(_reading(lufs=-34.0))
    assert a_loud > a_soft
    _, a_stac, _ = E.valence_arousal(_reading(articulation_db=15.0))
    _, a_leg, _ = E.valence_arousal(_reading(articulation_db=2.0))
    assert a_stac > a_leg
    v_hi, _, _ = E.valence_arousal(_reading(notes=_notes([0, 4, 7], base=76)))
    v_lo, _, _ = E.valence_arousal(_reading(notes=_notes([0, 4, 7], base=45)))
    assert v_hi > v_lo
    v_cons, _, _ = E.valence_arousal(_reading(notes=_notes([0, 4, 7])))
    clash = np.vstack([_notes([0, 4, 7]), _notes([1, 6, 11])])
    v_diss, _, _ = E.valence_arousal(_reading(notes=clash))
    assert v_cons > v_diss
    # measured roughness, when given, is the dissonance cue
    smooth = _reading(notes=clash, roughness=0.01)
    rough = _reading(notes=_notes([0, 4, 7]), roughness=0.2)
    assert smooth.sources["dissonance"] == "sensory roughness"
    assert E.valence_arousal(smooth)[0] > E.valence_arousal(rough)[0]


def test_missing_cues_do_not_pull_toward_zero():
    c = E.measure_cues(lufs=None, centroid_hz=None, articulation_db=None, bpm=None, mode="minor")
    v, a, contrib = E.valence_arousal(c)
    assert v == pytest.approx(-1.0) and a == 0.0
    assert set(contrib["valence"]) == {"mode"}


def test_tags_blend_in():
    c = _reading()
    v0, a0, _ = E.valence_arousal(c)
    v1, a1, contrib = E.valence_arousal(c, tags={"sad": 1.0})
    assert v1 < v0 and a1 < a0 and "tags" in contrib["valence"]


def _analyze(**kw):
    dur = 30.0
    t = np.arange(0, dur, 0.1)
    fr = 22050 / 512
    args = dict(duration=dur, loudness_curve=(t, np.full(t.size, -28.0)), integrated_lufs=-28.0,
                centroid=np.full(int(dur * fr), 900.0), frame_times=np.arange(int(dur * fr)) / fr,
                power_10ms=np.ones(3000) * 1e-3, bpm=68.0, mode="minor", mode_confidence=0.9)
    args.update(kw)
    return E.analyze_emotion(**args)


def test_analyze_emotion_shape_curve_moods_and_reasons():
    e = _analyze()
    assert -1 <= e.valence <= 1 and -1 <= e.arousal <= 1
    assert e.valence < 0 and e.arousal < 0  # minor, slow, soft, legato
    times = [p[0] for p in e.curve]
    assert np.max(np.diff(times)) <= 3.0 and times[-1] >= 27.0
    assert all(-1 <= p[1] <= 1 and -1 <= p[2] <= 1 for p in e.curve)
    assert {m.label for m in e.moods} >= REQUIRED_MOODS
    assert all(0 <= m.score <= 1 and m.reasons for m in e.moods)
    assert e.moods[0].label in ("melancholic", "reflective", "longing")
    text = " ".join(e.reasons)
    assert "minor mode" in text and "68 BPM" in text and "soft (-28 LUFS)" in text
    assert "legato" in text
    assert "unavailable cues" in text  # no notes: register and dissonance
    json.dumps(e.cues)


def test_happy_reading_is_happy():
    fr = 22050 / 512
    e = _analyze(integrated_lufs=-12.0, loudness_curve=None, bpm=150.0, mode="major",
                 centroid=np.full(int(30 * fr), 2500.0),
                 power_10ms=np.tile([1e-2] * 10 + [1e-5] * 10, 150))
    assert e.valence > 0.3 and e.arousal > 0.3
    assert e.moods[0].label in ("joyful", "triumphant", "hopeful")


def test_key_segments_drive_the_curve_mode():
    e = _analyze(mode="major", key_segments=[(0, 15, "C major"), (15, 30, "A minor")])
    early = np.mean([v for t, v, _ in e.curve if t < 12])
    late = np.mean([v for t, v, _ in e.curve if t > 18])
    assert early > late


def test_transcribed_notes_cross_check_the_key_mode():
    c_major = _notes([0, 4, 7, 12, 2, 5, 9, 11, 7, 4, 0], n=60)
    a_minor = _notes([-3, 0, 4, 9, 2, 5, 8, 11, 4, 0, -3], n=60, base=60)
    t_maj, m_maj, c_maj = E.estimate_mode(c_major)
    t_min, m_min, c_min = E.estimate_mode(a_minor)
    assert (m_maj, m_min) == ("major", "minor")
    agree = _analyze(mode="major", mode_confidence=0.8, notes=c_major)
    assert agree.cues["mode"]["value"] == "major"
    assert agree.cues["mode"]["score"] == pytest.approx(0.5 * (0.8 + c_maj))
    assert "transcribed notes" in agree.cues["mode"]["source"]
    # the notes disagree: the mean of the two signed readings
    clash = _analyze(mode="major", mode_confidence=0.8, notes=a_minor)
    assert clash.cues["mode"]["score"] == pytest.approx(0.5 * (0.8 - c_min))
    assert clash.cues["mode"]["value"] == ("major" if 0.8 > c_min else "minor")
    assert "A minor" in clash.cues["mode"]["source"]
    assert clash.valence < agree.valence
    # too few notes: the key analysis alone
    alone = _analyze(mode="major", mode_confidence=0.8, notes=c_major[:E.MODE_CHECK_MIN_NOTES - 1])
    assert alone.cues["mode"]["score"] == pytest.approx(0.8)
    assert alone.cues["mode"]["source"] == "from the key analysis"


def test_validation():
    with pytest.raises(ParameterError):
        _analyze(duration=0.0)
