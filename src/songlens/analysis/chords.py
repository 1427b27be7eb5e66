"""Chords, Roman numerals, cadences, harmonic tension and the recurring progression.

Conventions
-----------
* Chord labels are Harte strings as mir_eval reads them: ``"<root>:<quality>"``
  with ``quality`` in ``maj, min, 7, maj7, min7, dim, hdim7, sus4, sus2`` and
  ``"N"`` where no chord sounds. Roots are spelt with flats in flat keys and
  with sharps in sharp keys. Chords are contiguous and cover the whole track.
* Decoding: per frame of :class:`~songlens.dsp.chroma.PitchFeatures`, each
  chord scores the cosine between the treble chroma and its binary template,
  plus ``BASS_WEIGHT`` times the bass chroma's agreement with it (the share
  of bass on the root counts 1, on another chord tone 0.4 (inversions,
  walking bass), on a foreign note -0.3; shares are taken of the bass total
  or of half the treble total, whichever is larger, so a faint bass counts
  little), minus a small per-quality prior
  penalty that makes triads the default (a seventh, a suspension or a
  diminished chord must be heard clearly). ``"N"`` scores ``N_SCORE`` = 0.5
  on sounding frames, about what a flat, noise-like chroma gives a triad, so
  noise and drums are no chord (a lone sustained note still reads as a chord
  that contains it). It wins outright on frames more than 45 dB below the
  track's loud level. A Viterbi pass maximises the summed
  score minus ``SWITCH_COST`` per chord change (an HMM with a uniform
  self-transition). With ``beats`` the frame scores are summed per beat,
  chords change only on beats, and a change costs ``BEAT_SWITCH_COST`` (the
  beat grid already smooths), as in beat-synchronous chord recognition
  (Bello and Pickens, ISMIR 2005; Mauch and Dixon, ISMIR 2010). The beat
  grid is continued at the median beat period before the first and after
  the last given beat (:func:`beat_grid`), so a final chord held past the
  tracker's last beat ends with the sound instead of sharing one interval
  with the silence after it (which made it ``"N"``).
* Inversions: the bass chroma summed over a chord names its bass note when
  one pitch class holds at least 25 % of it, is a chord tone other than the
  root and is at least 1.5 times as strong as the root; the label then carries
  the Harte bass interval (``"C:maj/3"``) and the numeral the figure
  (``I6``, ``I64``, ``V65``, ``V43``, ``V42``). mir_eval's majmin and sevenths
  scores ignore the bass.
* Roman numerals are relative to the *local* key (the key segment holding the
  chord's midpoint): upper case for major, dominant-seventh and suspended
  chords, lower case for minor, diminished and half-diminished ones; ``°``
  marks diminished, ``ø7`` half-diminished; ``7`` / ``maj7`` / ``sus4`` /
  ``sus2`` suffixes. Degrees are counted on the major scale in major keys and
  on the natural minor scale in minor keys; chromatic roots carry ``b`` or
  ``#`` (``bVII`` in major, ``#vi°`` in minor). In minor the leading-tone
  triad is written ``vii°`` as in textbooks. ``"N"`` has no numeral.
* Cadences (arrival time = start of the second chord, same local key):
  authentic V(7)-I (i in minor), plagal IV-I (iv-i), deceptive V(7)-vi
  (V-VI in minor), half ?-V. Only phrase endings count: the arrival chord
  lasts at least 1.5 times the median chord duration, or is followed by
  ``"N"`` or the end of the music, or ends within 1 s of a given boundary.
* Tension (0 = at rest on the tonic, 1 = maximal), sampled every
  ``TENSION_STEP`` seconds: ``0.5 * d5 / 6 + 0.2 * outside / 3 + 0.3 * D``
  for the chord sounding, where ``d5`` is the circle-of-fifths distance of its
  root from the local tonic (0..6), ``outside`` the number of its tones
  foreign to the local key (major scale; natural minor plus the leading tone)
  and ``D`` the interval-class dissonance of what actually sounds (the treble
  chroma; weights from interval-class roughness: m2/M7 1, tritone 0.8,
  M2/m7 0.5, m3/M6 0.15, M3/m6 0.1, P4/P5 0; divided by that of a diminished
  seventh chord and clipped to 1). A local key away from the home key adds
  ``0.15 * d5(local tonic, home tonic) / 6``. The curve is smoothed over 1 s
  and is 0 where no chord sounds.
* The recurring progression is the n-gram (n = 3..8) of consecutive Roman
  numerals (repeats merged, ``"N"`` dropped) whose non-overlapping
  occurrences cover the most chords; ties go to the shorter pattern, then to
  the rotation that starts on the tonic (``I``/``i``), then to the one heard
  first. Reported only if it occurs at least twice.
  ``coverage`` is the share of chords (by count) inside its occurrences.

Times in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.ndimage import uniform_filter1d

from ..dsp.chroma import PitchFeatures
from ..dsp.viterbi import viterbi_uniform
from ..errors import ParameterError
from ..result.model import Cadence, Chord, Harmony, Key, Progression

__all__ = ["QUALITIES", "beat_grid", "chord_bass", "decode_chords", "roman_numeral", "chord_label",
           "find_cadences", "tension_curve", "recurring_progression", "analyze_chords"]

QUALITIES: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11),
    "min7": (0, 3, 7, 10), "dim": (0, 3, 6), "hdim7": (0, 3, 6, 10), "sus4": (0, 5, 7),
    "sus2": (0, 2, 7),
}
"""Chord vocabulary: Harte quality -> intervals above the root (semitones)."""

_PRIOR = {"maj": 0.0, "min": 0.0, "7": 0.04, "maj7": 0.04, "min7": 0.04, "dim": 0.06,
          "hdim7": 0.06, "sus4": 0.10, "sus2": 0.11}

BASS_WEIGHT = 0.3
N_SCORE = 0.5
SWITCH_COST = 1.5
BEAT_SWITCH_COST = 1.0
TENSION_STEP = 0.5
_SILENT_DB = -45.0
_PHRASE_RATIO = 1.5
_BOUNDARY_TOL = 1.0

_SHARP = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
_FLAT = ["C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"]
_FLAT_TONICS_MAJOR = {5, 10, 3, 8, 1, 0}  # F Bb Eb Ab Db, and C (chromatic roots as flats)
_FLAT_TONICS_MINOR = {2, 7, 0, 5, 10, 3, 9}  # D G C F Bb Eb minor, and A minor
_NUMERALS = ["I", "II", "III", "IV", "V", "VI", "VII"]
_MAJOR_DEGREES = {0: ("", 0), 1: ("b", 1), 2: ("", 1), 3: ("b", 2), 4: ("", 2), 5: ("", 3),
                  6: ("#", 3), 7: ("", 4), 8: ("b", 5), 9: ("", 5), 10: ("b", 6), 11: ("", 6)}
_MINOR_DEGREES = {0: ("", 0), 1: ("b", 1), 2: ("", 1), 3: ("", 2), 4: ("#", 2), 5: ("", 3),
                  6: ("#", 3), 7: ("", 4), 8: ("", 5), 9: ("#", 5), 10: ("", 6), 11: ("#", 6)}
_LOWER = {"min", "min7", "dim", "hdim7"}
_BASS_INTERVAL = {1: "b2", 2: "2", 3: "b3", 4: "3", 5: "4", 6: "b5", 7: "5", 8: "b6", 9: "6",
                  10: "b7", 11: "7"}
_BASS_SHARE_MIN = 0.25
_BASS_FLOOR = 0.5
_SUFFIX = {"maj": "", "min": "", "7": "7", "maj7": "maj7", "min7": "7", "dim": "°",
           "hdim7": "ø7", "sus4": "sus4", "sus2": "sus2"}
# interval-class dissonance weights, index = interval class 0..6
_IC_WEIGHT = np.array([0.0, 1.0, 0.5, 0.15, 0.1, 0.0, 0.8])


def _templates() -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
    """Unit templates (n_chords, 12), prior penalties and (root, quality) per chord."""
    names: list[tuple[int, str]] = []
    rows = []
    for q, ivs in QUALITIES.items():
        for r in range(12):
            t = np.zeros(12)
            t[[(r + i) % 12 for i in ivs]] = 1.0
            rows.append(t / np.linalg.norm(t))
            names.append((r, q))
    prior = np.array([_PRIOR[q] for _, q in names])
    return np.array(rows), prior, names


_TEMPLATES, _PRIORS, _CHORDS = _templates()
_PRIOR_SCALE = 1.0
_BASS_TONE = 0.4
_BASS_OUT = 0.3


def _bass_templates() -> np.ndarray:
    """Reward of each bass pitch class per chord: root 1, other tones, foreign notes."""
    out = np.full((len(_CHORDS), 12), -_BASS_OUT)
    for i, (r, q) in enumerate(_CHORDS):
        for iv in QUALITIES[q]:
            out[i, (r + iv) % 12] = _BASS_TONE
        out[i, r] = 1.0
    return out


_BASS_TEMPLATES = _bass_templates()


def _frame_scores(pitch: PitchFeatures) -> np.ndarray:
    """Chord scores per frame, shape (n_frames, n_chords + 1); the last column is N."""
    tr = pitch.treble.astype(np.float64)
    bs = pitch.bass.astype(np.float64)
    tn = np.linalg.norm(tr, axis=1, keepdims=True)
    trn = np.divide(tr, tn, out=np.zeros_like(tr), where=tn > 0)
    # bass shares, damped when the bass is weak next to the treble
    bsum = np.maximum(bs.sum(axis=1, keepdims=True), _BASS_FLOOR * tr.sum(axis=1, keepdims=True))
    bshare = np.divide(bs, bsum, out=np.zeros_like(bs), where=bsum > 0)
    sc = trn @ _TEMPLATES.T - _PRIOR_SCALE * _PRIORS + BASS_WEIGHT * (bshare @ _BASS_TEMPLATES.T)
    silent = (pitch.level_db < _SILENT_DB) | (tn[:, 0] <= 0)
    n_col = np.full((sc.shape[0], 1), N_SCORE)
    sc[silent] = 0.0
    n_col[silent] = 1.0
    return np.concatenate([sc, n_col], axis=1)


def beat_grid(beats: np.ndarray, *, duration: float) -> np.ndarray:
    """The beats, continued at their median period before the first and after the last.

    A tracker's beats often stop before the music does (a held final chord,
    a fermata, a fade), and the beat interval after the last beat would then
    hold the last chord *and* the silence after it, so the chord would lose
    to ``"N"``. Continuing the grid at the beat period lets the decoder end the
    chord where the sound ends, to within a beat.

    Parameters
    ----------
    beats : np.ndarray [shape=(n,)]
        Increasing beat times (s).
    duration : float
        Track length (s).

    Returns
    -------
    grid : np.ndarray [shape=(m,)]
        ``beats`` plus the continued beats in ``(period / 2, duration - period / 2)``;
        ``beats`` unchanged when there are fewer than two.
    """
    beats = np.asarray(beats, dtype=np.float64)
    if beats.size < 2:
        return beats
    period = float(np.median(np.diff(beats)))
    head = beats[0] - period * np.arange(int(beats[0] / period), 0, -1)
    tail = beats[-1] + period * np.arange(1, int((duration - beats[-1]) / period) + 1)
    return np.concatenate([head[head > 0.5 * period], beats,
                           tail[tail < duration - 0.5 * period]])


def decode_chords(pitch: PitchFeatures, *, beats: np.ndarray | None = None,
                  duration: float | None = None,
                  switch_cost: float | None = None) -> list[tuple[float, float, int, str]]:
    """Time-aligned chords (root pitch class and quality) by Viterbi decoding.

    Parameters
    ----------
    pitch : PitchFeatures
    beats : np.ndarray, optional
        Beat times (s). Chords then change only on beats.
    duration : float, optional
        Track length (s); the last chord ends there. Defaults to the end of
        the last frame.
    switch_cost : float > 0, optional
        Score paid per chord change (see module conventions); defaults to
        ``SWITCH_COST``, or ``BEAT_SWITCH_COST`` with ``beats``.

    Returns
    -------
    chords : list of (start, end, root, quality)
        ``root`` is a pitch class 0..11 (0 = C) or -1 with quality ``"N"``.

    Raises
    ------
    ParameterError
        Bad ``beats`` or ``switch_cost``.
    """
    if switch_cost is None:
        switch_cost = SWITCH_COST if beats is None else BEAT_SWITCH_COST
    if not switch_cost > 0:
        raise ParameterError(f"switch_cost must be > 0, got {switch_cost}")
    n = pitch.n_frames
    step = pitch.hop_length / pitch.sr
    end_t = float(duration) if duration is not None else n * step
    if n == 0:
        return [(0.0, end_t, -1, "N")] if end_t > 0 else []
    frame_sc = _frame_scores(pitch)
    if beats is not None:
        b = np.asarray(beats, dtype=np.float64)
        if b.ndim != 1 or not np.all(np.isfinite(b)) or np.any(np.diff(b) <= 0):
            raise ParameterError("beats must be a 1-D increasing array of times in seconds")
        b = beat_grid(b[(b > 0.5 * step) & (b < end_t)], duration=end_t)
        edges = np.concatenate([[0.0], b, [end_t]])
        seg = np.clip(np.searchsorted(edges, pitch.times, side="right") - 1, 0, edges.size - 2)
        sums = np.zeros((edges.size - 1, frame_sc.shape[1]))
        np.add.at(sums, seg, frame_sc)
        counts = np.bincount(seg, minlength=edges.size - 1)
        # an interval without frames keeps its neighbours' chord
        keep = counts > 0
        path_k = viterbi_uniform(sums[keep], switch_cost=switch_cost)
        path = np.zeros(edges.size - 1, dtype=np.int64)
        path[keep] = path_k
        for i in range(1, path.size):
            if not keep[i]:
                path[i] = path[i - 1]
        starts = edges[:-1]
        ends = edges[1:]
    else:
        path = viterbi_uniform(frame_sc, switch_cost=switch_cost)
        starts = np.maximum((np.arange(n) - 0.5) * step, 0.0)
        ends = np.minimum((np.arange(n) + 0.5) * step, end_t)
        starts[0] = 0.0
        ends[-1] = end_t
    out: list[tuple[float, float, int, str]] = []
    n_chords = len(_CHORDS)
    for i, s in enumerate(path.tolist()):
        root, q = (-1, "N") if s == n_chords else _CHORDS[s]
        if out and out[-1][2] == root and out[-1][3] == q:
            out[-1] = (out[-1][0], float(ends[i]), root, q)
        else:
            out.append((float(starts[i]), float(ends[i]), root, q))
    return [c for c in out if c[1] > c[0]]


def _key_of(label: str) -> tuple[int, str]:
    from .key import KEY_NAMES

    k = KEY_NAMES.index(label)
    return (k % 12, "major" if k < 12 else "minor")


def chord_label(root: int, quality: str, *, tonic: int = 0, mode: str = "major",
                bass: int | None = None) -> str:
    """Harte label, the root spelt for the key (flats in flat keys).

    ``bass`` (a pitch class) other than the root adds the Harte bass interval,
    e.g. ``"C:maj/3"`` for C major over E.
    """
    if quality == "N" or root < 0:
        return "N"
    flats = tonic in (_FLAT_TONICS_MAJOR if mode == "major" else _FLAT_TONICS_MINOR)
    label = f"{(_FLAT if flats else _SHARP)[root % 12]}:{quality}"
    if bass is not None and bass % 12 != root % 12:
        label += "/" + _BASS_INTERVAL[(bass - root) % 12]
    return label


def roman_numeral(root: int, quality: str, *, tonic: int, mode: str,
                  bass: int | None = None) -> str | None:
    """Roman numeral of a chord in a key (see module conventions); ``None`` for N.

    Parameters
    ----------
    root : int
        Pitch class of the chord root (0 = C), or -1 for no chord.
    quality : str
        Harte quality of :data:`QUALITIES`, or ``"N"``.
    tonic : int
        Pitch class of the key's tonic.
    mode : {"major", "minor"}
    bass : int, optional
        Pitch class in the bass. A chord tone other than the root gives the
        inversion figure: ``6`` / ``64`` for triads, ``65`` / ``43`` / ``42``
        for seventh chords (``V65``, ``vii°6``, ``iiø43``).

    Returns
    -------
    numeral : str or None
    """
    if quality == "N" or root < 0:
        return None
    if quality not in QUALITIES:
        raise ParameterError(f"unknown chord quality {quality!r}")
    if mode not in ("major", "minor"):
        raise ParameterError(f"mode must be 'major' or 'minor', got {mode!r}")
    iv = (root - tonic) % 12
    acc, deg = (_MAJOR_DEGREES if mode == "major" else _MINOR_DEGREES)[iv]
    if mode == "minor" and iv == 11 and quality in ("dim", "hdim7"):
        acc = ""  # the leading-tone chord, vii° in minor as in major
    num = _NUMERALS[deg]
    if quality in _LOWER:
        num = num.lower()
    suffix = _SUFFIX[quality]
    ivs = QUALITIES[quality]
    if bass is not None and not quality.startswith("sus") and (bass - root) % 12 in ivs[1:]:
        pos = ivs.index((bass - root) % 12)
        if len(ivs) == 3:
            suffix += ("6", "64")[pos - 1]
        else:
            suffix = suffix[:-1] + ("65", "43", "42")[pos - 1]
    return f"{acc}{num}{suffix}"


def chord_bass(pitch: PitchFeatures, start: float, end: float) -> tuple[int | None, np.ndarray]:
    """The clear bass pitch class over a span, and the bass chroma summed over it.

    The strongest pitch class of the summed bass chroma counts when it holds
    ``_BASS_SHARE_MIN`` of it (the total is at least ``_BASS_FLOOR`` times the
    treble's, so a faint bass is not clear); else ``None``.

    Parameters
    ----------
    pitch : PitchFeatures
    start, end : float
        The span (s).

    Returns
    -------
    pc : int or None
    bass : np.ndarray [shape=(12,)]
    """
    sel = (pitch.times >= start) & (pitch.times < end)
    if not np.any(sel):
        return None, np.zeros(12)
    b = pitch.bass[sel].sum(axis=0)
    tot = max(float(b.sum()), _BASS_FLOOR * float(pitch.treble[sel].sum()))
    pc = int(np.argmax(b))
    return (pc if tot > 0 and b[pc] >= _BASS_SHARE_MIN * tot else None), b


def _bass_notes(pitch: PitchFeatures,
                chords: Sequence[tuple[float, float, int, str]]) -> list[int | None]:
    """The bass pitch class of each chord when it is a clear inversion, else None.

    The clear bass of the chord (:func:`chord_bass`) must be a chord tone
    other than the root and at least 1.5 times as strong as the root.
    """
    out: list[int | None] = []
    for s, e, r, q in chords:
        if q == "N" or r < 0 or q.startswith("sus"):
            out.append(None)
            continue
        pc, b = chord_bass(pitch, s, e)
        tones = {(r + i) % 12 for i in QUALITIES[q]}
        if pc is not None and pc != r and pc in tones and b[pc] >= 1.5 * b[r]:
            out.append(pc)
        else:
            out.append(None)
    return out


def _local_keys(key: Key | None, times: np.ndarray) -> list[tuple[int, str] | None]:
    """The (tonic, mode) sounding at each time, from the key segments."""
    if key is None:
        return [None] * len(times)
    home = _key_of(key.label)
    out: list[tuple[int, str] | None] = []
    for t in times:
        k = home
        for s in key.segments:
            if s.start <= t < s.end:
                k = _key_of(s.label)
                break
        out.append(k)
    return out


def _fifths(iv: int) -> int:
    """Circle-of-fifths distance 0..6 of an interval in semitones."""
    f = (7 * iv) % 12
    return min(f, 12 - f)


def _is_dominant(iv: int, q: str) -> bool:
    return iv == 7 and q in ("maj", "7")


def _is_tonic(iv: int, q: str, mode: str) -> bool:
    return iv == 0 and (q in ("maj", "maj7") if mode == "major" else q in ("min", "min7", "maj"))


def find_cadences(chords: Sequence[tuple[float, float, int, str]],
                  keys: Sequence[tuple[int, str] | None], *,
                  boundaries: Sequence[float] = ()) -> list[Cadence]:
    """Cadences at phrase endings (see module conventions).

    Parameters
    ----------
    chords : sequence of (start, end, root, quality)
        As returned by :func:`decode_chords`.
    keys : sequence of (tonic, mode) or None
        Local key of each chord.
    boundaries : sequence of float
        Phrase or section boundaries (s), if known.

    Returns
    -------
    cadences : list of Cadence
    """
    harmonic = [i for i, c in enumerate(chords) if c[3] != "N"]
    if len(harmonic) < 2:
        return []
    med = float(np.median([chords[i][1] - chords[i][0] for i in harmonic]))
    last_end = chords[harmonic[-1]][1]
    bnd = np.asarray(sorted(boundaries), dtype=np.float64)
    out: list[Cadence] = []
    for a, b in zip(harmonic[:-1], harmonic[1:], strict=True):
        if b != a + 1 or keys[b] is None or keys[a] != keys[b]:
            continue
        tonic, mode = keys[b]  # type: ignore[misc]
        (_, _, r1, q1), (s2, e2, r2, q2) = chords[a], chords[b]
        nxt = chords[b + 1] if b + 1 < len(chords) else None
        phrase_end = ((e2 - s2) >= _PHRASE_RATIO * med or nxt is None or nxt[3] == "N"
                      or e2 >= last_end - 1e-6
                      or (bnd.size > 0 and float(np.min(np.abs(bnd - e2))) <= _BOUNDARY_TOL))
        if not phrase_end:
            continue
        i1, i2 = (r1 - tonic) % 12, (r2 - tonic) % 12
        kind = None
        if _is_dominant(i1, q1) and _is_tonic(i2, q2, mode):
            kind = "authentic"
        elif i1 == 5 and q1 in ("maj", "min") and _is_tonic(i2, q2, mode):
            kind = "plagal"
        elif _is_dominant(i1, q1) and i2 == (9 if mode == "major" else 8) and q2 in (
                "min", "maj", "min7", "maj7"):
            kind = "deceptive"
        elif _is_dominant(i2, q2) and not _is_dominant(i1, q1) and q1 != "sus4":
            kind = "half"
        if kind is None:
            continue
        from .key import KEY_NAMES

        key_name = KEY_NAMES[tonic + (0 if mode == "major" else 12)]
        out.append(Cadence(
            time=round(s2, 3), type=kind,
            numerals=[roman_numeral(r1, q1, tonic=tonic, mode=mode) or "",
                      roman_numeral(r2, q2, tonic=tonic, mode=mode) or ""],
            labels=[chord_label(r1, q1, tonic=tonic, mode=mode),
                    chord_label(r2, q2, tonic=tonic, mode=mode)],
            key=key_name))
    return out


def _scale(tonic: int, mode: str) -> set[int]:
    steps = (0, 2, 4, 5, 7, 9, 11) if mode == "major" else (0, 2, 3, 5, 7, 8, 10, 11)
    return {(tonic + s) % 12 for s in steps}


def _ic_matrix() -> np.ndarray:
    i = np.arange(12)
    d = np.abs(i[:, None] - i[None, :]) % 12
    return _IC_WEIGHT[np.minimum(d, 12 - d)]


_IC = _ic_matrix()
_DIM7 = np.zeros(12)
_DIM7[[0, 3, 6, 9]] = 1.0
_DISS_REF = float(_DIM7 @ _IC @ _DIM7) / 16.0


def tension_curve(pitch: PitchFeatures, chords: Sequence[tuple[float, float, int, str]],
                  keys: Sequence[tuple[int, str] | None], *, home: tuple[int, str] | None,
                  duration: float) -> list[tuple[float, float]]:
    """Harmonic tension over time (see module conventions).

    Parameters
    ----------
    pitch : PitchFeatures
    chords : sequence of (start, end, root, quality)
    keys : sequence of (tonic, mode) or None
        Local key of each chord.
    home : (tonic, mode) or None
        The global key.
    duration : float
        Track length (s).

    Returns
    -------
    curve : list of (time, tension)
        Every ``TENSION_STEP`` seconds, tension in [0, 1].
    """
    t_grid = np.arange(0.0, max(duration, 0.0) + 1e-9, TENSION_STEP)
    if t_grid.size == 0:
        return []
    # measured dissonance of the treble chroma, per frame
    tr = np.maximum(pitch.treble.astype(np.float64), 0.0)
    tot = tr.sum(axis=1)
    diss = np.einsum("ti,ij,tj->t", tr, _IC, tr)
    diss = np.divide(diss, tot**2, out=np.zeros_like(diss), where=tot > 0)
    diss = np.clip(diss / _DISS_REF, 0.0, 1.0)
    frame_of = np.clip(np.round(t_grid * pitch.frame_rate).astype(np.int64), 0,
                       max(pitch.n_frames - 1, 0))
    d_grid = diss[frame_of] if pitch.n_frames else np.zeros_like(t_grid)
    value = np.zeros_like(t_grid)
    starts = np.array([c[0] for c in chords])
    idx = np.clip(np.searchsorted(starts, t_grid, side="right") - 1, 0, len(chords) - 1)
    for j, i in enumerate(idx.tolist()):
        _, _, root, q = chords[i]
        k = keys[i]
        if q == "N" or k is None:
            continue
        tonic, mode = k
        d5 = _fifths((root - tonic) % 12)
        tones = {(root + s) % 12 for s in QUALITIES[q]}
        outside = len(tones - _scale(tonic, mode))
        v = 0.5 * d5 / 6 + 0.2 * outside / 3 + 0.3 * d_grid[j]
        if home is not None:
            v += 0.15 * _fifths((tonic - home[0]) % 12) / 6
        value[j] = min(v, 1.0)
    size = max(1, int(round(1.0 / TENSION_STEP)))
    smooth = uniform_filter1d(value, size=size, mode="nearest") if size > 1 else value
    return [(round(float(t), 3), round(float(v), 4)) for t, v in zip(t_grid, smooth, strict=True)]


def recurring_progression(numerals: Sequence[str]) -> Progression | None:
    """The most recurrent n-gram of Roman numerals (see module conventions).

    Parameters
    ----------
    numerals : sequence of str
        Roman numerals in time order (``"N"`` already dropped).

    Returns
    -------
    Progression or None
        ``None`` when no pattern of 3+ chords occurs twice.
    """
    seq: list[str] = []
    for r in numerals:
        if not seq or seq[-1] != r:
            seq.append(r)
    best: tuple[int, int, int, int] | None = None  # (covered, -n, tonic first, -first)
    best_pat: tuple[str, ...] = ()
    best_count = 0
    for n in range(3, min(8, len(seq) // 2) + 1):
        first: dict[tuple[str, ...], int] = {}
        last_end: dict[tuple[str, ...], int] = {}
        count: dict[tuple[str, ...], int] = {}
        for i in range(len(seq) - n + 1):
            g = tuple(seq[i:i + n])
            if len(set(g)) < 2:
                continue
            if g not in first:
                first[g] = i
                count[g] = 0
                last_end[g] = -1
            if i >= last_end[g]:
                count[g] += 1
                last_end[g] = i + n
        for g, c in count.items():
            if c < 2:
                continue
            cand = (c * n, -n, int(g[0] in ("I", "i")), -first[g])
            if best is None or cand > best:
                best, best_pat, best_count = cand, g, c
    if best is None:
        return None
    return Progression(pattern="–".join(best_pat), count=best_count,
                       coverage=round(best[0] / max(len(seq), 1), 4))


def analyze_chords(pitch: PitchFeatures, *, key: Key | None,
                   chords: Sequence[tuple[float, float, int, str]] | None = None,
                   beats: np.ndarray | None = None, boundaries: Sequence[float] = (),
                   duration: float | None = None,
                   switch_cost: float | None = None) -> tuple[list[Chord], Harmony]:
    """Chord sequence with Roman numerals, and the harmony summary.

    Parameters
    ----------
    pitch : PitchFeatures
        Output of :func:`songlens.dsp.chroma.pitch_features`.
    key : Key or None
        Output of :func:`songlens.analysis.key.analyze_key`; numerals, cadences,
        tension and the progression need it (without it they are left out).
    chords : sequence of (start, end, root, quality), optional
        Chords already decoded by :func:`decode_chords` (e.g. to find the key);
        decoded here when omitted.
    beats : np.ndarray, optional
        Beat times (s) for beat-synchronous decoding (ignored with ``chords``).
    boundaries : sequence of float
        Known phrase or section boundaries (s), used for cadences.
    duration : float, optional
        Track length (s).
    switch_cost : float > 0, optional
        See :func:`decode_chords`.

    Returns
    -------
    chords : list of Chord
    harmony : Harmony

    Raises
    ------
    ParameterError
        Invalid ``beats`` or ``switch_cost``.
    """
    segs = list(chords) if chords is not None else decode_chords(
        pitch, beats=beats, duration=duration, switch_cost=switch_cost)
    mids = np.array([(s + e) / 2 for s, e, _, _ in segs])
    keys = _local_keys(key, mids)
    basses = _bass_notes(pitch, segs)
    out: list[Chord] = []
    numerals: list[str] = []
    for (s, e, r, q), k, b in zip(segs, keys, basses, strict=True):
        tonic, mode = k if k is not None else (0, "major")
        roman = roman_numeral(r, q, tonic=tonic, mode=mode, bass=b) if k is not None else None
        out.append(Chord(start=round(s, 3), end=round(e, 3),
                         label=chord_label(r, q, tonic=tonic, mode=mode, bass=b), roman=roman))
        if roman is not None:
            numerals.append(roman)
    harmony = Harmony()
    if key is not None and segs:
        home = _key_of(key.label)
        end_t = segs[-1][1]
        harmony.cadences = find_cadences(segs, keys, boundaries=boundaries)
        harmony.tension = tension_curve(pitch, segs, keys, home=home, duration=end_t)
        harmony.progression = recurring_progression(numerals)
    return out, harmony
