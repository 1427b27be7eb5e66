"""Real compositions from music21's bundled corpus, rendered with known truth.

~36 scores (Bach chorales, Mozart, Haydn and Beethoven quartet movements, songs,
piano pieces, dances; major and minor) are converted note for note to MIDI,
rendered by FluidSynth with several General MIDI soundfonts and returned as
:class:`~songlens.testing.dataset.Piece` records like the synthetic set.

Usage::

    from songlens.testing.corpus import load_corpus
    pieces = load_corpus("benchmarks/.cache")

Conventions
-----------
* Same time, label and file conventions as :mod:`songlens.testing.dataset`.
* **Tempo and beats are exact**: each score is played at one constant tempo
  that we choose (its metronome mark when that gives 40-200 beats per minute,
  else a seeded tempo of 60-80 (chorales) or 66-100 beats per minute), with
  fermatas, tempo words and repeats ignored (the score is played straight
  through, as written). Times are those of the score at that tempo; the MIDI
  file rounds them to its tick grid (< 1 ms). Beats follow music21's beat of each time signature
  (quarter in 2/4, 3/4, 4/4; dotted quarter in 6/8, 9/8, 12/8 and 3/8; half
  note in 2/2); a pickup bar has beats but no downbeat.
* **Key** (``notes["key_method"]`` says which rule gave it):

  1. the annotated key, when the score (or, for the Riemenschneider chorales,
     the expert Roman-numeral analysis shipped with music21) states one *and*
     its tonic is the bass of the final sonority (``"annotated+final"``);
  2. an expert analysis whose opening key does not end on its tonic (Phrygian
     chorales ending on V, ...) leaves the work out;
  3. otherwise the key signature read with the final bass: the major key of the
     signature if the final bass is its tonic, its relative minor if the final
     bass is that tonic (``"signature+final"``). (A score file's own key often
     says "major" by default, so it may be overruled this way.)
  4. otherwise (modal endings, half cadences) the work is left out.

  music21's own key analysis (Krumhansl-Schmuckler) is recorded in
  ``notes["music21_key"]`` for information only; it is never the truth.
* Long scores are cut at the end of the latest bar before ``max_seconds`` whose
  final sonority has the tonic in the bass (and after 45 s); a score without such
  a bar is left out. ``notes["excerpt"]`` says whether the audio is an excerpt.
* **Chords, Roman numerals and local keys** come only from the Riemenschneider
  analyses (DCML/When-in-Rome RomanText shipped with music21), mapped bar and
  beat to the score, and are kept only when the score's notes agree with them
  (at least 70 % of the sounding note time is in the labelled chords, see
  ``notes["chord_note_agreement"]``). Chord labels are Harte (``"F#:min/b3"``;
  chords outside the shorthand vocabulary are written as interval lists,
  ``"Ab:(3,#4,b6)"`` style). Time not covered by the analysis is ``"X"``
  (mir_eval ignores it); lead-in and tail are ``"N"``. Other works have no
  chord truth (``None``). No work has section truth.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._optional import require
from ..errors import ParameterError
from .dataset import (
    Piece,
    PieceTruth,
    finish_audio,
    load_truth,
    merge_intervals,
    run_fluidsynth,
    save_truth,
    soundfont_path,
)

__all__ = ["CORPUS_VERSION", "CorpusWork", "corpus_works", "build_work", "render_work",
           "load_corpus", "harte_from_pitches"]

log = logging.getLogger(__name__)

CORPUS_VERSION = "2"

# GM programs per ensemble, highest voice first (cycled over the parts).
_ENSEMBLES = {
    "organ": (19, 19, 19, 19),
    "strings": (40, 40, 41, 42),
    "woodwinds": (73, 68, 71, 70),
    "brass": (56, 60, 57, 58),
    "piano": (0,),
    "choir": (52, 52, 52, 52),
    "song": (71, 0, 0, 0),   # voice played by a clarinet, accompaniment piano
    "violin+piano": (40, 0, 0, 0),
}
_CLASS_OF_PROGRAM = {
    0: "piano", 19: "organ", 40: "strings", 41: "strings", 42: "strings", 73: "woodwinds",
    68: "woodwinds", 71: "woodwinds", 70: "woodwinds", 56: "brass", 60: "brass", 57: "brass",
    58: "brass", 52: "choir",
}


@dataclass(frozen=True)
class CorpusWork:
    """One corpus score and how to play it.

    Attributes
    ----------
    path : str
        music21 corpus path (``"bach/bwv347.mxl"``).
    ensemble : str
        A key of the ensemble table (GM programs per part).
    analysis : str or None
        music21 corpus path of a RomanText analysis of the same score.
    soundfont : str
        A key of :data:`songlens.testing.dataset.SOUNDFONT_FILES`.
    reverb : bool
    qpm : float or None
        Quarter notes per minute; ``None`` = the score's metronome mark or a default.
    max_seconds : float
    """

    path: str
    ensemble: str
    analysis: str | None = None
    soundfont: str = "FluidR3_GM.sf2"
    reverb: bool = True
    qpm: float | None = None
    max_seconds: float = 120.0

    @property
    def name(self) -> str:
        stem = self.path.rsplit(".", 1)[0].replace("/", "_")
        return "m21_" + stem.replace("-", "_")


_RIEMENSCHNEIDER = (  # analysis number -> chorale score
    (1, "bwv269.mxl"), (2, "bwv347.mxl"), (3, "bwv153.1.mxl"), (4, "bwv86.6.mxl"),
    (5, "bwv267.mxl"), (6, "bwv281.mxl"), (7, "bwv17.7.mxl"), (8, "bwv40.8.mxl"),
    (9, "bwv248.12-2.mxl"), (10, "bwv38.6.mxl"), (11, "bwv41.6.mxl"), (12, "bwv65.2.mxl"),
    (13, "bwv33.6.mxl"), (14, "bwv184.5.mxl"), (15, "bwv277.mxl"), (16, "bwv311.mxl"),
    (17, "bwv145.5.mxl"), (18, "bwv318.mxl"), (19, "bwv351.mxl"), (20, "bwv302.mxl"),
)
_OTHER_WORKS = (
    ("mozart/k155/movement2.mxl", "strings"),
    ("mozart/k458/movement2.mxl", "strings"),
    ("mozart/k80/movement3.mxl", "strings"),
    ("mozart/k156/movement3.mxl", "strings"),
    ("mozart/k545/movement1_exposition.mxl", "piano"),
    ("haydn/opus1no1/movement3.mxl", "strings"),
    ("haydn/opus74no1/movement2.mxl", "strings"),
    ("beethoven/opus18no1/movement3.mxl", "strings"),
    ("schumann_robert/opus41no1/movement3.mxl", "strings"),
    ("schumann_robert/dichterliebe_no2.xml", "song"),
    ("schumann_clara/polonaise_op1n1.mxl", "piano"),
    ("corelli/opus3no1/1grave.xml", "strings"),
    ("handel/rinaldo/Lascia_chio_pianga.mxl", "violin+piano"),
    ("joplin/maple_leaf_rag.mxl", "piano"),
    ("chopin/mazurka06-2.krn", "piano"),
    ("schubert/Lindenbaum.xml", "song"),
    ("verdi/laDonnaEMobile.mxl", "song"),
    ("beach/prayer_of_a_tired_child.musicxml", "piano"),
    ("johnson_j_r/lift_every_voice.mxl", "piano"),
    ("liliuokalani/aloha_oe.mxl", "piano"),
    ("cpebach/h186.mxl", "piano"),
    ("schumann_clara/opus17/movement3.xml", "violin+piano"),
    ("bach/bwv1.6.mxl", "brass"),
    ("bach/bwv14.5.mxl", "woodwinds"),
    ("bach/bwv108.6.mxl", "strings"),
    ("bach/bwv256.mxl", "organ"),
)
_SOUNDFONTS = ("FluidR3_GM.sf2", "MuseScore_General.sf3", "TimGM6mb.sf2")
_CHORALE_ENSEMBLES = ("organ", "strings", "woodwinds", "brass", "piano", "choir")


def corpus_works() -> list[CorpusWork]:
    """The curated list of corpus works (before the key rule filters some out).

    Returns
    -------
    list of CorpusWork
        20 Riemenschneider chorales with analyses, then 26 other works.
    """
    out = []
    for i, (num, score) in enumerate(_RIEMENSCHNEIDER):
        out.append(CorpusWork(
            path=f"bach/{score}", ensemble=_CHORALE_ENSEMBLES[i % len(_CHORALE_ENSEMBLES)],
            analysis=f"bach/choraleAnalyses/riemenschneider{num:03d}.rntxt",
            soundfont=_SOUNDFONTS[i % 3], reverb=i % 4 != 3))
    for i, (path, ens) in enumerate(_OTHER_WORKS):
        out.append(CorpusWork(path=path, ensemble=ens, soundfont=_SOUNDFONTS[(i + 1) % 3],
                              reverb=i % 5 != 2))
    return out


# --------------------------------------------------------------------------------------------
# Score -> notes, beats, key
# --------------------------------------------------------------------------------------------

_HARTE_QUALITY = {
    (0, 4, 7): "maj", (0, 3, 7): "min", (0, 3, 6): "dim", (0, 4, 8): "aug",
    (0, 4, 7, 10): "7", (0, 4, 7, 11): "maj7", (0, 3, 7, 10): "min7",
    (0, 3, 6, 10): "hdim7", (0, 3, 6, 9): "dim7", (0, 3, 7, 11): "minmaj7",
    (0, 4, 7, 9): "maj6", (0, 3, 7, 9): "min6", (0, 5, 7): "sus4", (0, 2, 7): "sus2",
}
_DEGREE = {0: "1", 1: "b2", 2: "2", 3: "b3", 4: "3", 5: "4", 6: "b5", 7: "5", 8: "#5",
           9: "6", 10: "b7", 11: "7"}


def _name(m21_name: str) -> str:
    return m21_name.replace("-", "b")


def harte_from_pitches(root: str, pcs: Sequence[int], bass_pc: int) -> str:
    """Harte label of a chord from its spelled root, pitch classes and bass.

    Parameters
    ----------
    root : str
        Root name, music21 or Harte spelling (``"B-"`` or ``"Bb"``).
    pcs : sequence of int
        Pitch classes of the chord (0 = C).
    bass_pc : int
        Pitch class of the bass.

    Returns
    -------
    str
        E.g. ``"Bb:maj7/3"``; an interval list when no shorthand fits.
    """
    r = _name(root)
    root_pc = _pc(r)
    ivs = tuple(sorted({(p - root_pc) % 12 for p in pcs}))
    quality = _HARTE_QUALITY.get(ivs)
    if quality is not None:
        label = f"{r}:{quality}"
    else:
        label = f"{r}:(" + ",".join(_DEGREE[i] for i in ivs if i) + ")"
    b = (bass_pc - root_pc) % 12
    if b:
        deg = _DEGREE[b]
        if quality == "dim7" and b == 9:
            deg = "bb7"
        label += "/" + deg
    return label


def _pc(name: str) -> int:
    base = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}[name[0]]
    return (base + name.count("#") - name.count("b")) % 12


def _key_label(k: Any) -> str:
    """mir_eval key label of a music21 key (enharmonic respelling outside mir_eval's names)."""
    tonic = _name(k.tonic.name)
    names = _MINOR_NAMES if k.mode == "minor" else _MAJOR_NAMES
    if tonic not in _MAJOR_NAMES + _MINOR_NAMES + ("D#", "Gb", "A#"):
        tonic = names[_pc(tonic)]
    return f"{tonic} {k.mode}"


@dataclass
class _ScoreData:
    notes: list[tuple[int, float, float, int, int]]  # (part, start ql, end ql, midi, vel)
    beats: list[float]       # ql
    downbeats: list[float]   # ql
    end: float               # ql
    time_signatures: list[str]
    sig_sharps: int | None
    annotated: Any | None    # music21 Key
    n_parts: int


def _score_data(score: Any) -> _ScoreData:
    m21 = require("music21", extra="testing", purpose="the corpus benchmark")
    notes: list[tuple[int, float, float, int, int]] = []
    for pi, part in enumerate(score.parts):
        flat = part.stripTies().flatten()
        for n in flat.notes:
            ql = float(n.duration.quarterLength)
            if ql <= 0:
                continue  # grace notes
            on = float(n.offset)
            vel = n.volume.velocity if n.volume.velocity is not None else 80
            for p in n.pitches:
                notes.append((pi, on, on + ql, int(round(p.ps)), int(vel)))
    beats: list[float] = []
    downbeats: list[float] = []
    tss: list[str] = []
    ts = None
    measures = list(score.parts[0].getElementsByClass(m21.stream.Measure))
    for i, m in enumerate(measures):
        if m.timeSignature is not None:
            ts = m.timeSignature
            if ts.ratioString not in tss:
                tss.append(ts.ratioString)
        if ts is None:
            raise ParameterError("score has no time signature")
        bar = float(ts.barDuration.quarterLength)
        beat = float(ts.beatDuration.quarterLength)
        dur = float(m.duration.quarterLength)
        pad = float(m.paddingLeft or 0.0)
        if i == 0 and pad == 0 and dur < bar - 1e-6:
            pad = bar - dur  # pickup bar without padding information
        start = float(m.offset) - pad
        k = 0
        while start + k * beat < float(m.offset) + dur - 1e-6:
            t = start + k * beat
            if t >= float(m.offset) - 1e-6:
                beats.append(round(t, 6))
                if k == 0:
                    downbeats.append(round(t, 6))
            k += 1
    ks = score.recurse().getElementsByClass(m21.key.KeySignature).first()
    annotated = score.recurse().getElementsByClass(m21.key.Key).first()
    end = max(e for _, _, e, _, _ in notes)
    return _ScoreData(notes, beats, downbeats, end, tss, ks.sharps if ks is not None else None,
                      annotated, len(score.parts))


def _bass_at_end(notes: list[tuple[int, float, float, int, int]], end: float) -> int | None:
    """Pitch class of the lowest note of the last sonority before ``end`` (ql)."""
    onsets = [s for _, s, _, _, _ in notes if s < end - 1e-6]
    if not onsets:
        return None
    last = max(onsets)
    sounding = [p for _, s, e, p, _ in notes if s <= last + 1e-6 and e > last + 1e-6]
    return min(sounding) % 12 if sounding else None


def _sig_keys(sharps: int) -> tuple[int, int]:
    """(major tonic pc, minor tonic pc) of a key signature."""
    major = (7 * sharps) % 12
    return major, (major + 9) % 12


_MAJOR_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_MINOR_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")


def _decide_key(annotated_label: str | None, sharps: int | None, final_bass: int | None, *,
                expert: bool) -> tuple[str | None, str]:
    """The key rule of the module Conventions: (key label or None, method)."""
    if final_bass is None:
        return None, "no final sonority"
    if annotated_label is not None and _pc(annotated_label.split()[0]) == final_bass:
        return annotated_label, "annotated+final"
    if annotated_label is not None and expert:
        return None, "expert key does not end on its tonic (modal or half-cadence ending)"
    if sharps is not None:
        major, minor = _sig_keys(sharps)
        if final_bass == major:
            return f"{_MAJOR_NAMES[major]} major", "signature+final"
        if final_bass == minor:
            return f"{_MINOR_NAMES[minor]} minor", "signature+final"
    return None, "undetermined (modal or half-cadence ending)"


def _analysis_chords(analysis: Any, score: Any, measure_starts: dict[int, tuple[float, float]]
                     ) -> list[tuple[float, float, str, str, str]]:
    """Roman numerals of a RomanText analysis on the score's time line (ql).

    Returns ``(start, end, harte, figure, key label)`` per numeral.
    """
    m21 = require("music21", extra="testing")
    out: list[tuple[float, float, str, str, str]] = []
    part = analysis.parts[0]
    ts = None
    for m in part.getElementsByClass(m21.stream.Measure):
        if m.timeSignature is not None:
            ts = m.timeSignature
        if m.number not in measure_starts or ts is None:
            continue
        bar_start, _ = measure_starts[m.number]
        beat = float(ts.beatDuration.quarterLength)
        for rn in m.getElementsByClass(m21.roman.RomanNumeral):
            pos = bar_start + (float(rn.beat) - 1.0) * beat
            pcs = [p.pitchClass for p in rn.pitches]
            harte = harte_from_pitches(rn.root().name, pcs, rn.bass().pitchClass)
            out.append((pos, pos + float(rn.quarterLength), harte, rn.figure,
                        _key_label(rn.key)))
    out.sort()
    # a numeral holds until the next one (the last keeps its own length)
    return [(a, out[i + 1][0] if i + 1 < len(out) else b, h, f, k)
            for i, (a, b, h, f, k) in enumerate(out)]


def _agreement(notes: list[tuple[int, float, float, int, int]],
               chords: list[tuple[float, float, str, str, str]]) -> float:
    """Fraction of sounding note time (ql) whose pitch class is in the labelled chord."""
    mir_chord = require("mir_eval.chord", extra="testing")
    inside = total = 0.0
    for a, b, harte, _, _ in chords:
        root, bitmap, _ = mir_chord.encode(harte)
        pcs = {(root + i) % 12 for i in np.flatnonzero(bitmap)}
        for _, s, e, p, _ in notes:
            d = min(e, b) - max(s, a)
            if d > 0:
                total += d
                inside += d * (p % 12 in pcs)
    return inside / total if total else 0.0


def _default_qpm(work: CorpusWork, beat_ql: float, rng: np.random.Generator) -> float:
    """Quarter notes per minute for a beat tempo drawn from a style range (beats/min)."""
    lo, hi = (60.0, 80.0) if work.path.startswith("bach/") else (66.0, 100.0)
    return float(np.round(rng.uniform(lo, hi) * beat_ql, 1))


def build_work(work: CorpusWork, *, seed: int = 0) -> tuple[bytes, PieceTruth] | None:
    """Parse a corpus work and build its MIDI file and truth.

    Parameters
    ----------
    work : CorpusWork
    seed : int
        Seeds the default tempo, velocities and lead-in/tail lengths.

    Returns
    -------
    (midi bytes, PieceTruth) or None
        ``None`` when the key rule or the excerpt rule leaves the work out.
    """
    m21 = require("music21", extra="testing", purpose="the corpus benchmark")
    pretty_midi = require("pretty_midi", extra="testing")
    h = int(hashlib.sha256(f"{seed}:{work.path}".encode()).hexdigest()[:12], 16)
    rng = np.random.default_rng(h)
    score = m21.corpus.parse(work.path)
    if isinstance(score, m21.stream.Opus):
        score = score.scores[0]
    data = _score_data(score)
    ts0 = score.parts[0].recurse().getElementsByClass(m21.meter.TimeSignature).first()
    beat_ql = float(ts0.beatDuration.quarterLength)

    qpm = work.qpm
    if qpm is None:
        mm = score.recurse().getElementsByClass(m21.tempo.MetronomeMark).first()
        if mm is not None and mm.number is not None:
            try:
                q = float(mm.getQuarterBPM())
            except Exception:  # noqa: BLE001 - malformed marks fall back to the default
                q = 0.0
            qpm = q if 40.0 <= q / beat_ql <= 200.0 else None
    if qpm is None:
        qpm = _default_qpm(work, beat_ql, rng)
    spq = 60.0 / qpm

    analysis = m21.corpus.parse(work.analysis) if work.analysis else None
    annotated = None
    if analysis is not None:
        rn0 = analysis.recurse().getElementsByClass(m21.roman.RomanNumeral).first()
        annotated = _key_label(rn0.key) if rn0 is not None else None
    elif data.annotated is not None:
        annotated = _key_label(data.annotated)

    # excerpt: the latest bar end within max_seconds that closes on the tonic
    end_ql = data.end
    excerpt = False
    key, method = _decide_key(annotated, data.sig_sharps, _bass_at_end(data.notes, end_ql),
                              expert=analysis is not None)
    if end_ql * spq > work.max_seconds:
        if key is None:
            return None
        tonic = _pc(key.split()[0])
        bar_ends = sorted({d for d in data.downbeats if d > 0} | {data.end})
        cands = [b for b in bar_ends if 45.0 <= b * spq <= work.max_seconds
                 and _bass_at_end(data.notes, b) == tonic]
        if not cands:
            return None
        end_ql, excerpt = max(cands), True
    if key is None:
        log.info("corpus: %s left out (%s)", work.path, method)
        return None

    notes = [(pi, s, min(e, end_ql), p, v) for pi, s, e, p, v in data.notes if s < end_ql - 1e-6]
    lead_in = float(np.round(rng.uniform(0.5, 1.5), 2))
    tail = float(np.round(rng.uniform(2.0, 3.0), 2))

    def sec(ql: float) -> float:
        return round(lead_in + ql * spq, 6)

    programs = _ENSEMBLES[work.ensemble]
    pm = pretty_midi.PrettyMIDI(resolution=960, initial_tempo=qpm)
    insts = []
    for pi in range(data.n_parts):
        prog = programs[min(pi, len(programs) - 1)]
        insts.append(pretty_midi.Instrument(program=prog, name=f"part{pi}|"
                                            f"{_CLASS_OF_PROGRAM.get(prog, 'other')}"))
    for pi, s, e, p, v in notes:
        vel = int(np.clip(v + rng.integers(-6, 7), 30, 120))
        a = sec(s)
        insts[pi].notes.append(pretty_midi.Note(velocity=vel, pitch=int(np.clip(p, 0, 127)),
                                                start=a, end=max(sec(e) - 0.01, a + 0.03)))
    for inst in insts:
        if inst.notes:
            inst.control_changes.append(pretty_midi.ControlChange(7, 100, 0.0))
            pm.instruments.append(inst)
    buf = io.BytesIO()
    pm.write(buf)
    midi = buf.getvalue()
    pm2 = pretty_midi.PrettyMIDI(io.BytesIO(midi))
    beats = [sec(b) for b in data.beats if b < end_ql - 1e-6]
    downbeats = [sec(b) for b in data.downbeats if b < end_ql - 1e-6]
    music_end = sec(end_ql)
    duration = round(music_end + tail, 6)
    beat_bpm = qpm / beat_ql

    chords: list[tuple[float, float, str]] | None = None
    romans: list[tuple[float, float, str]] | None = None
    key_segments: list[tuple[float, float, str]] | None = None
    notes_info: dict[str, Any] = {
        "corpus_path": work.path, "ensemble": work.ensemble, "qpm": round(qpm, 3),
        "excerpt": excerpt, "key_method": method, "time_signatures": data.time_signatures,
        "corpus_version": CORPUS_VERSION,
    }
    try:
        notes_info["music21_key"] = _key_label(score.analyze("key"))
    except Exception:  # noqa: BLE001 - information only
        notes_info["music21_key"] = None
    if analysis is not None:
        measure_starts: dict[int, tuple[float, float]] = {}
        for m in score.parts[0].getElementsByClass(m21.stream.Measure):
            pad = float(m.paddingLeft or 0.0)
            measure_starts.setdefault(m.number, (float(m.offset) - pad,
                                                 float(m.duration.quarterLength)))
        first_bar = min(measure_starts)
        if first_bar == 0 and measure_starts[0][0] == 0.0:
            ts_bar = float(ts0.barDuration.quarterLength)
            dur0 = measure_starts[0][1]
            if dur0 < ts_bar:
                measure_starts[0] = (dur0 - ts_bar, dur0)
        rns = [r for r in _analysis_chords(analysis, score, measure_starts) if r[0] < end_ql]
        if rns:
            agree = _agreement(notes, rns)
            notes_info["chord_note_agreement"] = round(agree, 3)
            if agree >= 0.7:
                chords = [(0.0, sec(0.0), "N")]
                romans = [(0.0, sec(0.0), "N")]
                key_segments = []
                t = 0.0
                for a, b, harte, fig, k in rns:
                    a, b = max(a, t), min(b, end_ql)
                    if b <= a:
                        continue
                    if a > t + 1e-6:
                        chords.append((sec(t), sec(a), "X"))
                        romans.append((sec(t), sec(a), "X"))
                    chords.append((sec(a), sec(b), harte))
                    romans.append((sec(a), sec(b), fig))
                    if key_segments and key_segments[-1][2] == k:
                        key_segments[-1] = (key_segments[-1][0], sec(b), k)
                    else:
                        key_segments.append((sec(a), sec(b), k))
                    t = b
                if t < end_ql - 1e-6:
                    chords.append((sec(t), music_end, "X"))
                    romans.append((sec(t), music_end, "X"))
                chords.append((music_end, duration, "N"))
                romans.append((music_end, duration, "N"))
            else:
                log.info("corpus: %s analysis does not fit the score (%.2f)", work.path, agree)

    inst_ivs: dict[str, list[tuple[float, float]]] = {}
    progs: dict[str, list[int]] = {}
    for inst in pm2.instruments:
        cls = inst.name.split("|")[-1]
        inst_ivs.setdefault(cls, []).extend((n.start, n.end) for n in inst.notes)
        progs.setdefault(cls, [])
        if inst.program not in progs[cls]:
            progs[cls].append(int(inst.program))
    ts_label = data.time_signatures[0] if data.time_signatures else None
    truth = PieceTruth(
        name=work.name, source="music21", duration=duration, tempo_bpm=round(beat_bpm, 3),
        tempo_change="none", tempo_curve=[(b, round(beat_bpm, 3)) for b in beats],
        beats=beats, downbeats=downbeats, time_signature=ts_label,
        beats_per_bar=int(ts0.beatCount), beat_unit=_beat_unit(beat_ql), key=key,
        key_segments=key_segments, chords=chords, romans=romans, sections=None,
        instruments={c: merge_intervals(v, gap=2.0) for c, v in sorted(inst_ivs.items())},
        programs=progs, style="classical", soundfont=work.soundfont, reverb=work.reverb,
        drums=False, notes=notes_info,
    )
    return midi, truth


def _beat_unit(beat_ql: float) -> str:
    return {1.0: "quarter", 1.5: "dotted quarter", 2.0: "half", 0.5: "eighth",
            3.0: "dotted half"}.get(beat_ql, f"{beat_ql} quarter notes")


# --------------------------------------------------------------------------------------------
# Rendering and caching
# --------------------------------------------------------------------------------------------

def render_work(work: CorpusWork, *, cache_dir: str | os.PathLike[str], sr: int = 44100,
                seed: int = 0, overwrite: bool = False) -> Piece | None:
    """Render one corpus work to ``<cache_dir>/corpus/`` (cached like the synthetic set).

    Returns
    -------
    Piece or None
        ``None`` when the work is left out (the decision is cached too).
    """
    if not isinstance(sr, int) or sr <= 0:
        raise ParameterError(f"sr must be a positive int (Hz), got {sr!r}")
    sf = require("soundfile", extra="testing", purpose="writing rendered audio")
    font = soundfont_path(work.soundfont)
    blob = json.dumps({"w": asdict(work), "sr": sr, "seed": seed, "v": CORPUS_VERSION,
                       "sf": os.path.basename(font), "size": os.stat(font).st_size},
                      sort_keys=True)
    key = hashlib.sha256(blob.encode()).hexdigest()[:12]
    out_dir = Path(cache_dir) / "corpus"
    out_dir.mkdir(parents=True, exist_ok=True)
    audio = out_dir / f"{work.name}-{key}.flac"
    meta = out_dir / f"{work.name}-{key}.json"
    skipped = out_dir / f"{work.name}-{key}.skipped"
    if not overwrite:
        if skipped.exists():
            return None
        if audio.exists() and meta.exists():
            return Piece(work.name, audio, load_truth(meta), asdict(work))
    built = build_work(work, seed=seed)
    if built is None:
        skipped.write_text("left out by the key or excerpt rule\n")
        return None
    midi, truth = built
    y = run_fluidsynth(midi, sr=sr, soundfont=font, reverb=work.reverb)
    y = finish_audio(y, sr=sr, duration=truth.duration, noise_snr_db=None, lossy_kbps=None,
                     rng=np.random.default_rng(seed))
    truth.notes["sample_rate"] = sr
    tmp = audio.with_suffix(".tmp.flac")
    sf.write(str(tmp), y.T, sr, subtype="PCM_16")
    os.replace(tmp, audio)
    save_truth(truth, meta)
    (out_dir / f"{work.name}-{key}.mid").write_bytes(midi)
    return Piece(work.name, audio, truth, asdict(work))


def load_corpus(cache_dir: str | os.PathLike[str], *, limit: int | None = None,
                sr: int = 44100, seed: int = 0,
                progress: Callable[[int, int, str], None] | None = None) -> list[Piece]:
    """The corpus benchmark set, rendered on first use and cached.

    Parameters
    ----------
    cache_dir : path
    limit : int, optional
        Stop after this many usable pieces.
    sr : int > 0
    seed : int
    progress : callable, optional
        ``progress(i, n, path)`` before each work.

    Returns
    -------
    list of Piece
        The works the key rule keeps (about 36 of the 46 listed).
    """
    works = corpus_works()
    out: list[Piece] = []
    for i, w in enumerate(works):
        if limit is not None and len(out) >= limit:
            break
        if progress is not None:
            progress(i, len(works), w.path)
        try:
            p = render_work(w, cache_dir=cache_dir, sr=sr, seed=seed)
        except Exception as exc:  # noqa: BLE001 - one unreadable score must not stop the set
            log.warning("corpus: %s failed: %s", w.path, exc)
            continue
        if p is not None:
            out.append(p)
    return out
