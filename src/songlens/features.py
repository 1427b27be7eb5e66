"""Shared features, computed once per track in a single streaming pass.

Conventions
-----------
Everything the analysers need is accumulated block by block while the file is
decoded, so memory stays bounded for files of any length:

* at the file's own rate, per channel: K-weighted power in 100 ms sub-blocks
  (BS.1770 gating blocks and short-term windows are built from them), plain
  power in 10 ms frames (silence), sample statistics (peak, DC, clipping,
  stereo correlation) and the oversampled true peak;
* at the analysis rate (mono, explicitly resampled with soxr): a centred STFT
  grid (``n_fft``, ``hop_length``) reduced on the fly to a log-mel
  spectrogram, three-band energies and the spectral centroid.

Times are in seconds, levels in dB; frame ``i`` of the STFT grid is centred at
``i * hop_length / sample_rate``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import scipy.fft
from scipy.signal import sosfilt

from .config import SignalConfig
from .dsp.filters import k_weighting_sos, oversampling_factor, true_peak_filter
from .dsp.spectral import mel_filterbank

__all__ = ["FeatureBundle", "FeatureExtractor", "SampleStats", "BANDS_HZ"]

BANDS_HZ = (250.0, 4000.0)
"""Edges between the low, mid and high bands of the spectral balance (Hz)."""

CLIP_LEVEL = 0.999
"""Absolute sample value at or above which a sample counts toward clipping."""

CLIP_RUN = 3
"""A clipped run is at least this many consecutive samples at CLIP_LEVEL."""

N_MELS = 80
LOG_FLOOR_DB = -100.0


class _SegmentSummer:
    """Sums per-sample values over consecutive segments of ``sr / rate`` samples.

    Segment ``k`` spans samples ``[round(k*sr/rate), round((k+1)*sr/rate))``,
    so it stays exact for sample rates that are not multiples of ``rate``.
    """

    def __init__(self, *, sr: int, rate: int):
        self.sr = sr
        self.rate = rate
        self.pos = 0  # samples consumed so far
        self.k = 0  # index of the segment being filled
        self.acc = 0.0
        self.acc_n = 0
        self.sums: list[np.ndarray] = []
        self.counts: list[np.ndarray] = []

    def _boundary(self, k: int) -> int:
        return int(round(k * self.sr / self.rate))

    def update(self, values: np.ndarray) -> None:
        n = values.shape[0]
        if n == 0:
            return
        start, end = self.pos, self.pos + n
        k_hi = int(np.floor(end * self.rate / self.sr)) + 1
        ks = np.arange(self.k + 1, k_hi + 1)
        bounds = np.round(ks * self.sr / self.rate).astype(np.int64)
        bounds = bounds[bounds <= end]
        self.pos = end
        if bounds.size == 0:
            self.acc += float(values.sum(dtype=np.float64))
            self.acc_n += n
            return
        cuts = np.concatenate([[0], bounds - start])
        # sums over [cuts[i], cuts[i+1]) plus the remainder [cuts[-1], n)
        starts = cuts[:-1]
        sums = np.add.reduceat(values, starts, dtype=np.float64) if starts.size else np.zeros(0)
        # reduceat's last segment runs to the end of the block: split off the remainder
        rem = float(values[cuts[-1]:].sum(dtype=np.float64)) if cuts[-1] < n else 0.0
        sums[-1] -= rem
        counts = np.diff(cuts)
        sums[0] += self.acc
        counts[0] += self.acc_n
        self.sums.append(sums)
        self.counts.append(counts)
        self.k += bounds.size
        self.acc = rem
        self.acc_n = int(n - cuts[-1])

    def finalize(self) -> tuple[np.ndarray, np.ndarray]:
        sums = self.sums[:]
        counts = self.counts[:]
        if self.acc_n > 0:
            sums.append(np.array([self.acc]))
            counts.append(np.array([self.acc_n]))
        if not sums:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        return np.concatenate(sums), np.concatenate(counts).astype(np.int64)


@dataclass
class SampleStats:
    """Whole-file sample statistics, per channel (native rate)."""

    n: int
    peak: np.ndarray  # (channels,) max |x|
    sum: np.ndarray  # (channels,)
    sum_sq: np.ndarray  # (channels,)
    clipped: np.ndarray  # (channels,) samples in clipped runs
    true_peak: np.ndarray  # (channels,) oversampled max |x|
    sum_lr: float  # sum of L*R over the first two channels (0 for mono)
    non_finite: int  # samples that were NaN/inf (replaced by 0)


@dataclass
class FeatureBundle:
    """Everything the analysers share; produced by :class:`FeatureExtractor`.

    Attributes
    ----------
    sample_rate : int
        Native sample rate of the file (Hz).
    channels : int
    duration : float
        Decoded duration (s).
    k_power : np.ndarray [shape=(n_sub,)]
        Channel-weighted K-filtered mean square per 100 ms sub-block.
    k_count : np.ndarray [shape=(n_sub,)]
        Samples in each sub-block (the last one may be partial).
    power_10ms : np.ndarray [shape=(n_10ms,)]
        Mean square over channels per 10 ms frame (unweighted).
    stats : SampleStats
    signal : SignalConfig
        Analysis grid of the spectral features.
    log_mel : np.ndarray [shape=(n_frames, N_MELS), dtype=float32]
        Log power mel spectrogram (dB) of the mono analysis signal.
    band_power : np.ndarray [shape=(n_frames, 3)]
        Power below 250 Hz, 250-4000 Hz and above 4 kHz.
    centroid : np.ndarray [shape=(n_frames,)]
        Spectral centroid (Hz).
    chroma : np.ndarray [shape=(n_frames, 12)]
        Coarse pitch-class energy (C, C#, ..., B) from the STFT bins between
        130 Hz and 5 kHz, each bin shared between its two nearest pitch
        classes. Good enough for similarity (sections); harmony analysis uses
        its own finer representation.
    y : np.ndarray or None [shape=(n,), dtype=float32]
        The mono analysis signal, kept for tracks up to
        ``SignalConfig.keep_audio_max_seconds``.
    """

    sample_rate: int
    channels: int
    duration: float
    k_power: np.ndarray
    k_count: np.ndarray
    power_10ms: np.ndarray
    stats: SampleStats
    signal: SignalConfig
    log_mel: np.ndarray
    band_power: np.ndarray
    centroid: np.ndarray
    chroma: np.ndarray = field(default_factory=lambda: np.zeros((0, 12), np.float32))
    y: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def frame_times(self) -> np.ndarray:
        """Centre time of each STFT frame (s)."""
        n = self.log_mel.shape[0]
        return np.arange(n) * self.signal.hop_length / self.signal.sample_rate


class _TruePeak:
    """Running oversampled peak per channel.

    The oversampled signal is evaluated (a polyphase FIR, BS.1770-4 Annex 2)
    only in the two sample intervals around each local maximum of ``|x|``
    that could beat the running peak (``|x[n]|`` times the filter's largest
    per-phase L1 gain): the inter-sample maximum of a band-limited signal lies
    next to a local maximum of its samples, so this gives the peak of the full
    oversampled signal at a fraction of the cost.
    """

    def __init__(self, *, sr: int, channels: int):
        self.factor = oversampling_factor(sr=sr)
        phases = true_peak_filter(factor=self.factor)
        self.taps = phases.shape[1]
        self.gain_bound = float(np.abs(phases).sum(axis=1).max())
        # (taps, factor): column p gives phase p for a window of taps samples
        self._kernel = np.ascontiguousarray(phases[:, ::-1].T).astype(np.float32)
        # window starts whose outputs cover the interval [n - 2, n + 2)
        half = self.taps // 2
        self._offsets = np.arange(-half - 2, -half + 3)
        self._gather = np.arange(self.taps)
        self.ctx = self.taps + 8
        self.tail = np.zeros((channels, self.ctx), dtype=np.float32)
        self.peak = np.zeros(channels)

    def update(self, x: np.ndarray) -> None:
        if x.shape[1] == 0:
            return
        buf = np.concatenate([self.tail, x], axis=1)
        self.tail = buf[:, -self.ctx:].copy()
        self.peak = np.maximum(self.peak, np.abs(x).max(axis=1))
        if self.factor == 1:
            return
        for c in range(buf.shape[0]):
            row = buf[c]
            a = np.abs(row)
            mid = a[1:-1]
            cand = np.nonzero((mid >= a[:-2]) & (mid >= a[2:])
                              & (mid * self.gain_bound > self.peak[c]))[0] + 1
            if cand.size == 0:
                continue
            starts = (cand[:, None] + self._offsets[None, :]).ravel()
            starts = np.unique(starts[(starts >= 0) & (starts + self.taps <= row.size)])
            for i in range(0, starts.size, 65536):
                win = row[starts[i:i + 65536, None] + self._gather[None, :]]
                y = win @ self._kernel
                self.peak[c] = max(self.peak[c], float(np.abs(y).max()))

    def flush(self) -> None:
        self.update(np.zeros((self.tail.shape[0], self.ctx), dtype=np.float32))


class FeatureExtractor:
    """Accumulates :class:`FeatureBundle` from audio blocks of one file.

    Parameters
    ----------
    sr : int > 0
        Native sample rate of the blocks (Hz).
    channels : int > 0
    channel_weights : np.ndarray [shape=(channels,)]
        BS.1770 weights (0 for LFE, 1.41 for surrounds).
    signal : SignalConfig
        The analysis grid.
    on_analysis : callable, optional
        Called with each new chunk of the mono analysis-rate signal as it is
        produced (e.g. to run a model while the file is still being decoded).
    """

    def __init__(self, *, sr: int, channels: int, channel_weights: np.ndarray,
                 signal: SignalConfig,
                 on_analysis: Callable[[np.ndarray], None] | None = None):
        import soxr

        self.sr = int(sr)
        self.channels = int(channels)
        self.weights = np.asarray(channel_weights, dtype=np.float64)
        self.signal = signal
        self._sos = k_weighting_sos(sr=self.sr).astype(np.float32)
        self._zi = np.zeros((self._sos.shape[0], self.channels, 2), dtype=np.float32)
        self._k = _SegmentSummer(sr=self.sr, rate=10)
        self._p10 = _SegmentSummer(sr=self.sr, rate=100)
        self._tp = _TruePeak(sr=self.sr, channels=self.channels)
        self.n = 0
        self._peak = np.zeros(self.channels)
        self._sum = np.zeros(self.channels)
        self._sum_sq = np.zeros(self.channels)
        self._clipped = np.zeros(self.channels, dtype=np.int64)
        self._sum_lr = 0.0
        self._non_finite = 0
        self._mono_mask = self.weights > 0 if np.any(self.weights > 0) else np.ones(
            self.channels, dtype=bool)
        # analysis-rate mono stream
        self._resampler = None
        if self.sr != signal.sample_rate:
            self._resampler = soxr.ResampleStream(
                self.sr, signal.sample_rate, 1, dtype="float32", quality="HQ"
            )
        n_fft = signal.n_fft
        self._buf = np.zeros(n_fft // 2, dtype=np.float32)  # centred: left zero pad
        self._window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
        self._chroma_fb = _stft_chroma_filterbank(sr=signal.sample_rate, n_fft=n_fft)
        self._mel_fb = mel_filterbank(sr=signal.sample_rate, n_fft=n_fft, n_mels=N_MELS,
                                      fmin=20.0, fmax=min(signal.sample_rate / 2, 11025.0))
        freqs = np.linspace(0, signal.sample_rate / 2, n_fft // 2 + 1)
        self._freqs = freqs.astype(np.float32)
        self._band_idx = np.searchsorted(freqs, BANDS_HZ)
        self._mels: list[np.ndarray] = []
        self._bands: list[np.ndarray] = []
        self._centroids: list[np.ndarray] = []
        self._chromas: list[np.ndarray] = []
        self._y_chunks: list[np.ndarray] | None = []
        self._y_len = 0
        self._n_analysis = 0
        self._on_analysis = on_analysis

    # ------------------------------------------------------------------
    def update(self, block: np.ndarray) -> None:
        """Consume one block of native-rate audio, shape ``(channels, n)``."""
        x = np.asarray(block, dtype=np.float32)
        if x.ndim != 2 or x.shape[0] != self.channels:
            raise ValueError(f"expected block of shape ({self.channels}, n), got {x.shape}")
        if x.shape[1] == 0:
            return
        finite = np.isfinite(x)
        if not finite.all():
            self._non_finite += int(x.size - finite.sum())
            x = np.where(finite, x, np.float32(0.0))
        self.n += x.shape[1]
        # sample statistics (float32 samples, float64 accumulators)
        ax = np.abs(x)
        self._peak = np.maximum(self._peak, ax.max(axis=1))
        sq = x * x
        for c in range(self.channels):
            self._sum[c] += float(x[c].sum(dtype=np.float64))
            self._sum_sq[c] += float(sq[c].sum(dtype=np.float64))
        self._clipped += _clipped_run_samples(ax >= CLIP_LEVEL)
        if self.channels >= 2:
            self._sum_lr += float(np.dot(x[0].astype(np.float64), x[1].astype(np.float64)))
        self._tp.update(x)
        # 10 ms plain power (mean over channels)
        self._p10.update(sq.mean(axis=0) if self.channels > 1 else sq[0])
        # K-weighted power, channel-weighted sum
        y, self._zi = sosfilt(self._sos, x, axis=-1, zi=self._zi)
        kp = np.zeros(x.shape[1], dtype=np.float32)
        for c in range(self.channels):
            if self.weights[c] > 0:
                kp += np.float32(self.weights[c]) * (y[c] * y[c])
        self._k.update(kp)
        # analysis-rate mono
        mono = x[self._mono_mask].mean(axis=0) if self.channels > 1 else x[0]
        mono = np.ascontiguousarray(mono, dtype=np.float32)
        if self._resampler is not None:
            mono = self._resampler.resample_chunk(mono, last=False)
        self._push_analysis(mono)

    def _push_analysis(self, mono: np.ndarray) -> None:
        if mono.size == 0:
            return
        if self._on_analysis is not None:
            self._on_analysis(mono)
        self._n_analysis += mono.size
        if self._y_chunks is not None:
            self._y_chunks.append(mono.copy())
            self._y_len += mono.size
            if self._y_len > self.signal.keep_audio_max_seconds * self.signal.sample_rate:
                self._y_chunks = None  # too long to keep: stream only
        self._buf = np.concatenate([self._buf, mono])
        self._run_frames()

    def _run_frames(self) -> None:
        n_fft, hop = self.signal.n_fft, self.signal.hop_length
        if self._buf.size < n_fft:
            return
        n_frames = 1 + (self._buf.size - n_fft) // hop
        frames = np.lib.stride_tricks.sliding_window_view(self._buf, n_fft)[::hop][:n_frames]
        self._spectra(frames)
        self._buf = self._buf[n_frames * hop:].copy()

    def _spectra(self, frames: np.ndarray) -> None:
        # chunk to bound the temporary complex array
        for i in range(0, frames.shape[0], 2048):
            f = frames[i:i + 2048] * self._window
            spec = scipy.fft.rfft(f, axis=1, workers=2)
            power = spec.real**2 + spec.imag**2
            mel = power @ self._mel_fb.T
            self._mels.append(
                (10.0 * np.log10(np.maximum(mel, 1e-10))).astype(np.float32))
            lo, hi = self._band_idx
            self._bands.append(np.stack(
                [power[:, :lo].sum(1), power[:, lo:hi].sum(1), power[:, hi:].sum(1)], axis=1))
            self._chromas.append((power @ self._chroma_fb.T).astype(np.float32))
            tot = power.sum(1)
            self._centroids.append(
                np.where(tot > 0, (power @ self._freqs) / np.maximum(tot, 1e-20), 0.0)
                .astype(np.float32))

    def finalize(self) -> FeatureBundle:
        """Flush the streams and return the bundle."""
        if self._resampler is not None:
            self._push_analysis(self._resampler.resample_chunk(
                np.zeros(0, dtype=np.float32), last=True))
        # centred framing: pad the end so the last frame is centred on the last hop
        n_fft, hop = self.signal.n_fft, self.signal.hop_length
        expected = 1 + self._n_analysis // hop
        done = sum(m.shape[0] for m in self._mels)
        self._buf = np.concatenate([self._buf, np.zeros(n_fft // 2 + n_fft, np.float32)])
        if expected > done:
            frames = np.lib.stride_tricks.sliding_window_view(self._buf, n_fft)[::hop]
            self._spectra(frames[: expected - done])
        self._tp.flush()
        k_power, k_count = self._k.finalize()
        k_mean = np.divide(k_power, np.maximum(k_count, 1))
        p10, c10 = self._p10.finalize()
        p10_mean = np.divide(p10, np.maximum(c10, 1))
        warnings = []
        if self._non_finite:
            warnings.append(f"{self._non_finite} non-finite samples (NaN/inf) were replaced by 0")
        stats = SampleStats(
            n=self.n, peak=self._peak, sum=self._sum, sum_sq=self._sum_sq,
            clipped=self._clipped, true_peak=np.maximum(self._tp.peak, self._peak),
            sum_lr=self._sum_lr, non_finite=self._non_finite,
        )
        empty_mel = np.zeros((0, N_MELS), np.float32)
        y = np.concatenate(self._y_chunks) if self._y_chunks else None
        return FeatureBundle(
            sample_rate=self.sr,
            channels=self.channels,
            duration=self.n / self.sr,
            k_power=k_mean,
            k_count=k_count,
            power_10ms=p10_mean,
            stats=stats,
            signal=self.signal,
            log_mel=np.concatenate(self._mels) if self._mels else empty_mel,
            band_power=np.concatenate(self._bands) if self._bands else np.zeros((0, 3)),
            centroid=np.concatenate(self._centroids) if self._centroids else np.zeros(0),
            chroma=np.concatenate(self._chromas) if self._chromas else np.zeros((0, 12)),
            y=y,
            warnings=warnings,
        )

    @classmethod
    def from_blocks(cls, blocks: Iterable[np.ndarray], *, sr: int, channel_weights: np.ndarray,
                    signal: SignalConfig,
                    on_block: Callable[[int], None] | None = None,
                    on_analysis: Callable[[np.ndarray], None] | None = None) -> FeatureBundle:
        """Run the extractor over an iterable of ``(channels, n)`` blocks."""
        ext = cls(sr=sr, channels=len(channel_weights), channel_weights=channel_weights,
                  signal=signal, on_analysis=on_analysis)
        for b in blocks:
            ext.update(b)
            if on_block is not None:
                on_block(ext.n)
        return ext.finalize()


def _stft_chroma_filterbank(*, sr: float, n_fft: int, fmin: float = 130.0,
                            fmax: float = 5000.0) -> np.ndarray:
    """Map STFT bins to 12 pitch classes (C=0), linear interpolation between classes."""
    freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    fb = np.zeros((12, freqs.size), dtype=np.float32)
    ok = (freqs >= fmin) & (freqs <= min(fmax, sr / 2))
    midi = 69.0 + 12.0 * np.log2(freqs[ok] / 440.0)
    lo = np.floor(midi).astype(int)
    frac = (midi - lo).astype(np.float32)
    idx = np.nonzero(ok)[0]
    np.add.at(fb, (lo % 12, idx), 1.0 - frac)
    np.add.at(fb, ((lo + 1) % 12, idx), frac)
    return fb


def _clipped_run_samples(mask: np.ndarray) -> np.ndarray:
    """Per row, the number of True samples lying in runs of at least CLIP_RUN."""
    out = np.zeros(mask.shape[0], dtype=np.int64)
    if not mask.any():
        return out
    for c in range(mask.shape[0]):
        m = mask[c]
        if not m.any():
            continue
        d = np.diff(np.concatenate([[0], m.view(np.int8), [0]]))
        starts = np.nonzero(d == 1)[0]
        ends = np.nonzero(d == -1)[0]
        lengths = ends - starts
        out[c] = int(lengths[lengths >= CLIP_RUN].sum())
    return out
