"""Write the small input clips of the musicnn golden test (tests/data/musicnn/*.flac).

Three 9.0 s clips (three 3 s patches each), mono, 16 kHz (musicnn's rate, so
neither the reference nor the port resamples), 16-bit FLAC, rendered with
FluidSynth + FluidR3_GM from MIDI written here with a fixed seed:

* ``piano_strings``: soft piano arpeggios, strings entering at 4 s;
* ``band``: drums, picked bass and overdriven guitar chords, peak at -1 dBFS
  (large mel values);
* ``voices_synth``: choir and a synth lead over a pad, with 1 s of digital
  silence at 4-5 s and the last 2 s 30 dB quieter (zero and small mel values).

Run in the SongLens venv (needs pretty_midi, soundfile, fluidsynth)::

    PYTHONPATH=src python scripts/make_musicnn_test_audio.py

then record the reference outputs with ``scripts/record_musicnn_goldens.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pretty_midi
import soundfile as sf
import soxr

from songlens.testing.render import render_midi

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "musicnn"
SR = 16000
DURATION = 9.0


def note(inst: pretty_midi.Instrument, pitch: int, start: float, end: float, vel: int) -> None:
    inst.notes.append(pretty_midi.Note(velocity=vel, pitch=pitch, start=start, end=end))


def piano_strings(rng: np.random.Generator) -> pretty_midi.PrettyMIDI:
    pm = pretty_midi.PrettyMIDI(initial_tempo=80)
    piano = pretty_midi.Instrument(program=0)
    strings = pretty_midi.Instrument(program=48)
    chords = [[57, 60, 64], [53, 57, 60], [48, 52, 55], [55, 59, 62]]
    for i in range(36):
        t = i * 0.25
        ch = chords[(i // 8) % 4]
        note(piano, ch[i % 3] + 12 * (i % 2), t, t + 0.5, int(rng.integers(45, 70)))
    for b in range(3):
        for p in chords[b + 1]:
            note(strings, p, 4.0 + b * 1.7, 4.0 + (b + 1) * 1.7, 80)
    pm.instruments += [piano, strings]
    return pm


def band(rng: np.random.Generator) -> pretty_midi.PrettyMIDI:
    pm = pretty_midi.PrettyMIDI(initial_tempo=110)
    drums = pretty_midi.Instrument(program=0, is_drum=True)
    bass = pretty_midi.Instrument(program=34)
    guitar = pretty_midi.Instrument(program=29)
    beat = 60 / 110
    roots = [40, 43, 45, 38]
    for k in range(int(DURATION / beat)):
        t = k * beat
        note(drums, 36 if k % 2 == 0 else 38, t, t + 0.1, 110)
        note(drums, 42, t, t + 0.05, 80)
        note(drums, 42, t + beat / 2, t + beat / 2 + 0.05, 70)
        r = roots[(k // 4) % 4]
        note(bass, r, t, t + beat * 0.9, int(rng.integers(90, 110)))
        for p in (r + 12, r + 19, r + 24):
            note(guitar, p, t, t + beat * 0.95, 100)
    pm.instruments += [drums, bass, guitar]
    return pm


def voices_synth(rng: np.random.Generator) -> pretty_midi.PrettyMIDI:
    pm = pretty_midi.PrettyMIDI(initial_tempo=90)
    choir = pretty_midi.Instrument(program=52)
    lead = pretty_midi.Instrument(program=81)
    pad = pretty_midi.Instrument(program=89)
    scale = [60, 62, 64, 65, 67, 69, 71, 72]
    t = 0.0
    while t < DURATION:
        d = float(rng.choice([0.33, 0.67]))
        note(choir, int(rng.choice(scale)), t, t + d, 90)
        note(lead, int(rng.choice(scale)) + 12, t, t + d / 2, 85)
        t += d
    for p in (48, 55, 64):
        note(pad, p, 0.0, DURATION, 70)
    pm.instruments += [choir, lead, pad]
    return pm


def render(pm: pretty_midi.PrettyMIDI) -> np.ndarray:
    y = render_midi(pm, sr=44100).mean(axis=0)
    y = soxr.resample(y, 44100, SR, quality="HQ")
    n = int(DURATION * SR)
    y = np.concatenate([y, np.zeros(max(0, n - y.size), np.float32)])[:n]
    return (y / np.abs(y).max() * 10 ** (-1 / 20)).astype(np.float32)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(4)
    for name, make in (("piano_strings", piano_strings), ("band", band),
                       ("voices_synth", voices_synth)):
        y = render(make(rng))
        if name == "piano_strings":
            y *= 10 ** (-12 / 20)
        if name == "voices_synth":
            y[4 * SR:5 * SR] = 0.0
            y[7 * SR:] *= 10 ** (-30 / 20)
        path = OUT / f"{name}.flac"
        sf.write(path, y, SR, subtype="PCM_16")
        print(path, path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
