"""One shared pitch representation for key and chord analysis.

Conventions
-----------
* Input is the mono analysis signal ``y`` at ``sr`` Hz (22050 in the
  pipeline). Nothing above C8 (4.2 kHz) is needed, so it is first resampled
  (soxr) to ``PITCH_RATE`` = 11025 Hz. A long-window STFT follows: a Hann
  window of 4096 samples (372 ms) and a hop of 1024 (93 ms), centred (frame
  ``i`` is centred at ``i * hop_length / PITCH_RATE`` seconds; the signal is
  zero-padded by ``n_fft // 2`` at both ends).
* Tuning: spectral peaks between 100 Hz and 2 kHz are located to a fraction of
  a bin (parabolic interpolation of the log magnitude); their deviations from
  the equal-tempered 440 Hz grid (cents, wrapped to [-50, 50)) are averaged on
  the circle, weighted by magnitude. The reference ``tuning_hz`` is the A4 of
  the estimated grid, ``440 * 2 ** (deviation / 1200)``.
* The magnitude spectrum is mapped onto a tuned log-frequency axis with three
  bins per semitone from MIDI note 21 (A0) to 108 (C8); the middle bin of
  each triple sits on the tuned note. Each log-frequency bin is a triangular
  average of the linear bins around it (linear interpolation where the linear
  bins are coarser than the log bins).
* Whitening: per frame, the log-frequency spectrum minus its running mean
  over one octave, divided by its running standard deviation, negatives set
  to zero. This removes broadband energy (drums, noise) and levels the
  spectral slope, after Mauch and Dixon's NNLS chroma.
* Note salience: the whitened spectrum is explained as a non-negative sum of
  88 harmonic note templates (20 partials, amplitude ``0.7 ** (h - 1)``),
  solved with multiplicative updates for the least-squares error. This moves
  the energy of overtones back to their fundamentals, so a C major triad does
  not light up B (third partial of E) or D (third partial of G).
* Chroma: square-root compressed salience (so one loud melody note does not
  outweigh a soft chord) summed per pitch class with two raised-cosine
  register weights, a bass chroma (``BASS_RANGE``, MIDI 26-57) and a treble
  chroma (``TREBLE_RANGE``, MIDI 36-84, peak at middle C). Pitch class 0 is C.

References
----------
M. Mauch and S. Dixon, "Approximate note transcription for the improved
identification of difficult chords", ISMIR 2010.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sp_fft
from scipy import sparse
from scipy.ndimage import uniform_filter1d

from ..errors import ParameterError

__all__ = ["PitchFeatures", "pitch_features", "estimate_tuning", "MIDI_LOW", "MIDI_HIGH",
           "BINS_PER_SEMITONE", "PITCH_RATE"]

MIDI_LOW = 21
"""Lowest note of the salience matrix (A0)."""

MIDI_HIGH = 108
"""Highest note of the salience matrix (C8)."""

BINS_PER_SEMITONE = 3

BASS_RANGE = (26.0, 57.0)
"""MIDI span of the bass chroma's raised-cosine weights (peak near G2)."""

TREBLE_RANGE = (36.0, 84.0)
"""MIDI span of the treble chroma's weights: C2..C6, peak at middle C, where the
accompaniment carries the harmony; the melody register above is tapered."""
N_NOTES = MIDI_HIGH - MIDI_LOW + 1

PITCH_RATE = 11025
"""Internal sample rate of the pitch front end (Hz)."""

_N_FFT = 4096
_HOP = 1024
_N_PARTIALS = 20
_PARTIAL_DECAY = 0.7
_NNLS_ITERATIONS = 15
_TUNING_FMIN, _TUNING_FMAX = 100.0, 2000.0
_SILENT_DB = -60.0  # frames this far below the loud level carry no pitch
_CHUNK = 512


