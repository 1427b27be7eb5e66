"""Labelled synthetic songs for rhythm, harmony and form (issue 3).

A seeded generator of ~36 pieces (60-120 s each) composed in code, written as
MIDI, rendered by the ``fluidsynth`` program with several General MIDI
soundfonts, and returned with their full ground truth (:class:`PieceTruth`):
tempo (with step changes, accelerandi and ritardandi), beats, downbeats,
meter, keys with modulations and tuning, chords (Harte syntax) with Roman
numerals, sections, and instrument activity. Rendering is cached on disk, keyed
by a hash of the piece specification and the soundfont.

Usage::

    from songlens.testing.dataset import load_dataset
    pieces = load_dataset("benchmarks/.cache")          # renders once, then reads the cache
    for p in pieces:
        p.audio_path, p.truth.beats, p.truth.key, p.truth.chords

Conventions
-----------
* Times are in seconds from the start of the audio file. Every piece begins
  with 0.5-2 s of silence (the lead-in) and ends with 2-3 s of decay (the tail).
* **Beats** are the counted beats of the meter: quarter notes in 2/4, 3/4 and
  4/4; **dotted quarters in 6/8** (two beats per bar, as a listener taps).
  ``tempo_bpm`` and ``tempo_curve`` are in those beats per minute, so a 6/8
  piece at 60 BPM has a MIDI tempo of 90 quarter notes per minute.
* **Downbeats** are the first beat of every bar. The final bar holds one tonic
  chord; only its downbeat is a beat (nothing is articulated after it).
* Beat times come from the *written MIDI file's* tempo map (integer
  microseconds per quarter note, what FluidSynth plays), not from the request.
  Notes are humanised by up to ±6 ms (drums ±3 ms) around that grid.
* ``tempo_curve`` holds ``(beat time, 60 / inter-beat interval)`` for every beat
  (the last beat repeats the previous value). ``tempo_bpm`` is the tempo held for
  the longest total time (here always the opening tempo).
  Accelerandi/ritardandi are linear in musical time, in steps of one eighth note.
* Keys are written ``"Eb major"``/``"C# minor"`` (mir_eval). ``key_segments``
  ``(start, end, key)`` cover the music (first downbeat to the end of the final
  chord); ``key`` is the key held for the longest total time. Modulations are
  abrupt at a section start: the last chorus (or last main section) a semitone
  or a tone up, or the bridge/B section in the relative or dominant key.
* ``tuning_cents``: deviation of all pitched parts from A4 = 440 Hz, applied by
  MIDI pitch bend (drums are unaffected).
* Chords are Harte labels spelled in the local key (``"Bb:maj7"``,
  ``"D:min/b3"``, ``"C#:dim"``, ``"G:sus4"``), with ``"N"`` over the lead-in and
  the tail, so the chord intervals cover ``[0, duration]`` exactly. ``romans``
  has the same intervals with Roman numerals relative to the local key
  (``"I"``, ``"V7"``, ``"ii6"`` first inversion, ``"I64"``, ``"viio"``, ``"#io"``,
  ``"Vsus4"``, ``"Imaj7"``, ``"iiø7"``, ``"bVII"``; minor keys use natural-minor
  degrees, so ``"V"`` in minor is the major dominant written explicitly).
* Sections ``(start, end, label)`` cover the music; labels are ``intro``,
  ``verse``, ``prechorus``, ``chorus``, ``bridge``, ``outro`` (pop, ballad) or
  letters ``A``/``B`` (jazz, classical, march, folk). Repeated sections repeat
  their harmony and melody (transposed when the key changed); consecutive
  sections with the same label are still separate sections.
* ``instruments``: class name (``piano``, ``strings``, ``acoustic guitar``,
  ``electric guitar``, ``bass``, ``drums``, ``brass``, ``woodwinds``, ``synth``,
  ``organ``) -> merged intervals where at least one note of that class sounds
  (note-on to note-off of the MIDI file; gaps shorter than 2 s are merged).
* Production: ``soundfont``, ``reverb`` (FluidSynth reverb on/off),
  ``noise_snr_db`` (pink noise added at that SNR, else ``None``) and ``lossy``
  (``"mp3 128 kbps"``: encoded with libmp3lame through PyAV, decoded back and
  re-aligned to the sample; else ``None``). Audio is stored as 16-bit FLAC,
  stereo, peak-normalised to -1 dBFS.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .._optional import require
from ..errors import ParameterError

__all__ = [
    "GENERATOR_VERSION", "DEFAULT_SEED", "STYLES", "METERS", "PieceSpec", "PieceTruth",
    "Piece", "Composition", "synthetic_specs", "compose_piece", "render_piece", "load_dataset",
    "write_lab_files", "save_truth", "load_truth", "soundfont_path", "merge_intervals",
    "finish_audio", "run_fluidsynth",
]

log = logging.getLogger(__name__)

GENERATOR_VERSION = "2"
"""Bumped whenever the composition or rendering changes; part of the cache key.
Version 2 puts the second chord stab on a beat (version 1 accented the half bar
of 3/4 pieces, a 6/8 pattern)."""

DEFAULT_SEED = 2026
RESOLUTION = 960
"""MIDI ticks per quarter note."""

SOUNDFONT_FILES = {
    "FluidR3_GM.sf2": ("/usr/share/sounds/sf2/FluidR3_GM.sf2",),
    "MuseScore_General.sf3": ("/usr/share/sounds/sf3/MuseScore_General.sf3",
                              "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3"),
    "TimGM6mb.sf2": ("/usr/share/sounds/sf2/TimGM6mb.sf2",),
}
"""Soundfont name -> candidate paths (Debian: fluid-soundfont-gm,
musescore-general-soundfont-small, timgm6mb-soundfont; TimGM6mb is GPL-2 and
used only to render test data)."""

INSTRUMENT_CLASSES = ("piano", "strings", "acoustic guitar", "electric guitar", "bass",
                      "drums", "brass", "woodwinds", "synth", "organ")


# --------------------------------------------------------------------------------------------
# Meters, keys and spelling
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Meter:
    """A time signature and how its beat is counted."""

    label: str
    beats_per_bar: int
    beat_ticks: int
    beat_unit: str

    @property
    def bar_ticks(self) -> int:
        return self.beats_per_bar * self.beat_ticks

    @property
    def eighths_per_beat(self) -> int:
        return self.beat_ticks // (RESOLUTION // 2)


METERS = {
    "2/4": Meter("2/4", 2, RESOLUTION, "quarter"),
    "3/4": Meter("3/4", 3, RESOLUTION, "quarter"),
    "4/4": Meter("4/4", 4, RESOLUTION, "quarter"),
    "6/8": Meter("6/8", 2, RESOLUTION * 3 // 2, "dotted quarter"),
}

_LETTERS = "CDEFGAB"
_NATURAL = (0, 2, 4, 5, 7, 9, 11)
_SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
_TONICS = {
    "major": ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"),
    "minor": ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"),
}


def _pc(name: str) -> int:
    """Pitch class of a spelled note name (``"Eb"`` -> 3)."""
    pc = _NATURAL[_LETTERS.index(name[0])]
    return (pc + name.count("#") - name.count("b")) % 12


def _spell(letter: int, pc: int) -> str:
    """Name of pitch class ``pc`` written on letter index ``letter`` (0 = C)."""
    acc = (pc - _NATURAL[letter % 7]) % 12
    if acc > 6:
        acc -= 12
    if abs(acc) > 2:
        raise ParameterError(f"cannot spell pitch class {pc} on letter {_LETTERS[letter % 7]}")
    return _LETTERS[letter % 7] + ("#" * acc if acc > 0 else "b" * -acc)


@dataclass(frozen=True)
class KeySig:
    """A key: spelled tonic and mode."""

    tonic: str
    mode: str

    @property
    def label(self) -> str:
        return f"{self.tonic} {self.mode}"

    @property
    def pc(self) -> int:
        return _pc(self.tonic)

    def transpose(self, semitones: int) -> KeySig:
        return KeySig(_TONICS[self.mode][(self.pc + semitones) % 12], self.mode)

    def relative(self) -> KeySig:
        if self.mode == "major":
            return KeySig(_TONICS["minor"][(self.pc + 9) % 12], "minor")
        return KeySig(_TONICS["major"][(self.pc + 3) % 12], "major")

    def dominant(self) -> KeySig:
        return self.transpose(7)


# --------------------------------------------------------------------------------------------
# Chords: Roman-numeral tokens -> Harte labels and pitch classes
# --------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"^(?P<acc>[b#]?)(?P<num>VII|VI|IV|V|III|II|I|vii|vi|iv|v|iii|ii|i)"
    r"(?P<q>maj7|7|o7|ø7|o|sus4|sus2|\+)?(?P<inv>64|6)?$"
)
_NUMERALS = ("i", "ii", "iii", "iv", "v", "vi", "vii")
QUALITY_INTERVALS = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8),
    "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11), "min7": (0, 3, 7, 10),
    "hdim7": (0, 3, 6, 10), "dim7": (0, 3, 6, 9), "sus4": (0, 5, 7), "sus2": (0, 2, 7),
}
"""Harte shorthand -> semitones above the root (the notes the parts play)."""
_HARTE_DEGREE = {3: "b3", 4: "3", 6: "b5", 7: "5", 8: "#5"}


@dataclass(frozen=True)
class ChordSym:
    """A chord realised in a key."""

    roman: str
    harte: str
    root_pc: int
    pcs: tuple[int, ...]
    bass_pc: int


def realize_chord(token: str, key: KeySig) -> ChordSym:
    """Turn a Roman-numeral token into a spelled Harte chord in ``key``.

    Parameters
    ----------
    token : str
        ``[b|#]numeral[quality][inversion]``: case gives major/minor, quality is
        one of ``7 maj7 o o7 ø7 sus4 sus2 +``, inversion ``6`` or ``64``.
    key : KeySig

    Returns
    -------
    ChordSym
    """
    m = _TOKEN_RE.match(token)
    if m is None:
        raise ParameterError(f"bad chord token {token!r}")
    num, q, inv = m["num"], m["q"] or "", m["inv"] or ""
    upper = num.isupper()
    degree = _NUMERALS.index(num.lower())
    alter = {"": 0, "b": -1, "#": 1}[m["acc"]]
    if upper:
        quality = {"": "maj", "7": "7", "maj7": "maj7", "sus4": "sus4", "sus2": "sus2",
                   "+": "aug"}.get(q)
    else:
        quality = {"": "min", "7": "min7", "o": "dim", "o7": "dim7", "ø7": "hdim7"}.get(q)
    if quality is None:
        raise ParameterError(f"quality {q!r} does not go with numeral {num!r} in {token!r}")
    root_pc = (key.pc + _SCALES[key.mode][degree] + alter) % 12
    letter = _LETTERS.index(key.tonic[0]) + degree
    root = _spell(letter, root_pc)
    ivs = QUALITY_INTERVALS[quality]
    harte = f"{root}:{quality}"
    bass_pc = root_pc
    if inv:
        if len(ivs) != 3 or quality in ("sus4", "sus2"):
            raise ParameterError(f"inversions are only written for triads: {token!r}")
        bass_iv = ivs[1] if inv == "6" else ivs[2]
        harte += "/" + _HARTE_DEGREE[bass_iv]
        bass_pc = (root_pc + bass_iv) % 12
    pcs = tuple((root_pc + i) % 12 for i in ivs)
    return ChordSym(roman=token, harte=harte, root_pc=root_pc, pcs=pcs, bass_pc=bass_pc)


# Progressions: style -> mode -> role -> alternatives; a progression is a list of
# bars, a bar holds one token or two (split at the half bar).
_POP = {
    "major": {
        "intro": [["I", "V", "vi", "IV"], ["vi", "IV", "I", "V"]],
        "verse": [["I", "V", "vi", "IV"], ["I", "vi", "IV", "V"]],
        "prechorus": [["ii", "IV", "Vsus4", "V"], ["IV", "V", "ii", "Vsus4"]],
        "chorus": [["vi", "IV", "I", "V"], ["IV", "V", "iii", "vi"], ["I", "V", "vi", "IV"]],
        "bridge": [["ii", "V", "iii", "vi"], ["IV", "iii", "ii", "Vsus4"]],
        "outro": [["IV", "V", "I", "I"], ["vi", "IV", "V", "V"]],
    },
    "minor": {
        "intro": [["i", "VI", "III", "VII"], ["i", "iv", "VII", "III"]],
        "verse": [["i", "VI", "III", "VII"], ["i", "VII", "VI", "VII"]],
        "prechorus": [["iv", "VI", "Vsus4", "V"], ["VI", "VII", "iv", "V"]],
        "chorus": [["VI", "VII", "i", "i"], ["i", "iv", "VII", "III"], ["VI", "III", "VII", "i"]],
        "bridge": [["iv", "i", "VI", "V"], ["VI", "VII", "III", "Vsus4"]],
        "outro": [["VI", "VII", "i", "i"], ["iv", "V", "i", "i"]],
    },
}
_BALLAD = {
    "major": {
        "intro": [["Imaj7", "IV", "Imaj7", "IV"], ["I", "V6", "vi", "IV"]],
        "verse": [["I", "V6", "vi", "IV"], ["I", "iii", "IV", "V"]],
        "chorus": [["IV", "V", "iii", "vi"], ["IV", "I6", "ii7", "Vsus4 V"],
                   ["I", "vi", "IV", "V"]],
        "bridge": [["vi", "iii", "IV", "V"], ["ii7", "V", "Imaj7", "vi7"]],
        "outro": [["IV", "V", "Imaj7", "I"], ["IV", "iv", "I", "I"]],
    },
    "minor": {
        "intro": [["i", "VI", "iv", "V"], ["i", "v", "VI", "III"]],
        "verse": [["i", "VI", "iv", "V"], ["i", "III", "VII", "iv"]],
        "chorus": [["VI", "VII", "III", "i"], ["iv", "i", "V", "i"], ["VI", "iv", "Vsus4", "V"]],
        "bridge": [["VI", "III", "VII", "V"], ["iv", "VII", "IIImaj7", "VI"]],
        "outro": [["iv", "V", "i", "i"], ["VI", "V", "i", "i"]],
    },
}
_JAZZ = {
    "major": {
        "intro": [["ii7", "V7", "Imaj7", "V7"], ["iii7", "vi7", "ii7", "V7"]],
        "A": [["Imaj7", "vi7", "ii7", "V7"], ["Imaj7", "#io", "ii7", "V7"],
              ["ii7 V7", "Imaj7", "ii7 V7", "Imaj7"]],
        "B": [["iii7", "vi7", "ii7", "Vsus4 V7"], ["IVmaj7", "iv7", "iii7", "vi7"]],
        "outro": [["ii7", "V7", "Imaj7", "Imaj7"]],
    },
    "minor": {
        "intro": [["i7", "iv7", "iiø7", "V7"]],
        "A": [["i7", "iv7", "iiø7", "V7"], ["i7", "VImaj7", "iiø7 V7", "i7"]],
        "B": [["IIImaj7", "VImaj7", "iiø7", "Vsus4 V7"], ["iv7", "VII7", "IIImaj7", "V7"]],
        "outro": [["iiø7", "V7", "i7", "i7"]],
    },
}
_CLASSICAL = {
    "major": {
        "A": [["I", "IV", "V", "I"], ["I", "ii6", "V7", "I"], ["I", "vi", "IV", "V"],
              ["I", "IV", "I64 V7", "I"]],
        "B": [["V", "I", "IV", "V"], ["vi", "ii", "V", "I"], ["I", "IV", "viio", "I"]],
        "outro": [["IV", "I64", "V7", "I"], ["ii6", "V", "I", "I"]],
    },
    "minor": {
        "A": [["i", "iv", "V", "i"], ["i", "iio6", "V7", "i"], ["i", "VI", "iv", "V"]],
        "B": [["III", "VI", "iv", "V"], ["i", "iv", "V7", "i"], ["VI", "iio6", "V", "i"]],
        "outro": [["iv", "i64", "V7", "i"], ["iio6", "V", "i", "i"]],
    },
}
_MARCH = {
    "major": {
        "intro": [["I", "IV", "V7", "I"]],
        "A": [["I", "I", "V7", "V7"], ["I", "IV", "V7", "I"]],
        "B": [["IV", "IV", "I", "I"], ["V", "V7", "I", "I"], ["ii", "V7", "I", "vi"]],
        "outro": [["IV", "V7", "I", "I"]],
    },
    "minor": {
        "intro": [["i", "iv", "V7", "i"]],
        "A": [["i", "i", "V7", "V7"], ["i", "iv", "V7", "i"]],
        "B": [["iv", "iv", "i", "i"], ["VI", "III", "V7", "i"]],
        "outro": [["iv", "V7", "i", "i"]],
    },
}
_FOLK = {
    "major": {
        "intro": [["I", "IV", "I", "V"]],
        "A": [["I", "IV", "I", "V"], ["I", "vi", "ii", "V"], ["I", "V", "IV", "V"]],
        "B": [["IV", "I", "ii", "V"], ["vi", "IV", "I", "V"]],
        "outro": [["IV", "V", "I", "I"]],
    },
    "minor": {
        "intro": [["i", "VII", "i", "V"]],
        "A": [["i", "VII", "i", "V"], ["i", "iv", "VII", "III"], ["i", "VI", "VII", "i"]],
        "B": [["III", "VII", "i", "V"], ["VI", "VII", "i", "i"]],
        "outro": [["iv", "V", "i", "i"]],
    },
}
PROGRESSIONS = {"pop": _POP, "ballad": _BALLAD, "jazz": _JAZZ, "classical": _CLASSICAL,
                "march": _MARCH, "folk": _FOLK}
STYLES = tuple(PROGRESSIONS)

# Section plans in phrases (a phrase is `phrase_bars` bars).
_PLANS = {
    "pop": [("intro", 1), ("verse", 2), ("prechorus", 1), ("chorus", 2), ("verse", 2),
            ("prechorus", 1), ("chorus", 2), ("bridge", 2), ("chorus", 2), ("outro", 1)],
    "ballad": [("intro", 1), ("verse", 2), ("chorus", 2), ("verse", 2), ("chorus", 2),
               ("bridge", 1), ("chorus", 2), ("outro", 1)],
    "jazz": [("intro", 1), ("A", 2), ("A", 2), ("B", 2), ("A", 2), ("outro", 1)],
    "classical": [("A", 2), ("A", 2), ("B", 2), ("A", 2), ("outro", 1)],
    "march": [("intro", 1), ("A", 2), ("A", 2), ("B", 2), ("A", 2), ("outro", 1)],
    "folk": [("intro", 1), ("A", 2), ("A", 2), ("B", 2), ("B", 2), ("outro", 1)],
}
# Label written in the truth for a plan role (letters keep their role name).
_LABEL = {"intro": "intro", "verse": "verse", "prechorus": "prechorus", "chorus": "chorus",
          "bridge": "bridge", "outro": "outro", "A": "A", "B": "B"}

# Parts playing in each role: lead (melody), comp, pad, bass, drums, extra.
_ARRANGEMENT = {
    "intro": ("comp", "pad"),
    "verse": ("lead", "comp", "bass", "drums"),
    "prechorus": ("lead", "comp", "pad", "bass", "drums"),
    "chorus": ("lead", "comp", "pad", "bass", "drums", "extra"),
    "bridge": ("lead", "pad", "bass", "drums"),
    "outro": ("comp", "pad", "bass"),
    "A": ("lead", "comp", "bass", "drums"),
    "B": ("lead", "comp", "pad", "bass", "drums", "extra"),
}
_DYNAMICS = {"intro": 62, "verse": 76, "prechorus": 84, "chorus": 98, "bridge": 80,
             "outro": 64, "A": 80, "B": 90}

# Instrument palettes: style -> part -> [(class, GM program)]
_PALETTES: dict[str, dict[str, list[tuple[str, int]]]] = {
    "pop": {"lead": [("synth", 81), ("woodwinds", 73), ("brass", 56), ("electric guitar", 29)],
            "comp": [("piano", 0), ("acoustic guitar", 25), ("electric guitar", 27), ("piano", 4)],
            "pad": [("strings", 48), ("synth", 89), ("organ", 16)],
            "extra": [("brass", 61), ("strings", 49), ("synth", 90)],
            "bass": [("bass", 33), ("bass", 34), ("bass", 38)]},
    "ballad": {"lead": [("woodwinds", 71), ("woodwinds", 73), ("strings", 40), ("synth", 80)],
               "comp": [("piano", 0), ("acoustic guitar", 24), ("piano", 4)],
               "pad": [("strings", 48), ("synth", 89), ("organ", 19)],
               "extra": [("woodwinds", 68), ("brass", 60), ("strings", 49)],
               "bass": [("bass", 32), ("bass", 33)]},
    "jazz": {"lead": [("brass", 56), ("woodwinds", 65), ("woodwinds", 66), ("synth", 80)],
             "comp": [("piano", 0), ("electric guitar", 26), ("organ", 17), ("piano", 4)],
             "pad": [("strings", 48), ("organ", 16)],
             "extra": [("brass", 61), ("brass", 57)],
             "bass": [("bass", 32)]},
    "classical": {"lead": [("strings", 40), ("woodwinds", 73), ("woodwinds", 68),
                           ("woodwinds", 71)],
                  "comp": [("piano", 0), ("strings", 48), ("organ", 19)],
                  "pad": [("strings", 49), ("woodwinds", 70), ("brass", 60)],
                  "extra": [("woodwinds", 68), ("brass", 60), ("strings", 41)],
                  "bass": [("strings", 42), ("strings", 43)]},
    "march": {"lead": [("brass", 56), ("woodwinds", 72), ("woodwinds", 71)],
              "comp": [("brass", 61), ("piano", 0), ("organ", 20)],
              "pad": [("woodwinds", 71), ("brass", 60)],
              "extra": [("woodwinds", 72), ("brass", 57)],
              "bass": [("brass", 58), ("bass", 32)]},
    "folk": {"lead": [("strings", 40), ("woodwinds", 73), ("woodwinds", 75), ("organ", 21)],
             "comp": [("acoustic guitar", 25), ("piano", 0), ("acoustic guitar", 24)],
             "pad": [("strings", 48), ("organ", 21)],
             "extra": [("woodwinds", 71), ("strings", 41)],
             "bass": [("bass", 32), ("bass", 33)]},
}
_COMP_PATTERN = {"pop": ("block", "strum", "arp"), "ballad": ("arp",), "jazz": ("jazz",),
                 "classical": ("arp", "alberti", "block"), "march": ("offbeat",),
                 "folk": ("strum", "arp")}
_BPM_RANGE = {  # (style, meter) -> beat BPM range
    ("pop", "4/4"): (88, 128), ("pop", "6/8"): (52, 66),
    ("ballad", "4/4"): (64, 82), ("ballad", "3/4"): (76, 100), ("ballad", "6/8"): (46, 60),
    ("jazz", "4/4"): (108, 160), ("jazz", "3/4"): (120, 168),
    ("classical", "2/4"): (72, 100), ("classical", "3/4"): (90, 132),
    ("classical", "4/4"): (70, 96), ("classical", "6/8"): (54, 76),
    ("march", "2/4"): (104, 124), ("march", "6/8"): (100, 120),
    ("folk", "6/8"): (92, 116), ("folk", "3/4"): (96, 132), ("folk", "2/4"): (84, 110),
}

# The structural table: style, meter, mode, tempo change, modulation, drums.
_TABLE: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("pop", "4/4", "major", "none", "none", True),
    ("pop", "4/4", "major", "none", "up1", True),
    ("pop", "4/4", "minor", "step", "none", True),
    ("pop", "4/4", "minor", "none", "relative", True),
    ("pop", "4/4", "major", "rit", "up2", True),
    ("pop", "6/8", "major", "none", "none", True),
    ("pop", "4/4", "major", "accel", "none", True),
    ("pop", "4/4", "minor", "none", "none", True),
    ("ballad", "4/4", "major", "none", "up1", False),
    ("ballad", "4/4", "minor", "rit", "none", True),
    ("ballad", "3/4", "major", "none", "relative", False),
    ("ballad", "3/4", "minor", "accel", "none", False),
    ("ballad", "6/8", "major", "none", "up2", True),
    ("ballad", "6/8", "minor", "rit", "relative", False),
    ("ballad", "4/4", "major", "step", "none", True),
    ("jazz", "4/4", "major", "none", "none", True),
    ("jazz", "4/4", "major", "none", "up1", True),
    ("jazz", "4/4", "minor", "accel", "none", True),
    ("jazz", "3/4", "major", "none", "none", True),
    ("jazz", "3/4", "minor", "none", "relative", True),
    ("jazz", "4/4", "major", "step", "up2", True),
    ("classical", "2/4", "major", "none", "dominant", False),
    ("classical", "3/4", "major", "none", "dominant", False),
    ("classical", "3/4", "minor", "rit", "none", False),
    ("classical", "2/4", "minor", "none", "relative", False),
    ("classical", "6/8", "major", "none", "dominant", False),
    ("classical", "2/4", "minor", "accel", "none", False),
    ("classical", "6/8", "minor", "none", "none", False),
    ("classical", "3/4", "major", "step", "none", False),
    ("march", "2/4", "major", "none", "up1", True),
    ("march", "2/4", "major", "rit", "dominant", True),
    ("march", "6/8", "major", "none", "none", True),
    ("folk", "6/8", "minor", "none", "up2", True),
    ("folk", "6/8", "major", "step", "none", True),
    ("folk", "3/4", "minor", "none", "up1", False),
    ("folk", "2/4", "major", "accel", "none", False),
)


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PieceSpec:
    """Everything that decides a synthetic piece (hashable; its JSON is the cache key).

    Attributes
    ----------
    name : str
    seed : int
        Seeds melody, voicings, instrument choice and humanisation.
    style : str
        One of :data:`STYLES`.
    meter : str
        ``"2/4"``, ``"3/4"``, ``"4/4"`` or ``"6/8"``.
    bpm : float
        Opening tempo in beats per minute (beat as in the module Conventions).
    tempo_change : str
        ``"none"``, ``"step"`` (jump at the last main section), ``"accel"`` (over the
        section before it) or ``"rit"`` (over the outro).
    tempo_ratio : float
        Tempo after the change / opening tempo (1 for ``"none"``).
    tonic, mode : str
        Home key, e.g. ``"Eb"``, ``"major"``.
    modulation : str
        ``"none"``, ``"up1"``/``"up2"`` (last main section and outro up 1/2
        semitones), ``"relative"`` or ``"dominant"`` (bridge/B sections).
    drums : bool
    soundfont : str
        A key of :data:`SOUNDFONT_FILES`.
    reverb : bool
    noise_snr_db : float or None
    lossy_kbps : int or None
        MP3 bit rate of the lossy round trip.
    tuning_cents : float
    phrase_bars : int
        Bars per phrase of the section plan.
    lead_in_s, tail_s : float
        Silence before the first downbeat (rounded to a whole tick) and decay after
        the final chord.
    """

    name: str
    seed: int
    style: str
    meter: str
    bpm: float
    tempo_change: str
    tempo_ratio: float
    tonic: str
    mode: str
    modulation: str
    drums: bool
    soundfont: str
    reverb: bool
    noise_snr_db: float | None
    lossy_kbps: int | None
    tuning_cents: float
    phrase_bars: int
    lead_in_s: float
    tail_s: float

    def __post_init__(self) -> None:
        if self.style not in PROGRESSIONS:
            raise ParameterError(f"style must be one of {STYLES}, got {self.style!r}")
        if self.meter not in METERS:
            raise ParameterError(f"meter must be one of {tuple(METERS)}, got {self.meter!r}")
        if self.mode not in _SCALES or self.tonic not in _TONICS[self.mode]:
            raise ParameterError(f"bad key {self.tonic!r} {self.mode!r}")
        if self.tempo_change not in ("none", "step", "accel", "rit"):
            raise ParameterError(f"bad tempo_change {self.tempo_change!r}")
        if self.modulation not in ("none", "up1", "up2", "relative", "dominant"):
            raise ParameterError(f"bad modulation {self.modulation!r}")
        if not 20.0 <= self.bpm <= 300.0 or not 0.3 <= self.tempo_ratio <= 3.0:
            raise ParameterError(f"bpm {self.bpm} or tempo_ratio {self.tempo_ratio} out of range")
        if self.soundfont not in SOUNDFONT_FILES:
            raise ParameterError(f"soundfont must be one of {tuple(SOUNDFONT_FILES)}")
        if self.phrase_bars < 1 or self.lead_in_s < 0 or self.tail_s < 0:
            raise ParameterError("phrase_bars must be >= 1 and lead_in_s, tail_s >= 0")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Interval = tuple[float, float]
Labeled = tuple[float, float, str]


@dataclass
class PieceTruth:
    """Ground truth of one piece (synthetic or from the music21 corpus).

    Facets that are not known for a piece are ``None`` (not scored), never
    filled with guesses. See the module Conventions for units and label formats.
    """

    name: str
    source: str
    duration: float
    tempo_bpm: float | None = None
    tempo_change: str = "none"
    tempo_curve: list[tuple[float, float]] | None = None
    beats: list[float] | None = None
    downbeats: list[float] | None = None
    time_signature: str | None = None
    beats_per_bar: int | None = None
    beat_unit: str | None = None
    key: str | None = None
    key_segments: list[Labeled] | None = None
    modulation: str = "none"
    tuning_cents: float = 0.0
    chords: list[Labeled] | None = None
    romans: list[Labeled] | None = None
    sections: list[Labeled] | None = None
    instruments: dict[str, list[Interval]] | None = None
    programs: dict[str, list[int]] | None = None
    style: str | None = None
    soundfont: str | None = None
    reverb: bool | None = None
    noise_snr_db: float | None = None
    lossy: str | None = None
    drums: bool | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PieceTruth:
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ParameterError(f"unknown PieceTruth fields {sorted(unknown)}")
        kw = dict(d)
        for k in ("tempo_curve", "key_segments", "chords", "romans", "sections"):
            if kw.get(k) is not None:
                kw[k] = [tuple(x) for x in kw[k]]
        if kw.get("instruments") is not None:
            kw["instruments"] = {n: [tuple(iv) for iv in ivs]
                                 for n, ivs in kw["instruments"].items()}
        return cls(**kw)


class Composition(NamedTuple):
    """A composed piece: MIDI file bytes, the re-read PrettyMIDI, and its truth."""

    midi: bytes
    pm: Any
    truth: PieceTruth


@dataclass(frozen=True)
class Piece:
    """A rendered piece: audio file plus truth."""

    name: str
    audio_path: Path
    truth: PieceTruth
    spec: dict[str, Any]


def save_truth(truth: PieceTruth, path: str | os.PathLike[str]) -> None:
    """Write a truth record as JSON."""
    Path(path).write_text(json.dumps(truth.to_dict(), indent=1, sort_keys=True))


def load_truth(path: str | os.PathLike[str]) -> PieceTruth:
    """Read a truth record written by :func:`save_truth`."""
    return PieceTruth.from_dict(json.loads(Path(path).read_text()))


def write_lab_files(truth: PieceTruth, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write the truth as mir_eval text files.

    Files (only for facets that are known): ``<name>.beats.txt`` and
    ``<name>.downbeats.txt`` (one time per line, ``mir_eval.io.load_events``),
    ``<name>.chords.lab``, ``<name>.romans.lab``, ``<name>.sections.lab``,
    ``<name>.keys.lab`` (``start end label``, ``load_labeled_intervals``),
    ``<name>.key.txt`` (the global key, ``mir_eval.io.load_key``) and
    ``<name>.tempo.txt`` (MIREX tempo format ``T1 T2 w``: the global tempo, its
    double and weight 1).

    Returns
    -------
    dict
        Facet name -> written path.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}

    def put(facet: str, suffix: str, text: str) -> None:
        p = out / f"{truth.name}.{suffix}"
        p.write_text(text)
        written[facet] = p

    for facet in ("beats", "downbeats"):
        ev = getattr(truth, facet)
        if ev is not None:
            put(facet, f"{facet}.txt", "".join(f"{t:.6f}\n" for t in ev))
    for facet, suffix in (("chords", "chords.lab"), ("romans", "romans.lab"),
                          ("sections", "sections.lab"), ("key_segments", "keys.lab")):
        iv = getattr(truth, facet)
        if iv is not None:
            put(facet, suffix, "".join(f"{a:.6f}\t{b:.6f}\t{lab}\n" for a, b, lab in iv))
    if truth.key is not None:
        put("key", "key.txt", truth.key + "\n")
    if truth.tempo_bpm is not None:
        put("tempo", "tempo.txt", f"{truth.tempo_bpm:.4f}\t{2 * truth.tempo_bpm:.4f}\t1.0\n")
    return written


def merge_intervals(ivs: Iterable[Interval], *, gap: float) -> list[Interval]:
    """Union of intervals, joining those separated by less than ``gap`` seconds."""
    out: list[list[float]] = []
    for a, b in sorted(ivs):
        if out and a - out[-1][1] < gap:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(round(a, 6), round(b, 6)) for a, b in out]


# --------------------------------------------------------------------------------------------
# The specification list
# --------------------------------------------------------------------------------------------

_SF_CYCLE = ("FluidR3_GM.sf2", "MuseScore_General.sf3", "FluidR3_GM.sf2", "TimGM6mb.sf2",
             "MuseScore_General.sf3")


def _phrase_bars(style: str, meter: str, bpm: float, target_s: float) -> int:
    """Bars per phrase that bring the plan closest to ``target_s`` within 60-120 s."""
    m = METERS[meter]
    bar_s = m.beats_per_bar * 60.0 / bpm
    phrases = sum(n for _, n in _PLANS[style]) + 0.25  # + final bar, roughly
    best, best_err = 4, np.inf
    for p in (2, 4, 8, 3, 6):
        dur = phrases * p * bar_s
        err = abs(dur - target_s) + (0 if 60 <= dur <= 120 else 1000)
        if err < best_err - 1e-9:
            best, best_err = p, err
    return best


def synthetic_specs(*, seed: int = DEFAULT_SEED) -> list[PieceSpec]:
    """The benchmark's piece specifications (36), deterministic for a seed.

    The structure (style, meter, mode, tempo change, modulation, drums) is a
    fixed table balanced over the factors; tonic, tempo, soundfont, reverb,
    noise, lossy coding, tuning and phrase length are drawn from ``seed``.

    Parameters
    ----------
    seed : int

    Returns
    -------
    list of PieceSpec
    """
    rng = np.random.default_rng(seed)
    specs = []
    for i, (style, meter, mode, change, mod, drums) in enumerate(_TABLE):
        lo, hi = _BPM_RANGE[(style, meter)]
        bpm = float(np.round(rng.uniform(lo, hi), 1))
        tonic = _TONICS[mode][int(rng.integers(0, 12))]
        ratio = 1.0
        if change == "step":
            ratio = float(rng.choice([0.8, 0.87, 1.15, 1.22]))
        elif change == "accel":
            ratio = float(np.round(rng.uniform(1.12, 1.25), 3))
        elif change == "rit":
            ratio = float(np.round(rng.uniform(0.62, 0.78), 3))
        noise = float(rng.choice([20.0, 30.0])) if i % 4 == 1 else None
        lossy = int(rng.choice([96, 128, 192])) if i % 4 == 3 else None
        tuning = float(np.round(rng.uniform(10, 40) * rng.choice([-1, 1]), 1)) if i % 6 == 5 \
            else 0.0
        reverb = bool(rng.uniform() < 0.7)
        target = float(rng.uniform(70, 105))
        specs.append(PieceSpec(
            name=f"syn{i + 1:02d}_{style}_{meter.replace('/', '-')}_{mode}",
            seed=int(seed * 1000 + i), style=style, meter=meter, bpm=bpm, tempo_change=change,
            tempo_ratio=ratio, tonic=tonic, mode=mode, modulation=mod, drums=drums,
            soundfont=_SF_CYCLE[i % len(_SF_CYCLE)], reverb=reverb, noise_snr_db=noise,
            lossy_kbps=lossy, tuning_cents=tuning,
            phrase_bars=_phrase_bars(style, meter, bpm, target),
            lead_in_s=float(np.round(rng.uniform(0.5, 2.0), 2)),
            tail_s=float(np.round(rng.uniform(2.0, 3.0), 2)),
        ))
    return specs


# --------------------------------------------------------------------------------------------
# Composition
# --------------------------------------------------------------------------------------------

@dataclass
class _Section:
    role: str
    label: str
    start_bar: int
    n_bars: int
    key: KeySig
    occurrence: int


@dataclass
class _Note:
    part: str
    on: int
    off: int
    pitch: int
    vel: int


def _plan_sections(spec: PieceSpec) -> list[_Section]:
    home = KeySig(spec.tonic, spec.mode)
    plan = _PLANS[spec.style]
    main_role = {"pop": "chorus", "ballad": "chorus", "folk": "B"}.get(spec.style, "A")
    contrast_role = {"pop": "bridge", "ballad": "bridge"}.get(spec.style, "B")
    last_main = max(i for i, (r, _) in enumerate(plan) if r == main_role)
    out: list[_Section] = []
    bar = 0
    seen: dict[str, int] = {}
    for i, (role, n_phr) in enumerate(plan):
        key = home
        if spec.modulation in ("up1", "up2") and i >= last_main:
            key = home.transpose(1 if spec.modulation == "up1" else 2)
        elif spec.modulation == "relative" and role == contrast_role:
            key = home.relative()
        elif spec.modulation == "dominant" and role == contrast_role:
            key = home.dominant()
        n = n_phr * spec.phrase_bars
        out.append(_Section(role, _LABEL[role], bar, n, key, seen.get(role, 0)))
        seen[role] = seen.get(role, 0) + 1
        bar += n
    return out


def _tempo_events(spec: PieceSpec, sections: list[_Section], meter: Meter,
                  lead_ticks: int, total_bars: int) -> list[tuple[int, float]]:
    """Tempo map as ``(tick, beat BPM)`` changes, from tick 0."""
    bar_t = meter.bar_ticks
    first = lead_ticks
    b0 = spec.bpm
    b1 = spec.bpm * spec.tempo_ratio
    events = [(0, b0)]
    main_role = {"pop": "chorus", "ballad": "chorus", "folk": "B"}.get(spec.style, "A")
    last_main = max(i for i, s in enumerate(sections) if s.role == main_role)
    if spec.tempo_change == "step":
        events.append((first + sections[last_main].start_bar * bar_t, b1))
    elif spec.tempo_change in ("accel", "rit"):
        if spec.tempo_change == "accel":
            sec = sections[last_main - 1]
            r0, r1 = sec.start_bar, sec.start_bar + sec.n_bars
        else:  # rit over the outro and into the final bar's downbeat
            sec = sections[-1]
            r0, r1 = sec.start_bar, total_bars
        t0, t1 = first + r0 * bar_t, first + r1 * bar_t
        step = RESOLUTION // 2
        for t in range(t0, t1, step):
            frac = (t - t0 + step / 2) / (t1 - t0)
            events.append((t, b0 + (b1 - b0) * frac))
        events.append((t1, b1))
    return events


def _chords_of(spec: PieceSpec, sec: _Section, rng_for: Callable[[str], np.random.Generator],
               meter: Meter) -> list[tuple[int, int, ChordSym]]:
    """Chords of a section as ``(start tick rel. to section, length, chord)``."""
    table = PROGRESSIONS[spec.style][sec.key.mode]
    role = sec.role if sec.role in table else ("A" if "A" in table else "verse")
    alts = table[role]
    prog = alts[int(rng_for(f"prog:{sec.key.mode}:{role}").integers(0, len(alts)))]
    out = []
    for b in range(sec.n_bars):
        bar_tokens = prog[b % len(prog)].split()
        if sec.role == "outro" and b == sec.n_bars - 1 and len(prog) > 1:
            # the outro always closes on the tonic in its last bar
            bar_tokens = ["I" if sec.key.mode == "major" else "i"]
        if len(bar_tokens) == 2 and meter.beats_per_bar % 2 == 1:
            bar_tokens = bar_tokens[:1]  # no half-bar changes in 3/4
        n = len(bar_tokens)
        for k, tok in enumerate(bar_tokens):
            start = b * meter.bar_ticks + k * meter.bar_ticks // n
            out.append((start, meter.bar_ticks // n, realize_chord(tok, sec.key)))
    return out


def _voice(pcs: Sequence[int], lo: int, hi: int) -> list[int]:
    """Close voicing of the pitch classes, root first and lowest, the root in [lo, lo + 11].

    The whole voicing drops an octave when its top exceeds ``hi`` by more than a fourth.
    """
    notes = [lo + (pcs[0] - lo) % 12]
    for pc in pcs[1:]:
        notes.append(notes[-1] + (pc - notes[-1]) % 12)
    if notes[-1] > hi + 5 and notes[0] - 12 >= lo - 7:
        notes = [n - 12 for n in notes]
    return notes


def _melody(rng: np.random.Generator, chords: list[tuple[int, int, ChordSym]], key: KeySig,
            meter: Meter, n_bars: int) -> list[tuple[int, int, int]]:
    """A melody as ``(tick, length, scale step)``; steps count diatonic degrees from the tonic."""
    scale = _SCALES[key.mode]
    eighth = RESOLUTION // 2
    per_bar = meter.bar_ticks // eighth
    cells = {  # rhythm cells in eighths per bar (lengths summing to a bar)
        8: [[2, 2, 2, 2], [3, 1, 2, 2], [2, 1, 1, 4], [4, 2, 2], [1, 1, 2, 2, 2]],
        6: [[2, 2, 2], [3, 1, 2], [4, 2], [2, 1, 1, 2]] if meter.beats_per_bar == 3 else
           [[3, 3], [2, 1, 3], [3, 2, 1], [1, 1, 1, 3]],
        4: [[2, 2], [1, 1, 2], [3, 1], [4]],
    }[per_bar]
    out: list[tuple[int, int, int]] = []
    step = int(rng.integers(2, 5))
    for b in range(n_bars):
        cell = cells[int(rng.integers(0, len(cells)))]
        if b % 4 == 3:  # phrase end: a long note then rest
            cell = [per_bar - 2, 2] if per_bar >= 4 else [per_bar]
        t = 0
        for k, length in enumerate(cell):
            tick = b * meter.bar_ticks + t * eighth
            if b % 4 == 3 and k == len(cell) - 1 and len(cell) > 1:
                t += length
                continue  # the rest
            chord = next(c for s, n, c in reversed(chords) if s <= tick)
            if k == 0 or length >= 3:  # strong position: nearest chord tone
                cands = [s for s in range(-3, 9) if (key.pc + scale[s % 7]) % 12 in chord.pcs]
                if cands:
                    step = min(cands, key=lambda s: (abs(s - step), rng.uniform()))
            else:
                step = int(np.clip(step + rng.choice([-2, -1, -1, 1, 1, 2]), -3, 8))
            out.append((tick, length * eighth, step))
            t += length
    return out


def _step_pitch(step: int, key: KeySig, base: int) -> int:
    scale = _SCALES[key.mode]
    return base + 12 * (step // 7) + scale[step % 7]


def _drum_bar(style: str, meter: Meter, start: int, vel: int, first_of_section: bool,
              last_of_section: bool) -> list[tuple[int, int, int]]:
    """GM drum hits ``(tick, pitch, velocity)`` for one bar."""
    e = RESOLUTION // 2
    beat = meter.beat_ticks
    hits: list[tuple[int, int, int]] = []
    nb = meter.beats_per_bar
    if style == "jazz":
        swing = int(e * 1.33)
        for k in range(nb):
            t = start + k * beat
            hits.append((t, 51, vel - 10))  # ride
            hits.append((t, 36, vel - 40))  # feathered kick
            if nb == 4 and k in (1, 3) or nb == 3 and k > 0:
                hits.append((t + swing, 51, vel - 25))
                hits.append((t, 44, vel - 20))  # hi-hat pedal
    elif meter.label == "6/8":
        for k in range(6):
            hits.append((start + k * e, 42, vel - (15 if k % 3 else 5)))
        hits.append((start, 36, vel))
        hits.append((start + 3 * e, 38 if style != "march" else 38, vel - 5))
        if style == "march":
            hits.append((start + 5 * e, 38, vel - 30))
    elif meter.label == "3/4":
        hits.append((start, 36, vel))
        for k in (1, 2):
            hits.append((start + k * beat, 38 if style != "folk" else 42, vel - 20))
        for k in range(6):
            hits.append((start + k * e, 42, vel - 25))
    elif meter.label == "2/4":
        hits.append((start, 36, vel))
        hits.append((start + beat, 38, vel - 5))
        for k in range(4):
            hits.append((start + k * e, 42 if style != "march" else 38, vel - 30))
    else:  # 4/4
        hits += [(start, 36, vel), (start + 2 * beat, 36, vel - 8),
                 (start + beat, 38, vel - 3), (start + 3 * beat, 38, vel - 3)]
        hits += [(start + k * e, 42, vel - 22 - 8 * (k % 2)) for k in range(8)]
    if first_of_section:
        hits.append((start, 49, vel))
    if last_of_section:  # a short snare fill on the last beat
        t0 = start + (nb - 1) * beat
        n = meter.eighths_per_beat * 2
        hits += [(t0 + k * beat // n, 38, vel - 15 + 4 * k) for k in range(n)]
    return hits


def _compose_notes(spec: PieceSpec, meter: Meter, sections: list[_Section],
                   rng: np.random.Generator) -> tuple[list[_Note], list[tuple[int, int, ChordSym]],
                                                      dict[str, tuple[str, int]]]:
    """All notes (ticks from the first downbeat) and the chord timeline."""
    def rng_for(tag: str) -> np.random.Generator:
        h = int(hashlib.sha256(f"{spec.seed}:{tag}".encode()).hexdigest()[:12], 16)
        return np.random.default_rng(h)

    pal = _PALETTES[spec.style]
    parts = {p: pal[p][int(rng.integers(0, len(pal[p])))] for p in pal}
    comp_pattern = _COMP_PATTERN[spec.style][int(rng.integers(0, len(_COMP_PATTERN[spec.style])))]
    notes: list[_Note] = []
    timeline: list[tuple[int, int, ChordSym]] = []
    bar_t = meter.bar_ticks
    e = RESOLUTION // 2
    for si, sec in enumerate(sections):
        s0 = sec.start_bar * bar_t
        chords = _chords_of(spec, sec, rng_for, meter)
        timeline += [(s0 + s, n, c) for s, n, c in chords]
        vel = _DYNAMICS[sec.role]
        active = set(_ARRANGEMENT[sec.role])
        if not spec.drums:
            active.discard("drums")
        # the melody is fixed per role (in scale steps), so repeats repeat it
        mel = _melody(rng_for(f"melody:{sec.role}:{sec.key.mode}"), chords, sec.key, meter,
                      sec.n_bars)
        base = 60 + (sec.key.pc if sec.key.pc >= 4 else sec.key.pc + 12)
        if "lead" in active:
            for t, n, st in mel:
                notes.append(_Note("lead", s0 + t, s0 + t + int(n * 0.92),
                                   _step_pitch(st, sec.key, base), vel + 6))
        for s, n, c in chords:
            t0 = s0 + s
            pad_v = _voice(c.pcs, 55, 72)
            if "pad" in active:
                for p in pad_v:
                    notes.append(_Note("pad", t0, t0 + n - 10, p, vel - 18))
            if "extra" in active:
                # the second stab falls on the beat at or before mid-chord: in
                # 3/4 a stab half-way through the bar (version 1) accented the
                # half bar, a 6/8 pattern that contradicts the 3/4 label
                mid = (n // 2) // meter.beat_ticks * meter.beat_ticks
                stabs = [t0] + ([t0 + mid] if n >= 2 * meter.beat_ticks else [])
                for t in stabs:
                    for p in _voice(c.pcs, 62, 79)[-2:]:
                        notes.append(_Note("extra", t, t + int(e * 1.5), p, vel - 6))
            if "bass" in active:
                root = 36 + (c.bass_pc - 36) % 12
                if spec.style == "jazz":
                    nb = n // meter.beat_ticks
                    seq = [root, 36 + (c.pcs[1] - 36) % 12, 36 + (c.pcs[2] - 36) % 12,
                           root + 12 - 1][:nb] if nb > 1 else [root]
                    for k, p in enumerate(seq):
                        tk = t0 + k * meter.beat_ticks
                        notes.append(_Note("bass", tk, tk + meter.beat_ticks - 40, p, vel))
                elif meter.beats_per_bar == 3:
                    notes.append(_Note("bass", t0, t0 + meter.beat_ticks - 40, root, vel))
                else:
                    half = max(n // 2, meter.beat_ticks)
                    fifth = 36 + (c.root_pc + 7 - 36) % 12
                    for k, p in enumerate([root, fifth][: max(1, n // half)]):
                        tk = t0 + k * half
                        notes.append(_Note("bass", tk, tk + half - 40, p, vel))
            if "comp" in active:
                notes += _comp_notes(comp_pattern, c, t0, n, meter, vel - 8)
        if "drums" in active:
            for b in range(sec.n_bars):
                for t, p, v in _drum_bar(spec.style, meter, s0 + b * bar_t, vel, b == 0,
                                         b == sec.n_bars - 1 and si < len(sections) - 1):
                    notes.append(_Note("drums", t, t + 60, p, v))
    # final bar: the tonic of the last key, struck on its downbeat and held
    last = sections[-1]
    fb = (last.start_bar + last.n_bars) * bar_t
    tonic = realize_chord("I" if last.key.mode == "major" else "i", last.key)
    timeline.append((fb, bar_t, tonic))
    for p in _voice(tonic.pcs, 55, 72):
        notes.append(_Note("pad", fb, fb + bar_t, p, 70))
        notes.append(_Note("comp", fb, fb + bar_t, p - 12 if p >= 60 else p, 72))
    notes.append(_Note("bass", fb, fb + bar_t, 36 + (tonic.root_pc - 36) % 12, 80))
    notes.append(_Note("lead", fb, fb + bar_t, 60 + (last.key.pc if last.key.pc >= 4
                                                     else last.key.pc + 12), 76))
    if spec.drums:
        notes += [_Note("drums", fb, fb + 60, 49, 90), _Note("drums", fb, fb + 60, 36, 90)]
    return notes, timeline, parts


def _comp_notes(pattern: str, c: ChordSym, t0: int, n: int, meter: Meter,
                vel: int) -> list[_Note]:
    e = RESOLUTION // 2
    beat = meter.beat_ticks
    v = _voice(c.pcs, 52, 67)
    out: list[_Note] = []
    if pattern == "arp" or pattern == "alberti":
        order = [0, 2, 1, 2] if pattern == "alberti" else [0, 1, 2, 3, 2, 1]
        tones = v + [v[0] + 12]
        for k in range(n // e):
            p = tones[order[k % len(order)] % len(tones)]
            out.append(_Note("comp", t0 + k * e, t0 + (k + 1) * e - 20, p,
                             vel - (6 if k % 2 else 0)))
    elif pattern == "block":
        for k in range(n // beat):
            for p in v:
                out.append(_Note("comp", t0 + k * beat, t0 + (k + 1) * beat - 60, p,
                                 vel - (0 if k == 0 else 8)))
    elif pattern == "strum":
        for k in range(n // e):
            strong = (k * e) % beat == 0
            for j, p in enumerate(v + [v[0] + 12]):
                t = t0 + k * e + j * 12
                out.append(_Note("comp", t, t0 + (k + 1) * e - 20, p, vel - (0 if strong else 14)))
    elif pattern == "offbeat":  # after-beats: the "and" (simple) or the last eighth (6/8)
        off = 2 * e if meter.eighths_per_beat == 3 else beat // 2
        for k in range(n // beat):
            t = t0 + k * beat + off
            for p in v:
                out.append(_Note("comp", t, t + e - 40, p, vel - 6))
    elif pattern == "jazz":
        hits = [0, beat + int(e * 1.33)] if n >= 2 * beat else [0]
        for h in hits:
            if h < n:
                for p in v:
                    out.append(_Note("comp", t0 + h, t0 + h + beat - 60, p, vel - 4))
    else:  # pragma: no cover - guarded by _COMP_PATTERN
        raise ParameterError(f"unknown comp pattern {pattern!r}")
    return out


def _tick_seconds(events: list[tuple[int, float]], meter: Meter) -> list[tuple[int, float]]:
    """Tempo events as (tick, seconds per tick) with integer microseconds per quarter."""
    out = []
    for tick, beat_bpm in events:
        qpm = beat_bpm * meter.beat_ticks / RESOLUTION
        us = int(round(6e7 / qpm))
        out.append((tick, us * 1e-6 / RESOLUTION))
    return out


def _ticks_to_time(ticks: np.ndarray, scales: list[tuple[int, float]]) -> np.ndarray:
    ticks = np.asarray(ticks, dtype=float)
    out = np.zeros_like(ticks)
    t_acc = 0.0
    for i, (tk, sc) in enumerate(scales):
        nxt = scales[i + 1][0] if i + 1 < len(scales) else np.inf
        sel = (ticks >= tk) & (ticks < nxt)
        out[sel] = t_acc + (ticks[sel] - tk) * sc
        if np.isfinite(nxt):
            t_acc += (nxt - tk) * sc
    return out


def compose_piece(spec: PieceSpec) -> Composition:
    """Compose a piece as MIDI and derive its truth from the written MIDI file.

    Parameters
    ----------
    spec : PieceSpec

    Returns
    -------
    Composition
        ``midi`` (the bytes FluidSynth renders), ``pm`` (those bytes re-read by
        pretty_midi) and ``truth`` (production facts are copied from the spec).
    """
    pretty_midi = require("pretty_midi", extra="testing", purpose="composing the dataset")
    rng = np.random.default_rng(spec.seed)
    meter = METERS[spec.meter]
    sections = _plan_sections(spec)
    total_bars = sections[-1].start_bar + sections[-1].n_bars
    qpm0 = spec.bpm * meter.beat_ticks / RESOLUTION
    lead_ticks = int(round(spec.lead_in_s * qpm0 / 60.0 * RESOLUTION))
    events = _tempo_events(spec, sections, meter, lead_ticks, total_bars)
    scales = _tick_seconds(events, meter)
    notes, timeline, parts = _compose_notes(spec, meter, sections, rng)

    # humanise onsets (ticks), then shift everything by the lead-in
    sec_per_tick0 = scales[0][1]
    pm = pretty_midi.PrettyMIDI(resolution=RESOLUTION, initial_tempo=qpm0)
    pm._tick_scales = list(scales)  # the documented way to write tempo changes
    max_tick = lead_ticks + (total_bars + 2) * meter.bar_ticks
    pm._update_tick_to_time(max_tick + 1)
    num, den = (6, 8) if meter.label == "6/8" else (meter.beats_per_bar, 4)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(num, den, 0.0))
    insts: dict[str, Any] = {}
    for part, (cls, prog) in parts.items():
        insts[part] = pretty_midi.Instrument(program=prog, name=f"{part}|{cls}")
    insts["drums"] = pretty_midi.Instrument(program=0, is_drum=True, name="drums|drums")
    jitter_s = np.array([0.003 if nt.part == "drums" else 0.006 for nt in notes])
    sd = jitter_s / 2.0 / sec_per_tick0  # ticks; clipped at two standard deviations
    jit = np.clip(np.round(rng.normal(0.0, sd)), -2 * sd, 2 * sd).astype(int)
    ons = np.array([lead_ticks + nt.on for nt in notes]) + jit
    offs = np.maximum(ons + 30, np.array([lead_ticks + nt.off for nt in notes]))
    t_ons, t_offs = _ticks_to_time(ons, scales), _ticks_to_time(offs, scales)
    vels = np.clip(np.array([nt.vel for nt in notes]) + rng.integers(-5, 6, len(notes)), 20, 127)
    for nt, a, b, v in zip(notes, t_ons, t_offs, vels, strict=True):
        insts[nt.part].notes.append(pretty_midi.Note(velocity=int(v), pitch=int(nt.pitch),
                                                     start=float(a), end=float(b)))
    volumes = {"lead": 100, "comp": 84, "pad": 70, "bass": 96, "extra": 82, "drums": 92}
    for part, inst in insts.items():
        if not inst.notes:
            continue
        inst.control_changes.append(pretty_midi.ControlChange(7, volumes[part], 0.0))
        if spec.tuning_cents and not inst.is_drum:
            inst.pitch_bends.append(pretty_midi.PitchBend(
                int(round(8192 * spec.tuning_cents / 200.0)), 0.0))
        pm.instruments.append(inst)

    # write and re-read: the truth is that of the file FluidSynth plays
    buf = io.BytesIO()
    pm.write(buf)
    midi_bytes = buf.getvalue()
    pm2 = pretty_midi.PrettyMIDI(io.BytesIO(midi_bytes))

    def t_of(tick: int) -> float:
        return float(pm2.tick_to_time(int(tick)))

    n_beats = total_bars * meter.beats_per_bar
    beat_ticks = [lead_ticks + k * meter.beat_ticks for k in range(n_beats)]
    final_db = lead_ticks + total_bars * meter.bar_ticks
    beat_ticks.append(final_db)
    beats = [round(t_of(t), 6) for t in beat_ticks]
    downbeats = [b for k, b in enumerate(beats[:-1]) if k % meter.beats_per_bar == 0]
    downbeats.append(beats[-1])
    ibi = np.diff(beats)
    bpm_curve = list(np.round(60.0 / ibi, 3)) if ibi.size else [spec.bpm]
    curve = [(b, float(bpm_curve[min(k, len(bpm_curve) - 1)])) for k, b in enumerate(beats)]
    # global tempo: the tempo held for the longest total time (0.5 BPM bins)
    bins: dict[float, float] = {}
    for d, v in zip(ibi, bpm_curve, strict=True):
        bins[round(v * 2) / 2] = bins.get(round(v * 2) / 2, 0.0) + float(d)
    tempo_bpm = float(max(bins.items(), key=lambda kv: kv[1])[0]) if bins else spec.bpm
    tempo_bpm = float(np.median([v for v in bpm_curve if abs(v - tempo_bpm) <= 0.5]))

    end_music = t_of(final_db + meter.bar_ticks)
    duration = round(end_music + spec.tail_s, 6)
    start_music = beats[0]
    chords: list[Labeled] = [(0.0, start_music, "N")]
    romans: list[Labeled] = [(0.0, start_music, "N")]
    for s, n, c in timeline:
        a, b = t_of(lead_ticks + s), t_of(lead_ticks + s + n)
        chords.append((round(a, 6), round(b, 6), c.harte))
        romans.append((round(a, 6), round(b, 6), c.roman))
    chords.append((round(end_music, 6), duration, "N"))
    romans.append((round(end_music, 6), duration, "N"))
    sec_out: list[Labeled] = []
    key_segs: list[Labeled] = []
    for i, sec in enumerate(sections):
        a = t_of(lead_ticks + sec.start_bar * meter.bar_ticks)
        b = t_of(lead_ticks + (sec.start_bar + sec.n_bars) * meter.bar_ticks)
        if i == len(sections) - 1:
            b = end_music
        sec_out.append((round(a, 6), round(b, 6), sec.label))
        if key_segs and key_segs[-1][2] == sec.key.label:
            key_segs[-1] = (key_segs[-1][0], round(b, 6), sec.key.label)
        else:
            key_segs.append((round(a, 6), round(b, 6), sec.key.label))
    key_time: dict[str, float] = {}
    for a, b, lab in key_segs:
        key_time[lab] = key_time.get(lab, 0.0) + b - a
    global_key = max(key_time.items(), key=lambda kv: (kv[1], kv[0] == key_segs[0][2]))[0]

    inst_ivs: dict[str, list[Interval]] = {}
    programs: dict[str, list[int]] = {}
    for inst in pm2.instruments:
        cls = inst.name.split("|")[-1]
        inst_ivs.setdefault(cls, []).extend((n.start, n.end) for n in inst.notes)
        if not inst.is_drum:
            programs.setdefault(cls, [])
            if inst.program not in programs[cls]:
                programs[cls].append(int(inst.program))
    instruments = {c: merge_intervals(v, gap=2.0) for c, v in sorted(inst_ivs.items())}

    truth = PieceTruth(
        name=spec.name, source="synthetic", duration=duration, tempo_bpm=round(tempo_bpm, 3),
        tempo_change=spec.tempo_change, tempo_curve=curve, beats=beats, downbeats=downbeats,
        time_signature=meter.label, beats_per_bar=meter.beats_per_bar,
        beat_unit=meter.beat_unit, key=global_key, key_segments=key_segs,
        modulation=spec.modulation, tuning_cents=spec.tuning_cents, chords=chords,
        romans=romans, sections=sec_out, instruments=instruments, programs=programs,
        style=spec.style, soundfont=spec.soundfont, reverb=spec.reverb,
        noise_snr_db=spec.noise_snr_db,
        lossy=f"mp3 {spec.lossy_kbps} kbps" if spec.lossy_kbps else None, drums=spec.drums,
        notes={"tempo_ratio": spec.tempo_ratio, "phrase_bars": spec.phrase_bars,
               "generator_version": GENERATOR_VERSION},
    )
    return Composition(midi_bytes, pm2, truth)


# --------------------------------------------------------------------------------------------
# Rendering and caching
# --------------------------------------------------------------------------------------------

def soundfont_path(name: str) -> str:
    """Installed path of a soundfont named in :data:`SOUNDFONT_FILES`.

    Raises
    ------
    FileNotFoundError
        None of its candidate paths exists.
    """
    for cand in SOUNDFONT_FILES.get(name, (name,)):
        if os.path.isfile(cand):
            return cand
    raise FileNotFoundError(
        f"soundfont {name!r} is not installed; apt-get install fluid-soundfont-gm "
        "musescore-general-soundfont-small timgm6mb-soundfont"
    )


def run_fluidsynth(midi_bytes: bytes, *, sr: int, soundfont: str, reverb: bool) -> np.ndarray:
    """Render MIDI file bytes with the fluidsynth program.

    Returns
    -------
    y : np.ndarray [shape=(2, n), dtype=float32]
        Float output of the synthesizer (no clipping).
    """
    sf = require("soundfile", extra="testing", purpose="reading rendered audio")
    exe = shutil.which("fluidsynth")
    if exe is None:
        raise FileNotFoundError("the fluidsynth program is needed (apt-get install fluidsynth)")
    with tempfile.TemporaryDirectory() as tmp:
        mid = Path(tmp) / "piece.mid"
        wav = Path(tmp) / "piece.wav"
        mid.write_bytes(midi_bytes)
        cmd = [exe, "-ni", "-q", "-g", "0.4", "-r", str(sr), "-O", "float", "-T", "wav",
               "-F", str(wav), "-o", "synth.reverb.active=" + ("1" if reverb else "0"),
               "-o", "synth.chorus.active=0", soundfont, str(mid)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=900)
        y, file_sr = sf.read(str(wav), dtype="float32", always_2d=True)
    if file_sr != sr:
        raise RuntimeError(f"fluidsynth wrote {file_sr} Hz instead of {sr} Hz")
    return np.ascontiguousarray(y.T)


def _pink_noise(n: int, channels: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS pink (1/f power) noise, shape ``(channels, n)``."""
    from scipy.fft import irfft, next_fast_len, rfft

    m = next_fast_len(n, real=True)
    spec = rfft(rng.standard_normal((channels, m)), axis=1)
    f = np.arange(spec.shape[1], dtype=float)
    f[0] = 1.0
    spec /= np.sqrt(f)
    x = irfft(spec, n=m, axis=1)[:, :n]
    return x / np.sqrt(np.mean(x ** 2))


def _mp3_roundtrip(y: np.ndarray, *, sr: int, kbps: int) -> np.ndarray:
    """Encode to MP3 (libmp3lame via PyAV), decode, and re-align to the input."""
    av = require("av", extra="testing")
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp3") as out:
        st = out.add_stream("libmp3lame", rate=sr, layout="stereo")
        st.bit_rate = kbps * 1000
        hop = 1152 * 16
        for i in range(0, y.shape[1], hop):
            fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(y[:, i:i + hop]),
                                            format="fltp", layout="stereo")
            fr.sample_rate = sr
            fr.pts = i
            for pkt in st.encode(fr):
                out.mux(pkt)
        for pkt in st.encode(None):
            out.mux(pkt)
    chunks = []
    with av.open(io.BytesIO(buf.getvalue())) as inp:
        for fr in inp.decode(audio=0):
            a = fr.to_ndarray()
            if fr.format.is_packed:
                a = a.reshape(-1, 2).T
            chunks.append(a.astype(np.float32))
    z = np.concatenate(chunks, axis=1)
    return _align_to(z, y, max_lag=4096, window=20 * sr)


