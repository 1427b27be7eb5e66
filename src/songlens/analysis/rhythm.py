"""Tempo, tempo curve, beats, downbeats and meter from the shared log-mel spectrogram.

Conventions
-----------
* Times in seconds, tempi in beats per minute (BPM). The beat is the counted
  pulse of the meter: the quarter note in 2/4, 3/4 and 4/4, the dotted quarter
  in 6/8 (two beats per bar, each divided in three).
* ``Tempo.bpm`` is the track's main tempo: the tempo held for the longest
  total time if it holds at least a third of it, else the median tempo
  (:func:`typical_bpm`).
  ``Tempo.curve`` holds ``(time, bpm)`` at each beat (60 / the running
  median of 5 inter-beat intervals), so a step change
  shows as a step and an accelerando as a ramp. ``Tempo.meter`` is ``"2/4"``,
  ``"3/4"``, ``"4/4"``, ``"6/8"`` (or ``"9/8"``); ``Tempo.confidence``
  in [0, 1] is the clarity of the pulse (see 7 below).
* Silence (all-zero or sub-floor input) gives ``None`` rather than made-up beats.

Method
------
1. **Onsets.** Band-wise SuperFlux (:mod:`songlens.dsp.onset`) in three bands,
   plus the *release* flux of the mid band (energy that disappears), each
   normalised by its own level and combined, then locally detrended. In
   legato playing (bowed strings, choirs, organ, brass chorales) the old
   notes stop at the note change while the new ones swell over 50-100 ms,
   so the attack flux alone peaks late (50-120 ms after the note-on); the
   release marks the change itself. The release's weight grows with how busy
   the attack flux is (:func:`legato_share`): 0 for drums, piano and guitar,
   whose short sounds also end in releases that are no note changes.
   The spectrogram is floored relative to its maximum, so the flux does not
   depend on the level: a quiet intro is tracked like a loud chorus.
2. **Tempogram.** In 8 s Hann windows every 0.5 s, both the autocorrelation
   (unbiased by the window's own autocorrelation) and the Fourier magnitude of
   the onset envelope are read on a log-BPM grid (30-480 BPM, 48 bins/octave)
   and multiplied. The ACF has peaks at the beat period *and its multiples*
   (sub-harmonics in BPM), the DFT at the beat rate *and its harmonics*; their
   product keeps the periodicity both agree on, which removes most octave
   errors before any prior is applied (Peeters 2007 [3]_).
3. **Metrical level (octave resolution).** The candidate peaks (40-240 BPM)
   of the time-averaged tempogram are scored by
   ``log S(T) + 0.5 log(S_sub + eps) + 0.5 log(S_sup + eps) + prior(T)``:
   their salience; metrical evidence, as the tactus is the *middle* level of
   the hierarchy (Klapuri et al. 2006 [2]_), with a subdivision
   ``S_sub = max S(2T), S(3T)`` below it and a grouping
   ``S_sup = max S(T/2), S(T/3)`` above it; and a log-normal perceptual prior
   (centre 120 BPM, one octave wide; Moelants & McKinney 2004 [4]_). A grouping
   slower than 40 BPM is hard to measure in 8 s windows, so a slow candidate
   is not penalised for its absence when its subdivision is binary, or when
   it is the most salient periodicity (the 6/8 reading of a ternary one).
   **Compound beat.** The prior favours the even eighths of a slow 6/8
   (150-180 BPM) over its dotted quarters (50-60 BPM), which would give 3/4
   at 3x the tempo. In a compound meter the counted beat is the group of
   three subdivisions (London 2012 [7]_), and the group is itself a strong
   pulse; the bar of a fast 3/4 is not. So the chosen ``T`` is replaced by
   ``T / 3`` (and the beat called ternary) when ``T / 3`` is a peak in the
   tactus range at least :data:`COMPOUND_RATIO` (1/2) times as salient as
   ``T`` and stronger than ``T / 2`` (``T`` groups in threes, not twos), and
   the level ``2 T / 3`` (two per group: the group divides in two as well,
   as the bar of a 3/4 with running eighths does) is under that fraction of
   ``S(T)`` (:func:`_compound_beat`). The ratio 1/2 reads "at
   least half as salient" as present. Measured on the labelled sets: the
   dotted quarters of the 6/8 pieces read at 3x reach 0.85-1.7 of the
   eighths, the bars of fast 3/4 pieces (150-190 BPM) 0.23-0.39 of the
   beat. The half-bar condition was added after the first condition alone
   moved three 3/4 pieces with a dominant bar (two of heldout7, one of the
   corpus) to their bar rate; their half-bar levels are 0.56-0.87 of the
   beat, those of the 6/8 pieces 0.12-0.37, so this margin is narrow. The
   threes-not-twos condition was added after a real recording (a game
   soundtrack at 137 BPM, Essentia 137) whose binary grouping (68) is its
   strongest periodicity was moved to a weak peak at 46.
4. **Tempo curve.** A Viterbi path through the windowed tempogram, restricted
   to ±0.75 octave around the global tactus so it cannot flip octaves, with a
   transition cost proportional to the absolute change of log-tempo: a jump
   costs as much as the same change spread over many windows, so step changes
   and gradual accelerandi are both followed.
5. **Beats.** Dynamic programming (Ellis 2007 [1]_) on the onset envelope with
   the *local* beat period from the tempo curve at each frame, so beats follow
   tempo changes; the DP is run in blocks of half the shortest period, each
   block vectorised. Beats in silent stretches, before the first and after
   the last onset are dropped. A grid locked on afterbeats is moved back
   onto the bass (:func:`bass_phase`: a grid shifted by half a beat, or a
   third in compound time, that has clearly more low-band onsets wins);
   each beat is refined to the parabolic peak of the envelope (sub-frame)
   and, in legato music, moved back by the lag at which the release flux
   peaks before the beats (:func:`release_lag`), then each onto its own
   clear note change within 70 ms before / 25 ms after
   (:func:`snap_to_releases`), both scaled by the legato share.
6. **Meter and downbeats.** Per beat, a downbeat score combines low-band
   (< 150 Hz: bass, kick) onsets, the change of the sustained spectrum
   (per-beat median, so chord and bass changes count and drum hits do not)
   from the previous beat, the accent, and how long the harmony then holds
   (long events start on strong beats). For each bar length (2, 3, 4
   beats) a Viterbi over bar positions with rare phase jumps places the
   downbeats; 3 against 2/4 is decided by BIC, 4 against 2 by the accent
   shape of the bar (see :func:`estimate_meter`). The subdivision turns 2
   beats per bar into ``"6/8"``; it is ternary only when two independent
   measures agree: the band fluxes folded on the beats peak at 1/3 and 2/3
   of the beat rather than at 1/2 (:func:`subdivision_contrast`, phase-locked)
   and the tempogram is stronger at 3x than at 2x the tactus (phase-free,
   :func:`choose_tactus`). Binary division, the more common, is the default:
   one measure alone (e.g. a chorale whose passing notes fall late in the
   beat) does not make a compound meter.
7. **Confidence.** The pulse clarity: the median, over sounding windows, of
   the autocorrelation of the mean-removed onset envelope at the lag of the
   local tempo (normalised to 1 at lag 0). About 0 for noise, 0.3-0.6 for
   music with a soft or rubato pulse, near 1 for a steady drum track.

Known limits
------------
* A slow level divided in three that is the most salient periodicity is read
  as a compound (6/8) beat; an oom-pah-pah waltz whose bar dominates is then
  reported at its bar rate (1/3 of the written tempo).
* 2/4 is reported only when beat 3 of a 4-beat grouping is nearly as strong as
  the downbeat, so many 2/4 pieces come out as 4/4 (downbeat F about 0.67).
  The chord-change bar cue (chords change on downbeats; Goto & Muraoka 1999,
  Papadopoulos & Peeters 2011) does not separate the two on the labelled
  sets, so it is not used: with the pipeline's beat-synchronous chords,
  the Bayes factor of "changes equally often on both bar lines two beats
  apart" (2/4) against "fewer on beat 3" (4/4) is 0.00007-6.8 on the 14
  2/4 pieces and up to 5.0 on the 46 4/4 pieces, where Bach chorales
  (harmony on every beat or half bar) score 2.4-5.0 like the 2/4 pieces,
  and 2/4 pieces with one chord per two bars (a march, a rag) score under
  0.02 like 4/4 pop; the truth chords give similar figures
  (``benchmarks/probes/meter_harmony_probe.py``).
* Afterbeat accompaniments (march "oom-pah" with the "pah" on the off-beat)
  can pull the beats half a beat off when the bass is too weak to set them
  back (:func:`bass_phase`); soft, slow attacks (bowed strings, choirs)
  still put beats 0-40 ms after the written note-on, and chorales with
  running eighths can drift between on- and off-beats.
* A 6/8 whose dotted quarters are under half as salient as its even eighths
  (an arpeggio or hi-hats with faint beat accents, typically at 65 BPM and
  up) is still read at the eighth-note level, grouped in threes (3/4 at 3x
  the tempo). A 3/4 whose onsets articulate the half bar (an accompaniment
  on beat 1 and the "and" of 2, a hemiola) is read as 6/8 (2/3 of the
  tempo): the onset periodicities alone cannot tell the two apart.
* Slow legato pieces (chorales at 60-75 BPM with eighth-note passing notes)
  are often given the eighth-note level (2x) by the 120 BPM prior.

References
----------
.. [1] D. P. W. Ellis, "Beat tracking by dynamic programming", JNMR 36(1), 2007.
.. [2] A. Klapuri, A. Eronen and J. Astola, "Analysis of the meter of acoustic
       musical signals", IEEE TASLP 14(1), 2006.
.. [3] G. Peeters, "Template-based estimation of time-varying tempo", EURASIP
       J. Adv. Signal Process., 2007.
.. [4] D. Moelants and M. McKinney, "Tempo perception and musical content",
       ICMPC 2004.
.. [5] F. Gouyon and P. Herrera, "Determination of the meter of musical audio
       signals", AES 114th Convention, 2003.
.. [6] M. Goto, "An audio-based real-time beat tracking system for music with
       or without drum-sounds", JNMR 30(2), 2001.
.. [7] J. London, "Hearing in Time: Psychological Aspects of Musical Meter",
       2nd ed., Oxford University Press, 2012.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d, median_filter

from ..dsp.onset import band_flux, onset_strength
from ..errors import ParameterError
from ..result.model import Tempo

__all__ = ["BPM_RANGE", "validate_onsets", "bpm_grid", "tempogram", "choose_tactus",
           "legato_share", "release_lag", "snap_to_releases", "bass_phase", "tempo_path",
           "track_beats", "beat_features", "estimate_meter", "analyze_rhythm",
           "analyze_rhythm_windowed"]

BPM_RANGE = (30.0, 480.0)
"""Range of the tempogram grid (BPM)."""

TACTUS_RANGE = (40.0, 240.0)
"""Range in which the beat (tactus) is sought (BPM)."""

BINS_PER_OCTAVE = 48
PRIOR_CENTRE_BPM = 120.0
PRIOR_OCTAVES = 1.0
METRICAL_WEIGHT = 0.5
SLOW_SUP_NEUTRAL = 0.5
_EPS = 0.05
HALF_BAR_RATIO = 0.25
MAIN_TEMPO_SHARE = 1.0 / 3.0
TERNARY_CONTRAST = 0.15
COMPOUND_RATIO = 0.5
"""Share of the tactus's salience from which a level counts as present (compound beat test)."""
BASS_PHASE_RATIO = 1.25  # low-band onsets a shifted grid needs, relative to the tracked one
WIN_S = 8.0
HOP_S = 0.5
PATH_SPAN_OCTAVES = 0.75
JUMP_COST = 40.0  # Viterbi cost per octave of tempo change (log-salience units)
TIGHTNESS = 100.0  # Ellis's alpha: penalty on log(interval / period)^2
RELEASE_WEIGHT = 2.0  # weight of the mid band's release flux in fully legato music
LEGATO_BUSY = (0.15, 0.35)  # busy-frame shares of the attack flux: not / fully legato
ONSET_DELAY_S = 0.0  # shift applied to beat times (s); see _onset_delay


