"""Pieces composed to express one emotion quadrant with the established cues.

Each piece is composed in code from a seed, with the cue levels that music
psychology associates with the intended emotion (Gabrielsson & Lindström 2010;
Eerola, Friberg & Bresin 2013), rendered with FluidSynth, and returned with its
truth (quadrant, mode, tempo and the lead melody's notes):

=========  ==================================================================
quadrant   cues
=========  ==================================================================
happy      major, fast (124-160 BPM), loud, staccato, high register, bright
           instruments (xylophone, trumpet, piccolo, bright piano...)
tender     major, slow (56-76 BPM), soft, legato, middle register, soft
           instruments (flute, violin, nylon guitar, clarinet...)
sad        minor, slow (48-70 BPM), soft, legato, low register, dark
           instruments (cello, bassoon, horn, low piano...)
tense      minor with diminished/clustered chords (dissonant), fast
           (132-172 BPM), loud, staccato, low brass/strings ostinato
=========  ==================================================================

Within each quadrant the tonic, tempo, instruments, melody and rhythm vary
with the seed. Quadrants: happy = (+valence, +arousal), tense = (-, +),
sad = (-, -), tender = (+, -).

Conventions
-----------
Times in seconds; melody notes ``(start, end, midi_pitch)`` of the lead part.
Levels are not normalised after rendering: soft pieces stay soft.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._optional import require
from .render import NOTE_NAMES, render_midi

__all__ = ["QUADRANTS", "QuadrantTruth", "compose_quadrant_piece"]

QUADRANTS = {"happy": (1, 1), "tense": (-1, 1), "sad": (-1, -1), "tender": (1, -1)}
"""Quadrant -> (sign of valence, sign of arousal)."""

_MAJOR = [0, 2, 4, 5, 7, 9, 11]
_MINOR = [0, 2, 3, 5, 7, 8, 10]
_HARM_MINOR = [0, 2, 3, 5, 7, 8, 11]

_SPECS: dict[str, dict[str, Any]] = {
    "happy": dict(mode="major", bpm=(124, 160), lead=[1, 13, 12, 73, 56, 9, 72, 0],
                  comp=[0, 45, 24, 11], center=(76, 84), vel=(96, 118), art=(0.35, 0.5),
                  rhythm=[0.5, 0.5, 1.0], pad=None, drums=True),
    "tender": dict(mode="major", bpm=(56, 76), lead=[73, 40, 0, 24, 71, 74, 68, 8],
                   comp=[0, 24, 46], center=(66, 74), vel=(34, 52), art=(0.95, 1.0),
                   rhythm=[1.0, 1.0, 2.0], pad=[49, 89, 48], drums=False),
    "sad": dict(mode="minor", bpm=(48, 70), lead=[42, 70, 69, 60, 0, 41, 71, 57],
                comp=[0, 42, 48], center=(50, 58), vel=(34, 56), art=(0.95, 1.0),
                rhythm=[1.0, 2.0, 1.0], pad=[49, 48, 89], drums=False),
    "tense": dict(mode="minor", bpm=(132, 172), lead=[57, 58, 61, 43, 44, 32],
                  comp=[57, 44, 61, 48], center=(42, 50), vel=(100, 124), art=(0.3, 0.45),
                  rhythm=[0.5, 0.5, 0.25, 0.25], pad=None, drums=True),
}


@dataclass
class QuadrantTruth:
    """What a quadrant piece is known to express and contain."""

    quadrant: str
    valence_sign: int
    arousal_sign: int
    mode: str
    key: str
    tempo_bpm: float
    duration: float
    lead_program: int
    melody: list[tuple[float, float, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _melody(rng: np.random.Generator, scale: list[int], tonic: int, center: int, n_beats: float,
            rhythm: list[float]) -> list[tuple[float, float, int]]:
    """A stepwise random walk on the scale: (beat_start, beat_len, pitch)."""
    pitches = sorted(12 * o + tonic + d for o in range(1, 9) for d in scale)
    idx = int(np.argmin([abs(p - center) for p in pitches]))
    out = []
    b = 0.0
    while b < n_beats - 0.01:
        length = float(rng.choice(rhythm))
        length = min(length, n_beats - b)
        out.append((b, length, pitches[idx]))
        step = int(rng.choice([-2, -1, -1, 0, 1, 1, 2, 3, -3], p=[.08, .22, .12, .08, .22, .12,
                                                                   .08, .04, .04]))
        nxt = idx + step
        if abs(pitches[min(max(nxt, 0), len(pitches) - 1)] - center) > 7:
            nxt = idx - step
        idx = int(min(max(nxt, 0), len(pitches) - 1))
        b += length
    return out


def compose_quadrant_piece(seed: int, quadrant: str, *, seconds: float = 20.0, sr: int = 44100,
                           soundfont: str | None = None) -> tuple[np.ndarray, QuadrantTruth]:
    """Render a piece expressing ``quadrant`` ("happy", "tender", "sad", "tense").

    Returns
    -------
    y : np.ndarray [shape=(2, n), dtype=float32]
    truth : QuadrantTruth
    """
    if quadrant not in _SPECS:
        raise ValueError(f"quadrant must be one of {sorted(_SPECS)}, got {quadrant!r}")
    pretty_midi = require("pretty_midi", extra="testing", purpose="rendering ground truth")
    spec = _SPECS[quadrant]
    rng = np.random.default_rng([seed, list(_SPECS).index(quadrant)])
    bpm = float(np.round(rng.uniform(*spec["bpm"])))
    beat = 60.0 / bpm
    tonic = int(rng.integers(0, 12))
    mode = spec["mode"]
    scale = _MAJOR if mode == "major" else (_HARM_MINOR if quadrant == "tense" else _MINOR)
    n_bars = max(2, int(round(seconds / (4 * beat))))
    lead_prog = int(rng.choice(spec["lead"]))
    comp_prog = int(rng.choice(spec["comp"]))
    center = int(rng.integers(*spec["center"]))
    vel_lo, vel_hi = spec["vel"]
    art = float(rng.uniform(*spec["art"]))
    pm = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    lead = pretty_midi.Instrument(program=lead_prog, name="lead")
    comp = pretty_midi.Instrument(program=comp_prog, name="comp")
    bass = pretty_midi.Instrument(program=32 if quadrant != "tense" else 43, name="bass")
    t0 = 0.5
    if mode == "major":
        prog = [[0, 4, 5, 3], [0, 3, 4, 0], [0, 5, 3, 4]][int(rng.integers(0, 3))]
    elif quadrant == "tense":
        prog = [0, 1, 4, 0]  # i - ii(dim) - V - i, harmonic minor
    else:
        prog = [[0, 3, 4, 0], [0, 5, 2, 6], [0, 3, 5, 4]][int(rng.integers(0, 3))]
    truth = QuadrantTruth(quadrant=quadrant, valence_sign=QUADRANTS[quadrant][0],
                          arousal_sign=QUADRANTS[quadrant][1], mode=mode,
                          key=f"{NOTE_NAMES[tonic]} {mode}", tempo_bpm=bpm,
                          duration=0.0, lead_program=lead_prog)

    def add(inst: Any, pitch: int, start: float, end: float, vel: float) -> None:
        inst.notes.append(pretty_midi.Note(velocity=int(np.clip(vel, 1, 127)), pitch=int(pitch),
                                           start=float(start), end=float(end)))

    comp_base = 48 if quadrant in ("happy", "tender") else 40
    for bar in range(n_bars):
        deg = prog[bar % len(prog)]
        root = tonic + scale[deg % 7]
        chord = [root + scale[(deg + k) % 7] - scale[deg % 7] + 12 * ((deg + k) // 7 - deg // 7)
                 for k in (0, 2, 4)]
        if quadrant == "tense":
            chord = chord + [root + 1, root + 6]  # minor-second and tritone clashes
        bs = t0 + bar * 4 * beat
        vel = rng.uniform(vel_lo, vel_hi)
        # happy: a light bass an octave up (bright); the others: a deep bass
        bass_p = (40 if quadrant == "happy" else 28) + (root % 12 - 4) % 12  # E1/E2 up
        bass_vel = vel - (25 if quadrant == "happy" else 5)
        if spec["pad"] is None:
            for k in range(4 if quadrant == "happy" else 8):
                step = beat if quadrant == "happy" else beat / 2
                s = bs + k * step
                for p in chord:
                    add(comp, comp_base + (p - comp_base) % 12, s, s + step * art, vel - 12)
                add(bass, bass_p, s, s + step * art, bass_vel)
        else:
            for p in chord:
                add(comp, comp_base + (p - comp_base) % 12, bs, bs + 4 * beat, vel - 8)
            add(bass, bass_p, bs, bs + 4 * beat * 0.98, vel - 10)
    mel = _melody(rng, scale, tonic, center, n_bars * 4, spec["rhythm"])
    for b, length, p in mel:
        s = t0 + b * beat
        e = s + length * beat * art
        add(lead, p, s, e, rng.uniform(vel_lo, vel_hi) + 6)
        truth.melody.append((s, e, int(p)))
    pm.instruments.extend([lead, comp, bass])
    if spec["drums"]:
        drums = pretty_midi.Instrument(program=0, is_drum=True, name="drums")
        for k in range(n_bars * 4 * 2):
            s = t0 + k * beat / 2
            kit = (42, 44, 42, 39) if quadrant == "happy" else (45, 41, 43, 41)
            add(drums, kit[k % 4], s, s + 0.08, rng.uniform(vel_lo, vel_hi) - 10)
        pm.instruments.append(drums)
    truth.duration = t0 + n_bars * 4 * beat + 2.0
    y = render_midi(pm, sr=sr, soundfont=soundfont)
    n = int(round(truth.duration * sr))
    y = y[:, :n] if y.shape[1] >= n else np.pad(y, ((0, 0), (0, n - y.shape[1])))
    return y.astype(np.float32), truth
