"""Sections: boundaries from novelty and repetition, labels from recurrence and role.

Conventions
-----------
* Input: frame-wise feature groups on one grid (e.g. MFCC-like timbre from the
  log-mel spectrogram and chroma), the frame rate, an optional beat grid (s),
  the loudness per frame (dB) and the sounding span (s).
* Output: sections ``(start, end, label)`` covering the sounding span, in
  seconds. Repeated material shares a label. Labels are functional (``intro``,
  ``verse``, ``prechorus``, ``chorus``, ``bridge``, ``outro``) only when the
  evidence supports them (a repeated, loud group for the chorus, a repeated
  group preceding it for the verse, ...); otherwise letters ``A``, ``B``, ...

Method
------
1. Features are averaged per analysis unit (each beat when a beat grid is
   given, else 0.5 s; units grow for very long tracks so that at most 1500
   remain), z-scored per dimension, L2-normalised per group, stacked with a
   2-unit time-delay embedding.
2. Boundaries: the sum of (a) Foote's checkerboard novelty on the cosine
   self-similarity matrix (homogeneity; Foote 2000) and (b) the structural-
   feature novelty of Serrà et al. (2014): a k-nearest-neighbour recurrence
   plot turned into a circular time-lag matrix, Gaussian-smoothed, whose
   successive columns change where the repetition structure changes. Peaks
   at least ``min_section`` apart above a moving-median threshold. A boundary
   is kept only if the segments on either side differ in their mean features
   by more than segments of one stationary signal would (an effect-size test),
   so homogeneous music is not cut at random.
3. Labels: two segments share a label when their best diagonal alignment in
   the self-similarity matrix is as similar as typical repeated material of
   the track (a threshold relative to the track's own similarity distribution).
4. Roles: chorus = the repeated group with the highest loudness (at least 2
   occurrences, at least as loud as the track median); verse = the repeated
   group that most often precedes a chorus occurrence (directly or through a
   short pre-chorus group); intro/outro = an unrepeated first/last segment
   (or one group heard only at both ends);
   bridge = an unrepeated segment in the second half between two choruses.

References
----------
J. Foote, "Automatic audio segmentation using a measure of audio novelty",
ICME 2000. J. Serrà, M. Müller, P. Grosche, J. Ll. Arcos, "Unsupervised music
structure annotation by time series structure features and segment
similarity", IEEE Trans. Multimedia 16(5), 2014.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter, maximum_filter1d, median_filter

from ..errors import ParameterError
from ..result.model import Section

__all__ = ["mfcc_from_log_mel", "analyze_sections"]

_MAX_UNITS = 1500


def mfcc_from_log_mel(log_mel: np.ndarray, *, n_coef: int = 20) -> np.ndarray:
    """DCT-II of a log-mel spectrogram (dB), coefficients 1..n_coef-1 (no energy term).

    Returns
    -------
    mfcc : np.ndarray [shape=(n_frames, n_coef - 1)]
    """
    from scipy.fft import dct

    if log_mel.ndim != 2:
        raise ParameterError("log_mel must be 2-D (n_frames, n_mels)")
    out = np.empty((log_mel.shape[0], max(0, min(n_coef, log_mel.shape[1]) - 1)), np.float32)
    block = 1 << 16  # in blocks: no full-size float64 temporaries on long tracks
    for s in range(0, log_mel.shape[0], block):
        chunk = np.asarray(log_mel[s:s + block], dtype=np.float32)
        out[s:s + block] = dct(chunk, type=2, norm="ortho", axis=1)[:, 1:n_coef]
    return out


def _unit_edges(n_frames: int, *, frame_rate: float, span: tuple[float, float],
                beats: np.ndarray | None) -> np.ndarray:
    """Frame indices of analysis-unit boundaries within the span."""
    a = int(np.floor(span[0] * frame_rate))
    b = int(np.ceil(span[1] * frame_rate))
    a, b = max(0, a), min(n_frames, b)
    if beats is not None:
        bf = np.round(np.asarray(beats) * frame_rate).astype(int)
        bf = bf[(bf > a) & (bf < b)]
        if bf.size >= 16:
            edges = np.unique(np.concatenate([[a], bf, [b]]))
            if edges.size - 1 <= _MAX_UNITS:
                return edges
    dur = (b - a) / frame_rate
    unit = max(0.5, dur / _MAX_UNITS)
    step = max(1, int(round(unit * frame_rate)))
    return np.unique(np.concatenate([np.arange(a, b, step), [b]]))


def _sync(feat: np.ndarray, edges: np.ndarray) -> np.ndarray:
    sums = np.add.reduceat(feat, edges[:-1], axis=0)
    counts = np.diff(edges)[:, None]
    return sums / np.maximum(counts, 1)


def _normalise(group: np.ndarray) -> np.ndarray:
    g = group - group.mean(axis=0)
    sd = g.std(axis=0)
    g = g / np.where(sd > 1e-9, sd, 1.0)
    norm = np.linalg.norm(g, axis=1, keepdims=True)
    return g / np.maximum(norm, 1e-9)


def _zscore(group: np.ndarray) -> np.ndarray:
    g = group - group.mean(axis=0)
    sd = g.std(axis=0)
    return g / np.where(sd > 1e-9, sd, 1.0)


def _merge_insignificant(cuts: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Drop boundaries between segments whose feature means do not differ.

    The mean squared per-dimension effect size of two adjacent segments
    (difference of means over the pooled within-segment deviation) is compared
    with 3x its value for segments drawn from one stationary signal,
    ``1/n_a + 1/n_b``; weaker boundaries are removed, weakest first.
    """
    cl: list[int] = [int(c) for c in cuts]
    while len(cl) > 2:
        scores = []
        for i in range(1, len(cl) - 1):
            a = z[cl[i - 1]:cl[i]]
            b = z[cl[i]:cl[i + 1]]
            pooled = np.sqrt(0.5 * (a.var(axis=0) + b.var(axis=0))) + 1e-6
            d = float(np.mean(((a.mean(axis=0) - b.mean(axis=0)) / pooled) ** 2))
            scores.append(d / (3.0 * (1.0 / len(a) + 1.0 / len(b))))
        worst = int(np.argmin(scores))
        if scores[worst] >= 1.0:
            break
        del cl[worst + 1]
    return np.asarray(cl, dtype=int)