def validate_onsets(env: np.ndarray, *, frame_rate: float) -> np.ndarray:
    """Check an onset envelope and the frame rate; return it as float64."""
    env = np.asarray(env, dtype=np.float64)
    if env.ndim != 1:
        raise ParameterError(f"onset envelope must be 1-D, got shape {env.shape}")
    if not np.isfinite(frame_rate) or frame_rate <= 0:
        raise ParameterError(f"frame_rate must be > 0 frames/s, got {frame_rate!r}")
    if not np.all(np.isfinite(env)):
        raise ParameterError("onset envelope contains NaN or inf")
    return env


def bpm_grid(*, bpm_range: tuple[float, float] = BPM_RANGE,
             bins_per_octave: int = BINS_PER_OCTAVE) -> np.ndarray:
    """Log-spaced tempo grid (BPM), shape ``(n_bpm,)``."""
    lo, hi = bpm_range
    n = int(np.floor(np.log2(hi / lo) * bins_per_octave)) + 1
    return lo * 2.0 ** (np.arange(n) / bins_per_octave)


def tempogram(env: np.ndarray, *, frame_rate: float, bpm: np.ndarray, win_s: float = WIN_S,
              hop_s: float = HOP_S) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windowed ACF x DFT tempogram on a BPM grid.

    Parameters
    ----------
    env : np.ndarray [shape=(n_frames,)]
        Onset strength (non-negative).
    frame_rate : float > 0
        Frames per second of ``env``.
    bpm : np.ndarray [shape=(n_bpm,)]
        Tempo grid (BPM).
    win_s, hop_s : float > 0
        Window length and hop (s).

    Returns
    -------
    times : np.ndarray [shape=(n_win,)]
        Window centres (s).
    tg : np.ndarray [shape=(n_win, n_bpm)]
        Salience >= 0: max(ACF, 0) * |DFT|, both normalised per window.
    clarity : np.ndarray [shape=(n_win, n_bpm)]
        Autocorrelation of the mean-removed envelope at each tempo's lag,
        normalised to 1 at lag 0: near 0 for noise, near 1 for a strict pulse.
    """
    env = validate_onsets(env, frame_rate=frame_rate)
    w = max(8, int(round(win_s * frame_rate)))
    hop = max(1, int(round(hop_s * frame_rate)))
    n = env.size
    n_win = max(1, int(np.ceil(n / hop)))
    centres = np.arange(n_win) * hop
    padded = np.concatenate([np.zeros(w // 2), env, np.zeros(w)])
    win = np.hanning(w + 2)[1:-1]
    # windows are independent: process them in batches so long tracks stay small
    parts = [_tempogram_batch(padded, centres[i:i + 1024], w=w, win=win,
                              frame_rate=frame_rate, bpm=bpm)
             for i in range(0, n_win, 1024)]
    tg = np.concatenate([p[0] for p in parts])
    clarity = np.concatenate([p[1] for p in parts])
    times = centres / frame_rate
    return times, tg, np.clip(clarity, -1.0, 1.0)


def _tempogram_batch(padded: np.ndarray, centres: np.ndarray, *, w: int, win: np.ndarray,
                     frame_rate: float, bpm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tempogram salience and pulse clarity of the windows starting at ``centres``."""
    frames = np.lib.stride_tricks.sliding_window_view(padded, w)[centres]
    x = frames * win
    # ACF via FFT, unbiased by the window's own ACF
    nfft = 1 << int(np.ceil(np.log2(2 * w)))
    spec = np.fft.rfft(x, n=nfft, axis=1)
    acf = np.fft.irfft(np.abs(spec) ** 2, n=nfft, axis=1)[:, :w]
    wacf = np.fft.irfft(np.abs(np.fft.rfft(win, n=nfft)) ** 2, n=nfft)[:w]
    acf = acf / np.maximum(wacf / wacf[0], 0.1)
    zero = acf[:, :1]
    acf = np.where(zero > 0, acf / np.maximum(zero, 1e-12), 0.0)
    lags = 60.0 * frame_rate / bpm
    lo = np.floor(lags).astype(int)
    frac = lags - lo
    lo = np.clip(lo, 0, w - 2)
    a = acf[:, lo] * (1 - frac) + acf[:, lo + 1] * frac
    # DFT magnitude at the tempo frequencies
    t = np.arange(w) / frame_rate
    basis = np.exp(-2j * np.pi * np.outer(t, bpm / 60.0))
    xm = x - x.mean(axis=1, keepdims=True) * win / win.mean()
    d = np.abs(xm @ basis)
    norm = np.sqrt((x ** 2).sum(axis=1, keepdims=True) * w) + 1e-12
    d = d / norm
    tg = np.maximum(a, 0.0) * d
    # pulse clarity: ACF of the mean-removed envelope (about 0 for noise)
    spec_c = np.fft.rfft(xm, n=nfft, axis=1)
    acf_c = np.fft.irfft(np.abs(spec_c) ** 2, n=nfft, axis=1)[:, :w]
    acf_c = acf_c / np.maximum(wacf / wacf[0], 0.1)
    zc = acf_c[:, :1]
    acf_c = np.where(zc > 0, acf_c / np.maximum(zc, 1e-12), 0.0)
    clarity = acf_c[:, lo] * (1 - frac) + acf_c[:, lo + 1] * frac
    return tg, clarity


