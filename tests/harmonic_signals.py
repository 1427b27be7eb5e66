"""Synthetic harmonic signals with known chords and keys (additive, seeded).

Each note is a sum of harmonics with random amplitudes around a ``0.6 ** (h-1)``
decay and random phases, under a short attack and an exponential decay, so
the signals look like plucked or struck instruments rather than pure
templates. Pitch classes: 0 = C.
"""

from __future__ import annotations

import numpy as np

QUALITY_INTERVALS = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11),
    "min7": (0, 3, 7, 10), "dim": (0, 3, 6), "hdim7": (0, 3, 6, 10), "sus4": (0, 5, 7),
    "sus2": (0, 2, 7), "maj6": (0, 4, 7, 9), "min6": (0, 3, 7, 9),
}
NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


def note(midi: float, dur: float, *, sr: int, rng: np.random.Generator, a4: float = 440.0,
         n_harm: int = 10, gain: float = 0.1, decay_s: float = 1.5) -> np.ndarray:
    """One harmonic note of ``dur`` seconds."""
    n = int(round(dur * sr))
    t = np.arange(n) / sr
    f0 = a4 * 2 ** ((midi - 69) / 12)
    x = np.zeros(n)
    for h in range(1, n_harm + 1):
        if h * f0 >= sr / 2 - 100:
            break
        amp = 0.6 ** (h - 1) * rng.uniform(0.7, 1.3)
        x += amp * np.sin(2 * np.pi * h * f0 * t + rng.uniform(0, 2 * np.pi))
    env = np.minimum(1.0, t / 0.01) * np.exp(-t / decay_s)
    return gain * x * env


def chord_tones(root: int, quality: str, bass_iv: int = 0) -> list[int]:
    """MIDI notes of a close voicing around middle C plus a bass note.

    The bass is the root, or ``bass_iv`` semitones above it (an inversion).
    """
    ivs = QUALITY_INTERVALS[quality]
    base = 55 + (root - 55) % 12  # root between G3 and F#4
    return [36 + (root + bass_iv) % 12] + [base + i for i in ivs]


def chord_sequence(chords: list[tuple], *, sr: int, rng: np.random.Generator,
                   a4: float = 440.0, restrike: float | None = None,
                   noise_db: float = -60.0) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """Audio of ``(root, quality, seconds[, bass interval])`` chords and their Harte truth.

    Root -1 is silence; the truth labels carry no bass.

    ``restrike``: re-attack the chord every this many seconds (None: once).
    """
    parts = []
    truth = []
    t = 0.0
    for root, q, dur, *inv in chords:
        n = int(round(dur * sr))
        x = np.zeros(n)
        if root >= 0:
            step = restrike or dur
            k = 0.0
            while k < dur - 1e-9:
                seg = min(step, dur - k)
                i0 = int(round(k * sr))
                for m in chord_tones(root, q, inv[0] if inv else 0):
                    y = note(m, seg, sr=sr, rng=rng, a4=a4, gain=0.12 if m < 48 else 0.08)
                    x[i0:i0 + y.size] += y[:n - i0]
                k += step
            truth.append((t, t + dur, f"{NAMES[root]}:{q}"))
        else:
            truth.append((t, t + dur, "N"))
        parts.append(x)
        t += dur
    y = np.concatenate(parts)
    y += rng.standard_normal(y.size) * 10 ** (noise_db / 20)
    return y.astype(np.float32), truth


def progression(key_tonic: int, mode: str, degrees: list[tuple[int, str]], *, bar: float,
                repeats: int) -> list[tuple[int, str, float]]:
    """Chords from ``(semitones above the tonic, quality)`` pairs, repeated."""
    out = []
    for _ in range(repeats):
        for iv, q in degrees:
            out.append(((key_tonic + iv) % 12, q, bar))
    return out


MAJOR_CADENCE = [(0, "maj"), (5, "maj"), (7, "7"), (0, "maj")]
MAJOR_POP = [(0, "maj"), (9, "min"), (5, "maj"), (7, "maj")]
MINOR_CADENCE = [(0, "min"), (5, "min"), (7, "7"), (0, "min")]
MINOR_AEOLIAN = [(0, "min"), (8, "maj"), (3, "maj"), (10, "maj")]
