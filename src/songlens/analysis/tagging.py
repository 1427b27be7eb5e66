"""Music auto-tagging over time with the shipped musicnn models.

Conventions
-----------
* ``tag_audio`` takes mono audio at any rate; when ``sr`` is not 16 kHz it
  resamples it explicitly with soxr (quality "HQ", the resampler librosa
  uses by default and musicnn's reference pipeline therefore used), and says so
  in ``TagActivations.resampled_from``.
* One prediction per 187-frame patch (2.992 s), patches back to back from the
  start as in musicnn; with ``cover_end`` (default) one more patch aligned to
  the end covers the remainder (it overlaps the previous one). Audio shorter
  than one patch is repeat-padded to one patch, as musicnn's training data was
  (``pad_short: repeat-pad`` in its configuration).
* ``times[i] = (start, end)`` in seconds of patch ``i``: frame ``j`` is centred
  at ``j * 256 / 16000`` s, so a patch spans from its first frame's centre to
  one hop after its last frame's centre.
* ``level_db``: RMS level of each patch's samples (dBFS, -inf for digital
  silence), for gating: the taggers also answer on silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["TagActivations", "tag_audio", "tag_log_mel", "to_tagger_rate"]


@dataclass
class TagActivations:
    """Tag probabilities over time from one model.

    Attributes
    ----------
    model : str
        Registry name (``"musicnn_mtt"``).
    tags : tuple of str
    times : np.ndarray [shape=(n_patches, 2)]
        Start and end of each patch (s).
    probs : np.ndarray [shape=(n_patches, n_tags), dtype=float32]
        Sigmoid outputs in [0, 1].
    penultimate : np.ndarray [shape=(n_patches, 200), dtype=float32]
        The model's 200-d penultimate features (an embedding).
    level_db : np.ndarray [shape=(n_patches,)]
        RMS level of the patch (dBFS).
    hop_s : float
        Time between patch starts (s).
    duration : float
        Duration of the tagged audio (s).
    resampled_from : int or None
        Original sample rate when the audio was resampled to 16 kHz.
    """

    model: str
    tags: tuple[str, ...]
    times: np.ndarray
    probs: np.ndarray
    penultimate: np.ndarray
    level_db: np.ndarray
    duration: float
    hop_s: float
    resampled_from: int | None = None
    pooled: np.ndarray | None = None
    """[shape=(n_patches, 1506)] the back-end's pooled features, when requested."""

    def __getitem__(self, tag: str) -> np.ndarray:
        """Probability curve of one tag, shape (n_patches,)."""
        try:
            return self.probs[:, self.tags.index(tag)]
        except ValueError:
            raise KeyError(f"{self.model} has no tag {tag!r}") from None

    @property
    def centers(self) -> np.ndarray:
        """Centre time of each patch (s)."""
        return self.times.mean(axis=1)

    def settings(self) -> dict[str, Any]:
        """What produced these activations, for a result's settings."""
        from ..models.musicnn import HOP_LENGTH, N_FFT, N_FRAMES, N_MELS, SAMPLE_RATE
        from ..models.registry import REGISTRY

        return {
            "model": REGISTRY[self.model].to_dict(),
            "sample_rate": SAMPLE_RATE,
            "resampling": ({"from_hz": self.resampled_from, "to_hz": SAMPLE_RATE,
                            "method": "soxr HQ"} if self.resampled_from else None),
            "n_fft": N_FFT, "hop_length": HOP_LENGTH, "n_mels": N_MELS,
            "patch_frames": N_FRAMES, "patch_seconds": N_FRAMES * HOP_LENGTH / SAMPLE_RATE,
            "patch_hop_seconds": self.hop_s,
        }


def to_tagger_rate(y: np.ndarray, *, sr: int) -> np.ndarray:
    """Resample mono audio to the taggers' 16 kHz with soxr HQ (a copy if already 16 kHz).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
    sr : int > 0
        Sample rate of ``y`` (Hz).

    Returns
    -------
    y16 : np.ndarray [shape=(m,), dtype=float32]
    """
    import soxr

    from ..models.musicnn import SAMPLE_RATE

    y = np.ascontiguousarray(y, dtype=np.float32)
    if sr == SAMPLE_RATE:
        return y.copy()
    return soxr.resample(y, sr, SAMPLE_RATE, quality="HQ").astype(np.float32, copy=False)


def _check_audio(y: np.ndarray, sr: Any) -> np.ndarray:
    if not isinstance(sr, int | np.integer) or isinstance(sr, bool) or sr <= 0:
        raise ParameterError(f"sr must be a positive integer sample rate in Hz, got {sr!r}")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ParameterError(f"y must be mono audio with shape (n,), got shape {y.shape}; "
                             "downmix it first")
    if y.size == 0:
        raise ParameterError("y is empty")
    if not np.all(np.isfinite(y)):
        raise ParameterError("y contains NaN or infinite samples")
    return y