def _embed(x: np.ndarray, m: int) -> np.ndarray:
    parts = [x]
    for k in range(1, m):
        shifted = np.concatenate([np.repeat(x[:1], k, axis=0), x[:-k]], axis=0)
        parts.append(shifted)
    return np.concatenate(parts, axis=1) / np.sqrt(m)


def _foote(S: np.ndarray, half: int) -> np.ndarray:
    n = S.shape[0]
    idx = np.arange(-half, half)
    g = np.exp(-0.5 * ((idx + 0.5) / (0.5 * half)) ** 2)
    sign = np.where(idx < 0, -1.0, 1.0)
    kernel = np.outer(g * sign, g * sign)  # + on the two same-side quadrants
    pad = np.pad(S, half, mode="edge")
    out = np.zeros(n)
    for i in range(n):
        block = pad[i: i + 2 * half, i: i + 2 * half]
        out[i] = np.sum(block * kernel)
    return np.maximum(out, 0)


def _structure_novelty(S: np.ndarray, *, k: int, smooth: float) -> np.ndarray:
    n = S.shape[0]
    order = np.argsort(-S, axis=1)[:, 1:k + 1]
    R = np.zeros_like(S, dtype=bool)
    rows = np.repeat(np.arange(n), order.shape[1])
    R[rows, order.ravel()] = True
    R = R & R.T  # mutual neighbours
    # circular time-lag: L[l, i] = R[i, (i + l) mod n]
    i = np.arange(n)
    L = R[i[None, :], (i[None, :] + i[:, None]) % n].astype(np.float64)
    P = gaussian_filter(L, sigma=(0.3, smooth))
    d = np.diff(P, axis=1)
    nov = np.concatenate([[0.0], np.sum(d * d, axis=0)])
    return nov