def _log_prior(bpm: np.ndarray) -> np.ndarray:
    return -0.5 * (np.log2(bpm / PRIOR_CENTRE_BPM) / PRIOR_OCTAVES) ** 2


def _at(profile: np.ndarray, bpm: np.ndarray, target: float) -> float:
    """Max of ``profile`` within ±1.5 grid bins of ``target`` BPM (0 outside the grid)."""
    if target < bpm[0] or target > bpm[-1]:
        return 0.0
    i = np.log2(target / bpm[0]) * BINS_PER_OCTAVE
    lo, hi = int(np.floor(i - 1.5)), int(np.ceil(i + 1.5))
    return float(profile[max(lo, 0):min(hi, profile.size - 1) + 1].max())


def choose_tactus(profile: np.ndarray, bpm: np.ndarray) -> tuple[float, float, bool]:
    """Pick the beat rate from a global tempogram profile.

    Parameters
    ----------
    profile : np.ndarray [shape=(n_bpm,)]
        Time-averaged tempogram salience.
    bpm : np.ndarray [shape=(n_bpm,)]

    Returns
    -------
    bpm : float
        Chosen tactus (BPM); 0 if the profile is empty.
    salience : float in [0, 1]
        Its share of the profile's peak salience.
    ternary : bool
        Whether the evidence favours a ternary subdivision of that beat.
    """
    p = np.maximum(np.asarray(profile, dtype=np.float64), 0.0)
    if p.size == 0 or p.max() <= 0:
        return 0.0, 0.0, False
    p = p / p.max()
    peaks = np.nonzero((p == maximum_filter1d(p, size=5)) & (p > 0.05))[0]
    peaks = peaks[(bpm[peaks] >= TACTUS_RANGE[0]) & (bpm[peaks] <= TACTUS_RANGE[1])]
    if peaks.size == 0:
        top = int(np.argmax(p))
        return float(bpm[top]), float(p[top]), False
    best, best_score, best_tern = int(peaks[0]), -np.inf, False
    for i in peaks:
        b = bpm[i]
        dbl, trip = _at(p, bpm, 2 * b), _at(p, bpm, 3 * b)
        sub = max(dbl, trip)
        sup = max(_at(p, bpm, b / 2), _at(p, bpm, b / 3))
        if b / 2 < TACTUS_RANGE[0] and (dbl >= trip or p[i] >= 0.9):
            # bar-level periods beyond 1.5 s are poorly measured in 8 s
            # windows: their absence is no evidence against a slow tactus.
            # A slow level divided in three is the beat of a 6/8 as often as
            # the bar of a fast 3/4; it gets the benefit only when it is the
            # most salient periodicity (the 6/8 reading; see Known limits)
            sup = max(sup, SLOW_SUP_NEUTRAL)
        score = (np.log(p[i] + _EPS) + METRICAL_WEIGHT * np.log(sub + _EPS)
                 + METRICAL_WEIGHT * np.log(sup + _EPS) + _log_prior(np.array([b]))[0])
        if score > best_score:
            best, best_score, best_tern = int(i), score, trip > dbl
    best, best_tern = _compound_beat(p, bpm, best, best_tern)
    return float(bpm[best]), float(p[best]), bool(best_tern)


