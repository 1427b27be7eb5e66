"""Key: global key, tuning and local key segments (modulations).

Conventions
-----------
* Keys are mir_eval strings, ``"<tonic> <mode>"`` with ``mode`` in
  ``{"major", "minor"}`` and the tonic spelt as in a key signature
  (``"Eb major"``, ``"C# minor"``). Key index ``k`` in 0..23: ``k < 12`` is the
  major key on pitch class ``k`` (0 = C), ``k >= 12`` the minor key on
  ``k - 12``.
* Evidence is gathered on 1-s blocks. Pitch-class evidence is the bass plus
  treble chroma of :func:`songlens.dsp.chroma.pitch_features` (overtones
  folded back to their fundamentals). A span's *profile score* for a key is
  the Pearson correlation of its summed chroma with the key's profile (tonic
  triad 1, other scale tones 0.6, chromatic 0.1; natural minor with the
  leading tone at 0.3), which scores relative keys alike.
* Chord evidence (when decoded chords are given): each chord contributes its
  duration times ``log P(chord | key)`` from a hand-set table of chord
  frequencies by degree (I, V, IV most; the Aeolian VI, III and VII of pop
  minor included). A span's *chord fit* is its mean log-likelihood per
  harmonic second minus that of the best key (so 0 for the best key). The key
  score of a span is ``profile + CHORD_WEIGHT * chord fit``.
* Local keys: key scores over ``WINDOW_SECONDS`` windows centred on each
  block are decoded by a Viterbi pass over the 24 keys that pays
  ``SWITCH_COST`` per change. Runs shorter than ``min_segment_seconds`` join
  the neighbour that explains them best. Two adjacent runs in relative keys
  stay apart only if each prefers its own key over the other by
  ``MIN_MARGIN``. The mode of a run (a key or its relative) is then decided by
  its own score plus ``EDGE_WEIGHT`` times the tonic cues: the first run takes
  the opening cue, the last run the closing cue. With chords, a cue is 1 for
  the keys whose tonic chord is the first (last) chord of at least 0.3 s
  (0.5 for the minor key of a major tonic, a Picardy third). A chord heard
  over a bass note on which its tones form a triad plus a major sixth counts
  as that added-sixth chord on its bass (``A:min7`` over C is C E G A, C
  major's tonic with an added sixth; ``A:hdim7`` over C is C minor's); the
  bass note is the clear bass of the chord span
  (:func:`songlens.analysis.chords.chord_bass`). Without chords,
  the cosine between the chroma of the first (last) ``EDGE_SECONDS`` and the
  tonic triads.
* The global key is the key heard for the longest total time (the usual
  annotation practice: a last-chorus lift does not change it). A run in
  another key is kept only when its own score beats the global key's by
  ``MIN_MARGIN``; each change of key is finally placed on the 1-s block that
  best separates the two keys. ``segments`` lists every stretch, global-key
  ones included, and covers the sounding music.
* ``confidence`` is the softmax probability (temperature ``TEMPERATURE``) of
  the global key among the 24 whole-piece scores including the cues: about
  1/24 for a toss-up, 1 when no other key comes close. It is low for pieces
  that modulate, whose whole-piece evidence mixes keys.
* ``mode_confidence`` is the probability of the global key's *mode* under the
  same softmax: the summed probability of the 12 keys of that mode. It stays
  high when the mode is clear but the tonic is not (E minor or B minor), and
  it is what a mode-dependent reading (emotion) should weigh the mode by.
* ``tuning_hz`` is the A4 reference measured by the pitch front end.

Times in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..dsp.chroma import PitchFeatures
from ..dsp.viterbi import viterbi_uniform
from ..errors import ParameterError
from ..result.model import Key, KeySegment
from .chords import QUALITIES, chord_bass

__all__ = ["KEY_NAMES", "key_label", "key_profiles", "key_scores", "analyze_key"]

MAJOR_NAMES = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
MINOR_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"]
KEY_NAMES = [f"{n} major" for n in MAJOR_NAMES] + [f"{n} minor" for n in MINOR_NAMES]
"""The 24 key labels by key index."""

# Pitch-class profiles, tonic first: tonic-triad tones 1, other scale tones 0.6,
# chromatic tones 0.1. Minor is the natural (Aeolian) minor with the raised
# leading tone at 0.3. Unlike corpus profiles of common-practice music (whose
# minor expects the leading tone and punishes the flat seventh), relative keys
# score alike here unless their tonic triads differ in weight, so the choice
# between them is left to chord functions and tonic cues.
_MAJOR_PROFILE = [1.0, 0.1, 0.6, 0.1, 1.0, 0.6, 0.1, 1.0, 0.1, 0.6, 0.1, 0.6]
_MINOR_PROFILE = [1.0, 0.1, 0.6, 1.0, 0.1, 0.6, 0.1, 1.0, 0.6, 0.1, 0.6, 0.3]

# P(chord | key): (interval of the root above the tonic, class) -> probability, with
# class 0 = major-like (maj, 7, maj7, sus), 1 = minor-like, 2 = diminished-like.
# Hand-set from the relative chord frequencies reported for common-practice and
# popular music (e.g. T. de Clercq and D. Temperley, Popular Music 30(1), 2011),
# with the Aeolian VI, III and VII common in minor-key pop; every other chord
# shares the remaining mass equally.
_CHORD_PROB = {
    "major": {(0, 0): .25, (7, 0): .17, (5, 0): .15, (9, 1): .09, (2, 1): .07, (4, 1): .03,
              (11, 2): .02, (10, 0): .035, (2, 0): .02, (4, 0): .015, (9, 0): .01,
              (0, 1): .005, (5, 1): .015, (8, 0): .015, (3, 0): .01, (7, 1): .005},
    "minor": {(0, 1): .24, (7, 0): .10, (7, 1): .04, (5, 1): .09, (5, 0): .02, (8, 0): .12,
              (3, 0): .09, (10, 0): .10, (2, 2): .03, (11, 2): .02, (0, 0): .015, (2, 1): .01,
              (1, 0): .01},
}
_CLASS = {"maj": 0, "7": 0, "maj7": 0, "maj6": 0, "sus4": 0, "sus2": 0, "aug": 0, "min": 1,
          "min7": 1, "min6": 1, "dim": 2, "hdim7": 2, "dim7": 2}

EDGE_SECONDS = 2.0
EDGE_WEIGHT = 0.2
CHORD_WEIGHT = 0.2
TEMPERATURE = 0.05
WINDOW_SECONDS = 12.0
SWITCH_COST = 1.5
MIN_MARGIN = 0.08
_SOUNDING_DB = -40.0
_MIN_EDGE_CHORD = 0.3
_ADDED_SIXTH = {(0, 4, 7, 9): "maj", (0, 3, 7, 9): "min"}


def key_label(index: int) -> str:
    """mir_eval label of key index ``0..23``."""
    return KEY_NAMES[int(index)]


def key_profiles() -> np.ndarray:
    """The (24, 12) rotated, zero-mean, unit-norm key profiles."""
    out = np.zeros((24, 12))
    for k in range(12):
        out[k] = np.roll(_MAJOR_PROFILE, k)
        out[12 + k] = np.roll(_MINOR_PROFILE, k)
    out -= out.mean(axis=1, keepdims=True)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


_PROFILES = key_profiles()


def _tonic_triads() -> np.ndarray:
    """(24, 12) unit-norm tonic triad templates."""
    t = np.zeros((24, 12))
    for k in range(12):
        t[k, [k, (k + 4) % 12, (k + 7) % 12]] = 1.0
        t[12 + k, [k, (k + 3) % 12, (k + 7) % 12]] = 1.0
    return t / np.linalg.norm(t, axis=1, keepdims=True)


_TRIADS = _tonic_triads()


def key_scores(chroma: np.ndarray) -> np.ndarray:
    """Profile scores of the 24 keys.

    Parameters
    ----------
    chroma : np.ndarray [shape=(..., 12)]
        Pitch-class evidence (pitch class 0 = C), non-negative.

    Returns
    -------
    scores : np.ndarray [shape=(..., 24)]
        Pearson correlation with each key profile; 0 where ``chroma`` is flat.
    """
    c = np.asarray(chroma, dtype=np.float64)
    if c.shape[-1] != 12:
        raise ParameterError(f"chroma must have 12 pitch classes on its last axis, got {c.shape}")
    z = c - c.mean(axis=-1, keepdims=True)
    n = np.linalg.norm(z, axis=-1, keepdims=True)
    z = np.divide(z, n, out=np.zeros_like(z), where=n > 1e-12)
    return z @ _PROFILES.T


def _chord_table() -> np.ndarray:
    """log P(chord | key) as an array (24 keys, 12 roots, 3 classes)."""
    out = np.zeros((24, 12, 3))
    for m, mode in enumerate(("major", "minor")):
        table = _CHORD_PROB[mode]
        rest = (1.0 - sum(table.values())) / (36 - len(table))
        for k in range(12):
            for r in range(12):
                for c in range(3):
                    out[12 * m + k, r, c] = np.log(table.get(((r - k) % 12, c), rest))
    return out


_CHORD_LL = _chord_table()


def _evidence(pitch: PitchFeatures) -> np.ndarray:
    """Per-frame pitch-class evidence (bass + treble chroma); shape (n_frames, 12)."""
    return (np.maximum(pitch.treble, 0) + np.maximum(pitch.bass, 0)).astype(np.float64)


def _chord_blocks(chords: Sequence[tuple[float, float, int, str]],
                  n_blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """Duration-weighted log P(chord | key) per 1-s block, and harmonic seconds per block."""
    ll = np.zeros((n_blocks, 24))
    dur = np.zeros(n_blocks)
    for start, end, root, q in chords:
        if q == "N" or root < 0 or end <= start:
            continue
        col = _CHORD_LL[:, root % 12, _CLASS.get(q, 0)]
        for b in range(max(0, int(start)), min(n_blocks, int(np.ceil(end)))):
            o = min(end, b + 1.0) - max(start, float(b))
            if o > 0:
                ll[b] += o * col
                dur[b] += o
    return ll, dur


def _chord_fit(ll: np.ndarray, dur: np.ndarray) -> np.ndarray:
    """Mean log-likelihood per harmonic second, relative to the best key; 0 without chords."""
    d = np.maximum(dur, 1e-9)[..., None]
    fit = ll / d
    fit = fit - fit.max(axis=-1, keepdims=True)
    return np.where(np.asarray(dur)[..., None] > 0, fit, 0.0)


def _triad_match(c: np.ndarray) -> np.ndarray:
    """Cosine of a chroma with each key's tonic triad; shape (24,)."""
    norm = np.linalg.norm(c)
    return _TRIADS @ (c / norm) if norm > 0 else np.zeros(24)


