"""Render a varied development set for key and chord estimation.

Each piece is a seeded random walk over functional harmony (diatonic chords
with sevenths, suspensions, diminished chords, secondary dominants and
borrowed chords) in a random key, mode, tempo, meter, arrangement and
soundfont program set, optionally modulating (up a semitone or a tone for a
last chorus, or to the dominant or the relative key). Truth is written from
the MIDI plan. Used for development only; the benchmark set is rendered
independently (``songlens.testing.dataset``).

Run::

    PYTHONPATH=src python scripts/harmony_devset.py OUT_DIR N [FIRST_SEED]

Writes ``OUT_DIR/dev<seed>.npy`` (mono float32 at 22050 Hz, the pipeline's
analysis signal) and ``OUT_DIR/dev<seed>.json`` (truth: key, key segments,
chords, duration).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pretty_midi
import soxr

from songlens.testing.render import NOTE_NAMES, render_midi

QUAL = {"maj": (0, 4, 7), "min": (0, 3, 7), "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11),
        "min7": (0, 3, 7, 10), "dim": (0, 3, 6), "hdim7": (0, 3, 6, 10), "sus4": (0, 5, 7)}
MAJOR_POOL = [(0, "maj", 6), (5, "maj", 4), (7, "maj", 4), (9, "min", 3), (2, "min", 3),
              (4, "min", 1.5), (7, "7", 2), (2, "min7", 1), (5, "maj7", 1), (0, "maj7", 0.7),
              (11, "dim", 0.5), (7, "sus4", 0.6), (10, "maj", 0.6), (2, "7", 0.5),
              (8, "maj", 0.3), (5, "min", 0.3)]
MINOR_POOL = [(0, "min", 6), (5, "min", 3.5), (7, "maj", 3), (7, "7", 2), (8, "maj", 3),
              (3, "maj", 2.5), (10, "maj", 2.5), (2, "dim", 0.7), (2, "hdim7", 0.5),
              (0, "min7", 0.8), (5, "min7", 0.6), (11, "dim", 0.4), (7, "min", 0.8),
              (8, "maj7", 0.5), (7, "sus4", 0.5)]
KEY_MAJOR = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
KEY_MINOR = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"]
PADS = [0, 4, 19, 48, 52, 24, 89, 5, 16, 46]
BASSES = [32, 33, 34, 38, 43]
LEADS = [73, 40, 56, 65, 71, 80, 11, 0]


def key_name(tonic: int, mode: str) -> str:
    return f"{(KEY_MAJOR if mode == 'major' else KEY_MINOR)[tonic % 12]} {mode}"


def phrase(rng: np.random.Generator, mode: str, n: int) -> list[tuple[int, str]]:
    """n chords of a phrase that starts on the tonic and ends on a cadence."""
    pool = MAJOR_POOL if mode == "major" else MINOR_POOL
    w = np.array([p[2] for p in pool], float)
    tonic_q = "maj" if mode == "major" else "min"
    out = [(0, tonic_q)]
    for _ in range(n - 3):
        i = rng.choice(len(pool), p=w / w.sum())
        out.append(pool[i][:2])
    end = rng.random()
    if end < 0.55:
        out += [(7, "7" if rng.random() < 0.5 else "maj"), (0, tonic_q)]
    elif end < 0.7:
        out += [(5, "maj" if mode == "major" else "min"), (0, tonic_q)]
    elif end < 0.85:
        out += [(2, "min") if mode == "major" else (5, "min"), (7, "maj")]
    else:
        out += [(7, "maj"), (9, "min") if mode == "major" else (8, "maj")]
    return out[:n] if n >= 2 else out[:1]


def compose(seed: int) -> tuple[pretty_midi.PrettyMIDI, dict]:
    rng = np.random.default_rng(seed)
    tonic = int(rng.integers(12))
    mode = "major" if rng.random() < 0.55 else "minor"
    bpm = float(rng.uniform(64, 150))
    beat = 60 / bpm
    meter = 3 if rng.random() < 0.2 else 4
    bar = meter * beat
    n_phrases = int(rng.integers(4, 7))
    mod = rng.choice(["none", "none", "lift1", "lift2", "dominant", "relative"])
    pm = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    pad = pretty_midi.Instrument(program=int(rng.choice(PADS)))
    bass = pretty_midi.Instrument(program=int(rng.choice(BASSES)))
    lead = pretty_midi.Instrument(program=int(rng.choice(LEADS)))
    drums = pretty_midi.Instrument(program=0, is_drum=True)
    style = rng.choice(["block", "arp", "strum"])
    with_drums = rng.random() < 0.6
    t = 1.0
    chords, segs = [], []
    cur_tonic, cur_mode = tonic, mode
    for ph in range(n_phrases):
        if ph == n_phrases - 2 and mod != "none":
            if mod == "lift1":
                cur_tonic = (tonic + 1) % 12
            elif mod == "lift2":
                cur_tonic = (tonic + 2) % 12
            elif mod == "dominant":
                cur_tonic = (tonic + 7) % 12
            elif mod == "relative":
                cur_tonic, cur_mode = ((tonic + 3) % 12, "major") if mode == "minor" else (
                    (tonic + 9) % 12, "minor")
        seg_start = t
        n = int(rng.choice([4, 8]))
        bars_per = rng.choice([1.0, 1.0, 2.0, 0.5]) if n == 4 else rng.choice([1.0, 0.5])
        prog = phrase(rng, cur_mode, n)
        for k, (iv, q) in enumerate(prog):
            root = (cur_tonic + iv) % 12
            dur = bars_per * bar * (2 if k == len(prog) - 1 and rng.random() < 0.5 else 1)
            s, e = t, t + dur
            chords.append([s, e, f"{NOTE_NAMES[root]}:{q}"])
            tones = [root + i for i in QUAL[q]]
            vel = int(rng.integers(60, 100))
            base = 48 + int(rng.integers(0, 8))
            voic = sorted({base + (p - base) % 12 for p in tones})
            if style == "block":
                step = beat if rng.random() < 0.5 else dur
                x = s
                while x < e - 1e-6:
                    for p in voic:
                        pad.notes.append(pretty_midi.Note(vel, p, x, min(e, x + step) - 0.02))
                    x += step
            elif style == "arp":
                x, i = s, 0
                while x < e - 1e-6:
                    p = voic[i % len(voic)] + (12 if (i // len(voic)) % 2 else 0)
                    pad.notes.append(pretty_midi.Note(vel, p, x, min(e, x + beat / 2)))
                    x += beat / 2
                    i += 1
            else:
                x = s
                while x < e - 1e-6:
                    for j, p in enumerate(voic + [voic[0] + 12]):
                        pad.notes.append(pretty_midi.Note(vel, p, x + 0.015 * j,
                                                          min(e, x + beat) - 0.01))
                    x += beat
            # bass: root, sometimes the fifth on the off-beat
            x = s
            while x < e - 1e-6:
                p = 36 + root % 12 if rng.random() < 0.85 else 36 + (root + 7) % 12
                bass.notes.append(pretty_midi.Note(vel, p, x, min(e, x + beat * 0.9)))
                x += beat * (2 if meter == 4 else 3)
            # melody: chord tones on strong beats, scale steps between
            scale = ([0, 2, 4, 5, 7, 9, 11] if cur_mode == "major" else [0, 2, 3, 5, 7, 8, 11])
            x = s
            while x < e - 1e-6:
                if rng.random() < 0.6:
                    p = 72 + (tones[int(rng.integers(len(tones)))] % 12)
                else:
                    p = 72 + (cur_tonic + scale[int(rng.integers(7))]) % 12
                d = beat * float(rng.choice([0.5, 1, 1, 2]))
                if rng.random() < 0.85:
                    lead.notes.append(pretty_midi.Note(int(vel * 0.9), p, x, min(e, x + d)))
                x += d
            if with_drums:
                x = s
                kk = 0
                while x < e - 1e-6:
                    drums.notes.append(pretty_midi.Note(90, 36 if kk % 2 == 0 else 38, x, x + 0.1))
                    drums.notes.append(pretty_midi.Note(60, 42, x + beat / 2, x + beat / 2 + 0.05))
                    x += beat
                    kk += 1
            t = e
        segs.append([seg_start, t, key_name(cur_tonic, cur_mode)])
    pm.instruments += [pad, bass, lead] + ([drums] if with_drums else [])
    merged: list[list] = []
    for s in segs:
        if merged and merged[-1][2] == s[2]:
            merged[-1][1] = s[1]
        else:
            merged.append(list(s))
    held: dict[str, float] = {}
    for a, b, k in merged:
        held[k] = held.get(k, 0.0) + b - a
    # the global key is the key held for the longest total time (mir_eval/MIREX practice)
    truth = {"key": max(held, key=lambda k: held[k]), "key_segments": merged, "chords": chords,
             "duration": t + 2.0, "modulation": str(mod), "tempo_bpm": bpm}
    return pm, truth


def main() -> None:
    out = Path(sys.argv[1])
    n = int(sys.argv[2])
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    out.mkdir(parents=True, exist_ok=True)
    for seed in range(first, first + n):
        pm, truth = compose(seed)
        y = render_midi(pm, sr=44100)
        need = int(truth["duration"] * 44100)
        y = y[:, :need] if y.shape[1] >= need else np.pad(y, ((0, 0), (0, need - y.shape[1])))
        mono = soxr.resample(y.mean(axis=0), 44100, 22050, quality="HQ").astype(np.float32)
        np.save(out / f"dev{seed}.npy", mono)
        (out / f"dev{seed}.json").write_text(json.dumps(truth))
        print(seed, truth["key"], truth["modulation"], f"{truth['duration']:.1f}s", flush=True)


if __name__ == "__main__":
    main()