def _compound_beat(p: np.ndarray, bpm: np.ndarray, best: int, tern: bool) -> tuple[int, bool]:
    """Move a tactus that is the eighth note of a compound meter to its dotted quarter.

    Parameters
    ----------
    p : np.ndarray [shape=(n_bpm,)]
        Tempogram profile, normalised to a maximum of 1.
    bpm : np.ndarray [shape=(n_bpm,)]
    best : int
        Index of the chosen tactus ``T``.
    tern : bool
        Whether ``T`` was found to divide in three.

    Returns
    -------
    best, tern : int, bool
        ``T / 3`` (the nearest peak within 2 bins) and ``True`` when that
        level lies in :data:`TACTUS_RANGE`, is at least
        :data:`COMPOUND_RATIO` times as salient as ``T``, stronger than
        ``T / 2`` (``T`` groups in threes, not twos), and the level
        ``2 T / 3`` is under that fraction of ``S(T)`` (the group divides in
        three, not two); else the input unchanged.
    """
    b = bpm[best]
    g = b / 3.0
    if g < TACTUS_RANGE[0]:
        return best, tern
    j = int(np.clip(np.round(np.log2(g / bpm[0]) * BINS_PER_OCTAVE), 0, bpm.size - 1))
    lo, hi = max(j - 2, 0), min(j + 3, p.size)
    j = lo + int(np.argmax(p[lo:hi]))
    if not (0 < j < p.size - 1 and p[j] >= p[j - 1] and p[j] >= p[j + 1]):
        return best, tern
    floor = COMPOUND_RATIO * p[best]
    if p[j] >= floor and _at(p, bpm, 2.0 * bpm[j]) < floor and p[j] > _at(p, bpm, b / 2.0):
        return j, True
    return best, tern


def tempo_path(tg: np.ndarray, bpm: np.ndarray, *, centre_bpm: float,
               span_octaves: float = PATH_SPAN_OCTAVES,
               jump_cost: float = JUMP_COST) -> np.ndarray:
    """Viterbi tempo path through a windowed tempogram.

    Parameters
    ----------
    tg : np.ndarray [shape=(n_win, n_bpm)]
    bpm : np.ndarray [shape=(n_bpm,)]
    centre_bpm : float
        Global tactus; the path stays within ``span_octaves`` of it.
    span_octaves : float > 0
    jump_cost : float >= 0
        Cost per octave of tempo change between consecutive windows.

    Returns
    -------
    path : np.ndarray [shape=(n_win,)]
        Local tempo (BPM) per window.
    """
    keep = np.abs(np.log2(bpm / centre_bpm)) <= span_octaves
    b = bpm[keep]
    if b.size == 0:
        return np.full(tg.shape[0], centre_bpm)
    s = tg[:, keep]
    mx = s.max(axis=1, keepdims=True)
    obs = np.log(np.where(mx > 0, s / np.maximum(mx, 1e-12), 1.0) + 1e-2)
    # prefer the global level where a window is ambiguous
    obs = obs - 0.5 * (np.log2(b / centre_bpm) / 0.4) ** 2
    lb = np.log2(b)
    trans = -jump_cost * np.abs(lb[:, None] - lb[None, :])  # [from, to]
    n = s.shape[0]
    back = np.zeros((n, b.size), dtype=np.int32)
    score = obs[0].copy()
    for k in range(1, n):
        cand = score[:, None] + trans
        back[k] = np.argmax(cand, axis=0)
        score = cand[back[k], np.arange(b.size)] + obs[k]
    path = np.zeros(n, dtype=np.int64)
    path[-1] = int(np.argmax(score))
    for k in range(n - 1, 0, -1):
        path[k - 1] = back[k, path[k]]
    return b[path]


def track_beats(env: np.ndarray, *, frame_rate: float, period: np.ndarray,
                tightness: float = TIGHTNESS) -> np.ndarray:
    """Ellis dynamic-programming beat tracker with a time-varying period.

    Parameters
    ----------
    env : np.ndarray [shape=(n_frames,)]
        Onset strength (non-negative).
    frame_rate : float > 0
    period : np.ndarray [shape=(n_frames,)]
        Local beat period at each frame (frames).
    tightness : float > 0
        Weight of the penalty on ``log(interval / period) ** 2``.

    Returns
    -------
    beats : np.ndarray of int
        Beat frames, increasing.
    """
    env = validate_onsets(env, frame_rate=frame_rate)
    n = env.size
    period = np.asarray(period, dtype=np.float64)
    if period.shape != env.shape or np.any(period <= 1):
        raise ParameterError("period must have one value > 1 frame per onset frame")
    if n == 0 or not np.any(env > 0):
        return np.zeros(0, dtype=np.int64)
    o = env / (np.std(env) + 1e-12)
    score = np.zeros(n)
    back = np.full(n, -1, dtype=np.int64)
    start = 0
    while start < n:
        # a block shorter than half the shortest period ahead only looks back
        # at frames already scored, so it is computed at once
        ahead = period[start:start + int(np.ceil(period[start]))]
        block = max(1, int(np.floor(ahead.min() / 2)))
        ts = np.arange(start, min(start + block, n))
        tau = period[ts][:, None]
        k0 = max(1, int(np.floor(tau.min() / 2)))
        k1 = int(np.ceil(2 * tau.max()))
        lags = np.arange(k0, k1 + 1)
        prev = ts[:, None] - lags[None, :]
        valid = (prev >= 0) & (lags >= tau / 2) & (lags <= 2 * tau)
        pen = -tightness * np.log(lags[None, :] / tau) ** 2
        cand = np.where(valid, score[np.maximum(prev, 0)] + pen, -np.inf)
        j = np.argmax(cand, axis=1)
        best = cand[np.arange(ts.size), j]
        good = best > 0
        score[ts] = o[ts] + np.where(good, best, 0.0)
        back[ts] = np.where(good, prev[np.arange(ts.size), j], -1)
        start += block
    # end on the last strong local maximum of the cumulative score
    tail = int(np.ceil(period[-1]))
    lm = np.nonzero((score[1:-1] >= score[:-2]) & (score[1:-1] >= score[2:]))[0] + 1
    if lm.size:
        thr = 0.5 * np.median(score[lm])
        lm = lm[score[lm] >= thr]
    end = int(lm[-1]) if lm.size else n - 1 - int(np.argmax(score[::-1][:tail]))
    beats = [end]
    while back[beats[-1]] >= 0:
        beats.append(int(back[beats[-1]]))
    return np.asarray(beats[::-1], dtype=np.int64)