def _peaks(nov: np.ndarray, *, min_dist: int) -> np.ndarray:
    if nov.size < 3 or not np.any(nov > 0):
        return np.zeros(0, dtype=int)
    local = maximum_filter1d(nov, size=2 * min_dist + 1, mode="constant")
    thr = median_filter(nov, size=4 * min_dist + 1, mode="nearest") + 0.1 * nov.max()
    cand = np.nonzero((nov == local) & (nov > thr))[0]
    keep: list[int] = []
    for c in cand[np.argsort(-nov[cand])]:
        if all(abs(c - k) >= min_dist for k in keep):
            keep.append(int(c))
    return np.array(sorted(keep), dtype=int)


def _segment_similarity(S: np.ndarray, a: tuple[int, int], b: tuple[int, int]) -> float:
    """Best mean similarity along a diagonal alignment of segment a against b."""
    (a0, a1), (b0, b1) = a, b
    la, lb = a1 - a0, b1 - b0
    if la <= 0 or lb <= 0:
        return -1.0
    block = S[a0:a1, b0:b1]
    best = -1.0
    short = min(la, lb)
    for off in range(-(la - 1), lb):
        d = np.diagonal(block, offset=off)
        if d.size >= max(2, int(0.6 * short)):
            best = max(best, float(d.mean()))
    return best


def _letters(n: int) -> list[str]:
    out = []
    for i in range(n):
        s = ""
        j = i
        while True:
            s = chr(ord("A") + j % 26) + s
            j = j // 26 - 1
            if j < 0:
                break
        out.append(s)
    return out


def _roles(groups: list[int], loud: np.ndarray, bounds: list[tuple[float, float]]) -> list[str]:
    """Functional labels where the evidence supports them, else letters."""
    n = len(groups)
    uniq = sorted(set(groups), key=groups.index)
    letter = dict(zip(uniq, _letters(len(uniq)), strict=True))
    labels = [letter[g] for g in groups]
    counts = {g: groups.count(g) for g in uniq}
    repeated = [g for g in uniq if counts[g] >= 2]
    if not repeated or n < 3:
        return labels
    gl = {g: float(np.mean([loud[i] for i in range(n) if groups[i] == g])) for g in uniq}
    chorus = max(repeated, key=lambda g: gl[g])
    if gl[chorus] < float(np.median(loud)) - 1e-9:
        return labels
    role: dict[int, str] = {chorus: "chorus"}
    # groups occurring right before a chorus
    before: dict[int, int] = {}
    before2: dict[int, int] = {}
    for i in range(1, n):
        if groups[i] == chorus and groups[i - 1] != chorus:
            before[groups[i - 1]] = before.get(groups[i - 1], 0) + 1
            if i >= 2 and groups[i - 2] not in (chorus, groups[i - 1]):
                before2[groups[i - 2]] = before2.get(groups[i - 2], 0) + 1
    pre = [g for g, c in before.items() if c >= 2 and counts[g] >= 2]
    if pre:
        g = max(pre, key=lambda g: before[g])
        dur_g = np.mean([bounds[i][1] - bounds[i][0] for i in range(n) if groups[i] == g])
        vs = [v for v, c in before2.items() if c >= 2 and counts[v] >= 2 and v != g]
        if vs:
            v = max(vs, key=lambda v: before2[v])
            dur_v = np.mean([bounds[i][1] - bounds[i][0] for i in range(n) if groups[i] == v])
            if dur_g < dur_v:
                role[g] = "prechorus"
                role[v] = "verse"
            else:
                role[g] = "verse"
        else:
            role[g] = "verse"
    labels = [role.get(g, letter[g]) for g in groups]
    chorus_idx = [i for i in range(n) if groups[i] == chorus]
    # an unrepeated first/last segment, or one group heard only at both ends
    bookends = (n > 2 and groups[0] == groups[-1] and counts[groups[0]] == 2
                and groups[0] not in role)
    if (counts[groups[0]] == 1 or bookends) and groups[0] not in role:
        labels[0] = "intro"
    if (counts[groups[-1]] == 1 or bookends) and groups[-1] not in role and n > 1:
        labels[-1] = "outro"
    for i in range(1, n - 1):
        if (labels[i] not in ("intro", "outro") and counts[groups[i]] == 1
                and groups[i] not in role and i > n / 2 - 1
                and any(c < i for c in chorus_idx) and any(c > i for c in chorus_idx)):
            labels[i] = "bridge"
    return labels


