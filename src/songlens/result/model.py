"""The result dataclass tree (schema ``songlens.analysis/1``).

Conventions
-----------
Times in seconds from the start of the track; loudness in LUFS/LU, peaks in
dBTP/dBFS; keys as ``"A minor"`` and chords in Harte syntax (``"A:min"``, ``"N"``)
as mir_eval expects. A facet that was not computed is ``None`` here and absent
from the JSON; nothing is filled in with placeholder values.

Depends only on the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Track", "Tempo", "KeySegment", "Key", "Chord", "Cadence", "Progression", "Harmony",
    "Note", "Melody", "Instrument", "LeadInstrument",
    "Loudness", "Buildup", "Climax", "Silence", "Section", "Mood", "Emotion",
    "Production", "Descriptors", "AnalysisResult",
]


@dataclass
class Track:
    """The analysed file."""

    path: str
    duration: float
    sample_rate: int
    channels: int
    title: str | None = None
    artist: str | None = None


@dataclass
class Tempo:
    """Tempo, beats and meter (see :mod:`songlens.analysis.rhythm`).

    ``bpm`` is the tempo held for the longest total time; ``curve``
    holds ``(time, bpm)`` at each beat; ``meter`` is a time signature such as
    ``"4/4"``, ``"3/4"`` or ``"6/8"`` (beats are dotted quarters in 6/8);
    ``confidence`` in [0, 1] is the salience of the detected pulse.
    """

    bpm: float
    beats: list[float] = field(default_factory=list)
    downbeats: list[float] = field(default_factory=list)
    curve: list[tuple[float, float]] = field(default_factory=list)
    meter: str | None = None
    confidence: float | None = None


@dataclass
class KeySegment:
    start: float
    end: float
    label: str


@dataclass
class Key:
    """Global key; ``segments`` are the local keys over time; ``tuning_hz`` is A4.

    ``confidence`` is the probability of the key itself among the 24;
    ``mode_confidence`` the probability of its mode (major or minor), which can
    be high when the tonic is uncertain (``None`` in results written before it
    existed).
    """

    label: str
    tonic: str
    mode: str
    confidence: float
    segments: list[KeySegment] = field(default_factory=list)
    tuning_hz: float | None = None
    mode_confidence: float | None = None


@dataclass
class Chord:
    start: float
    end: float
    label: str
    roman: str | None = None


@dataclass
class Cadence:
    """A cadence arriving at ``time``; ``numerals``/``labels`` are its two chords."""

    time: float
    type: str
    numerals: list[str]
    labels: list[str]
    key: str


@dataclass
class Progression:
    """The most recurrent chord progression (Roman numerals joined by en dashes)."""

    pattern: str
    count: int
    coverage: float


@dataclass
class Harmony:
    """Harmonic dramaturgy: cadences, the tension curve ``(time, 0..1)``, the loop."""

    cadences: list[Cadence] = field(default_factory=list)
    tension: list[tuple[float, float]] = field(default_factory=list)
    progression: Progression | None = None


@dataclass
class Note:
    start: float
    end: float
    pitch: float


@dataclass
class Melody:
    """The lead line (``notes``) and its figures (see :mod:`songlens.analysis.melody`)."""

    notes: list[Note] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass
class Instrument:
    """An instrument class and the intervals where it plays (``first_entry`` = first start)."""

    name: str
    active: list[tuple[float, float]] = field(default_factory=list)
    first_entry: float | None = None


@dataclass
class LeadInstrument:
    """The instrument carrying the lead in a section or window (``None``: none found)."""

    start: float
    end: float
    name: str | None
    section: str | None = None


@dataclass
class Loudness:
    """Programme loudness (BS.1770-4 / EBU R128).

    ``curve`` holds ``(time, short-term LUFS)`` pairs every 100 ms; the LUFS value
    is ``None`` where the 3 s window is digital silence.
    """

    integrated_lufs: float | None
    range_lu: float | None
    true_peak_dbtp: float | None
    curve: list[tuple[float, float | None]] = field(default_factory=list)


@dataclass
class Buildup:
    """A steady rise of intensity; ``rise_db`` is the loudness rise over it."""

    start: float
    end: float
    rise_db: float
    intensity_rise_db: float | None = None


@dataclass
class Climax:
    """The peak of the track's broad intensity arc."""

    time: float
    loudness_lufs: float | None = None
    prominence_db: float | None = None


@dataclass
class Silence:
    start: float
    end: float


@dataclass
class Section:
    start: float
    end: float
    label: str


@dataclass
class Mood:
    label: str
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class Emotion:
    """Valence/arousal in [-1, 1]; ``curve`` rows are ``(time, valence, arousal)``."""

    valence: float
    arousal: float
    moods: list[Mood] = field(default_factory=list)
    curve: list[tuple[float, float, float]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    cues: dict[str, Any] = field(default_factory=dict)


@dataclass
class Descriptors:
    """Spotify audio-features equivalents (see :mod:`songlens.analysis.descriptors`).

    ``None`` marks a field that could not be measured honestly in this profile.
    """

    acousticness: float | None
    danceability: float | None
    energy: float | None
    instrumentalness: float | None
    liveness: float | None
    loudness: float | None
    speechiness: float | None
    tempo: float | None
    valence: float | None
    key: int
    mode: int | None
    time_signature: int | None
    duration_ms: int


@dataclass
class Production:
    """Mix/master figures; see :mod:`songlens.analysis.production` for definitions."""

    peak_dbfs: float | None
    true_peak_dbtp: float | None
    plr_db: float | None
    crest_factor_db: float | None
    clipped_samples: int
    dc_offset: list[float]
    stereo_correlation: float | None
    stereo_width: float | None
    spectral_balance: dict[str, float]
    targets: dict[str, dict[str, Any]]


@dataclass
class AnalysisResult:
    """Everything SongLens measured about one track."""

    track: Track
    settings: dict[str, Any] = field(default_factory=dict)
    version: str = ""
    tempo: Tempo | None = None
    key: Key | None = None
    chords: list[Chord] | None = None
    harmony: Harmony | None = None
    melody: Melody | None = None
    instruments: list[Instrument] | None = None
    lead_instruments: list[LeadInstrument] | None = None
    loudness: Loudness | None = None
    buildups: list[Buildup] | None = None
    climax: Climax | None = None
    silences: list[Silence] | None = None
    sections: list[Section] | None = None
    emotion: Emotion | None = None
    production: Production | None = None
    descriptors: Descriptors | None = None
    warnings: list[str] = field(default_factory=list)