def beat_features(beats: np.ndarray, *, flux: np.ndarray, log_mel: np.ndarray,
                  env: np.ndarray, frame_rate: float) -> np.ndarray:
    """Per-beat evidence that a beat starts a bar.

    Parameters
    ----------
    beats : np.ndarray [shape=(n_beats,)]
        Beat frames.
    flux : np.ndarray [shape=(n_frames, 3)]
        Band fluxes (low, mid, high).
    log_mel : np.ndarray [shape=(n_frames, n_mels)]
    env : np.ndarray [shape=(n_frames,)]
        Combined onset strength.
    frame_rate : float > 0

    Returns
    -------
    feats : np.ndarray [shape=(n_beats, 4)]
        z-scored: low-band onset, harmonic change from the previous beat (mean
        absolute difference in dB between the per-beat median spectra below
        ~2 kHz), accent, and hold (minus the harmonic change at the next
        beat: long events start on strong beats).
    """
    nb = beats.size
    n = env.size
    if nb == 0:
        return np.zeros((0, 3))
    r = max(1, int(round(0.05 * frame_rate)))
    lowmax = maximum_filter1d(flux[:, 0].astype(np.float64), size=2 * r + 1)
    accmax = maximum_filter1d(env, size=2 * r + 1)
    low = lowmax[beats]
    acc = accmax[beats]
    # beat-synchronous spectra below ~2 kHz (first 2/3 of the mel bands), cosine change
    x = np.asarray(log_mel, dtype=np.float64)
    x = x[:, : int(x.shape[1] * 2 / 3)]
    # keep 40 dB below the loudest band within +/-1 s: decaying tails of drum
    # hits drop out, a quiet passage keeps its own detail
    floor = maximum_filter1d(x.max(axis=1), size=2 * int(round(frame_rate)) + 1) - 40.0
    x = np.maximum(x - floor[:, None], 0.0)
    edges = np.concatenate([beats, [min(n, beats[-1] + max(1, int(np.median(np.diff(beats))
                                                                   if nb > 1 else 10)))]])
    a = np.clip(edges[:-1], 0, n - 1)
    b = np.clip(np.maximum(edges[1:], edges[:-1] + 1), 1, n)
    # the median over the beat keeps what sustains (chords, bass notes) and
    # drops transients, so a drum hit is not mistaken for a harmonic change
    seg = np.stack([np.median(x[i:j], axis=0)
                    for i, j in zip(a, b, strict=True)])
    change = np.zeros(nb)
    change[1:] = np.abs(seg[1:] - seg[:-1]).mean(axis=1)
    change[0] = np.median(change) if nb > 1 else 0.0
    # long events start on strong beats (Lerdahl & Jackendoff's metrical
    # preference rule 5a): a beat after which the harmony holds
    hold = -np.concatenate([change[1:], [np.median(change)]])
    feats = np.stack([low, change, acc, hold], axis=1)
    mu = feats.mean(axis=0)
    sd = feats.std(axis=0) + 1e-9
    return (feats - mu) / sd


@dataclass
class MeterEstimate:
    beats_per_bar: int
    downbeat_index: np.ndarray  # indices into beats
    score: float


_DOWNBEAT_WEIGHTS = np.array([1.0, 1.5, 0.5, 0.5])
"""Weights of (low-band onset, sustained-spectrum change, accent, hold) in the downbeat score."""


def _viterbi_positions(emit: np.ndarray, *, jump_cost: float) -> np.ndarray:
    """Bar positions maximising ``sum emit[k, pos_k]`` with pos advancing by one per beat
    (mod m) except at jumps, each costing ``jump_cost``."""
    nb, m = emit.shape
    nxt = (np.arange(m) + 1) % m
    trans = np.full((m, m), -jump_cost)
    trans[np.arange(m), nxt] = 0.0
    back = np.zeros((nb, m), dtype=np.int32)
    score = emit[0].copy()
    for k in range(1, nb):
        cand = score[:, None] + trans
        back[k] = np.argmax(cand, axis=0)
        score = cand[back[k], np.arange(m)] + emit[k]
    pos = np.zeros(nb, dtype=np.int64)
    pos[-1] = int(np.argmax(score))
    for k in range(nb - 1, 0, -1):
        pos[k - 1] = back[k, pos[k]]
    return pos


def _position_means(feats: np.ndarray, pos: np.ndarray, m: int) -> np.ndarray:
    mu = np.zeros((m, feats.shape[1]))
    for p in range(m):
        sel = pos == p
        if sel.any():
            mu[p] = feats[sel].mean(axis=0)
    return mu


def _position_loglik(feats: np.ndarray, pos: np.ndarray, m: int) -> float:
    """Gaussian log-likelihood of ``feats`` with one mean per bar position (shared variance)."""
    resid = feats - _position_means(feats, pos, m)[pos]
    var = np.maximum(resid.var(axis=0), 1e-3)
    return float(-0.5 * feats.shape[0] * np.log(var).sum())


def _bar_positions(feats: np.ndarray, m: int, *, n_iter: int = 2) -> np.ndarray:
    """Bar position of each beat for a bar of ``m`` beats, 0 = downbeat.

    Starts from a fixed phase, then alternates per-position Gaussian means and
    a Viterbi over positions (rare phase jumps allowed, e.g. a dropped beat);
    finally the position whose mean looks most like a downbeat becomes 0.
    """
    nb = feats.shape[0]
    pos = np.arange(nb) % m
    jump = 2.0 * np.log(nb)
    for _ in range(n_iter):
        mu = _position_means(feats, pos, m)
        var = np.maximum((feats - mu[pos]).var(axis=0), 1e-3)
        emit = -0.5 * (((feats[:, None, :] - mu[None, :, :]) ** 2) / var).sum(axis=2)
        pos = _viterbi_positions(emit, jump_cost=jump)
    mu = _position_means(feats, pos, m)
    first = int(np.argmax(mu @ _DOWNBEAT_WEIGHTS))
    return (pos - first) % m


def estimate_meter(feats: np.ndarray, *, ternary: bool = False) -> MeterEstimate:
    """Bar length (2, 3 or 4 beats) and downbeats from per-beat evidence.

    For each bar length ``m`` the beats get bar positions from a model with
    one mean feature vector per position (fitted by alternating means and a
    Viterbi that allows rare phase jumps); the position whose mean scores
    highest as a downbeat (weights :data:`_DOWNBEAT_WEIGHTS`) is the
    downbeat. 3 against 2/4 beats is decided by the Bayesian information
    criterion of these models (Gouyon & Herrera's periodicity idea [5]_ in
    likelihood form). A 4-beat bar nests a 2-beat one, so 4 against 2 is
    decided by the bar's accent shape: 2 only when beat 3 is nearly as strong
    as the downbeat, ``(d1 - d3) / (d1 - (d2 + d4) / 2) < HALF_BAR_RATIO``
    (4/4 is far more common than 2/4, and a 4/4 bar with a strong beat 3 is
    the rule in pop). With a ternary subdivision the bar has 2 (6/8) or 3
    beats.

    Parameters
    ----------
    feats : np.ndarray [shape=(n_beats, n_features)]
        From :func:`beat_features`.
    ternary : bool
        The beat divides in three: the bar has 2 (6/8) or 3 (9/8) beats.

    Returns
    -------
    MeterEstimate
    """
    nb = feats.shape[0]
    if nb < 8:
        return MeterEstimate(4, np.arange(0, nb, 4), 0.0)
    est = {}
    pos_m = {}
    for m in (2, 3, 4):
        pos = _bar_positions(feats, m)
        ll = _position_loglik(feats, pos, m)
        jumps = int(np.sum(pos[1:] != (pos[:-1] + 1) % m))
        bic = -2.0 * ll + m * feats.shape[1] * np.log(nb) + 2.0 * np.log(nb) * jumps
        est[m] = MeterEstimate(m, np.nonzero(pos == 0)[0], -float(bic))
        pos_m[m] = pos
    if est[3].score > max(est[2].score, est[4].score):
        return est[3]
    if ternary:
        return est[2]
    d = feats @ _DOWNBEAT_WEIGHTS
    mu = np.array([d[pos_m[4] == p].mean() if np.any(pos_m[4] == p) else 0.0
                   for p in range(4)])
    strong = mu[0] - 0.5 * (mu[1] + mu[3])
    if strong > 0 and (mu[0] - mu[2]) / strong > HALF_BAR_RATIO:
        return est[4]
    return est[2]


