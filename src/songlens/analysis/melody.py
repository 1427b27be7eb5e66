"""The lead melody line and the figures that describe it.

From polyphonic note events (:mod:`songlens.analysis.transcription`) this
module picks the lead line, one note at a time, and measures it: range,
tessitura, contour, steps versus leaps, rhythmic regularity and phrase
repetition, and two documented indices built from them, *simplicity* and
*memorability*.

Conventions
-----------
* Notes are ``(start, end, pitch)`` with times in seconds and MIDI pitch
  numbers (60 = C4); intervals are in semitones, signed (up > 0).
* Consecutive notes belong to one *phrase* unless separated by a rest of at
  least ``max(0.3 s, 0.75 x median IOI)`` or an IOI of at least 2.5 x the
  median IOI; intervals, IOIs and n-grams are taken within phrases only.
* Interval classes: repeat (0), step (1-2 semitones), skip (3-4), leap (>= 5).
* Scores are in [0, 1]. Each figure that feeds a score is reported, and each
  score carries ``reasons`` naming what drove it.

Lead line
---------
A dynamic programme chooses the monophonic path through the notes that
maximises sounding time weighted by salience, minus voice-leading costs:

* salience ``w = s * 2 ** (clip(pitch - c, -18, 18) / 12 * PITCH_PREFERENCE)`` where
  ``s`` is the note's salience from :func:`note_salience` (activation and
  attack strength) and ``c`` the piece's register (the salience x duration
  weighted median pitch of the candidates): louder, sharper-attacked and
  higher notes are preferred (the melody is usually the most prominent and
  highest voice: "high-voice superiority", Trainor et al. 2014). The
  preference is relative to the piece's register so that a low melody (a
  cello or horn line) is not outweighed by the fixed note and leap costs
  below, which are in the same units;
* a note contributes ``w * min(duration, MAX_WEIGHTED_S)``; overlap with the
  previous chosen note is not counted twice; a note may be overlapped by the
  next for at most ``MAX_OVERLAP`` of its length (legato, reverberant tails)
  and is then cut at the next onset; an onset-only candidate, whose end is
  only an upper bound (the next attack at its pitch), may be overlapped by any
  amount;
* candidates come from the note events and from onset peaks that started no
  note (:func:`note_salience`); candidates at the 2nd to 5th partial of a
  co-starting note whose attack, or sustained note activation, is stronger are
  dropped: the network's note head answers to fundamentals, and a partial cannot
  outlast its fundamental (harmonic-partial pruning as in multi-pitch
  estimation, Klapuri 2006);
* a note starts at the leading edge of its onset activation, where it last
  rises through half of its peak (constant-fraction timing, Gedcke & McDonald
  1968), not at the peak: the slow attacks of bowed strings, horns and reeds
  spread the onset activation over up to ~100 ms and its peak lags the note;
* a transition costs ``NOTE_COST`` plus ``LEAP_COST * max(0, |interval| - 2) / 12``
  (doubled beyond an octave): small intervals are preferred (pitch
  proximity, the strongest principle of melodic organisation; Huron 2006
  ch. 5; von Hippel & Huron 2000). After a rest of 1 s or more the path
  restarts freely.

The constants were chosen with small grids on the three ``compose_arc_piece``
fixtures of the test suite and on pilot renders of
:mod:`songlens.testing.expressive` (seeds 1-2); figures are reported on
held-out renders (seeds 3-10, ``benchmarks/emotion_melody_eval.py``).
``ONSET_FRACTION`` = 0.5 is the half maximum (not tuned); ``PARTIAL_COVERAGE``
= 0.8 was picked from {0.5, 0.6, 0.7, 0.8, 0.9} on those pilot pieces (it
matters on the arc fixtures only, where arpeggios double the melody); the
2nd-5th partial set and ``MAX_ATTACK_S`` = 0.2 s (the longest attack of
sustained orchestral instruments) are set from principle.

Simplicity and memorability
---------------------------
These are descriptive indices, not validated predictors; their ingredients
follow the literature:

* **simplicity** = mean of: narrow range (1 at <= 5 semitones, 0 at >= 24),
  share of repeats and steps, low interval entropy, low rhythmic entropy,
  low nPVI, and phrase repetition. Small intervals, narrow ranges, few
  interval types and isochronous rhythm are what make melodies easy to sing
  and to predict (Huron 2006; Eerola & North 2000 "expectancy-based model of
  melodic complexity"; FANTASTIC's entropy features, Müllensiefen 2009).
* **memorability** = 0.4 repetition + 0.2 singability (range within an
  octave and mostly steps/repeats) + 0.2 common contour (arches and
  descending phrases, the most frequent shapes in Western melodies; Huron
  1996) + 0.2 distinctiveness (a modest share, 5-25 %, of leaps: earworms
  combine a common contour with some unusual intervals; Williamson &
  Müllensiefen 2012; Jakubowski et al. 2017). Repetition weighs most because
  it is what builds familiarity and expectation (Huron 2006 ch. 12-13).

References
----------
.. [1] Huron, D. (2006). Sweet Anticipation: Music and the Psychology of
   Expectation. MIT Press.
.. [2] Huron, D. (1996). The melodic arch in Western folksongs. Computing in
   Musicology 10, 3-23.
.. [3] Müllensiefen, D. (2009). FANTASTIC: Feature ANalysis Technology
   Accessing STatistics (In a Corpus). Technical report, Goldsmiths.
.. [4] Eerola, T. and North, A. C. (2000). Expectancy-based model of melodic
   complexity. Proc. 6th ICMPC.
.. [5] Jakubowski, K., Finkel, S., Stewart, L. and Müllensiefen, D. (2017).
   Dissecting an earworm: melodic features and song popularity predict
   involuntary musical imagery. Psychology of Aesthetics, Creativity, and the
   Arts 11(2), 122-135.
.. [6] Williamson, V. J. and Müllensiefen, D. (2012). Earworms from three
   angles. Proc. ICMPC-ESCOM 12.
.. [7] Grabe, E. and Low, E. L. (2002). Durational variability in speech and
   the rhythm class hypothesis; Patel, A. D. and Daniele, J. R. (2003). An
   empirical comparison of rhythm in language and music. Cognition 87, B35-B45.
.. [8] von Hippel, P. and Huron, D. (2000). Why do skips precede reversals?
   Music Perception 18(1), 59-85.
.. [9] Trainor, L. J., Marie, C., Bruce, I. C. and Bidelman, G. M. (2014).
   Explaining the high voice superiority effect in polyphonic music. Hearing
   Research 308, 60-70.
.. [10] Klapuri, A. (2006). Multiple fundamental frequency estimation by
   summing harmonic amplitudes. Proc. ISMIR, 216-221.
.. [11] Gedcke, D. A. and McDonald, W. J. (1968). Design of the constant
   fraction of pulse height trigger for optimum time resolution. Nuclear
   Instruments and Methods 58(2), 253-260.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..result.model import Melody, Note

__all__ = [
    "PITCH_PREFERENCE", "LEAP_COST", "validate_notes", "attack_starts", "note_salience",
    "lead_line",
    "split_phrases",
    "melody_figures", "analyze_melody", "transcribe_melody", "melody_from_activations",
    "NOTE_NAMES",
]

PITCH_PREFERENCE = 1.5
"""Octaves of pitch that double a note's salience in the lead-line search."""
LEAP_COST = 0.3
"""Cost of an octave leap, in units of salience x seconds."""
HARMONIC_GHOSTS = (12, 19, 24, 28)
"""Intervals (semitones) above a note at which a co-starting candidate may be
its harmonic (2nd to 5th partials) and is dropped (see :func:`note_salience`)."""
GHOST_RATIO = 1.25
"""...when that note's attack, or (onset-only candidates) its note activation, is at
least this much stronger."""
PARTIAL_COVERAGE = 0.8
"""Share of an onset-only candidate's span that a lower note must sound through for
its note activation to mark the candidate as its partial."""
PITCH_SPAN = 18.0
"""The pitch preference saturates this many semitones from the register centre:
transcription ghosts (harmonics, attack noise) two octaves up must not outweigh
the melody."""
MAX_OVERLAP = 0.5
"""Largest share of a note that the next lead note may overlap."""
NOTE_COST = 0.1
"""Cost of each note-to-note transition (salience x seconds): favours fewer, longer notes."""
MAX_WEIGHTED_S = 2.0
"""Sounding time counted per note (s): longer notes gain no further weight."""
RESTART_REST = 1.0
"""A rest at least this long (s) restarts the lead line without voice-leading cost."""
MIN_NOTES = 8
"""Fewest lead notes for melody figures."""
ONSET_FRACTION = 0.5
"""A note starts where its onset activation first reaches this fraction of the
peak that started it (the leading edge; constant-fraction timing)."""
MAX_ATTACK_S = 0.2
"""Furthest (s) a note start is moved back to the leading edge of its attack."""
NOTE_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