def _align_to(z: np.ndarray, y: np.ndarray, *, max_lag: int, window: int) -> np.ndarray:
    """Shift ``z`` (channels, m) so it lines up with ``y`` (channels, n); same shape as ``y``.

    The lag maximises the cross-correlation of the mono mixes over the first
    ``window`` samples, searched in ``[-max_lag, max_lag]`` samples.
    """
    from scipy.signal import correlate

    n = min(y.shape[1], window)
    a = y.mean(0)[:n].astype(np.float64)
    b = np.concatenate([np.zeros(max_lag), z.mean(0).astype(np.float64), np.zeros(2 * max_lag)])
    b = b[:n + 2 * max_lag]
    c = correlate(b, a, mode="valid", method="fft")  # c[k]: z lagged by k - max_lag
    lag = int(np.argmax(c)) - max_lag
    out = np.zeros_like(y)
    if lag >= 0:
        seg = z[:, lag:lag + y.shape[1]]
        out[:, :seg.shape[1]] = seg
    else:
        seg = z[:, :y.shape[1] + lag]
        out[:, -lag:-lag + seg.shape[1]] = seg
    return out


def finish_audio(y: np.ndarray, *, sr: int, duration: float, noise_snr_db: float | None,
                 lossy_kbps: int | None, rng: np.random.Generator) -> np.ndarray:
    """Fit to ``duration``, add noise, peak-normalise to -1 dBFS, lossy round trip.

    Parameters
    ----------
    y : np.ndarray [shape=(2, n)]
    sr : int > 0
    duration : float
        Length of the output (s).
    noise_snr_db : float or None
        Pink noise level relative to the RMS of the audible part.
    lossy_kbps : int or None
    rng : np.random.Generator

    Returns
    -------
    y : np.ndarray [shape=(2, round(duration * sr)), dtype=float32]
    """
    n = int(round(duration * sr))
    out = np.zeros((2, n), dtype=np.float64)
    m = min(n, y.shape[1])
    out[:, :m] = y[:, :m]
    peak = float(np.max(np.abs(out))) or 1.0
    out /= peak
    if noise_snr_db is not None:
        loud = out[:, np.abs(out).max(0) > 1e-3]
        rms = float(np.sqrt(np.mean(loud ** 2))) if loud.size else 1e-3
        out += _pink_noise(n, 2, rng) * rms * 10 ** (-noise_snr_db / 20)
    out *= 10 ** (-1 / 20) / float(np.max(np.abs(out)))
    y32 = out.astype(np.float32)
    if lossy_kbps:
        y32 = _mp3_roundtrip(y32, sr=sr, kbps=lossy_kbps)
        y32 = np.clip(y32, -1.0, 1.0)
    return y32


