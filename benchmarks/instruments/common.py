"""Shared helpers of the instrument benchmarks: cached pieces, features, metrics."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from songlens.analysis.instruments import CLASSES
from songlens.analysis.tagging import TagActivations
from songlens.models.registry import load_musicnn

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "benchmarks" / ".cache" / "instruments"
FRAME = 0.5
"""Frame length of the frame-level metrics (s)."""


@dataclass
class Piece:
    seed: int
    font: str
    truth: dict[str, Any]
    acts: dict[str, TagActivations]

    @property
    def duration(self) -> float:
        return float(self.truth["duration"])

    def coverage(self) -> np.ndarray:
        """Fraction of each patch where each class sounds: (n_patches, n_classes)."""
        times = self.acts["musicnn_mtt"].times
        cov = np.zeros((len(times), len(CLASSES)))
        for j, c in enumerate(CLASSES):
            for a, b in self.truth["instruments"].get(c, []):
                ov = np.clip(np.minimum(times[:, 1], b) - np.maximum(times[:, 0], a), 0, None)
                cov[:, j] += ov / (times[:, 1] - times[:, 0])
        return np.clip(cov, 0, 1)


def load_set(name: str) -> list[Piece]:
    """All cached pieces of a set (see collect.py)."""
    pieces = []
    for path in sorted((CACHE / name).glob("*.npz")):
        with np.load(path) as z:
            if "mtt_pooled" not in z.files:
                continue
            meta = json.loads(str(z["truth"]))
            times, level = z["times"], z["level_db"]
            acts = {}
            for key in ("mtt", "msd"):
                if f"{key}_pooled" not in z.files:
                    continue
                model = f"musicnn_{key}"
                acts[model] = TagActivations(
                    model=model, tags=load_musicnn(model).tags, times=times,
                    probs=z[f"{key}_probs"],
                    penultimate=z[f"{key}_pen"], level_db=level, duration=meta["duration"],
                    hop_s=1.5, pooled=z[f"{key}_pooled"].astype(np.float32))
        pieces.append(Piece(seed=int(meta["seed"]), font=meta["font"], truth=meta, acts=acts))
    return pieces


def every_nth_patch(p: Piece, step: int, phase: int = 0) -> Piece:
    """The piece with patches ``phase, phase + step, ...`` only (hop ``step`` times the cached)."""
    acts = {m: replace(a, times=a.times[phase::step], probs=a.probs[phase::step],
                       penultimate=a.penultimate[phase::step], level_db=a.level_db[phase::step],
                       pooled=None if a.pooled is None else a.pooled[phase::step],
                       hop_s=a.hop_s * step)
            for m, a in p.acts.items()}
    return replace(p, acts=acts)


def frame_matrix(intervals: dict[str, list[tuple[float, float]]], duration: float,
                 classes: tuple[str, ...] = CLASSES) -> np.ndarray:
    """Activity on a FRAME grid (frame centres), shape (n_frames, n_classes), bool."""
    centres = (np.arange(int(np.ceil(duration / FRAME))) + 0.5) * FRAME
    out = np.zeros((centres.size, len(classes)), dtype=bool)
    for j, c in enumerate(classes):
        for a, b in intervals.get(c, []):
            out[:, j] |= (centres >= a) & (centres < b)
    return out


def f1(tp: float, fp: float, fn: float) -> float:
    return 2 * tp / max(2 * tp + fp + fn, 1e-9)
