"""Render pieces with known ground truth: pretty_midi + FluidSynth.

A piece is composed in code from a seeded plan (tempo, key, a chord per bar,
a section plan, which instruments play where, a dynamic arc, planned rests),
written as MIDI, rendered to stereo audio by the ``fluidsynth`` program with a
General MIDI soundfont, and returned with its :class:`Truth`.

Conventions
-----------
* Times in seconds; chords in Harte syntax (``"A:min"``), keys as ``"A minor"``.
* Planned silences are made exact: after rendering, the audio inside each
  silence is replaced by the piece's noise floor (a 20 ms fade on each side),
  as an editor's cut would, so the truth is where the audio really is silent.
* The dynamic arc is written as MIDI expression (CC 11) and velocities; its
  ground truth is the planned shape (build-up interval, climax time).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._optional import require

__all__ = ["Truth", "find_soundfont", "render_midi", "compose_arc_piece", "compose_demo",
           "NOTE_NAMES"]

NOTE_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]

SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf3/MuseScore_General.sf3",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
)

# General MIDI programs (0-based) by instrument class
PROGRAMS = {
    "piano": 0, "strings": 48, "acoustic guitar": 24, "electric guitar": 27, "bass": 33,
    "brass": 61, "woodwinds": 73, "synth": 81, "organ": 19, "choir": 52,
}


@dataclass
class Truth:
    """What a rendered piece is known to contain."""

    duration: float
    tempo_bpm: float
    key: str
    silences: list[tuple[float, float]] = field(default_factory=list)
    buildups: list[tuple[float, float]] = field(default_factory=list)
    climax: float | None = None
    chords: list[tuple[float, float, str]] = field(default_factory=list)
    sections: list[tuple[float, float, str]] = field(default_factory=list)
    instruments: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    beats: list[float] = field(default_factory=list)
    downbeats: list[float] = field(default_factory=list)
    meter: int = 4
    melody: list[tuple[float, float, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def find_soundfont(preferred: str | None = None) -> str:
    """Path of an installed GM soundfont (FluidR3 first)."""
    for cand in ([preferred] if preferred else []) + list(SOUNDFONTS):
        if cand and os.path.isfile(cand):
            return cand
    raise FileNotFoundError(
        "no General MIDI soundfont found; install Debian's fluid-soundfont-gm "
        "(apt-get install fluidsynth fluid-soundfont-gm)"
    )


def render_midi(pm: Any, *, sr: int = 44100, soundfont: str | None = None,
                reverb: bool = True, gain: float = 0.5) -> np.ndarray:
    """Render a PrettyMIDI object to stereo audio with the fluidsynth program.

    Returns
    -------
    y : np.ndarray [shape=(2, n), dtype=float32]
    """
    exe = shutil.which("fluidsynth")
    if exe is None:
        raise FileNotFoundError("the fluidsynth program is needed (apt-get install fluidsynth)")
    sf2 = find_soundfont(soundfont)
    import av

    with tempfile.TemporaryDirectory() as tmp:
        mid = Path(tmp) / "piece.mid"
        wav = Path(tmp) / "piece.wav"
        pm.write(str(mid))
        cmd = [exe, "-ni", "-q", "-g", str(gain), "-r", str(sr), "-F", str(wav),
               "-o", "synth.reverb.active=" + ("1" if reverb else "0"),
               "-o", "synth.chorus.active=0", sf2, str(mid)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=600)
        with av.open(str(wav)) as c:
            chunks = [f.to_ndarray() for f in c.decode(audio=0)]
    a = np.concatenate(chunks, axis=-1)
    if a.shape[0] == 1 and a.dtype != np.float32:  # packed s16
        a = a.reshape(-1, 2).T
    y = a.astype(np.float32)
    if np.issubdtype(a.dtype, np.integer):
        y /= 32768.0
    return y


def _add_note(inst: Any, pitch: int, start: float, end: float, vel: int | np.integer) -> None:
    pretty_midi = require("pretty_midi", extra="testing", purpose="rendering ground truth")
    inst.notes.append(pretty_midi.Note(velocity=int(np.clip(vel, 1, 127)), pitch=int(pitch),
                                       start=float(start), end=float(end)))


def _expression(inst: Any, times: np.ndarray, values: np.ndarray) -> None:
    pretty_midi = require("pretty_midi", extra="testing")
    for t, v in zip(times, values, strict=False):
        inst.control_changes.append(pretty_midi.ControlChange(11, int(np.clip(v, 0, 127)),
                                                              float(t)))


_MAJOR = [0, 2, 4, 5, 7, 9, 11]
_MINOR = [0, 2, 3, 5, 7, 8, 10]


def _triad(root_pc: int, quality: str) -> list[int]:
    third = 4 if quality == "maj" else 3
    return [root_pc, root_pc + third, root_pc + 7]


def compose_arc_piece(seed: int, *, bpm: float = 96.0, tonic: int = 9, mode: str = "minor",
                      intro_s: float = 12.0, build_s: float = 24.0, fall_s: float = 12.0,
                      gap_s: float = 2.0, outro_s: float = 10.0, lead_in_s: float = 1.5,
                      tail_s: float = 2.0, noise_dbfs: float = -80.0, sr: int = 44100,
                      soundfont: str | None = None) -> tuple[np.ndarray, Truth]:
    """A piece with a dynamic arc: quiet intro, build-up, climax, fall, rest, outro.

    Plan (seconds, section lengths rounded to whole bars): ``lead_in_s`` of
    silence; a soft piano intro of ``intro_s``; a build-up of ``build_s``
    where strings, bass and drums join and the expression rises steadily from
    pp to ff; the climax at its end; a fall of ``fall_s``; a rest of
    ``gap_s``; a soft piano outro of ``outro_s``; and ``tail_s`` of silence.
    Harmony cycles i-VI-III-VII (minor) or I-V-vi-IV
    (major), one chord per bar of 4 beats.

    Returns
    -------
    y : np.ndarray [shape=(2, n), dtype=float32]
    truth : Truth
    """
    pretty_midi = require("pretty_midi", extra="testing", purpose="rendering ground truth")
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    bar = 4 * beat
    pm = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    piano = pretty_midi.Instrument(program=PROGRAMS["piano"], name="piano")
    strings = pretty_midi.Instrument(program=PROGRAMS["strings"], name="strings")
    bass = pretty_midi.Instrument(program=PROGRAMS["bass"], name="bass")
    drums = pretty_midi.Instrument(program=0, is_drum=True, name="drums")

    scale = _MINOR if mode == "minor" else _MAJOR
    degrees = [0, 5, 2, 6] if mode == "minor" else [0, 4, 5, 3]
    qualities = (["min", "maj", "maj", "maj"] if mode == "minor"
                 else ["maj", "maj", "min", "maj"])

    def bar_chord(i: int) -> tuple[int, str]:
        d = degrees[i % 4]
        return (tonic + scale[d]) % 12, qualities[i % 4]

    # section lengths snap to whole bars, so the notes fill each section exactly
    def bars(x: float) -> float:
        return max(1, int(round(x / bar))) * bar

    intro_s, build_s, fall_s, outro_s = bars(intro_s), bars(build_s), bars(fall_s), bars(outro_s)
    t0 = lead_in_s
    t_build = t0 + intro_s
    t_climax = t_build + build_s
    t_fall_end = t_climax + fall_s
    t_outro = t_fall_end + gap_s
    t_end = t_outro + outro_s
    truth = Truth(duration=t_end + tail_s, tempo_bpm=bpm,
                  key=f"{NOTE_NAMES[tonic % 12]} {mode}")

    def level(t: float) -> float:
        """Planned expression 0..1 over time (the arc)."""
        if t < t_build:
            return 0.35
        if t < t_climax:
            return 0.35 + 0.65 * (t - t_build) / build_s
        if t < t_fall_end:
            return 1.0 - 0.55 * (t - t_climax) / fall_s
        return 0.35

    segments = [(t0, t_fall_end), (t_outro, t_end)]
    for seg_start, seg_end in segments:
        n_bars = int(round((seg_end - seg_start) / bar))
        for b in range(n_bars):
            bs = seg_start + b * bar
            root, q = bar_chord(b)
            truth.chords.append((bs, bs + bar, f"{NOTE_NAMES[root]}:{q}"))
            truth.downbeats.append(bs)
            lv = level(bs)
            vel = int(40 + 80 * lv)
            tri = _triad(root, q)
            # piano: broken chord in eighths + a melody note per beat
            for k in range(8):
                t = bs + k * beat / 2
                p = 48 + tri[k % 3] + (12 if k % 4 == 3 else 0)
                _add_note(piano, p, t, t + beat / 2 * 0.95, vel - 10 + rng.integers(-4, 5))
            for k in range(4):
                t = bs + k * beat
                truth.beats.append(t)
                deg = rng.integers(0, 7)
                p = 72 + tonic % 12 + scale[deg] - 12 * (tonic % 12 > 6)
                _add_note(piano, p, t, t + beat * 0.9, vel + rng.integers(-4, 5))
                truth.melody.append((t, t + beat * 0.9, int(p)))
            in_build = t_build - 1e-6 <= bs < t_fall_end
            if in_build:
                for p in tri:
                    _add_note(strings, 60 + p % 12, bs, bs + bar, vel)
                _add_note(bass, 36 + root, bs, bs + bar * 0.95, vel)
            if bs >= t_build + build_s / 3 - 1e-6 and bs < t_fall_end:
                for k in range(4):
                    t = bs + k * beat
                    _add_note(drums, 36 if k % 2 == 0 else 38, t, t + 0.1, vel)
                    for h in range(2):
                        _add_note(drums, 42, t + h * beat / 2, t + h * beat / 2 + 0.05, vel - 20)
    # expression arc on every melodic instrument
    times = np.arange(t0, t_end, 0.25)
    values = np.array([40 + 87 * level(t) for t in times])
    for inst in (piano, strings, bass):
        _expression(inst, times, values)
    pm.instruments.extend([piano, strings, bass, drums])
    truth.buildups = [(t_build, t_climax)]
    truth.climax = t_climax
    truth.silences = [(0.0, t0), (t_fall_end, t_outro), (t_end, t_end + tail_s)]
    truth.instruments = {
        "piano": [(t0, t_fall_end), (t_outro, t_end)],
        "strings": [(t_build, t_fall_end)],
        "bass": [(t_build, t_fall_end)],
        "drums": [(t_build + build_s / 3, t_fall_end)],
    }
    truth.sections = [(t0, t_build, "intro"), (t_build, t_climax, "build"),
                      (t_climax, t_fall_end, "climax"), (t_outro, t_end, "outro")]
    y = render_midi(pm, sr=sr, soundfont=soundfont)
    y = _fit_length(y, int(round(truth.duration * sr)))
    y = _apply_silences(y, truth.silences, sr=sr, noise_dbfs=noise_dbfs, rng=rng)
    return y, truth


def _fit_length(y: np.ndarray, n: int) -> np.ndarray:
    if y.shape[1] >= n:
        return y[:, :n]
    return np.concatenate([y, np.zeros((y.shape[0], n - y.shape[1]), y.dtype)], axis=1)


def _apply_silences(y: np.ndarray, silences: list[tuple[float, float]], *, sr: int,
                    noise_dbfs: float | None, rng: np.random.Generator,
                    fade_s: float = 0.02) -> np.ndarray:
    """Mute the planned silences (short fades) and lay a noise floor under everything."""
    gain = np.ones(y.shape[1], dtype=np.float32)
    nf = int(fade_s * sr)
    for a, b in silences:
        ia, ib = int(round(a * sr)), int(round(b * sr))
        gain[ia:ib] = 0.0
        if ia > 0:
            lo = max(0, ia - nf)
            gain[lo:ia] = np.minimum(gain[lo:ia], np.linspace(1, 0, ia - lo, dtype=np.float32))
        if ib < y.shape[1]:
            hi = min(y.shape[1], ib + nf)
            gain[ib:hi] = np.minimum(gain[ib:hi], np.linspace(0, 1, hi - ib, dtype=np.float32))
    out = y * gain
    if noise_dbfs is not None:
        out = out + (rng.standard_normal(out.shape) * 10 ** (noise_dbfs / 20)).astype(np.float32)
    return out.astype(np.float32)


def compose_demo(*, sr: int = 44100, soundfont: str | None = None) -> tuple[np.ndarray, Truth]:
    """The bundled demo: a 75 s minor-key cue with a piano intro, a build-up
    where strings, bass and drums enter, a climax, a rest and a piano coda."""
    return compose_arc_piece(2026, bpm=84.0, tonic=9, mode="minor", intro_s=11.4,
                             build_s=28.6, fall_s=11.4, gap_s=2.5, outro_s=11.4,
                             lead_in_s=1.0, tail_s=2.0, noise_dbfs=-84.0, sr=sr,
                             soundfont=soundfont)