@dataclass
class PitchFeatures:
    """Note salience and chroma on one frame grid.

    Attributes
    ----------
    notes : np.ndarray [shape=(n_frames, 88), dtype=float32]
        Non-negative salience of MIDI notes 21..108 per frame.
    treble : np.ndarray [shape=(n_frames, 12), dtype=float32]
        Treble chroma of the square-root salience (pitch class 0 = C), not
        normalised.
    bass : np.ndarray [shape=(n_frames, 12), dtype=float32]
        Bass chroma of the square-root salience, not normalised.
    level_db : np.ndarray [shape=(n_frames,)]
        Frame level of the log-frequency spectrum (dB, 0 = the track's 95th
        percentile); frames below -60 dB have zero salience.
    sr : int
        Internal sample rate of the frame grid (Hz), ``PITCH_RATE``.
    hop_length : int
        Hop between frames (samples at ``sr``).
    n_fft : int
        Window length (samples).
    tuning_hz : float
        Estimated frequency of A4 (Hz).
    """

    notes: np.ndarray
    treble: np.ndarray
    bass: np.ndarray
    level_db: np.ndarray
    sr: int
    hop_length: int
    n_fft: int
    tuning_hz: float

    @property
    def n_frames(self) -> int:
        return int(self.notes.shape[0])

    @property
    def frame_rate(self) -> float:
        """Frames per second."""
        return self.sr / self.hop_length

    @property
    def times(self) -> np.ndarray:
        """Centre time of each frame (s)."""
        return np.arange(self.n_frames) * self.hop_length / self.sr


def _frames_magnitude(y: np.ndarray, *, n_fft: int, hop_length: int, k_max: int) -> np.ndarray:
    """Centred Hann-window STFT magnitude, bins ``0..k_max-1``; shape (n_frames, k_max)."""
    pad = n_fft // 2
    x = np.concatenate([np.zeros(pad, np.float32), y.astype(np.float32, copy=False),
                        np.zeros(pad + n_fft, np.float32)])
    n_frames = 1 + y.shape[0] // hop_length
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop_length][:n_frames]
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
    out = np.empty((n_frames, k_max), dtype=np.float32)
    for i in range(0, n_frames, _CHUNK):
        spec = sp_fft.rfft(frames[i:i + _CHUNK] * window, axis=1)[:, :k_max]
        out[i:i + _CHUNK] = np.abs(spec)
    return out