def _cache_key(payload: dict[str, Any], soundfont_file: str) -> str:
    st = os.stat(soundfont_file)
    blob = json.dumps({"p": payload, "sf": os.path.basename(soundfont_file), "size": st.st_size,
                       "v": GENERATOR_VERSION}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def render_piece(spec: PieceSpec, *, cache_dir: str | os.PathLike[str], sr: int = 44100,
                 overwrite: bool = False) -> Piece:
    """Render one piece to ``<cache_dir>/synthetic/<name>-<hash>.flac`` (+ ``.json``).

    Parameters
    ----------
    spec : PieceSpec
    cache_dir : path
        Directory for the cache (created); reruns with the same spec, soundfont,
        sample rate and generator version read it instead of rendering.
    sr : int > 0
        Sample rate of the rendered audio (Hz).
    overwrite : bool
        Render even when the cache has the piece.

    Returns
    -------
    Piece
    """
    if not isinstance(sr, int) or sr <= 0:
        raise ParameterError(f"sr must be a positive int (Hz), got {sr!r}")
    sf = require("soundfile", extra="testing", purpose="writing rendered audio")
    font = soundfont_path(spec.soundfont)
    key = _cache_key({**spec.to_dict(), "sr": sr}, font)
    out_dir = Path(cache_dir) / "synthetic"
    out_dir.mkdir(parents=True, exist_ok=True)
    audio = out_dir / f"{spec.name}-{key}.flac"
    meta = out_dir / f"{spec.name}-{key}.json"
    if audio.exists() and meta.exists() and not overwrite:
        return Piece(spec.name, audio, load_truth(meta), spec.to_dict())
    comp = compose_piece(spec)
    truth = comp.truth
    y = run_fluidsynth(comp.midi, sr=sr, soundfont=font, reverb=spec.reverb)
    y = finish_audio(y, sr=sr, duration=truth.duration, noise_snr_db=spec.noise_snr_db,
                     lossy_kbps=spec.lossy_kbps, rng=np.random.default_rng(spec.seed + 1))
    truth.notes["sample_rate"] = sr
    truth.notes["soundfont_path"] = font
    tmp = audio.with_suffix(".tmp.flac")
    sf.write(str(tmp), y.T, sr, subtype="PCM_16")
    os.replace(tmp, audio)
    save_truth(truth, meta)
    (out_dir / f"{spec.name}-{key}.mid").write_bytes(comp.midi)
    return Piece(spec.name, audio, truth, spec.to_dict())


def load_dataset(cache_dir: str | os.PathLike[str], *, seed: int = DEFAULT_SEED,
                 names: Sequence[str] | None = None, limit: int | None = None,
                 sr: int = 44100,
                 progress: Callable[[int, int, str], None] | None = None) -> list[Piece]:
    """The synthetic benchmark set, rendered on first use and cached.

    Parameters
    ----------
    cache_dir : path
        Cache directory (e.g. ``benchmarks/.cache``).
    seed : int
        Dataset seed (:func:`synthetic_specs`).
    names : sequence of str, optional
        Only these pieces.
    limit : int, optional
        Only the first ``limit`` pieces (after ``names``).
    sr : int > 0
    progress : callable, optional
        ``progress(i, n, name)`` before each piece.

    Returns
    -------
    list of Piece
    """
    specs = synthetic_specs(seed=seed)
    if names is not None:
        wanted = set(names)
        specs = [s for s in specs if s.name in wanted]
    if limit is not None:
        specs = specs[:limit]
    out = []
    for i, spec in enumerate(specs):
        if progress is not None:
            progress(i, len(specs), spec.name)
        out.append(render_piece(spec, cache_dir=cache_dir, sr=sr))
    return out