def bass_phase(beats: np.ndarray, *, low: np.ndarray, frame_rate: float,
               ternary: bool) -> np.ndarray:
    """Move a beat grid locked on the afterbeats back onto the bass.

    The kick drum and the bass notes fall on the beats (Goto 2001 [6]_),
    whereas afterbeat chords (a march's or a polka's "oom-pah", a ska
    guitar) can be the strongest onsets in the mid band and pull the tracker
    half a beat (a third or two thirds in compound time) off. The mean
    low-band (< 150 Hz) onset strength at the beats is compared with that at
    the same grid shifted by each fraction; a shift is taken only when the
    shifted grid has at least :data:`BASS_PHASE_RATIO` times the low-band
    onsets of the tracked one. On music whose bass follows the beat the
    shifted grids have well under the tracked grid's bass onsets.

    Parameters
    ----------
    beats : np.ndarray [shape=(n_beats,), dtype=int]
        Beat frames.
    low : np.ndarray [shape=(n_frames,)]
        Low-band onset flux.
    frame_rate : float > 0
    ternary : bool
        The beat divides in three (shifts 1/3, 2/3), else in two (1/2).

    Returns
    -------
    beats : np.ndarray [shape=(n_beats',), dtype=int]
        The same grid or the shifted one (same length).
    """
    b = np.asarray(beats, dtype=np.int64)
    n = low.size
    if b.size < 4 or n == 0:
        return b
    r = max(1, int(round(0.05 * frame_rate)))
    x = maximum_filter1d(np.asarray(low, dtype=np.float64), size=2 * r + 1)
    # the grid extended by one beat, so a shift keeps every beat
    ext = np.concatenate([b, [b[-1] + (b[-1] - b[-2])]])
    step = np.diff(ext).astype(np.float64)
    base = float(x[b].mean())
    best, best_val = 0.0, base * BASS_PHASE_RATIO
    for frac in ((1 / 3, 2 / 3) if ternary else (0.5,)):
        pos = np.round(b + frac * step).astype(np.int64)
        ok = pos < n
        val = float(x[pos[ok]].mean()) if ok.any() else 0.0
        if val > best_val:
            best, best_val = frac, val
    if best == 0.0:
        return b
    pos = np.round(b + best * step).astype(np.int64)
    return pos[pos < n]


def subdivision_contrast(flux: np.ndarray, beats: np.ndarray) -> float:
    """Evidence for a ternary division of the beat (> 0) against a binary one (< 0).

    Each band's flux is averaged at 12 positions inside every beat; the
    contrast is the mean at 1/3 and 2/3 of the beat minus the value at 1/2,
    relative to the band's largest position mean. The band with the largest
    contrast is reported (hi-hats or arpeggios carry the subdivision in
    whichever band they sound).

    Parameters
    ----------
    flux : np.ndarray [shape=(n_frames, n_bands)]
    beats : np.ndarray [shape=(n_beats,)]
        Beat frames (may be fractional).

    Returns
    -------
    contrast : float in [-1, 1]
    """
    b = np.asarray(beats, dtype=np.float64)
    if b.size < 4:
        return 0.0
    pos = np.arange(12) / 12.0
    t = b[:-1, None] + pos[None, :] * np.diff(b)[:, None]
    idx = np.clip(np.round(t).astype(int), 0, flux.shape[0] - 1)
    best = -1.0
    for k in range(flux.shape[1]):
        e = maximum_filter1d(np.asarray(flux[:, k], dtype=np.float64), size=3)
        prof = e[idx].mean(axis=0)
        top = prof.max()
        if top <= 0:
            continue
        best = max(best, float((0.5 * (prof[4] + prof[8]) - prof[6]) / top))
    return best


def analyze_rhythm(log_mel: np.ndarray, *, frame_rate: float, fmin: float = 20.0,
                   fmax: float = 11025.0) -> Tempo | None:
    """Tempo, tempo curve, beats, downbeats and meter of a track.

    Parameters
    ----------
    log_mel : np.ndarray [shape=(n_frames, n_mels)]
        Log-power mel spectrogram (dB) on a centred STFT grid.
    frame_rate : float > 0
        Frames per second of ``log_mel`` (``sr / hop_length``).
    fmin, fmax : float
        Frequency range of the mel filterbank (Hz).

    Returns
    -------
    Tempo or None
        ``None`` when there is no rhythm to measure (silence, fewer than four
        beats).

    Raises
    ------
    ParameterError
        If ``log_mel`` is not 2-D or ``frame_rate`` is not positive.
    """
    if not np.isfinite(frame_rate) or frame_rate <= 0:
        raise ParameterError(f"frame_rate must be > 0 frames/s, got {frame_rate!r}")
    flux = band_flux(log_mel, fmin=fmin, fmax=fmax)
    n = flux.shape[0]
    if n < int(2 * frame_rate) or not np.any(flux > 0):
        return None
    # legato music: the mid band's release flux marks note changes whose attacks swell late
    release = band_flux(log_mel, fmin=fmin, fmax=fmax, direction="decrease")[:, 1:2]
    legato = legato_share(flux[:, 1])
    w_rel = RELEASE_WEIGHT * legato
    env = onset_strength(np.concatenate([flux, release], axis=1), frame_rate=frame_rate,
                         weights=(1.0, 1.0, 1.0, w_rel))
    if not np.any(env > 0):
        return None
    bpm = bpm_grid()
    times, tg, clarity = tempogram(env, frame_rate=frame_rate, bpm=bpm)
    # sounding windows only; weight by each window's total salience
    active = _active_frames(log_mel, frame_rate=frame_rate)
    win_active = active[np.clip(np.round(times * frame_rate).astype(int), 0, n - 1)]
    w = tg.sum(axis=1) * win_active
    if w.sum() <= 0:
        return None
    norm = tg / np.maximum(tg.max(axis=1, keepdims=True), 1e-12)
    profile = (norm * (w / w.sum())[:, None]).sum(axis=0)
    tactus, salience, ternary_hint = choose_tactus(profile, bpm)
    if tactus <= 0:
        return None
    path = tempo_path(tg, bpm, centre_bpm=tactus)
    # per-frame period, interpolated in log-tempo between window centres
    frame_t = np.arange(n) / frame_rate
    local = 2.0 ** np.interp(frame_t, times, np.log2(path))
    period = 60.0 * frame_rate / local
    beats = track_beats(env, frame_rate=frame_rate, period=period)
    beats = beats[active[beats]]
    onset_frames = np.nonzero(env > 0.2 * env.max())[0] if env.max() > 0 else np.zeros(0, int)
    if onset_frames.size:
        first, last = onset_frames[0], onset_frames[-1]
        tol = int(round(0.1 * frame_rate))
        beats = beats[(beats >= first - tol) & (beats <= last + tol)]
    if beats.size < 4:
        return None
    ternary = ternary_hint and subdivision_contrast(flux, beats) > TERNARY_CONTRAST
    beats = bass_phase(beats, low=flux[:, 0], frame_rate=frame_rate, ternary=ternary)
    feats = beat_features(beats, flux=flux, log_mel=log_mel, env=env, frame_rate=frame_rate)
    meter = estimate_meter(feats, ternary=ternary)
    m = meter.beats_per_bar
    if ternary:
        meter_str = {2: "6/8", 3: "9/8"}[m]
    else:
        meter_str = f"{m}/4"
    bt = refine_beats(beats, env)
    if legato > 0:
        bt = bt + legato * release_lag(bt, release[:, 0], frame_rate=frame_rate)
        bt = bt + legato * snap_to_releases(bt, release[:, 0], frame_rate=frame_rate)
    bt = bt / frame_rate + ONSET_DELAY_S
    ibi = np.diff(bt)
    med = median_filter(ibi, size=min(5, ibi.size), mode="nearest")
    curve_bpm = 60.0 / np.concatenate([med, med[-1:]])
    global_bpm = typical_bpm(bt)
    # confidence: pulse clarity along the tempo path, over sounding windows
    k = np.clip(np.round(np.log2(path / bpm[0]) * BINS_PER_OCTAVE).astype(int), 0, bpm.size - 1)
    along = clarity[np.arange(times.size), k]
    confidence = float(np.clip(np.median(along[win_active]) if win_active.any() else 0.0,
                               0.0, 1.0))
    return Tempo(bpm=global_bpm, beats=bt.tolist(),
                 downbeats=bt[meter.downbeat_index].tolist(),
                 curve=[(float(t), float(b)) for t, b in zip(bt, curve_bpm, strict=True)],
                 meter=meter_str, confidence=confidence)


