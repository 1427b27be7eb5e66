"""TEST DATA ONLY: hand-built analysis results that carry every facet.

The report must draw lanes for facets other helpers are still building (tempo,
key, chords, sections, instruments, melody, emotion). These results are built
from the dataclasses with made-up, seeded values so the report can be tested
against the schema now. They are never shipped or shown as real analyses.
"""

from __future__ import annotations

import math

import numpy as np

from songlens.analysis.melody import melody_figures
from songlens.report.trace import count_seq
from songlens.result.model import (
    AnalysisResult,
    Buildup,
    Cadence,
    Chord,
    Climax,
    Descriptors,
    Emotion,
    Harmony,
    Instrument,
    Key,
    KeySegment,
    LeadInstrument,
    Loudness,
    Melody,
    Mood,
    Note,
    Production,
    Progression,
    Section,
    Silence,
    Tempo,
    Track,
)

_PROGRESSION = [("A:min", "i"), ("F:maj", "VI"), ("C:maj", "III"), ("G:maj", "VII")]


def full_result(seed: int = 7, *, duration: float = 96.0, title: str | None = "Test Piece",
                artist: str | None = "Fixture Ensemble") -> AnalysisResult:
    """A result with every facet filled from a seeded, made-up arc.

    Layout (s): silence 0-1, intro 1-24 (piano), build 24-56 (strings, bass,
    drums enter), climax at 56, chorus 56-76, silence 76-78.5, outro 78.5-end-2,
    final 2 s silence; a modulation up a tone for the chorus.
    """
    rng = np.random.default_rng(seed)
    d = float(duration)
    t = np.arange(0.05, d, 0.1)
    lufs = np.full(t.size, -30.0)
    lufs += np.where((t > 24) & (t <= 56), (t - 24) / 32 * 18, 0)
    lufs += np.where((t > 56) & (t <= 76), 18 - (t - 56) * 0.3, 0)
    lufs += rng.normal(0, 0.4, t.size)
    curve: list[tuple[float, float | None]] = []
    silences = [(0.0, 1.0), (76.0, 78.5), (d - 2.0, d)]
    for ti, li in zip(t, lufs, strict=True):
        in_sil = any(a <= ti < b for a, b in silences)
        curve.append((round(float(ti), 2), None if in_sil else round(float(li), 3)))
    beat = 60.0 / 96.0
    beats = [round(1.0 + i * beat, 4) for i in range(int((d - 3.0) / beat))]
    tempo_curve = [(float(x), 96.0 + 2.5 * math.sin(x / 15.0)) for x in np.arange(1.0, d - 2, 2.0)]
    chords = []
    s, i = 1.0, 0
    while s + 4 * beat <= d - 2.0:
        lab, rom = _PROGRESSION[i % 4]
        if 76.0 <= s < 78.5:
            chords.append(Chord(start=s, end=s + 4 * beat, label="N", roman=None))
        else:
            chords.append(Chord(start=s, end=s + 4 * beat, label=lab, roman=rom))
        s += 4 * beat
        i += 1
    notes = []
    s = 1.0
    pitch = 69.0
    while s < d - 3.0:
        dur = float(rng.choice([0.3, 0.6, 0.9]))
        if not (76.0 <= s < 78.5):
            notes.append(Note(start=round(s, 3), end=round(s + dur * 0.9, 3), pitch=pitch))
        pitch = float(np.clip(pitch + rng.choice([-2, -1, 0, 1, 2, 3, -3, 5]), 60, 81))
        s += dur
    romans = [c.roman for c in chords]
    n_loop = count_seq(romans, [r for _, r in _PROGRESSION])
    n_harm = sum(1 for c in chords if c.roman)
    # made-up tension: rises through the build, highest just before the climax
    tension = [(float(x), round(float(np.clip(0.15 + 0.6 * max(0.0, min(1.0, (x - 24) / 30))
                                              - 0.5 * max(0.0, min(1.0, (x - 56) / 20))
                                              + rng.normal(0, 0.03), 0, 1)), 4)
                if not (76.0 <= x < 78.5) else 0.0) for x in np.arange(0.0, d, 0.5)]
    harmony = Harmony(
        cadences=[Cadence(time=55.5, type="half", numerals=["iv", "V"],
                          labels=["D:min", "E:maj"], key="A minor"),
                  Cadence(time=74.0, type="authentic", numerals=["V", "i"],
                          labels=["F#:maj", "B:min"], key="B minor"),
                  Cadence(time=92.0, type="authentic", numerals=["V7", "i"],
                          labels=["E:7", "A:min"], key="A minor")],
        tension=tension,
        progression=Progression(pattern="\u2013".join(r for _, r in _PROGRESSION),
                                count=n_loop, coverage=round(4 * n_loop / n_harm, 4)))
    lead = np.array([(n.start, n.end, n.pitch) for n in notes])
    emo = [(float(x), float(np.tanh((x - 40) / 40) * 0.5 - 0.2), float(np.clip(
        -0.6 + 1.3 * max(0.0, min(1.0, (x - 20) / 36)) - (0.9 if x > 56 else 0) * (x - 56) / 40,
        -1, 1))) for x in np.arange(1.5, d - 2, 3.0)]
    return AnalysisResult(
        track=Track(path="fixture.wav", duration=d, sample_rate=44100, channels=2,
                    title=title, artist=artist),
        settings={"silence": {"min_duration": 1.0},
                  "dynamics": {"min_rise_db": 4.0, "min_buildup_seconds": 4.0}},
        version="test",
        tempo=Tempo(bpm=96.0, beats=beats, downbeats=beats[::4], curve=tempo_curve,
                    meter="4/4"),
        key=Key(label="A minor", tonic="A", mode="minor", confidence=0.81,
                segments=[KeySegment(0.0, 56.0, "A minor"), KeySegment(56.0, 76.0, "B minor"),
                          KeySegment(78.5, d, "A minor")]),
        chords=chords,
        harmony=harmony,
        melody=Melody(notes=notes, figures=melody_figures(lead)),
        instruments=[Instrument("piano", [(1.0, 76.0), (78.5, d - 2.0)]),
                     Instrument("strings", [(24.0, 76.0)]),
                     Instrument("bass", [(32.0, 76.0)]),
                     Instrument("drums", [(40.0, 70.0)])],
        lead_instruments=[LeadInstrument(1.0, 24.0, "piano", "intro"),
                          LeadInstrument(24.0, 56.0, "strings", "verse"),
                          LeadInstrument(56.0, 76.0, "strings", "chorus"),
                          LeadInstrument(78.5, 88.0, "piano", "verse"),
                          LeadInstrument(88.0, d - 2.0, "piano", "outro")],
        loudness=Loudness(integrated_lufs=-21.3, range_lu=14.2, true_peak_dbtp=-3.1, curve=curve),
        buildups=[Buildup(start=24.0, end=55.5, rise_db=17.6, intensity_rise_db=19.0)],
        climax=Climax(time=56.2, loudness_lufs=-11.9, prominence_db=11.4),
        silences=[Silence(a, b) for a, b in silences],
        sections=[Section(1.0, 24.0, "intro"), Section(24.0, 56.0, "verse"),
                  Section(56.0, 76.0, "chorus"), Section(78.5, 88.0, "verse"),
                  Section(88.0, d - 2.0, "outro")],
        emotion=Emotion(valence=-0.21, arousal=-0.12,
                        moods=[Mood("melancholic", 0.71,
                                    ["minor mode, from the key analysis", "legato (5 dB dips)"]),
                               Mood("longing", 0.64), Mood("hopeful", 0.22),
                               Mood("reflective", 0.52)],
                        curve=emo,
                        reasons=["valence -0.21: minor mode, from the key analysis, "
                                 "96 BPM (moderate, from the rhythm analysis)",
                                 "arousal -0.12: soft (-21 LUFS), legato (5 dB dips)"]),
        production=Production(
            peak_dbfs=-3.2, true_peak_dbtp=-3.1, plr_db=18.2, crest_factor_db=19.5,
            clipped_samples=0, dc_offset=[0.0, 0.0], stereo_correlation=0.52,
            stereo_width=0.21, spectral_balance={"low": 0.35, "mid": 0.6, "high": 0.05},
            targets={"streaming": {"target_lufs": -14.0, "tolerance_lu": 1.0,
                                   "max_true_peak_dbtp": -1.0, "offset_lu": -7.3,
                                   "gain_to_target_db": 7.3, "loudness_ok": False,
                                   "true_peak_ok": True, "true_peak_after_gain_dbtp": 4.2},
                     "broadcast_ebu_r128": {"target_lufs": -23.0, "tolerance_lu": 0.5,
                                            "max_true_peak_dbtp": -1.0, "offset_lu": 1.7,
                                            "gain_to_target_db": -1.7, "loudness_ok": False,
                                            "true_peak_ok": True,
                                            "true_peak_after_gain_dbtp": -4.8}}),
        descriptors=Descriptors(acousticness=0.62, danceability=0.41, energy=0.38,
                                instrumentalness=0.7, liveness=None, loudness=-21.3,
                                speechiness=None, tempo=96.0, valence=0.395, key=9, mode=0,
                                time_signature=4, duration_ms=int(d * 1000)),
    )


def minimal_result(duration: float = 30.0) -> AnalysisResult:
    """Only the track: no facet at all."""
    return AnalysisResult(track=Track(path="bare.wav", duration=duration, sample_rate=44100,
                                      channels=1))