def _chord_is_tonic(root: int, q: str, bass: int | None = None) -> np.ndarray:
    """1 for the keys whose tonic chord this is (0.5 for a Picardy tonic); shape (24,).

    Over a ``bass`` note on which the chord's tones are a triad plus a major
    sixth, the chord counts as that added-sixth chord (module conventions).
    """
    if bass is not None and q in QUALITIES and bass % 12 != root % 12:
        ivs = tuple(sorted((root + i - bass) % 12 for i in QUALITIES[q]))
        if ivs in _ADDED_SIXTH:
            root, q = bass % 12, _ADDED_SIXTH[ivs]
    cue = np.zeros(24)
    cls = _CLASS.get(q, 0)
    if cls == 0:
        cue[root % 12] = 1.0
        cue[12 + root % 12] = 0.5
    elif cls == 1:
        cue[12 + root % 12] = 1.0
    return cue


def _edge_cues(pitch: PitchFeatures, ev: np.ndarray, sounding: np.ndarray,
               chords: Sequence[tuple[float, float, int, str]] | None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Tonic cues (24,) of the opening and the ending (see module conventions)."""
    if chords is not None:
        harm = [c for c in chords if c[3] != "N" and c[2] >= 0 and c[1] - c[0] >= _MIN_EDGE_CHORD]
        if harm:
            first, last = harm[0], harm[-1]
            return (_chord_is_tonic(first[2], first[3], chord_bass(pitch, first[0], first[1])[0]),
                    _chord_is_tonic(last[2], last[3], chord_bass(pitch, last[0], last[1])[0]))
    idx = np.nonzero(sounding)[0]
    if idx.size == 0:
        return np.zeros(24), np.zeros(24)
    n = max(1, int(round(EDGE_SECONDS * pitch.frame_rate)))
    return _triad_match(ev[idx[:n]].sum(axis=0)), _triad_match(ev[idx[-n:]].sum(axis=0))


def _relative(k: int) -> int:
    """The relative key (same key signature, other mode)."""
    return (k + 9) % 12 + 12 if k < 12 else (k - 12 + 3) % 12


def _runs(path: np.ndarray) -> list[list[int]]:
    """[[label, start, end), ...] runs of equal values."""
    runs: list[list[int]] = []
    for i, v in enumerate(path.tolist()):
        if runs and runs[-1][0] == v:
            runs[-1][2] = i + 1
        else:
            runs.append([v, i, i + 1])
    return runs


def _merge_equal(runs: list[list[int]]) -> list[list[int]]:
    out: list[list[int]] = []
    for r in runs:
        if out and out[-1][0] == r[0]:
            out[-1][2] = r[2]
        else:
            out.append(list(r))
    return out


def _merge_short(runs: list[list[int]], sc: np.ndarray, min_blocks: int) -> list[list[int]]:
    """Absorb runs shorter than ``min_blocks`` into the neighbour that explains them best."""
    runs = _merge_equal(runs)
    while len(runs) > 1:
        lengths = [r[2] - r[1] for r in runs]
        i = int(np.argmin(lengths))
        if lengths[i] >= min_blocks:
            break
        cands = [j for j in (i - 1, i + 1) if 0 <= j < len(runs)]
        j = max(cands, key=lambda j: sc[runs[i][1]:runs[i][2], runs[j][0]].sum())
        runs[i][0] = runs[j][0]
        runs = _merge_equal(runs)
    return runs


class _Evidence:
    """Cumulative block evidence, so any span's key scores cost O(1)."""

    def __init__(self, block_ev: np.ndarray, block_ll: np.ndarray, block_dur: np.ndarray):
        self.ev = np.concatenate([np.zeros((1, 12)), np.cumsum(block_ev, axis=0)])
        self.ll = np.concatenate([np.zeros((1, 24)), np.cumsum(block_ll, axis=0)])
        self.dur = np.concatenate([[0.0], np.cumsum(block_dur)])
        self.block_ev, self.block_ll, self.block_dur = block_ev, block_ll, block_dur

    def scores(self, lo: np.ndarray | int, hi: np.ndarray | int) -> np.ndarray:
        """Key scores of blocks ``[lo, hi)``: profile + CHORD_WEIGHT * chord fit."""
        prof = key_scores(self.ev[hi] - self.ev[lo])
        fit = _chord_fit(self.ll[hi] - self.ll[lo], self.dur[hi] - self.dur[lo])
        return prof + CHORD_WEIGHT * fit

    def block_scores(self, lo: int, hi: int) -> np.ndarray:
        """Per-block key scores of blocks ``lo..hi-1`` (for placing a change)."""
        prof = key_scores(self.block_ev[lo:hi])
        d = np.maximum(self.block_dur[lo:hi], 1e-9)[:, None]
        fit = np.where(self.block_dur[lo:hi, None] > 0, self.block_ll[lo:hi] / d, 0.0)
        return prof + CHORD_WEIGHT * fit


def _place_changes(runs: list[list[int]], evid: _Evidence, w: int) -> None:
    """Move each key change to the 1-s block that best separates the two keys."""
    for i in range(1, len(runs)):
        a, b = runs[i - 1], runs[i]
        lo_b = max(a[1] + 1, b[1] - w)
        hi_b = min(b[2] - 1, b[1] + w)
        if hi_b <= lo_b:
            continue
        z = evid.block_scores(lo_b - 1, hi_b + 1)
        diff = z[:, b[0]] - z[:, a[0]]
        csum = np.concatenate([[0.0], np.cumsum(diff)])
        # boundary at block c: blocks < c in key a, >= c in key b
        cand = np.arange(lo_b, hi_b + 1)
        k = cand - lo_b + 1
        gain = (csum[-1] - csum[k]) - csum[k]
        c = int(cand[int(np.argmax(gain))])
        a[2] = c
        b[1] = c


def _segment(evid: _Evidence, head: np.ndarray, tail: np.ndarray, *,
             min_blocks: int) -> tuple[list[list[int]], int]:
    """Local key runs ``[[key, first_block, end_block), ...]`` and the home key."""
    n = evid.block_ev.shape[0]
    w = max(1, int(round(WINDOW_SECONDS)))
    lo = np.clip(np.arange(n) - w // 2, 0, n)
    hi = np.clip(np.arange(n) + (w - w // 2), 0, n)
    sc = evid.scores(lo, hi)
    runs = _merge_short(_runs(viterbi_uniform(sc, switch_cost=SWITCH_COST)), sc, min_blocks)
    # relative keys share their notes: a change between them stands only if
    # each side clearly prefers its own mode; otherwise the two runs are one
    i = 1
    while i < len(runs):
        a, b = runs[i - 1], runs[i]
        if b[0] == _relative(a[0]):
            sa, sb = evid.scores(a[1], a[2]), evid.scores(b[1], b[2])
            if sa[a[0]] - sa[b[0]] < MIN_MARGIN or sb[b[0]] - sb[a[0]] < MIN_MARGIN:
                runs[i - 1:i + 1] = [[a[0], a[1], b[2]]]
                continue
        i += 1
    # the tonic cues of the opening and the ending decide the mode of the
    # first and last runs; the others keep the mode their own evidence prefers
    run_sc = []
    for i, r in enumerate(runs):
        s = evid.scores(r[1], r[2])
        cue = np.zeros(24)
        if i == 0:
            cue += head
        if i == len(runs) - 1:
            cue += tail
        pair = [r[0], _relative(r[0])]
        r[0] = max(pair, key=lambda k: s[k] + EDGE_WEIGHT * cue[k])
        run_sc.append(s)
    # home key: the longest-heard key (the earliest on a tie)
    heard: dict[int, int] = {}
    for r in runs:
        heard[r[0]] = heard.get(r[0], 0) + r[2] - r[1]
    home = max(heard, key=lambda k: heard[k])
    # any other key must beat the home key clearly over its run
    for r, s in zip(runs, run_sc, strict=True):
        if r[0] != home and s[r[0]] - s[home] < MIN_MARGIN:
            r[0] = home
    runs = _merge_short(runs, sc, min_blocks)
    _place_changes(runs, evid, w)
    return runs, home


def analyze_key(pitch: PitchFeatures, *,
                chords: Sequence[tuple[float, float, int, str]] | None = None,
                min_segment_seconds: float = 16.0) -> Key | None:
    """Global key, tuning and local key segments.

    Parameters
    ----------
    pitch : PitchFeatures
        Output of :func:`songlens.dsp.chroma.pitch_features`.
    chords : sequence of (start, end, root, quality), optional
        Decoded chords (:func:`songlens.analysis.chords.decode_chords`); they
        add the chord-function evidence and the opening/closing chords.
    min_segment_seconds : float > 0
        Shortest local key segment reported (s); shorter excursions (tonicised
        chords, brief borrowings) are absorbed into their neighbours.

    Returns
    -------
    Key or None
        ``None`` when nothing sounds, or when ``chords`` are given and none
        of them is a chord (noise, drums, a lone melody line).

    Raises
    ------
    ParameterError
        ``min_segment_seconds`` is not positive.
    """
    if not min_segment_seconds > 0:
        raise ParameterError(f"min_segment_seconds must be > 0, got {min_segment_seconds}")
    if chords is not None and not any(c[3] != "N" and c[2] >= 0 for c in chords):
        return None  # no harmony was heard: noise, drums, speech or silence
    ev = _evidence(pitch)
    sounding = (pitch.level_db > _SOUNDING_DB) & (ev.sum(axis=1) > 0)
    if ev.shape[0] == 0 or not np.any(sounding):
        return None
    ev = np.where(sounding[:, None], ev, 0.0)
    total = ev.sum(axis=0)
    if np.ptp(total) <= 1e-9 * max(total.max(), 1e-12):
        return None
    times = pitch.times
    n_blocks = int(times[-1]) + 1
    block_ev = np.zeros((n_blocks, 12))
    np.add.at(block_ev, np.minimum(times.astype(np.int64), n_blocks - 1), ev)
    block_ll, block_dur = _chord_blocks(chords or [], n_blocks)
    evid = _Evidence(block_ev, block_ll, block_dur)
    head, tail = _edge_cues(pitch, ev, sounding, chords)
    runs, home = _segment(evid, head, tail, min_blocks=max(1, int(round(min_segment_seconds))))
    # confidence: how clearly the whole-piece evidence prefers the home key
    scores = evid.scores(0, n_blocks) + EDGE_WEIGHT * (head + tail)
    p = np.exp((scores - scores.max()) / TEMPERATURE)
    confidence = float(p[home] / p.sum())
    same_mode = slice(0, 12) if home < 12 else slice(12, 24)
    mode_confidence = float(p[same_mode].sum() / p.sum())
    idx = np.nonzero(sounding)[0]
    fr = pitch.frame_rate
    t_first = max(0.0, float(times[idx[0]]) - 0.5 / fr)
    t_last = float(times[idx[-1]]) + 0.5 / fr
    segments = []
    for k, a, b in runs:
        start = max(float(a), t_first)
        end = min(float(b), t_last)
        if end - start <= 0:
            continue
        segments.append(KeySegment(start=round(float(start), 3), end=round(float(end), 3),
                                   label=key_label(k)))
    label = key_label(home)
    tonic, mode = label.split(" ")
    return Key(label=label, tonic=tonic, mode=mode, confidence=confidence,
               segments=segments, tuning_hz=pitch.tuning_hz, mode_confidence=mode_confidence)
