"""Rendered arrangements with designed instrument entries, exits and lead lines.

A seeded generator of pieces for the instrument timeline: a tempo, a key, a
four-chord loop and 6-8 sections of 4 bars; 4-7 instrument classes, each with
an entry section and possibly an exit section (the first one plays alone in
the intro), each playing an idiomatic part (chords, arpeggios, strums, a bass
line, a drum kit, pads, stabs); in every section one melodic instrument that
is playing carries the melody (the designed *lead*), louder than the
accompaniment. Written as MIDI, rendered with FluidSynth and a General MIDI
soundfont (:func:`songlens.testing.render.render_midi`).

Conventions
-----------
* Classes are SongLens's instrument classes (``CLASSES``). ``vocals`` are GM
  "choir aahs" / "voice oohs" (programs 52/53): sung vowels without words,
  the closest a GM soundfont gets to a voice, not real singing.
* ``Truth.instruments[cls]`` = merged ``(start, end)`` intervals (s) where a
  note of that class sounds (note-on to note-off), gaps < 2 s merged.
* ``Truth.sections`` = ``(start, end, label)``; ``lead`` = ``(start, end,
  class)`` of the designed melody instrument of each section.
* Pieces are not music to the standards of a composer: they are arranged
  like simple real songs so that entries and exits are unambiguous.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._optional import require
from .render import NOTE_NAMES, render_midi

__all__ = ["CLASSES", "GM_PROGRAMS", "Arrangement", "ArrangementTruth", "plan_arrangement",
           "compose_arrangement", "merge_intervals"]

CLASSES = ("piano", "strings", "acoustic guitar", "electric guitar", "bass", "drums",
           "vocals", "brass", "woodwinds", "synth", "organ")

GM_PROGRAMS: dict[str, tuple[int, ...]] = {
    "piano": (0, 1, 4),               # acoustic grand, bright, electric piano 1
    "strings": (48, 49, 40, 42),      # ensembles 1/2, violin, cello
    "acoustic guitar": (24, 25),      # nylon, steel
    "electric guitar": (26, 27, 29, 30),  # jazz, clean, overdriven, distortion
    "bass": (32, 33, 34),             # acoustic, finger, pick
    "drums": (0,),                    # channel 10 kit
    "vocals": (52, 53),               # choir aahs, voice oohs
    "brass": (56, 57, 61),            # trumpet, trombone, brass section
    "woodwinds": (73, 71, 68, 65),    # flute, clarinet, oboe, alto sax
    "synth": (80, 81, 89, 90),        # square lead, saw lead, warm pad, polysynth
    "organ": (16, 17, 19),            # drawbar, percussive, church
}

MELODIC = ("piano", "strings", "acoustic guitar", "electric guitar", "vocals", "brass",
           "woodwinds", "synth", "organ")
"""Classes that can carry the lead line."""

_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)
_LOOPS = {"major": ((0, 4, 5, 3), (0, 5, 3, 4), (0, 3, 4, 0), (5, 3, 0, 4)),
          "minor": ((0, 5, 2, 6), (0, 3, 4, 0), (0, 6, 5, 4), (0, 3, 6, 2))}


@dataclass
class ArrangementTruth:
    """What an arrangement contains."""

    duration: float
    tempo_bpm: float
    key: str
    soundfont: str
    instruments: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    programs: dict[str, int] = field(default_factory=dict)
    sections: list[tuple[float, float, str]] = field(default_factory=list)
    lead: list[tuple[float, float, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Arrangement:
    """The plan of a piece (before rendering)."""

    seed: int
    bpm: float
    tonic: int
    mode: str
    loop: tuple[int, ...]
    n_sections: int
    bars_per_section: int
    programs: dict[str, int]
    plays: dict[str, list[bool]]
    lead: list[str | None]


def merge_intervals(iv: list[tuple[float, float]], *,
                    gap: float = 2.0) -> list[tuple[float, float]]:
    """Sort and merge intervals closer than ``gap`` seconds."""
    out: list[list[float]] = []
    for a, b in sorted(iv):
        if out and a - out[-1][1] < gap:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(round(a, 4), round(b, 4)) for a, b in out]


def plan_arrangement(seed: int, *, classes: tuple[str, ...] | None = None) -> Arrangement:
    """Draw the plan of a piece: tempo, key, instruments, who plays where, who leads.

    Parameters
    ----------
    seed : int
    classes : tuple of str, optional
        Force this set of classes (the first plays the intro alone).
    """
    rng = np.random.default_rng(seed)
    mode = str(rng.choice(["major", "minor"]))
    bpm = float(rng.integers(70, 131))
    n_sections = int(rng.integers(6, 9))
    bars = 4
    if classes is None:
        k = int(rng.integers(4, 8))
        melodic = [c for c in CLASSES if c in MELODIC]
        first = str(rng.choice(melodic))
        others = [c for c in CLASSES if c != first]
        chosen = [first] + [str(c) for c in rng.choice(others, size=k - 1, replace=False)]
    else:
        chosen = list(classes)
    programs = {c: int(rng.choice(GM_PROGRAMS[c])) for c in chosen}
    plays: dict[str, list[bool]] = {}
    for i, c in enumerate(chosen):
        if i == 0:
            entry = 0
        else:
            entry = int(rng.integers(1, max(2, n_sections - 1)))
        # exit: a third of the instruments stop before the end (at least 2 sections after entry)
        exit_ = n_sections
        if i > 0 and rng.random() < 0.35 and entry + 2 < n_sections:
            exit_ = int(rng.integers(entry + 2, n_sections + 1))
        row = [entry <= s < exit_ for s in range(n_sections)]
        # the intro instrument sometimes rests for one middle section
        if i == 0 and n_sections > 4 and rng.random() < 0.3:
            row[int(rng.integers(2, n_sections - 1))] = False
        plays[c] = row
    lead: list[str | None] = []
    prev: str | None = None
    for s in range(n_sections):
        cands = [c for c in chosen if c in MELODIC and plays[c][s]]
        if not cands:
            lead.append(None)
            continue
        # keep the lead for two sections when possible, else hand over
        if prev in cands and rng.random() < 0.5:
            lead.append(prev)
        else:
            pick = str(rng.choice(cands))
            lead.append(pick)
            prev = pick
    return Arrangement(seed=seed, bpm=bpm, tonic=int(rng.integers(0, 12)), mode=mode,
                       loop=tuple(int(x) for x in rng.choice(len(_LOOPS[mode]), 1)),
                       n_sections=n_sections, bars_per_section=bars, programs=programs,
                       plays=plays, lead=lead)


def compose_arrangement(seed: int, *, classes: tuple[str, ...] | None = None, sr: int = 44100,
                        soundfont: str | None = None, lead_in_s: float = 1.0,
                        tail_s: float = 2.0, soundfonts: Mapping[str, str] | None = None,
                        stem_filter: Callable[[str, np.ndarray], np.ndarray] | None = None,
                        programs: Mapping[str, int] | None = None,
                        ) -> tuple[np.ndarray, ArrangementTruth]:
    """Compose, render and label one arrangement.

    Parameters
    ----------
    seed : int
    classes : tuple of str, optional
        See :func:`plan_arrangement`.
    sr : int
        Output sample rate (Hz).
    soundfont : str, optional
        Path of a GM soundfont (default: FluidR3_GM).
    soundfonts : mapping, optional
        Class -> soundfont path for classes rendered with another soundfont
        than ``soundfont`` (timbre variety for training data). Given this or
        ``stem_filter``, the classes sharing a soundfont are rendered together
        (one stem per soundfont) and the stems summed.
    stem_filter : callable, optional
        ``stem_filter(soundfont_path, y)`` -> processed stem (same shape, e.g.
        an EQ), applied to each stereo stem before mixing.
    programs : mapping, optional
        Class -> GM program replacing the plan's program of that class (the
        notes stay the same; e.g. timbres outside ``GM_PROGRAMS`` for training
        data).
    lead_in_s, tail_s : float
        Silence before the music and room for the release after it (s).

    Returns
    -------
    y : np.ndarray [shape=(2, n), dtype=float32]
        Peak-normalised to -1 dBFS.
    truth : ArrangementTruth
    """
    from .render import find_soundfont

    pretty_midi = require("pretty_midi", extra="testing", purpose="rendering ground truth")
    plan = plan_arrangement(seed, classes=classes)
    if programs:
        plan.programs.update({c: int(v) for c, v in programs.items() if c in plan.programs
                              and c != "drums"})
    rng = np.random.default_rng(seed + 7919)
    beat = 60.0 / plan.bpm
    bar = 4 * beat
    sec_len = plan.bars_per_section * bar
    scale = _MAJOR if plan.mode == "major" else _MINOR
    loop = _LOOPS[plan.mode][plan.loop[0]]
    tonic = plan.tonic
    pm = pretty_midi.PrettyMIDI(initial_tempo=plan.bpm)
    insts: dict[str, Any] = {}
    for c, prog in plan.programs.items():
        insts[c] = pretty_midi.Instrument(program=prog, is_drum=c == "drums", name=c)
    notes: dict[str, list[tuple[float, float]]] = {c: [] for c in plan.programs}

    def add(c: str, pitch: int, start: float, end: float, vel: float) -> None:
        pitch = int(pitch)
        while pitch > 100:
            pitch -= 12
        while pitch < 28 and c != "drums":
            pitch += 12
        insts[c].notes.append(pretty_midi.Note(velocity=int(np.clip(vel, 1, 127)), pitch=pitch,
                                               start=float(start), end=float(end)))
        notes[c].append((start, end))

    def chord_pcs(bar_index: int) -> list[int]:
        d = loop[bar_index % 4]
        return [(tonic + scale[(d + j) % 7] + 12 * ((d + j) // 7)) for j in (0, 2, 4)]

    # register of the lead per class (MIDI note of the tonic)
    lead_base = {"piano": 72, "strings": 72, "acoustic guitar": 64, "electric guitar": 64,
                 "vocals": 67, "brass": 67, "woodwinds": 72, "synth": 72, "organ": 72}
    for s in range(plan.n_sections):
        t_sec = lead_in_s + s * sec_len
        leader = plan.lead[s]
        # a melody for this section: 2-bar phrase repeated with variation
        phrase = _melody(rng, beats=8, scale=scale)
        for c in plan.programs:
            if not plan.plays[c][s]:
                continue
            is_lead = c == leader
            for b in range(plan.bars_per_section):
                tb = t_sec + b * bar
                pcs = chord_pcs(s * plan.bars_per_section + b)
                if is_lead:
                    base = lead_base[c] + tonic - 12 * (tonic > 6)
                    for (off, dur, deg) in phrase[(b % 2)]:
                        p = base + scale[deg % 7] + 12 * (deg // 7)
                        add(c, p, tb + off * beat, tb + (off + dur) * beat * 0.95,
                            100 + int(rng.integers(-6, 7)))
                    continue
                _accompany(c, add, rng, tb=tb, beat=beat, pcs=pcs)
    for c in plan.programs:
        pm.instruments.append(insts[c])
    end = lead_in_s + plan.n_sections * sec_len
    sf = find_soundfont(soundfont)
    truth = ArrangementTruth(
        duration=end + tail_s, tempo_bpm=plan.bpm,
        key=f"{NOTE_NAMES[tonic]} {plan.mode}", soundfont=sf.rsplit("/", 1)[-1],
        instruments={c: merge_intervals(v) for c, v in notes.items() if v},
        programs=dict(plan.programs),
        sections=[(lead_in_s + s * sec_len, lead_in_s + (s + 1) * sec_len, f"S{s + 1}")
                  for s in range(plan.n_sections)],
        lead=[(lead_in_s + s * sec_len, lead_in_s + (s + 1) * sec_len, c)
              for s, c in enumerate(plan.lead) if c is not None],
    )
    n = int(round(truth.duration * sr))

    def fit(y: np.ndarray) -> np.ndarray:
        return y[:, :n] if y.shape[1] >= n else np.pad(y, ((0, 0), (0, n - y.shape[1])))

    if soundfonts is None and stem_filter is None:
        y = fit(render_midi(pm, sr=sr, soundfont=sf))
    else:
        fonts = dict(soundfonts or {})
        truth.soundfont = "mixed" if fonts else truth.soundfont
        y = np.zeros((2, n), dtype=np.float32)
        groups: dict[str, list[str]] = {}
        for c in plan.programs:
            groups.setdefault(find_soundfont(fonts.get(c, sf)), []).append(c)
        for key, members in groups.items():
            one = pretty_midi.PrettyMIDI(initial_tempo=plan.bpm)
            one.instruments.extend(insts[c] for c in members)
            stem = fit(render_midi(one, sr=sr, soundfont=key))
            if stem_filter is not None:
                stem = np.asarray(stem_filter(key, stem), dtype=np.float32)
            y += stem
    peak = float(np.abs(y).max())
    if peak > 0:
        y = y * np.float32(10 ** (-1 / 20) / peak)
    return y.astype(np.float32), truth


def _melody(rng: np.random.Generator, *, beats: int, scale: tuple[int, ...]
            ) -> list[list[tuple[float, float, int]]]:
    """Two bars of melody as (onset beat in bar, duration in beats, scale degree)."""
    bars: list[list[tuple[float, float, int]]] = [[], []]
    deg = int(rng.integers(0, 5))
    t = 0.0
    while t < beats - 1e-9:
        dur = float(rng.choice([0.5, 1.0, 1.0, 1.5, 2.0]))
        dur = min(dur, beats - t)
        deg = int(np.clip(deg + rng.choice([-2, -1, -1, 0, 1, 1, 2, 3]), -2, 9))
        bars[int(t // 4)].append((t % 4, dur if (t % 4) + dur <= 4 else 4 - t % 4, deg))
        t += dur
    return bars


def _accompany(c: str, add: Any, rng: np.random.Generator, *, tb: float, beat: float,
               pcs: list[int]) -> None:
    """One bar of an idiomatic accompaniment part for class ``c``."""
    vel = 72 + rng.integers(-6, 7)
    if c == "drums":
        for k in range(4):
            t = tb + k * beat
            add(c, 36 if k % 2 == 0 else 38, t, t + 0.1, 100)
            for h in range(2):
                add(c, 42, t + h * beat / 2, t + h * beat / 2 + 0.05, 75)
        return
    if c == "bass":
        root = 36 + pcs[0] % 12
        for k in range(4):
            p = root + (7 if k == 2 else 0)
            add(c, p, tb + k * beat, tb + (k + 0.9) * beat, vel + 10)
        return
    if c == "piano":
        for k in range(8):
            p = 48 + pcs[k % 3] % 12 + (12 if k % 4 == 3 else 0)
            add(c, p, tb + k * beat / 2, tb + (k + 1) * beat / 2, vel)
        return
    if c == "acoustic guitar":
        for k in range(4):  # strummed chords on the beat, 20 ms between strings
            for j, pc in enumerate([pcs[0], pcs[1], pcs[2], pcs[0] + 12]):
                t = tb + k * beat + 0.02 * j
                add(c, 52 + pc % 12, t, tb + (k + 0.95) * beat, vel)
        return
    if c == "electric guitar":
        for k in range(8):  # power chords in eighths
            t = tb + k * beat / 2
            for iv in (0, 7, 12):
                add(c, 40 + pcs[0] % 12 + iv, t, t + beat / 2 * 0.9, vel + 5)
        return
    if c in ("strings", "organ", "synth", "vocals"):
        base = {"strings": 55, "organ": 55, "synth": 60, "vocals": 60}[c]
        for pc in pcs:
            add(c, base + (pc - base) % 12, tb, tb + 4 * beat * 0.98, vel - 4)
        return
    if c == "brass":
        for k in (0, 2):  # stabs on beats 1 and 3
            for pc in pcs:
                add(c, 55 + (pc - 55) % 12, tb + k * beat, tb + (k + 0.6) * beat, vel + 8)
        return
    if c == "woodwinds":
        for k in range(4):  # a soft counter-line of chord tones
            pc = pcs[k % 3]
            add(c, 67 + (pc - 67) % 12, tb + k * beat, tb + (k + 0.9) * beat, vel - 2)
        return
    raise ValueError(f"no accompaniment for {c!r}")