def estimate_tuning(mag: np.ndarray, *, sr: int, n_fft: int) -> float:
    """Reference frequency of A4 from spectral peaks (see module conventions).

    Parameters
    ----------
    mag : np.ndarray [shape=(n_frames, n_bins)]
        STFT magnitude (bins from 0 Hz, spacing ``sr / n_fft``).
    sr : int > 0
        Sample rate (Hz).
    n_fft : int > 0
        FFT length (samples).

    Returns
    -------
    tuning_hz : float
        A4 in Hz, within 440 * 2 ** (+-50 / 1200); 440.0 when no peak is found.
    """
    if sr <= 0 or n_fft <= 0:
        raise ParameterError("sr and n_fft must be positive")
    df = sr / n_fft
    k0 = max(1, int(np.floor(_TUNING_FMIN / df)))
    k1 = min(mag.shape[1] - 1, int(np.ceil(_TUNING_FMAX / df)))
    if mag.size == 0 or k1 - k0 < 3:
        return 440.0
    # about 600 frames are enough for a stable average
    step = max(1, mag.shape[0] // 600)
    m = mag[::step, k0 - 1:k1 + 1].astype(np.float64)
    a, b, c = m[:, :-2], m[:, 1:-1], m[:, 2:]
    frame_max = m.max(axis=1, keepdims=True)
    peak = (b > a) & (b >= c) & (b > 0.05 * frame_max) & (b > 0)
    if not np.any(peak):
        return 440.0
    la, lb, lc = (np.log(np.maximum(v[peak], 1e-12)) for v in (a, b, c))
    denom = la - 2 * lb + lc
    delta = np.where(denom < 0, 0.5 * (la - lc) / np.where(denom < 0, denom, -1.0), 0.0)
    delta = np.clip(delta, -0.5, 0.5)
    kk = np.nonzero(peak)[1] + k0 + delta
    f = kk * df
    cents = 1200.0 * np.log2(f / 440.0)
    theta = 2 * np.pi * cents / 100.0
    w = b[peak]
    s, co = float(np.sum(w * np.sin(theta))), float(np.sum(w * np.cos(theta)))
    if s == 0.0 and co == 0.0:
        return 440.0
    dev = np.arctan2(s, co) * 100.0 / (2 * np.pi)
    return float(440.0 * 2 ** (dev / 1200.0))


def _logfreq_matrix(*, sr: int, n_fft: int, tuning_hz: float, k_max: int) -> sparse.csr_matrix:
    """Sparse (k_max, n_log) map from linear bins to tuned log-frequency bins."""
    df = sr / n_fft
    n_log = N_NOTES * BINS_PER_SEMITONE
    pitch = MIDI_LOW + (np.arange(n_log) - (BINS_PER_SEMITONE // 2)) / BINS_PER_SEMITONE
    fc = tuning_hz * 2 ** ((pitch - 69) / 12)
    width = np.maximum(fc * (2 ** (1 / (12 * BINS_PER_SEMITONE)) - 1), df)
    fk = np.arange(k_max) * df
    rows, cols, vals = [], [], []
    for j in range(n_log):
        lo = int(np.floor((fc[j] - width[j]) / df))
        hi = int(np.ceil((fc[j] + width[j]) / df)) + 1
        ks = np.arange(max(lo, 0), min(hi, k_max))
        w = np.maximum(0.0, 1.0 - np.abs(fk[ks] - fc[j]) / width[j])
        if w.sum() <= 0:
            continue
        rows.append(ks)
        cols.append(np.full(ks.size, j))
        vals.append(w / w.sum())
    if not rows:
        return sparse.csr_matrix((k_max, n_log), dtype=np.float32)
    return sparse.csr_matrix((np.concatenate(vals).astype(np.float32),
                              (np.concatenate(rows), np.concatenate(cols))),
                             shape=(k_max, n_log))


def _note_dictionary() -> np.ndarray:
    """Harmonic note templates on the log-frequency axis; shape (n_log, 88), unit columns."""
    n_log = N_NOTES * BINS_PER_SEMITONE
    w = np.zeros((n_log, N_NOTES))
    for n in range(N_NOTES):
        centre = n * BINS_PER_SEMITONE + BINS_PER_SEMITONE // 2
        for h in range(1, _N_PARTIALS + 1):
            pos = centre + 12 * BINS_PER_SEMITONE * np.log2(h)
            i = int(np.floor(pos))
            frac = pos - i
            amp = _PARTIAL_DECAY ** (h - 1)
            if i >= n_log:
                break
            w[i, n] += amp * (1 - frac)
            if i + 1 < n_log:
                w[i + 1, n] += amp * frac
    w /= np.linalg.norm(w, axis=0, keepdims=True)
    return w.astype(np.float32)


_DICTIONARY = _note_dictionary()
def _nnls(v: np.ndarray, dic: np.ndarray) -> np.ndarray:
    """Non-negative ``h`` minimising ``|v - h @ dic.T|`` by multiplicative updates.

    Parameters
    ----------
    v : np.ndarray [shape=(n_frames, n_log), dtype=float32]
        Non-negative spectra.
    dic : np.ndarray [shape=(n_log, n_notes), dtype=float32]
        Non-negative, unit-norm templates.

    Returns
    -------
    h : np.ndarray [shape=(n_frames, n_notes), dtype=float32]
    """
    wtw = (dic.T @ dic).astype(np.float32)
    wtv = v @ dic
    h = np.maximum(wtv, 0.0)
    if not h.any():
        return h
    tiny = np.float32(1e-6 * float(h.max()))
    eps = np.float32(1e-9)
    q = np.empty_like(h)
    # few large products: BLAS calls on small blocks are slow when threads contend
    for _ in range(_NNLS_ITERATIONS):
        np.matmul(h, wtw, out=q)
        np.maximum(q, eps, out=q)
        np.divide(wtv, q, out=q)
        h *= q
        h[h < tiny] = 0.0  # keep denormals out of the loop
    return h


def _register_weights(lo: float, hi: float) -> np.ndarray:
    """Raised-cosine weights over the notes, zero outside ``(lo, hi)`` (MIDI)."""
    m = np.arange(MIDI_LOW, MIDI_HIGH + 1, dtype=np.float64)
    w = 0.5 - 0.5 * np.cos(2 * np.pi * (m - lo) / (hi - lo))
    w[(m <= lo) | (m >= hi)] = 0.0
    return w


def _fold_matrix(weights: np.ndarray) -> np.ndarray:
    """(88, 12) matrix summing weighted note salience per pitch class."""
    fold = np.zeros((N_NOTES, 12), dtype=np.float32)
    fold[np.arange(N_NOTES), np.arange(MIDI_LOW, MIDI_HIGH + 1) % 12] = weights
    return fold


_FOLD_BASS = _fold_matrix(_register_weights(*BASS_RANGE))
_FOLD_TREBLE = _fold_matrix(_register_weights(*TREBLE_RANGE))


def pitch_features(y: np.ndarray, *, sr: int, tuning_hz: float | None = None) -> PitchFeatures:
    """Tuning, note salience and bass/treble chroma of a mono signal.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono signal, full scale 1.
    sr : int >= 4000
        Sample rate of ``y`` (Hz); 22050 in the pipeline. ``y`` is resampled
        to ``PITCH_RATE`` internally (see module conventions).
    tuning_hz : float, optional
        A4 reference (Hz). Estimated from the signal when omitted.

    Returns
    -------
    PitchFeatures

    Raises
    ------
    ParameterError
        ``y`` is not 1-D, or ``sr`` / ``tuning_hz`` are out of range.
    """
    if not isinstance(sr, int | np.integer) or sr < 4000:
        raise ParameterError(f"sr must be an integer sample rate >= 4000 Hz, got {sr!r}")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ParameterError(f"y must be mono with shape (n,), got {y.shape}")
    if tuning_hz is not None and not 400.0 <= tuning_hz <= 480.0:
        raise ParameterError(f"tuning_hz must lie in [400, 480] Hz, got {tuning_hz}")
    y = np.where(np.isfinite(y), y, 0.0).astype(np.float32, copy=False)
    if int(sr) != PITCH_RATE:
        import soxr

        y = soxr.resample(y, int(sr), PITCH_RATE, quality="MQ").astype(np.float32, copy=False)
    sr = PITCH_RATE
    n_fft, hop = _N_FFT, _HOP
    f_top = 440.0 * 2 ** ((MIDI_HIGH + 1 - 69) / 12) * 1.04
    k_max = min(n_fft // 2 + 1, int(np.ceil(f_top * n_fft / sr)) + 2)
    mag = _frames_magnitude(y, n_fft=n_fft, hop_length=hop, k_max=k_max)
    if tuning_hz is None:
        tuning_hz = estimate_tuning(mag, sr=sr, n_fft=n_fft)
    lf_map = _logfreq_matrix(sr=sr, n_fft=n_fft, tuning_hz=tuning_hz, k_max=k_max)
    logf = np.ascontiguousarray((mag @ lf_map).astype(np.float32))  # (n_frames, n_log)
    del mag
    # frame level relative to the loud part of the track
    power = np.sum(logf.astype(np.float64) ** 2, axis=1)
    ref = np.percentile(power[power > 0], 95) if np.any(power > 0) else 1.0
    level_db = 10 * np.log10(np.maximum(power, 1e-20) / ref)
    # whitening over one octave
    win = 12 * BINS_PER_SEMITONE + 1
    mean = uniform_filter1d(logf, size=win, axis=1, mode="nearest")
    sq = uniform_filter1d(logf * logf, size=win, axis=1, mode="nearest")
    std = np.sqrt(np.maximum(sq - mean * mean, 0.0))
    floor = 1e-3 * np.sqrt(ref / logf.shape[1]) + 1e-12
    white = (np.maximum(logf - mean, 0.0) / np.maximum(std, floor)).astype(np.float32)
    white[level_db < _SILENT_DB] = 0.0
    notes = _nnls(white, _DICTIONARY)
    comp = np.sqrt(notes)
    bass = comp @ _FOLD_BASS
    treble = comp @ _FOLD_TREBLE
    return PitchFeatures(notes=notes, treble=treble, bass=bass, level_db=level_db, sr=sr,
                         hop_length=hop, n_fft=n_fft, tuning_hz=float(tuning_hz))