def validate_notes(notes: np.ndarray) -> np.ndarray:
    """Check note events ``(start, end, pitch[, amplitude])``; returns float64 (n, 4).

    Missing amplitudes are set to 1.

    Raises
    ------
    ParameterError
        Wrong shape, non-finite values, or a note that ends before it starts.
    """
    a = np.asarray(notes, dtype=np.float64)
    if a.size == 0:
        return np.zeros((0, 4))
    if a.ndim != 2 or a.shape[1] not in (3, 4):
        raise ParameterError(f"notes must have shape (n, 3) or (n, 4), got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ParameterError("notes contain NaN or infinite values")
    if np.any(a[:, 1] < a[:, 0]):
        raise ParameterError("a note ends before it starts: did you pass (start, end, pitch)?")
    if a.shape[1] == 3:
        a = np.column_stack([a, np.ones(a.shape[0])])
    return a


def note_salience(events: np.ndarray, *, note: np.ndarray, onset: np.ndarray,
                  times: np.ndarray, onset_threshold: float = 0.5,
                  max_onset_note_s: float = 1.0, refine_onsets: bool = True,
                  return_onset_only: bool = False) -> Any:
    """Candidate lead notes with a salience, from note events and activations.

    Basic Pitch's note head often stays low for a decaying note (piano,
    guitar, plucked strings) that is masked by a sustained accompaniment of
    similar level, while its onset head still marks the attack clearly. For
    the lead line, such attacks matter: every onset peak (>= ``onset_threshold``)
    that did not start a note at its pitch within 4 frames becomes a candidate
    lasting until the next onset peak at that pitch (at most
    ``max_onset_note_s``). Candidates that are upper partials of a co-starting
    note (see :func:`_not_partials`: a stronger attack, or for onset-only
    candidates a lower note that sustains through them with a stronger note
    activation) are dropped, and every start is moved back to the leading edge
    of its attack (:func:`attack_starts`).

    The salience of a note is the mean of its amplitude (mean note activation)
    and its attack strength (the largest onset activation at its pitch within
    2 frames of its start).

    Parameters
    ----------
    events : np.ndarray [shape=(n, 4)]
        ``(start_frame, end_frame, midi_pitch, amplitude)`` from
        :func:`songlens.analysis.transcription.activations_to_notes`.
    note, onset : np.ndarray [shape=(n_frames, 88)]
        Activations (pitch index = MIDI pitch - 21).
    times : np.ndarray [shape=(n_frames,)]
        Frame times (s).
    onset_threshold : float
        Smallest onset peak that makes a candidate.
    max_onset_note_s : float > 0
        Longest duration given to an onset-only candidate (s).
    refine_onsets : bool
        Start every note at the leading edge of its attack (:func:`attack_starts`,
        at most ``MAX_ATTACK_S`` back) instead of at the onset peak.
    return_onset_only : bool
        Also return which candidates are onset-only (their end is only an upper
        bound; pass it to :func:`lead_line` as ``open_end``).

    Returns
    -------
    notes : np.ndarray [shape=(m, 4)]
        ``(start_s, end_s, midi_pitch, salience)``, by start.
    onset_only : np.ndarray [shape=(m,), dtype=bool]
        Only with ``return_onset_only``.
    """
    n_frames = note.shape[0]
    if n_frames == 0:
        return (np.zeros((0, 4)), np.zeros(0, dtype=bool)) if return_onset_only \
            else np.zeros((0, 4))
    ev = np.asarray(events, dtype=np.float64).reshape(-1, 4)
    hop_s = max(float(times[1] - times[0]), 1e-3) if n_frames > 1 else 1.0
    back = int(round(MAX_ATTACK_S / hop_s))

    def edge(s: np.ndarray, p: np.ndarray) -> np.ndarray:
        s = np.asarray(s, dtype=np.int64)
        return attack_starts(s, p, onset=onset, onset_threshold=onset_threshold,
                             max_back=back) if refine_onsets else s

    # rows: (edge frame, peak frame, end frame, MIDI pitch, salience, from a note event)
    rows: list[tuple[int, int, int, int, float, bool]] = []
    started = np.zeros_like(onset, dtype=bool)
    ev_start = edge(ev[:, 0], ev[:, 2]) if ev.shape[0] else np.zeros(0, np.int64)
    for (s, e, p, a), s0 in zip(ev, ev_start, strict=True):
        s, e, f = int(s), int(e), int(p) - 21
        lo, hi = max(0, s - 2), min(n_frames, s + 3)
        attack = float(onset[lo:hi, f].max()) if hi > lo else 0.0
        rows.append((int(s0), s, min(e, n_frames - 1), f + 21, 0.5 * (a + attack), True))
        started[max(0, s - 4):s + 5, f] = True
    peak = np.zeros_like(onset, dtype=bool)
    peak[1:-1] = (onset[1:-1] > onset[:-2]) & (onset[1:-1] > onset[2:])
    peak &= onset >= onset_threshold
    max_frames = int(round(max_onset_note_s / max(times[1] - times[0], 1e-3))) \
        if n_frames > 1 else 1
    for f in range(onset.shape[1]):
        pk = np.nonzero(peak[:, f])[0]
        for k, s in enumerate(pk):
            if started[s, f]:
                continue
            nxt = pk[k + 1] if k + 1 < pk.size else n_frames - 1
            e = int(min(nxt, s + max_frames, n_frames - 1))
            if e <= s:
                continue
            amp = float(note[s:e, f].mean())
            s0 = int(edge(np.array([s]), np.array([f + 21]))[0])
            rows.append((s0, int(s), e, f + 21, 0.5 * (amp + float(onset[s, f])), False))
    keep = _not_partials(rows, note=note, onset=onset, window=max(2, back))
    kept = [r for r, k in zip(rows, keep, strict=True) if k]
    out = np.array([(times[r[0]], times[r[2]], r[3], r[4]) for r in kept],
                   dtype=np.float64).reshape(-1, 4)
    only = np.array([not r[5] for r in kept], dtype=bool)
    order = np.lexsort((out[:, 2], out[:, 0]))
    if return_onset_only:
        return out[order], only[order]
    return out[order]


def _not_partials(rows: list[tuple[int, int, int, int, float, bool]], *, note: np.ndarray,
                  onset: np.ndarray, window: int) -> np.ndarray:
    """False for candidates that are upper partials of a co-starting note event.

    A candidate at pitch ``p`` is taken for a partial of a note event at
    ``p - h`` (``h`` in ``HARMONIC_GHOSTS``, the 2nd to 5th partials) that
    starts within ``window`` frames of it (attack edges or onset peaks) when

    * that note's attack (onset peak) is at least ``GHOST_RATIO`` times the
      candidate's; or
    * the candidate is onset-only, that note sounds through at least
      ``PARTIAL_COVERAGE`` of the candidate's span and its note activation there
      is at least ``GHOST_RATIO`` times the candidate's. The note head is trained
      to respond to fundamentals only, so where it reports the lower pitch and
      not this one while the lower note sustains, the attack seen at ``p`` is
      that note's partial (a partial cannot outlast its fundamental). A short
      lower note (an arpeggio under a melody note at its octave) does not cover
      the candidate and leaves it in place.
    """
    keep = np.ones(len(rows), dtype=bool)
    # note events by pitch, sorted by edge frame, so that each candidate only
    # visits the events near it (linear in the number of notes, not quadratic)
    lists: dict[int, list[int]] = {}
    for i, r in enumerate(rows):
        if r[5]:
            lists.setdefault(r[3], []).append(i)
    by_pitch: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for pitch, idx in lists.items():
        ia = np.array(idx, dtype=np.int64)
        q = np.array([rows[j][0] for j in idx], dtype=np.int64)
        o = np.argsort(q, kind="stable")
        by_pitch[pitch] = (q[o], ia[o])
    # an event's edge lies at most this far before its peak
    reach = max([r[1] - r[0] for r in rows if r[5]], default=0)
    for i, (s0, sp, e, p, _, from_event) in enumerate(rows):
        f = p - 21
        span = slice(s0, max(e, s0 + 1))
        own_note = float(note[span, f].mean())
        own_attack = float(onset[sp, f])
        lo_q = min(s0, sp - reach) - window
        hi_q = max(s0, sp) + window
        for h in HARMONIC_GHOSTS:
            q_sorted, q_idx = by_pitch.get(p - h, (np.zeros(0, np.int64), np.zeros(0, np.int64)))
            a, b = np.searchsorted(q_sorted, [lo_q, hi_q + 1])
            for j in q_idx[a:b].tolist():
                q0, qp = rows[j][0], rows[j][1]
                if min(abs(q0 - s0), abs(qp - sp)) > window:
                    continue
                if float(onset[qp, f - h]) >= GHOST_RATIO * own_attack:
                    keep[i] = False
                    break
                if from_event:
                    continue
                cover = (min(rows[j][2], e) - max(q0, s0)) / max(e - s0, 1)
                if (cover >= PARTIAL_COVERAGE
                        and float(note[span, f - h].mean()) >= GHOST_RATIO * own_note):
                    keep[i] = False
                    break
            if not keep[i]:
                break
    return keep


def attack_starts(starts: np.ndarray, pitches: np.ndarray, *, onset: np.ndarray,
                  onset_threshold: float = 0.5, fraction: float | None = None,
                  max_back: int = 17) -> np.ndarray:
    """Move note starts back to the leading edge of their onset activation.

    Basic Pitch marks a note at the *peak* of its onset activation. A sharp
    attack (piano, plucked, percussive) gives a peak one or two frames wide,
    but the slow, soft attack of a bowed string, a horn or a reed spreads the
    activation over a plateau of up to ~100 ms whose maximum can fall anywhere
    on it, often 50-100 ms after the note began. The start is therefore taken
    where the activation, walking back from the peak, last stays at or above
    ``fraction`` of the peak value: the half-maximum leading edge, as in
    constant-fraction timing of pulses (Gedcke & McDonald 1968), which is
    insensitive to the pulse's height and width. Starts whose onset value is
    below ``onset_threshold`` (notes started by a rise of the note activation,
    not by an onset peak) are not moved.

    Parameters
    ----------
    starts : np.ndarray [shape=(n,), dtype=int]
        Start frames.
    pitches : np.ndarray [shape=(n,)]
        MIDI pitches (21-108).
    onset : np.ndarray [shape=(n_frames, 88)]
        Onset activations (pitch index = MIDI pitch - 21).
    onset_threshold : float
        Smallest onset value at the start for the start to be moved.
    fraction : float in (0, 1), optional
        Share of the peak that marks the leading edge (default ``ONSET_FRACTION``).
    max_back : int >= 0
        Most frames a start moves back.

    Returns
    -------
    starts : np.ndarray [shape=(n,), dtype=int64]
        Refined start frames (never later than the input).

    References
    ----------
    .. [1] Gedcke, D. A. and McDonald, W. J. (1968). Design of the constant
       fraction of pulse height trigger for optimum time resolution. Nuclear
       Instruments and Methods 58(2), 253-260.
    """
    fr = ONSET_FRACTION if fraction is None else float(fraction)
    if not 0.0 < fr < 1.0:
        raise ParameterError(f"fraction must lie in (0, 1), got {fr}")
    s_in = np.asarray(starts, dtype=np.int64).ravel()
    cols = np.asarray(pitches, dtype=np.int64).ravel() - 21
    out = s_in.copy()
    for k, (s, f) in enumerate(zip(s_in, cols, strict=True)):
        if not 0 <= f < onset.shape[1] or not 0 <= s < onset.shape[0]:
            continue
        peak = float(onset[s, f])
        if peak < onset_threshold:
            continue
        j = int(s)
        lo = max(0, int(s) - max_back)
        while j - 1 >= lo and onset[j - 1, f] >= fr * peak:
            j -= 1
        out[k] = j
    return out


def _leap_cost(d: np.ndarray) -> np.ndarray:
    d = np.abs(d)
    return LEAP_COST * (np.maximum(0.0, d - 2.0) + np.maximum(0.0, d - 12.0)) / 12.0


def _register_center(pitch: np.ndarray, weight: np.ndarray) -> float:
    """Weighted median pitch (the register in which most sounding weight lies)."""
    o = np.argsort(pitch, kind="stable")
    cw = np.cumsum(weight[o])
    return float(pitch[o][min(int(np.searchsorted(cw, 0.5 * cw[-1])), o.size - 1)])


def lead_line(notes: np.ndarray, *, min_pitch: float = 0.0, window: int = 48,
              pitch_preference: float | None = None, max_weighted_s: float | None = None,
              pitch_center: float | None = None, open_end: np.ndarray | None = None,
              ) -> np.ndarray:
    """The lead melody: a monophonic path through polyphonic notes.

    Parameters
    ----------
    notes : np.ndarray [shape=(n, 3) or (n, 4)]
        ``(start_s, end_s, midi_pitch[, amplitude])``.
    min_pitch : float
        Notes below this MIDI pitch are never part of the lead (e.g. 40 to
        exclude bass lines).
    window : int >= 1
        Preceding notes (by onset) considered as direct predecessors.
    pitch_preference : float >= 0, optional
        Octaves that double salience (default ``PITCH_PREFERENCE``).
    max_weighted_s : float > 0, optional
        Sounding time counted per note (default ``MAX_WEIGHTED_S``).
    pitch_center : float, optional
        MIDI pitch at which the pitch preference is neutral (factor 1). Default:
        the median pitch of the candidates weighted by salience x counted
        duration, i.e. the piece's own register (60 = middle C reproduces the
        fixed centre used before).
    open_end : np.ndarray [shape=(n,), dtype=bool], optional
        Notes whose end is only an upper bound (onset-only candidates of
        :func:`note_salience`, which last until the next attack at their pitch):
        the next lead note may overlap them by any amount (they are cut at its
        onset), not only by ``MAX_OVERLAP`` of their length.

    Returns
    -------
    lead : np.ndarray [shape=(m, 4)]
        Chosen notes in time order; a note overlapping the next is cut at the
        next onset.
    """
    a = validate_notes(notes)
    free = np.zeros(a.shape[0], dtype=bool) if open_end is None \
        else np.asarray(open_end, dtype=bool).ravel()
    if free.shape[0] != a.shape[0]:
        raise ParameterError(f"open_end has {free.shape[0]} flags for {a.shape[0]} notes")
    ok = (a[:, 2] >= min_pitch) & ((a[:, 1] - a[:, 0]) > 0)
    a, free = a[ok], free[ok]
    n = a.shape[0]
    if n == 0:
        return np.zeros((0, 4))
    order = np.lexsort((-a[:, 2], a[:, 0]))
    a, free = a[order], free[order]
    start, end, pitch, amp = a[:, 0], a[:, 1], a[:, 2], a[:, 3]
    dur = end - start
    pp = PITCH_PREFERENCE if pitch_preference is None else pitch_preference
    cap = MAX_WEIGHTED_S if max_weighted_s is None else max_weighted_s
    c = _register_center(pitch, np.maximum(amp, 1e-3) * np.minimum(dur, cap)) \
        if pitch_center is None else float(pitch_center)
    w = np.maximum(amp, 1e-3) * 2.0 ** (np.clip(pitch - c, -PITCH_SPAN, PITCH_SPAN)
                                        / 12.0 * pp)
    gain = w * np.minimum(dur, cap)
    best = np.empty(n)
    back = np.full(n, -1, dtype=np.int64)
    # notes sorted by end, for "best path that ended before a long rest"
    by_end = np.argsort(end, kind="stable")
    ptr = 0
    run_best, run_arg = -np.inf, -1
    for j in range(n):
        cand_val = gain[j]
        cand_arg = -1
        # free restart after a rest of RESTART_REST seconds
        limit = start[j] - RESTART_REST
        while ptr < n and end[by_end[ptr]] <= limit:
            i = by_end[ptr]
            if i < j and best[i] > run_best:
                run_best, run_arg = best[i], i
            ptr += 1
        if run_arg >= 0 and run_best + gain[j] > cand_val:
            cand_val, cand_arg = run_best + gain[j], run_arg
        lo = max(0, j - window)
        if lo < j:
            i = np.arange(lo, j)
            overlap = end[i] - start[j]
            ok = (start[i] < start[j] - 1e-6) & ((overlap <= MAX_OVERLAP * dur[i]) | free[i])
            if np.any(ok):
                i = i[ok]
                val = best[i] + gain[j] - w[i] * np.minimum(np.maximum(overlap[ok], 0.0), cap) \
                    - _leap_cost(pitch[j] - pitch[i]) - NOTE_COST
                k = int(np.argmax(val))
                if val[k] > cand_val:
                    cand_val, cand_arg = float(val[k]), int(i[k])
        best[j] = cand_val
        back[j] = cand_arg
    j = int(np.argmax(best))
    path = []
    while j >= 0:
        path.append(j)
        j = int(back[j])
    out = a[path[::-1]].copy()
    if out.shape[0] > 1:
        out[:-1, 1] = np.minimum(out[:-1, 1], out[1:, 0])
    return out


def split_phrases(lead: np.ndarray) -> list[np.ndarray]:
    """Split a lead line into phrases at long rests or long IOIs (see Conventions)."""
    a = validate_notes(lead)
    if a.shape[0] == 0:
        return []
    ioi = np.diff(a[:, 0])
    if ioi.size == 0:
        return [a]
    med = float(np.median(ioi))
    rest = a[1:, 0] - a[:-1, 1]
    cut = (rest >= max(0.3, 0.75 * med)) | (ioi >= 2.5 * med)
    idx = np.nonzero(cut)[0] + 1
    return [p for p in np.split(a, idx) if p.shape[0] > 0]


def _entropy(counts: Sequence[int], n_classes: int | None = None) -> float:
    """Shannon entropy normalised to [0, 1] by log of the number of classes."""
    c = np.asarray([x for x in counts if x > 0], dtype=np.float64)
    if c.size <= 1:
        return 0.0
    p = c / c.sum()
    h = float(-(p * np.log2(p)).sum())
    k = n_classes if n_classes is not None else c.size
    return h / math.log2(k) if k > 1 else 0.0


_RATIO_GRID = np.array([1 / 4, 1 / 3, 1 / 2, 2 / 3, 3 / 4, 1.0, 4 / 3, 3 / 2, 2.0, 3.0, 4.0])


def _ioi_class(ioi: np.ndarray, ref: float) -> np.ndarray:
    r = np.log2(np.maximum(ioi, 1e-6) / ref)
    return np.argmin(np.abs(r[:, None] - np.log2(_RATIO_GRID)[None, :]), axis=1)


def _contour_shape(p: np.ndarray) -> str:
    """Huron's (1996) phrase contour from first pitch, mean of the middle, last pitch."""
    first, last = p[0], p[-1]
    mid = float(np.mean(p[1:-1])) if p.size > 2 else (first + last) / 2

    def rel(x: float, y: float) -> int:
        return 0 if abs(x - y) <= 1.0 else (1 if x > y else -1)

    up, down = rel(mid, first), rel(last, mid)
    if up > 0 and down < 0:
        return "arch"
    if up < 0 and down > 0:
        return "bowl"
    overall = rel(last, first)
    if overall > 0 or (overall == 0 and up + down > 0):
        return "ascending"
    if overall < 0 or (overall == 0 and up + down < 0):
        return "descending"
    return "horizontal"


def melody_figures(lead: np.ndarray) -> dict[str, Any]:
    """Figures of a lead line (see module docstring for definitions).

    Parameters
    ----------
    lead : np.ndarray [shape=(n, 3) or (n, 4)]
        Monophonic notes ``(start, end, pitch[, amplitude])`` in time order.

    Returns
    -------
    figures : dict
        ``n_notes``, ``range_semitones``, ``range_p5_p95``, ``tessitura``
        (``mean``, ``median``, ``iqr``, ``mean_note``), ``contour`` (shares
        ``up``/``down``/``repeat``, ``phrase_shapes`` shares, ``dominant_shape``),
        ``intervals`` (``step_share``, ``skip_share``, ``leap_share``,
        ``repeat_share``, ``mean_abs``, ``entropy``), ``rhythm``
        (``ioi_entropy``, ``npvi``, ``median_ioi``), ``repetition``
        (``ngram_share``, ``distinct_ngram_ratio``, ``ngram_length``),
        ``phrases`` (``count``, ``mean_notes``), and ``simplicity`` and
        ``memorability`` (``score``, ``components``, ``reasons``). With fewer
        than ``MIN_NOTES`` notes only ``n_notes`` and a ``note`` are returned.
    """
    a = validate_notes(lead)
    n = a.shape[0]
    if n < MIN_NOTES:
        return {"n_notes": int(n), "note": f"fewer than {MIN_NOTES} lead notes: no figures"}
    pitch = np.round(a[:, 2])
    phrases = split_phrases(a)
    intervals = np.concatenate([np.diff(np.round(p[:, 2])) for p in phrases]) \
        if phrases else np.zeros(0)
    iois = np.concatenate([np.diff(p[:, 0]) for p in phrases]) if phrases else np.zeros(0)
    n_int = max(intervals.size, 1)
    absd = np.abs(intervals)
    share = {
        "repeat": float(np.sum(absd == 0) / n_int),
        "step": float(np.sum((absd >= 1) & (absd <= 2)) / n_int),
        "skip": float(np.sum((absd >= 3) & (absd <= 4)) / n_int),
        "leap": float(np.sum(absd >= 5) / n_int),
    }
    int_entropy = _entropy(list(Counter(np.clip(intervals, -12, 12).astype(int)).values()), 25)
    shapes = Counter(_contour_shape(np.round(p[:, 2])) for p in phrases if p.shape[0] >= 3)
    n_shapes = max(sum(shapes.values()), 1)
    shape_share = {k: shapes.get(k, 0) / n_shapes
                   for k in ("arch", "ascending", "descending", "bowl", "horizontal")}
    dominant = max(shape_share, key=lambda k: shape_share[k]) if shapes else None
    # rhythm
    med_ioi = float(np.median(iois)) if iois.size else 0.0
    ioi_classes = _ioi_class(iois, med_ioi) if iois.size else np.zeros(0, int)
    ioi_entropy = _entropy(list(Counter(ioi_classes.tolist()).values()), _RATIO_GRID.size)
    pv = []
    for p in phrases:
        d = np.diff(p[:, 0])
        if d.size >= 2:
            pv.extend(np.abs(d[1:] - d[:-1]) / ((d[1:] + d[:-1]) / 2))
    npvi = float(100 * np.mean(pv)) if pv else 0.0
    # repetition: recurring n-grams of (interval, IOI class) tokens (FANTASTIC m-types)
    L = 4
    grams: list[tuple[Any, ...]] = []
    for p in phrases:
        if p.shape[0] < L + 1:
            continue
        iv = np.diff(np.round(p[:, 2])).astype(int)
        ic = _ioi_class(np.diff(p[:, 0]), med_ioi) if med_ioi > 0 else np.zeros(iv.size, int)
        tok = list(zip(iv.tolist(), ic.tolist(), strict=True))
        grams.extend(tuple(tok[k:k + L]) for k in range(len(tok) - L + 1))
    gc = Counter(grams)
    ngram_share = float(sum(c for c in gc.values() if c > 1) / len(grams)) if grams else 0.0
    distinct = float(len(gc) / len(grams)) if grams else 1.0
    rng = float(pitch.max() - pitch.min())
    p5, p95 = np.percentile(pitch, [5, 95])
    q1, q3 = np.percentile(pitch, [25, 75])
    mean_p = float(pitch.mean())
    figs: dict[str, Any] = {
        "n_notes": int(n),
        "range_semitones": rng,
        "range_p5_p95": float(p95 - p5),
        "tessitura": {"mean": mean_p, "median": float(np.median(pitch)), "iqr": float(q3 - q1),
                      "mean_note": f"{NOTE_NAMES[int(round(mean_p)) % 12]}"
                                   f"{int(round(mean_p)) // 12 - 1}"},
        "contour": {"up": float(np.sum(intervals > 0) / n_int),
                    "down": float(np.sum(intervals < 0) / n_int),
                    "repeat": share["repeat"], "phrase_shapes": shape_share,
                    "dominant_shape": dominant},
        "intervals": {"repeat_share": share["repeat"], "step_share": share["step"],
                      "skip_share": share["skip"], "leap_share": share["leap"],
                      "mean_abs": float(absd.mean()) if absd.size else 0.0,
                      "entropy": int_entropy},
        "rhythm": {"median_ioi": med_ioi, "ioi_entropy": ioi_entropy, "npvi": npvi},
        "repetition": {"ngram_length": L + 1, "ngram_share": ngram_share,
                       "distinct_ngram_ratio": distinct},
        "phrases": {"count": len(phrases),
                    "mean_notes": float(np.mean([p.shape[0] for p in phrases]))},
    }
    figs["simplicity"] = _simplicity(figs)
    figs["memorability"] = _memorability(figs)
    return figs


def _clip01(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


def _simplicity(f: dict[str, Any]) -> dict[str, Any]:
    iv, rh = f["intervals"], f["rhythm"]
    comp = {
        "narrow_range": _clip01(1 - (f["range_p5_p95"] - 5) / 19),
        "conjunct_motion": _clip01(iv["repeat_share"] + iv["step_share"]),
        "few_interval_types": _clip01(1 - iv["entropy"]),
        "regular_rhythm": _clip01(1 - rh["ioi_entropy"]),
        "even_durations": _clip01(1 - rh["npvi"] / 100),
        "repetition": _clip01(f["repetition"]["ngram_share"]),
    }
    score = float(np.mean(list(comp.values())))
    reasons = [f"range {f['range_p5_p95']:.0f} semitones (5th-95th percentile)",
               f"{100 * (iv['repeat_share'] + iv['step_share']):.0f}% steps or repeated notes",
               f"rhythmic IOI entropy {rh['ioi_entropy']:.2f}, nPVI {rh['npvi']:.0f}",
               f"{100 * f['repetition']['ngram_share']:.0f}% of 5-note figures recur"]
    return {"score": score, "components": comp, "reasons": reasons}


def _memorability(f: dict[str, Any]) -> dict[str, Any]:
    iv = f["intervals"]
    shapes = f["contour"]["phrase_shapes"]
    singable = 0.5 * _clip01(1 - (f["range_p5_p95"] - 12) / 12) + \
        0.5 * _clip01(iv["repeat_share"] + iv["step_share"])
    leap = iv["leap_share"]
    distinct = _clip01(leap / 0.05) if leap < 0.05 else (
        1.0 if leap <= 0.25 else _clip01(1 - (leap - 0.25) / 0.25))
    comp = {
        "repetition": _clip01(f["repetition"]["ngram_share"]),
        "singability": singable,
        "common_contour": _clip01(shapes["arch"] + shapes["descending"]),
        "distinctiveness": distinct,
    }
    weights = {"repetition": 0.4, "singability": 0.2, "common_contour": 0.2,
               "distinctiveness": 0.2}
    score = float(sum(weights[k] * comp[k] for k in comp))
    reasons = [f"{100 * comp['repetition']:.0f}% of 5-note figures recur",
               f"{100 * comp['common_contour']:.0f}% of phrases arch or descend",
               f"{100 * leap:.0f}% leaps of a fourth or more",
               f"range {f['range_p5_p95']:.0f} semitones"]
    return {"score": score, "components": comp, "weights": weights, "reasons": reasons}


def analyze_melody(notes: np.ndarray, *, min_pitch: float = 40.0) -> Melody:
    """Lead line and figures from polyphonic note events.

    Parameters
    ----------
    notes : np.ndarray [shape=(n, 3) or (n, 4)]
        All transcribed notes ``(start, end, pitch[, amplitude])``.
    min_pitch : float
        Lowest MIDI pitch the lead may use (default 40 = E2: excludes most bass).

    Returns
    -------
    Melody
        ``notes`` = the lead line; ``figures`` as :func:`melody_figures`.
    """
    lead = lead_line(notes, min_pitch=min_pitch)
    return Melody(notes=[Note(start=float(s), end=float(e), pitch=float(p))
                         for s, e, p, _ in lead],
                  figures=melody_figures(lead))


def transcribe_melody(y: np.ndarray, *, sr: int, workers: int = 1,
                      ) -> tuple[Melody, np.ndarray, np.ndarray]:
    """Transcribe a signal and extract its melody (the ``full`` profile's path).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio at 22050 Hz (see :mod:`songlens.analysis.transcription`).
    sr : int
        Must be 22050.
    workers : int >= 1
        Concurrent network calls (one core each).

    Returns
    -------
    melody : Melody
    notes : np.ndarray [shape=(n_notes, 4)]
        All transcribed notes ``(start_s, end_s, pitch, amplitude)``, by onset.
    lead : np.ndarray [shape=(n_lead, 4)]
        The lead line ``(start_s, end_s, pitch, salience)``.

    Raises
    ------
    MissingDependencyError
        onnxruntime is not installed (``pip install 'songlens[ml]'``).
    """
    from .transcription import run_network

    return melody_from_activations(run_network(y, sr=sr, threads=1, workers=workers))


def melody_from_activations(act: dict[str, np.ndarray]) -> tuple[Melody, np.ndarray, np.ndarray]:
    """Notes, lead line and melody from network activations (see :func:`transcribe_melody`).

    Parameters
    ----------
    act : dict
        ``note`` and ``onset`` activations [shape=(n_frames, 88)] from
        :func:`songlens.analysis.transcription.run_network` or
        :class:`~songlens.analysis.transcription.StreamingTranscriber`.

    Returns
    -------
    melody, notes, lead
        As :func:`transcribe_melody`.
    """
    from .transcription import activations_to_notes, frame_times

    ev = activations_to_notes(act["note"], act["onset"])
    times = frame_times(act["note"].shape[0])
    notes = np.zeros((0, 4))
    if ev.shape[0]:
        last = times.size - 1
        notes = np.column_stack([times[ev[:, 0].astype(int)],
                                 times[np.minimum(ev[:, 1].astype(int), last)], ev[:, 2],
                                 ev[:, 3]])
        notes = notes[np.lexsort((notes[:, 2], notes[:, 0]))]
    cand, onset_only = note_salience(ev, note=act["note"], onset=act["onset"], times=times,
                                     return_onset_only=True)
    lead = lead_line(cand, min_pitch=40.0, open_end=onset_only)
    melody = Melody(notes=[Note(start=float(s), end=float(e), pitch=float(p))
                           for s, e, p, _ in lead], figures=melody_figures(lead))
    return melody, notes, lead
