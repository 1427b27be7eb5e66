"""musicnn music taggers (Pons & Serra 2019) in pure NumPy.

A port of the forward pass of ``musicnn`` 0.1.0 (ISC licence; code and weights
by Jordi Pons, Music Technology Group, Universitat Pompeu Fabra), so SongLens
runs its MagnaTagATune and Million Song Dataset taggers without TensorFlow.
The weights were converted once from the checkpoints inside the musicnn wheel
(``scripts/convert_musicnn.py``) and ship with SongLens (see
:mod:`songlens.models.registry`). The port is checked against golden outputs of
the reference implementation (``tests/test_tagger.py``).

Conventions
-----------
* Input audio: mono float, **16 kHz** (``SAMPLE_RATE``); nothing is resampled
  here.
* Front-end (as musicnn's ``extractor.batch_data``, which calls librosa 0.11):
  centred STFT (zero padding of ``n_fft // 2`` at both ends), periodic Hann
  window of 512 samples, hop 256 (16 ms), power spectrum, 96-band Slaney mel
  filterbank (0-8 kHz, area-normalised), values rounded to float16 as musicnn
  does, then ``log10(10000 x + 1)``. Frame ``i`` is centred at
  ``i * 256 / 16000`` s.
* Patches: ``N_FRAMES`` = 187 frames (2.992 s), taken back to back from
  frame 0; musicnn drops the incomplete last patch (``patch_starts``).
* Architecture (``musicnn.models.build_musicnn``): input batch norm; front-end
  of two timbral convolutions (7 frames x 38 and x 67 mel bands, 204 filters
  each) and three temporal ones (128, 64, 32 frames x 1 band, 51 filters
  each), each conv -> ReLU -> batch norm -> max over frequency; a mid-end of
  three 7-frame convolutions with 64 filters and residual connections; a
  back-end of max and mean pooling over time, batch norm, a 200-unit dense
  layer with ReLU and batch norm (the *penultimate* features) and a dense
  output layer with a sigmoid per tag. Batch norms use their moving statistics
  and epsilon 1e-3 (TF1 default, read from the graph at conversion).
* Arithmetic in float32, as matrix products. The timbral convolutions go
  through a discrete Fourier transform along frequency (exact up to float
  rounding; 2.6x fewer multiply-adds than im2col), the temporal ones through
  banded (Toeplitz) matrices over blocks of 16 frames (no im2col copy).

References
----------
.. [1] J. Pons and X. Serra, "musicnn: pre-trained convolutional neural networks
   for music audio tagging", ISMIR late-breaking demo, 2019.
.. [2] J. Pons et al., "End-to-end learning for music audio tagging at scale",
   ISMIR 2018.
"""

from __future__ import annotations

import json
import os
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._blas import one_blas_thread
from ..dsp.spectral import mel_filterbank
from ..errors import ModelLoadingError, ParameterError

__all__ = [
    "SAMPLE_RATE", "N_FFT", "HOP_LENGTH", "N_MELS", "N_FRAMES", "MusicnnWeights",
    "load_weights", "log_mel", "patch_starts", "make_patches", "forward",
]

SAMPLE_RATE = 16000
N_FFT = 512
HOP_LENGTH = 256
N_MELS = 96
N_FRAMES = 187
"""Frames per 3 s patch: ``librosa.time_to_frames(3, sr=16000, n_fft=512,
hop_length=256) + 1`` as in musicnn's extractor."""

_TIMBRAL = (("timbral74", 38), ("timbral77", 67))
_TEMPORAL = (("temporal128", 128), ("temporal64", 64), ("temporal32", 32))
_LAYERS = (
    [name for name, _ in _TIMBRAL] + [name for name, _ in _TEMPORAL]
    + ["mid1", "mid2", "mid3", "dense", "output"]
)
_BNS = [f"{n}_bn" for n in _LAYERS[:-1] if n != "dense"] + ["input_bn", "pool_bn", "dense_bn"]