def analyze_rhythm_windowed(log_mel: np.ndarray, *, frame_rate: float,
                            window_seconds: float = 600.0, overlap_seconds: float = 30.0,
                            fmin: float = 20.0, fmax: float = 11025.0) -> Tempo | None:
    """:func:`analyze_rhythm` over overlapping windows, for long recordings.

    The beat tracker's memory grows faster than linearly with length, so a
    long file (a concert, a DJ set) is analysed in windows of
    ``window_seconds`` that overlap by ``overlap_seconds``. Each window keeps
    the beats and downbeats of its core (the overlaps are split at their
    midpoints); the tempo curve is the concatenation; ``bpm`` is the
    duration-weighted median of the windows' tempi, ``meter`` the one held for
    the most beats and ``confidence`` the beat-weighted mean. Bars are not
    aligned across window seams.

    Parameters
    ----------
    log_mel : np.ndarray [shape=(n_frames, n_mels)]
    frame_rate : float > 0
        Frames per second of ``log_mel``.
    window_seconds : float > 0
        Length of each window (s).
    overlap_seconds : float >= 0
        Overlap of consecutive windows (s), less than half a window.
    fmin, fmax : float
        Frequency range of the mel filterbank (Hz).

    Returns
    -------
    Tempo or None
    """
    if not np.isfinite(frame_rate) or frame_rate <= 0:
        raise ParameterError(f"frame_rate must be > 0 frames/s, got {frame_rate!r}")
    if not window_seconds > 0 or not 0 <= overlap_seconds < window_seconds / 2:
        raise ParameterError("window_seconds must be > 0 and 0 <= overlap_seconds < "
                             f"window_seconds / 2, got {window_seconds}, {overlap_seconds}")
    n = log_mel.shape[0]
    win = int(round(window_seconds * frame_rate))
    if n <= win:
        return analyze_rhythm(log_mel, frame_rate=frame_rate, fmin=fmin, fmax=fmax)
    ov = int(round(overlap_seconds * frame_rate))
    step = win - ov
    starts = list(range(0, max(1, n - ov), step))
    beats: list[float] = []
    downbeats: list[float] = []
    curve: list[tuple[float, float]] = []
    votes: dict[str, int] = {}
    tempi: list[tuple[float, float]] = []
    conf_sum = 0.0
    for i, a in enumerate(starts):
        b = min(n, a + win)
        lo = 0.0 if i == 0 else (a + ov / 2) / frame_rate
        hi = np.inf if b >= n else (b - ov / 2) / frame_rate
        t = analyze_rhythm(log_mel[a:b], frame_rate=frame_rate, fmin=fmin, fmax=fmax)
        if t is None:
            continue
        off = a / frame_rate
        keep = [x + off for x in t.beats if lo <= x + off < hi]
        if not keep:
            continue
        beats += keep
        downbeats += [x + off for x in t.downbeats if lo <= x + off < hi]
        curve += [(x + off, bpm) for x, bpm in t.curve if lo <= x + off < hi]
        if t.meter:
            votes[t.meter] = votes.get(t.meter, 0) + len(keep)
        tempi.append((t.bpm, keep[-1] - keep[0]))
        conf_sum += (t.confidence or 0.0) * len(keep)
        if b >= n:
            break
    if len(beats) < 4 or not tempi:
        return None
    vals = np.array([v for v, _ in tempi])
    wts = np.array([max(d, 1e-3) for _, d in tempi])
    order = np.argsort(vals)
    cum = np.cumsum(wts[order])
    bpm = float(vals[order][np.searchsorted(cum, cum[-1] / 2)])
    return Tempo(bpm=bpm, beats=beats, downbeats=downbeats, curve=curve,
                 meter=max(votes, key=lambda k: votes[k]) if votes else None,
                 confidence=float(np.clip(conf_sum / len(beats), 0.0, 1.0)))


def release_lag(beats: np.ndarray, release: np.ndarray, *, frame_rate: float,
                max_lag_s: float = 0.14) -> float:
    """Where the note changes lie relative to the beats (frames, <= 0).

    The release flux averaged around the beats, at lags from ``-max_lag_s``
    to a frame after; the peak's lag (parabolic, sub-frame) is how much
    earlier than the beats the held notes stop, i.e. the attack latency of
    legato notes that the beat positions still carry. 0 when the peak is
    under 1.5 times the track's mean release flux (no note changes stand out
    near the beats).

    Parameters
    ----------
    beats : np.ndarray [shape=(n_beats,)]
        Beat frames (may be fractional).
    release : np.ndarray [shape=(n_frames,)]
        Release (decrease) flux.
    frame_rate : float > 0
    max_lag_s : float > 0
        Largest lag searched (s).

    Returns
    -------
    lag : float
        In frames, in ``[-max_lag_s * frame_rate, 0]``.
    """
    b = np.round(np.asarray(beats, dtype=np.float64)).astype(np.int64)
    x = np.asarray(release, dtype=np.float64)
    k = max(1, int(round(max_lag_s * frame_rate)))
    lags = np.arange(-k, 2)
    idx = b[:, None] + lags[None, :]
    ok = np.all((idx >= 0) & (idx < x.size), axis=1)
    if ok.sum() < 4:
        return 0.0
    prof = x[idx[ok]].mean(axis=0)
    i = int(np.argmax(prof))
    if prof[i] < 1.5 * x.mean():
        return 0.0  # no note changes stand out near the beats
    d = 0.0
    if 0 < i < prof.size - 1:
        a, c, e = prof[i - 1], prof[i], prof[i + 1]
        den = a - 2 * c + e
        if den < 0:
            d = float(np.clip(0.5 * (a - e) / den, -0.5, 0.5))
    return float(min(0.0, lags[i] + d))