def tag_audio(y: np.ndarray, *, sr: int, model: str = "musicnn_mtt",
              cover_end: bool = True, hop_s: float | None = None,
              pooled: bool = False) -> TagActivations:
    """Tag probabilities of mono audio over time.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio, full scale = 1.
    sr : int > 0
        Sample rate of ``y`` (Hz); resampled explicitly to 16 kHz if different
        (see module Conventions).
    model : str
        ``"musicnn_mtt"`` (MagnaTagATune tags) or ``"musicnn_msd"`` (MSD tags).
    cover_end : bool
        Add a patch aligned to the end so the last < 3 s are tagged too.
    hop_s : float > 0, optional
        Time between patch starts (s), rounded to whole frames of 16 ms;
        default: back to back (2.992 s) as musicnn. Overlapping patches give a
        finer timeline for proportionally more computation.
    pooled : bool
        Keep the model's pooled features (``TagActivations.pooled``).

    Returns
    -------
    TagActivations

    Raises
    ------
    ParameterError
        Bad ``y`` or ``sr``.
    ModelLoadingError
        The model's weights are missing or fail their checksum.

    Examples
    --------
    >>> acts = tag_audio(y, sr=22050)                      # doctest: +SKIP
    >>> acts["piano"]                                      # doctest: +SKIP
    """
    from ..models.musicnn import SAMPLE_RATE, log_mel

    y = _check_audio(y, sr)
    y16 = to_tagger_rate(y, sr=int(sr))
    S = log_mel(y16, sr=SAMPLE_RATE)
    acts = tag_log_mel(S, model=model, cover_end=cover_end, y16=y16, hop_s=hop_s,
                       pooled=pooled)
    acts.resampled_from = None if sr == SAMPLE_RATE else int(sr)
    return acts


def tag_log_mel(S: np.ndarray, *, model: str = "musicnn_mtt", cover_end: bool = True,
                y16: np.ndarray | None = None, hop_s: float | None = None,
                pooled: bool = False) -> TagActivations:
    """Tag a precomputed musicnn log-mel spectrogram (to share it between models).

    Parameters
    ----------
    S : np.ndarray [shape=(n_frames, 96)]
        From :func:`songlens.models.musicnn.log_mel`.
    model : str
    cover_end : bool
    y16 : np.ndarray [shape=(n,)], optional
        The 16 kHz audio ``S`` was computed from, for ``level_db`` (else NaN).
    hop_s : float > 0, optional
        See :func:`tag_audio`.
    pooled : bool
        See :func:`tag_audio`.

    Returns
    -------
    TagActivations
    """
    from ..models.musicnn import (
        HOP_LENGTH,
        N_FRAMES,
        SAMPLE_RATE,
        forward,
        make_patches,
        patch_starts,
    )
    from ..models.registry import load_musicnn

    S = np.asarray(S, dtype=np.float32)
    if S.ndim != 2 or S.shape[1] != 96 or S.shape[0] == 0:
        raise ParameterError(f"S must have shape (n_frames, 96), got {S.shape}")
    weights = load_musicnn(model)
    n = S.shape[0]
    duration = (y16.size / SAMPLE_RATE) if y16 is not None else (n - 1) * HOP_LENGTH / SAMPLE_RATE
    hop = N_FRAMES
    if n < N_FRAMES:  # repeat-pad short audio to one patch
        S = np.resize(S, (N_FRAMES, S.shape[1]))
        starts = np.array([0])
        times = np.array([[0.0, duration]])
    else:
        if hop_s is not None and not hop_s > 0:
            raise ParameterError(f"hop_s must be > 0 s, got {hop_s}")
        if hop_s is not None:
            hop = max(1, int(round(hop_s * SAMPLE_RATE / HOP_LENGTH)))
        starts = patch_starts(n, hop=hop, cover_end=cover_end)
        t0 = starts * HOP_LENGTH / SAMPLE_RATE
        times = np.stack([t0, np.minimum(t0 + N_FRAMES * HOP_LENGTH / SAMPLE_RATE,
                                         max(duration, t0[-1]))], axis=1)
    out = forward(make_patches(S, starts), weights, pooled=pooled)
    level = np.full(len(starts), np.nan)
    if y16 is not None:
        for i, (a, b) in enumerate(times):
            seg = y16[int(a * SAMPLE_RATE):max(int(a * SAMPLE_RATE) + 1, int(b * SAMPLE_RATE))]
            ms = float(np.mean(np.square(seg, dtype=np.float64))) if seg.size else 0.0
            level[i] = 10 * np.log10(ms) if ms > 0 else -np.inf
    return TagActivations(model=model, tags=weights.tags, times=times, probs=out[0],
                          penultimate=out[1], level_db=level, duration=float(duration),
                          hop_s=hop * HOP_LENGTH / SAMPLE_RATE,
                          pooled=out[2] if pooled else None)