@dataclass(frozen=True)
class MusicnnWeights:
    """Weights of one musicnn model, float32.

    Attributes
    ----------
    name : str
        Registry name (``"musicnn_mtt"``).
    tags : tuple of str
        Output tags, in the order of the logits.
    arrays : dict
        ``"<layer>.kernel|bias"`` and ``"<bn>.gamma|beta|mean|var"``.
    bn_epsilon : float
    header : dict
        The conversion header (source package, version, licence, settings).
    """

    name: str
    tags: tuple[str, ...]
    arrays: dict[str, np.ndarray]
    bn_epsilon: float
    header: dict[str, Any]

    def bn(self, layer: str) -> tuple[np.ndarray, np.ndarray]:
        """Inference batch norm of ``layer`` as ``(scale, shift)``: ``x * scale + shift``."""
        a = self.arrays
        scale = a[f"{layer}.gamma"] / np.sqrt(a[f"{layer}.var"] + np.float32(self.bn_epsilon))
        shift = a[f"{layer}.beta"] - a[f"{layer}.mean"] * scale
        return scale.astype(np.float32), shift.astype(np.float32)


def load_weights(path: str | Path, *, name: str) -> MusicnnWeights:
    """Read a converted musicnn ``.npz`` (no pickles) and check its contents.

    Parameters
    ----------
    path : path-like
        File written by ``scripts/convert_musicnn.py``.
    name : str
        Registry name, recorded in the result.

    Returns
    -------
    MusicnnWeights

    Raises
    ------
    ModelLoadingError
        Unreadable file, unknown format, missing arrays or wrong shapes.
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            arrays = {k: z[k].astype(np.float32) for k in z.files if k != "header"}
    except (OSError, ValueError, KeyError) as exc:
        raise ModelLoadingError(f"cannot read musicnn weights {str(path)!r}: {exc}") from exc
    if header.get("format") != "songlens.musicnn/1":
        raise ModelLoadingError(f"{str(path)!r} is not a songlens.musicnn/1 weight file")
    tags = tuple(header["tags"])
    expected = {
        "timbral74.kernel": (7, 38, 1, 204), "timbral77.kernel": (7, 67, 1, 204),
        "temporal128.kernel": (128, 1, 1, 51), "temporal64.kernel": (64, 1, 1, 51),
        "temporal32.kernel": (32, 1, 1, 51), "mid1.kernel": (7, 561, 1, 64),
        "mid2.kernel": (7, 64, 1, 64), "mid3.kernel": (7, 64, 1, 64),
        "dense.kernel": (1506, 200), "output.kernel": (200, len(tags)),
    }
    for key, shape in expected.items():
        if key not in arrays or arrays[key].shape != shape:
            got = arrays[key].shape if key in arrays else "missing"
            raise ModelLoadingError(f"{str(path)!r}: {key} should have shape {shape}, got {got}")
    for layer in _BNS:
        for p in ("gamma", "beta", "mean", "var"):
            if f"{layer}.{p}" not in arrays:
                raise ModelLoadingError(f"{str(path)!r}: missing {layer}.{p}")
    if (header.get("sample_rate"), header.get("n_fft"), header.get("hop_length"),
            header.get("n_mels"), header.get("n_frames")) != (
            SAMPLE_RATE, N_FFT, HOP_LENGTH, N_MELS, N_FRAMES):
        raise ModelLoadingError(f"{str(path)!r}: front-end settings differ from this port's")
    return MusicnnWeights(name=name, tags=tags, arrays=arrays,
                          bn_epsilon=float(header["bn_epsilon"]), header=header)


# --------------------------------------------------------------------------------------------
# Front-end
# --------------------------------------------------------------------------------------------

_MEL_FB: np.ndarray | None = None


def _mel_fb() -> np.ndarray:
    global _MEL_FB
    if _MEL_FB is None:
        _MEL_FB = np.ascontiguousarray(
            mel_filterbank(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS, fmin=0.0,
                           fmax=SAMPLE_RATE / 2).T)
    return _MEL_FB


def log_mel(y: np.ndarray, *, sr: int, block_frames: int = 4096) -> np.ndarray:
    """musicnn's input representation of a 16 kHz mono signal.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio, full scale = 1.
    sr : int
        Sample rate of ``y``; must be 16000 (resample explicitly before).
    block_frames : int > 0
        Frames per FFT block (bounds memory).

    Returns
    -------
    S : np.ndarray [shape=(1 + n // 256, 96), dtype=float32]
        ``log10(10000 * float16(mel power) + 1)``.

    Raises
    ------
    ParameterError
        ``sr`` is not 16000 or ``y`` is not 1-D.
    """
    if sr != SAMPLE_RATE:
        raise ParameterError(f"musicnn needs {SAMPLE_RATE} Hz audio, got sr={sr}; "
                             "resample it explicitly (e.g. with soxr) first")
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ParameterError(f"y must be mono with shape (n,), got {y.shape}")
    import scipy.fft

    pad = N_FFT // 2
    yp = np.concatenate([np.zeros(pad, np.float32), y, np.zeros(pad, np.float32)])
    n_frames = 1 + y.size // HOP_LENGTH
    frames = np.lib.stride_tricks.sliding_window_view(yp, N_FFT)[::HOP_LENGTH][:n_frames]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
    fb = _mel_fb()
    out = np.empty((n_frames, N_MELS), dtype=np.float32)
    for i in range(0, n_frames, block_frames):
        spec = scipy.fft.rfft(frames[i:i + block_frames] * window, axis=1)
        power = spec.real ** 2 + spec.imag ** 2
        mel = (power @ fb).astype(np.float16).astype(np.float32)
        out[i:i + block_frames] = np.log10(np.float32(10000.0) * mel + np.float32(1.0))
    return out


def patch_starts(n_frames: int, *, hop: int = N_FRAMES, cover_end: bool = False) -> np.ndarray:
    """First frame of each 187-frame patch.

    musicnn tags back-to-back patches (``hop = 187``) from frame 0 and drops an
    incomplete last one. With ``cover_end``, one more patch aligned to the last
    frame is added when frames would otherwise be left out.

    Parameters
    ----------
    n_frames : int >= N_FRAMES
    hop : int > 0
        Frames between patch starts (187: musicnn's back-to-back patches).
    cover_end : bool

    Returns
    -------
    starts : np.ndarray [shape=(n_patches,), dtype=int64]
    """
    if n_frames < N_FRAMES:
        raise ParameterError(f"need at least {N_FRAMES} frames (3 s), got {n_frames}")
    if hop < 1:
        raise ParameterError(f"hop must be >= 1 frame, got {hop}")
    starts = np.arange(0, n_frames - N_FRAMES + 1, hop, dtype=np.int64)
    if cover_end and starts[-1] + N_FRAMES < n_frames:
        starts = np.append(starts, n_frames - N_FRAMES)
    return starts


def make_patches(S: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Stack the patches ``S[s:s + 187]``: shape (n_patches, 187, 96), float32."""
    idx = np.asarray(starts)[:, None] + np.arange(N_FRAMES)[None, :]
    return np.ascontiguousarray(S[idx], dtype=np.float32)


# --------------------------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------------------------

def _timbral_direct(xp: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Reference timbral convolution (im2col): ``xp`` (B, T+6, 96) -> (B, T, F, C)."""
    kt, kf, _, c = kernel.shape
    b, tp, nf = xp.shape
    t = tp - kt + 1
    win = np.lib.stride_tricks.sliding_window_view(xp, (kt, kf), axis=(1, 2))
    cols = win.reshape(b * t * (nf - kf + 1), kt * kf)
    return (cols @ kernel.reshape(kt * kf, c)).reshape(b, t, nf - kf + 1, c)


class _TimbralDFT:
    """Both timbral convolutions at once, through a DFT along frequency.

    For a kernel ``w[dt, df, c]`` (``df < K``) the valid correlation along
    frequency, ``z[t, f, c] = sum_dt sum_df x[t + dt, f + df] w[dt, df, c]`` for
    ``f <= 96 - K``, never wraps around a length-96 circle, so it equals the
    circular correlation: with ``X = rfft(x, 96)`` and ``W = rfft(w, 96)``,
    ``Z[t, k, c] = sum_dt X[t + dt, k] conj(W[dt, k, c])`` and
    ``z = irfft(Z)`` restricted to the valid ``f``. The first step is a batch of
    49 (one per frequency bin) real matrix products with 14 inputs (7 frames,
    real and imaginary parts); the inverse transform of the valid outputs is one
    more matrix product per kernel. Only the extreme that the max-pooling
    needs is kept per channel (see :func:`_pool_block`): output channels are
    reordered so those needing the max come first.
    """

    def __init__(self, kernels: list[np.ndarray], use_max: list[np.ndarray]):
        n = N_MELS
        self.n_bins = n // 2 + 1
        self.widths = [k.shape[1] for k in kernels]
        self.channels = [k.shape[3] for k in kernels]
        self.n_max = [int(u.sum()) for u in use_max]
        self.order = [np.concatenate([np.flatnonzero(u), np.flatnonzero(~u)]) for u in use_max]
        self.unorder = [np.argsort(o) for o in self.order]
        w = np.concatenate([np.pad(k[:, :, 0, :][:, :, o], ((0, 0), (0, n - k.shape[1]), (0, 0)))
                            for k, o in zip(kernels, self.order, strict=True)],
                           axis=2)  # (7, 96, C), channels reordered
        wh = np.fft.rfft(w.astype(np.float64), axis=1)  # (7, 49, C)
        wr = np.transpose(wh.real, (1, 0, 2))  # (49, 7, C)
        wi = np.transpose(wh.imag, (1, 0, 2))
        # rows: [Xr dt0..6, Xi dt0..6]; columns: [Zr (C), Zi (C)]
        top = np.concatenate([wr, -wi], axis=2)
        bottom = np.concatenate([wi, wr], axis=2)
        g = np.concatenate([top, bottom], axis=1)  # (49, 14, 2C)
        self.g_t = np.ascontiguousarray(np.transpose(g, (0, 2, 1)), dtype=np.float32)
        k = np.arange(self.n_bins)
        coef = np.where((k == 0) | (k == n // 2), 1.0, 2.0) / n
        self.inverse = []
        for width in self.widths:
            f = np.arange(n - width + 1)[:, None]
            ang = 2 * np.pi * f * k[None, :] / n
            m = np.empty((f.size, 2 * self.n_bins))
            m[:, 0::2] = coef * np.cos(ang)
            m[:, 1::2] = -coef * np.sin(ang)
            self.inverse.append(m.astype(np.float32))

    def extremes(self, xp: np.ndarray, *, chunk: int = 128) -> list[np.ndarray]:
        """Per kernel, the max (or min) over valid frequencies of the convolution.

        Parameters
        ----------
        xp : np.ndarray [shape=(B, T + 6, 96)]
            Time-padded normalised input.

        Returns
        -------
        list of np.ndarray [shape=(C_kernel, B * T)]
            Max over frequency for the channels of ``use_max``, else min; bias
            not added; channels in the kernel's order.
        """
        b, tp, n = xp.shape
        t = tp - 6
        xh = np.fft.rfft(xp, axis=2)  # (B, T+6, 49) complex
        parts = [xh.real.astype(np.float32), xh.imag.astype(np.float32)]
        # a[k, (part, dt), b*T + t] = part[b, t + dt, k]
        a = np.empty((self.n_bins, 14, b * t), dtype=np.float32)
        for p, part in enumerate(parts):
            for dt in range(7):
                a[:, p * 7 + dt, :] = np.transpose(part[:, dt:dt + t, :], (2, 0, 1)).reshape(
                    self.n_bins, b * t)
        c_total = sum(self.channels)
        outs = [np.empty((c, b * t), np.float32) for c in self.channels]
        for i in range(0, b * t, chunk):
            j = min(b * t, i + chunk)
            # a contiguous copy: numpy's matmul falls back to a slow loop on strided stacks
            o = np.matmul(self.g_t, np.ascontiguousarray(a[:, :, i:j]))  # (49, 2C, m)
            o = o.reshape(2 * self.n_bins, c_total, j - i)  # rows (k, re/im)
            c0 = 0
            for out, inv, c, nm in zip(outs, self.inverse, self.channels, self.n_max,
                                       strict=True):
                z = inv @ o[:, c0:c0 + c, :].reshape(2 * self.n_bins, c * (j - i))
                m = j - i
                out[:nm, i:j] = z[:, :nm * m].max(axis=0).reshape(nm, m)
                out[nm:, i:j] = z[:, nm * m:].min(axis=0).reshape(c - nm, m)
                c0 += c
        return [out[u] for out, u in zip(outs, self.unorder, strict=True)]


def _use_max(bn: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Channels whose max-pooling over frequency is reached at the conv's max."""
    return bn[0] >= 0


def _pool_block(extreme: np.ndarray, bias: np.ndarray,
                bn: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """conv + bias -> ReLU -> batch norm -> max over frequency, from an extreme of the conv.

    ReLU is non-decreasing and the batch norm is affine per channel, so the max
    over frequency of ``scale * relu(z + b) + shift`` is reached at the max of
    ``z`` when ``scale >= 0`` and at its min otherwise (:func:`_use_max`);
    ``extreme`` holds that max or min, shape (C, N).
    """
    scale, shift = bn
    return np.maximum(extreme + bias[:, None], 0) * scale[:, None] + shift[:, None]


class _TemporalToeplitz:
    """A 'same' convolution along time (TF padding), shared by all mel bands, as one GEMM.

    Output frames are cut into blocks of ``bs``; block ``j`` needs the padded
    input rows ``[j bs, j bs + bs + L - 1)``, and the map from those rows to the
    block's ``bs x C`` outputs is the same banded (Toeplitz) matrix for every
    block, band and patch. So the whole convolution is one product of that
    ``(bs C, bs + L - 1)`` matrix with the stacked input windows, without an
    im2col copy of ``L`` values per output.
    """

    def __init__(self, kernel: np.ndarray, use_max: np.ndarray, *, block: int = 16):
        self.length = kernel.shape[0]
        self.channels = kernel.shape[-1]
        self.block = block
        self.n_max = int(use_max.sum())
        order = np.concatenate([np.flatnonzero(use_max), np.flatnonzero(~use_max)])
        self.unorder = np.argsort(order)
        k = kernel.reshape(self.length, self.channels).T[order]  # (C, L), max channels first
        t = np.zeros((block, self.channels, block + self.length - 1), np.float32)
        for u in range(block):
            t[u, :, u:u + self.length] = k
        self.matrix = t.reshape(block * self.channels, block + self.length - 1)

    def extremes(self, xn: np.ndarray) -> np.ndarray:
        """Max (or min, see :func:`_use_max`) over mel bands of the convolution: (C, B*T)."""
        b, t, n = xn.shape
        bs, length = self.block, self.length
        before = (length - 1) // 2
        nb = -(-t // bs)
        rows = nb * bs + length - 1
        xp = np.zeros((rows, b, n), np.float32)
        xp[before:before + t] = np.transpose(xn, (1, 0, 2))
        xp = xp.reshape(rows, b * n)
        win = np.lib.stride_tricks.sliding_window_view(xp, bs + length - 1, axis=0)[::bs][:nb]
        xb = np.ascontiguousarray(np.transpose(win, (2, 0, 1))).reshape(bs + length - 1, -1)
        z = (self.matrix @ xb).reshape(bs, self.channels, nb, b, n)
        nm = self.n_max
        r = np.concatenate([z[:, :nm].max(axis=4), z[:, nm:].min(axis=4)], axis=1)
        r = np.transpose(r, (1, 3, 2, 0)).reshape(self.channels, b, nb * bs)[:, :, :t]
        return r.reshape(self.channels, b * t)[self.unorder]


def _conv_time(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Mid-end conv: 7 frames x all features, zero padding 3+3: (B, T, Cin) -> (B, T, Cout)."""
    kt, cin, _, cout = kernel.shape
    b, t, _ = x.shape
    xp = np.pad(x, ((0, 0), (3, 3), (0, 0)))
    win = np.lib.stride_tricks.sliding_window_view(xp, kt, axis=1)  # (B, T, Cin, 7)
    cols = np.ascontiguousarray(np.swapaxes(win, 2, 3)).reshape(b * t, kt * cin)
    return (cols @ kernel.reshape(kt * cin, cout) + bias).reshape(b, t, cout)


class _Plan:
    """Everything derived once from the weights: folded batch norms, DFT and Toeplitz matrices."""

    def __init__(self, w: MusicnnWeights):
        self.weights = w
        self.bn = {layer: w.bn(layer) for layer in _BNS}
        self.dft = _TimbralDFT([w.arrays[f"{name}.kernel"] for name, _ in _TIMBRAL],
                               [_use_max(self.bn[f"{name}_bn"]) for name, _ in _TIMBRAL])
        self.temporal = {name: _TemporalToeplitz(w.arrays[f"{name}.kernel"],
                                                 _use_max(self.bn[f"{name}_bn"]))
                         for name, _ in _TEMPORAL}


_PLANS: dict[int, _Plan] = {}


def _plan(weights: MusicnnWeights) -> _Plan:
    plan = _PLANS.get(id(weights))
    if plan is None or plan.weights is not weights:
        plan = _Plan(weights)
        if len(_PLANS) > 4:
            _PLANS.clear()
        _PLANS[id(weights)] = plan
    return plan


def forward(patches: np.ndarray, weights: MusicnnWeights, *, batch: int = 8,
            timbral: str = "dft", workers: int | None = None,
            pooled: bool = False) -> tuple[np.ndarray, ...]:
    """Tag probabilities and penultimate features of log-mel patches.

    Parameters
    ----------
    patches : np.ndarray [shape=(n_patches, 187, 96)]
        From :func:`make_patches` (the output of :func:`log_mel`).
    weights : MusicnnWeights
    batch : int > 0
        Patches per block (bounds memory: about 15 MB per patch).
    timbral : {"dft", "direct"}
        Evaluation of the timbral convolutions (same result up to rounding;
        "direct" is the slower im2col reference).
    workers : int > 0, optional
        Threads over blocks of patches. By default 2 when the CPU has 2 or more
        cores and ``threadpoolctl`` is importable (then each thread's BLAS is
        limited to one thread, which also avoids the stalls of a multithreaded
        BLAS on an oversubscribed CPU), else 1 (and BLAS keeps its own threads).
    pooled : bool
        Also return the back-end's input: the max and the mean over time of
        the 753 front- and mid-end features, before batch norm.

    Returns
    -------
    probs : np.ndarray [shape=(n_patches, n_tags), dtype=float32]
        Sigmoid of the logits.
    penultimate : np.ndarray [shape=(n_patches, 200), dtype=float32]
    pooled : np.ndarray [shape=(n_patches, 1506), dtype=float32]
        Only with ``pooled=True``: ``[max_0, mean_0, max_1, mean_1, ...]``.
    """
    patches = np.asarray(patches, dtype=np.float32)
    if patches.ndim != 3 or patches.shape[1:] != (N_FRAMES, N_MELS):
        raise ParameterError(f"patches must have shape (n, {N_FRAMES}, {N_MELS}), "
                             f"got {patches.shape}")
    if timbral not in ("dft", "direct"):
        raise ParameterError(f"timbral must be 'dft' or 'direct', got {timbral!r}")
    if batch < 1:
        raise ParameterError(f"batch must be >= 1, got {batch}")
    n = patches.shape[0]
    if n == 0:
        empty = (np.zeros((0, len(weights.tags)), np.float32), np.zeros((0, 200), np.float32),
                 np.zeros((0, 1506), np.float32))
        return empty if pooled else empty[:2]
    plan = _plan(weights)
    blocks = [slice(i, i + batch) for i in range(0, n, batch)]
    limits = one_blas_thread()
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if limits is not None else 1
    workers = max(1, min(int(workers), len(blocks)))

    def run(sl: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _forward_block(patches[sl], plan, direct=timbral == "direct")

    if workers == 1 and limits is None:
        results = [run(sl) for sl in blocks]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with limits if limits is not None else nullcontext():
            with ThreadPoolExecutor(max_workers=workers) as ex:
                results = list(ex.map(run, blocks))
    outs = tuple(np.concatenate([r[i] for r in results]) for i in range(3 if pooled else 2))
    return outs


def _forward_block(x: np.ndarray, plan: _Plan, *, direct: bool = False
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    w = plan.weights
    a = w.arrays
    bn = plan.bn
    b, t, _ = x.shape
    s, c = bn["input_bn"]
    xn = x * s[0] + c[0]
    xp = np.pad(xn, ((0, 0), (3, 3), (0, 0)))
    feats = []  # each (C, B*T)
    if not direct:
        for (name, _), ext in zip(_TIMBRAL, plan.dft.extremes(xp), strict=True):
            feats.append(_pool_block(ext, a[f"{name}.bias"], bn[f"{name}_bn"]))
    else:
        for name, _ in _TIMBRAL:
            z = _timbral_direct(xp, a[f"{name}.kernel"]).reshape(b * t, -1, 204)
            ext = np.where(_use_max(bn[f"{name}_bn"])[:, None], z.max(axis=1).T, z.min(axis=1).T)
            feats.append(_pool_block(ext, a[f"{name}.bias"], bn[f"{name}_bn"]))
    for name, _ in _TEMPORAL:
        feats.append(_pool_block(plan.temporal[name].extremes(xn), a[f"{name}.bias"],
                                 bn[f"{name}_bn"]))
    front = np.concatenate(feats, axis=0).T.reshape(b, t, -1)  # (B, T, 561)

    # mid-end: dense connections with residuals
    def mid(x_in: np.ndarray, name: str) -> np.ndarray:
        s_, c_ = bn[f"{name}_bn"]
        return np.maximum(_conv_time(x_in, a[f"{name}.kernel"], a[f"{name}.bias"]), 0) * s_ + c_

    m1 = mid(front, "mid1")
    m2 = mid(m1, "mid2") + m1
    m3 = mid(m2, "mid3") + m2
    feat = np.concatenate([front, m1, m2, m3], axis=2)  # (B, T, 753)

    # back-end: [max, mean] over time, interleaved per feature as TF flattens (753, 2)
    pooled = np.stack([feat.max(axis=1), feat.mean(axis=1)], axis=2).reshape(b, -1)
    s, c = bn["pool_bn"]
    h = pooled * s + c
    s, c = bn["dense_bn"]
    pen = np.maximum(h @ a["dense.kernel"] + a["dense.bias"], 0) * s + c
    logits = pen @ a["output.kernel"] + a["output.bias"]
    probs = 1.0 / (1.0 + np.exp(-logits))
    return probs.astype(np.float32), pen.astype(np.float32), pooled.astype(np.float32)