def snap_to_releases(beats: np.ndarray, release: np.ndarray, *, frame_rate: float,
                     before_s: float = 0.07, after_s: float = 0.025,
                     strength: float = 2.0) -> np.ndarray:
    """Per-beat moves onto the strongest note change nearby (frames).

    After :func:`release_lag` has moved the beats by the track's typical
    latency, each beat still carries its own note's attack time (a bow
    change is sharper than a swell). Each beat moves to the strongest frame
    of the release flux within ``before_s`` before and ``after_s`` after it,
    when that frame exceeds ``strength`` times the median positive release
    flux (a clear note change); else it stays.

    Parameters
    ----------
    beats : np.ndarray [shape=(n_beats,)]
        Beat frames (may be fractional).
    release : np.ndarray [shape=(n_frames,)]
        Release (decrease) flux.
    frame_rate : float > 0
    before_s, after_s : float >= 0
        Search window around each beat (s).
    strength : float > 0
        Needed release, in units of its median positive value.

    Returns
    -------
    moves : np.ndarray [shape=(n_beats,)]
        Frames to add to each beat (0 where no clear note change is near).
    """
    bt = np.asarray(beats, dtype=np.float64)
    x = np.asarray(release, dtype=np.float64)
    pos = x[x > 0]
    if bt.size == 0 or pos.size == 0:
        return np.zeros(bt.size)
    b = np.round(bt).astype(np.int64)
    lags = np.arange(-int(round(before_s * frame_rate)), int(round(after_s * frame_rate)) + 1)
    idx = np.clip(b[:, None] + lags[None, :], 0, x.size - 1)
    v = x[idx]
    j = np.argmax(v, axis=1)
    clear = v[np.arange(b.size), j] > strength * np.median(pos)
    return np.where(clear, lags[j] + (b - bt), 0.0)


def legato_share(attack: np.ndarray) -> float:
    """How legato a track sounds, in [0, 1], from its mid-band attack flux.

    Percussive or plucked music has attacks that stand out: the attack flux
    exceeds a quarter of its 99th percentile in a few percent of the frames
    (4-15 % for drums, piano, guitar). In legato ensembles (strings, choirs,
    organ, brass chorales) notes swell and overlap, so the flux is busy
    (20-70 % of the frames) and its peaks come late. The share ramps
    linearly from 0 at :data:`LEGATO_BUSY` [0] to 1 at [1].

    Parameters
    ----------
    attack : np.ndarray [shape=(n_frames,)]
        Attack (increase) flux of the mid band.

    Returns
    -------
    share : float in [0, 1]
    """
    a = np.asarray(attack, dtype=np.float64)
    if a.size == 0:
        return 0.0
    top = np.percentile(a, 99.0)
    if top <= 0:
        return 0.0
    busy = float(np.mean(a > 0.25 * top))
    lo, hi = LEGATO_BUSY
    return float(np.clip((busy - lo) / (hi - lo), 0.0, 1.0))


def refine_beats(beats: np.ndarray, env: np.ndarray) -> np.ndarray:
    """Sub-frame beat positions: parabolic peak of ``env`` where a beat is a local maximum.

    Returns
    -------
    frames : np.ndarray [shape=(n_beats,), dtype=float]
    """
    b = np.asarray(beats, dtype=np.int64)
    out = b.astype(np.float64)
    inner = (b > 0) & (b < env.size - 1)
    i = b[inner]
    a, c, e = env[i - 1], env[i], env[i + 1]
    peak = (c >= a) & (c >= e) & (c > 0)
    den = a - 2 * c + e
    delta = np.where(peak & (den < 0), 0.5 * (a - e) / np.where(den < 0, den, -1.0), 0.0)
    out[inner] += np.clip(delta, -0.5, 0.5)
    return out


def typical_bpm(beat_times: np.ndarray, *, span: int = 4, tolerance: float = 0.04) -> float:
    """The tempo held for the longest total time (BPM).

    Local tempi are measured over spans of ``span`` beats (which divides the
    frame quantisation of each beat by ``span``); spans containing an interval
    more than 40 % away from the median interval (a gap, a missed beat) are
    left out. Each span votes with its duration for the tempi within
    ``tolerance`` (relative) of its own; the most-voted tempo wins and is
    refined as the duration-weighted median of the spans near it. When no
    tempo holds ``MAIN_TEMPO_SHARE`` of the time (rubato, long ramps), the
    duration-weighted median of all spans is returned. For a steady piece
    this is the median tempo; after a step change, the tempo of the longer
    part.
    """
    t = np.asarray(beat_times, dtype=np.float64)
    ibi = np.diff(t)
    if ibi.size == 0:
        return 0.0
    med = np.median(ibi)
    k = min(span, ibi.size)
    ok = np.abs(ibi / med - 1.0) < 0.4
    spans = (t[k:] - t[:-k]) / k
    good = np.convolve(ok.astype(int), np.ones(k, dtype=int), mode="valid") == k
    if not np.any(good):
        return float(60.0 / med)
    lt = np.log(spans[good])
    w = spans[good]
    near = np.abs(lt[:, None] - lt[None, :]) <= np.log1p(tolerance)
    votes = near @ w
    mode = int(np.argmax(votes))
    sel = near[mode]
    if votes[mode] < MAIN_TEMPO_SHARE * w.sum():
        sel = np.ones_like(sel)  # no tempo dominates (rubato, long ramps): the median
    order = np.argsort(lt[sel])
    cw = np.cumsum(w[sel][order])
    centre = lt[sel][order][int(np.searchsorted(cw, 0.5 * cw[-1]))]
    return float(60.0 / np.exp(centre))


def _active_frames(log_mel: np.ndarray, *, frame_rate: float, below_db: float = 60.0) -> np.ndarray:
    """Frames whose loudest mel band is within ``below_db`` of the track's maximum."""
    x = np.asarray(log_mel)
    fr = x.max(axis=1)
    top = fr.max()
    act = fr > top - below_db
    # close gaps shorter than 0.5 s so a staccato passage stays active
    size = 2 * int(round(0.25 * frame_rate)) + 1
    return maximum_filter1d(act.astype(np.uint8), size=size).astype(bool)