def analyze_sections(features: list[np.ndarray], *, frame_rate: float,
                     span: tuple[float, float], loudness: np.ndarray | None = None,
                     beats: np.ndarray | None = None, min_section: float = 4.0,
                     kernel_seconds: float = 6.0) -> list[Section]:
    """Find sections and label them.

    Parameters
    ----------
    features : list of np.ndarray [shape=(n_frames, d_i)]
        Feature groups on one frame grid (e.g. MFCC, chroma), equally weighted.
    frame_rate : float > 0
        Frames per second of the features.
    span : (float, float)
        Start and end of the music (s); sections cover exactly this span.
    loudness : np.ndarray [shape=(n_frames,)], optional
        Level per frame (dB), used to recognise the chorus.
    beats : np.ndarray, optional
        Beat times (s); when given, analysis units are beats.
    min_section : float
        Shortest section (s).
    kernel_seconds : float
        Width of the novelty kernel (s).

    Returns
    -------
    sections : list of Section
    """
    if not features:
        raise ParameterError("features must hold at least one group")
    n_frames = features[0].shape[0]
    if any(f.ndim != 2 or f.shape[0] != n_frames for f in features):
        raise ParameterError("all feature groups must be 2-D with the same number of frames")
    if frame_rate <= 0:
        raise ParameterError("frame_rate must be positive")
    start, end = float(span[0]), float(span[1])
    if not end > start:
        return []
    edges = _unit_edges(n_frames, frame_rate=frame_rate, span=(start, end), beats=beats)
    if edges.size < 3:
        return [Section(start=start, end=end, label="A")]
    unit_times = edges / frame_rate
    unit_times[0], unit_times[-1] = start, end
    unit_dur = float(np.median(np.diff(unit_times)))
    groups = [_normalise(_sync(np.nan_to_num(f.astype(np.float64)), edges)) for f in features]
    x = np.concatenate(groups, axis=1) / np.sqrt(len(groups))
    x = _embed(x, 3)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
    S = x @ x.T
    n = S.shape[0]
    half = max(2, int(round(kernel_seconds / 2 / unit_dur)))
    nov_f = _foote(S, half)
    k = max(3, int(round(0.04 * n)))
    nov_s = _structure_novelty(S, k=k, smooth=max(1.0, 1.0 / unit_dur))
    nov = nov_f / max(nov_f.max(), 1e-12) + nov_s / max(nov_s.max(), 1e-12)
    min_dist = max(1, int(round(min_section / unit_dur)))
    peaks = _peaks(nov, min_dist=min_dist)
    peaks = peaks[(peaks >= min_dist) & (peaks <= n - min_dist)]
    z = np.concatenate([_zscore(_sync(np.nan_to_num(f.astype(np.float64)), edges))
                        for f in features], axis=1)
    cuts = _merge_insignificant(np.concatenate([[0], peaks, [n]]).astype(int), z)
    segs = [(int(cuts[i]), int(cuts[i + 1])) for i in range(cuts.size - 1)]
    # group segments by repetition
    m = len(segs)
    sim = np.full((m, m), -1.0)
    for i in range(m):
        for j in range(i + 1, m):
            sim[i, j] = sim[j, i] = _segment_similarity(S, segs[i], segs[j])
    off = S[~np.eye(n, dtype=bool)]
    thr = float(np.percentile(off, 90)) if off.size else 0.5
    group_of = list(range(m))
    for i in range(m):
        best_j, best = -1, thr
        for j in range(i):
            if sim[i, j] > best:
                best_j, best = j, sim[i, j]
        if best_j >= 0:
            group_of[i] = group_of[best_j]
    # renumber groups in order of appearance
    order: dict[int, int] = {}
    groups_list = [order.setdefault(g, len(order)) for g in group_of]
    bounds = [(float(unit_times[a]), float(unit_times[b])) for a, b in segs]
    if loudness is not None and loudness.size == n_frames:
        lv = _sync(np.nan_to_num(np.asarray(loudness, dtype=np.float64)[:, None],
                                 nan=-100.0, neginf=-100.0), edges)[:, 0]
        loud = np.array([lv[a:b].mean() for a, b in segs])
    else:
        loud = np.zeros(m)
    labels = _roles(groups_list, loud, bounds)
    return [Section(start=a, end=b, label=lab) for (a, b), lab in zip(bounds, labels, strict=True)]
