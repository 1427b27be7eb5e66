"""Fit the instrument heads and thresholds on the calibration renders.

    PYTHONPATH=src python benchmarks/instruments/fit_heads.py [--features mtt_pooled ...]

Procedure (calibration sets only: ``--sets calibration augmented`` adds the
timbre-augmented renders; the evaluation set is never read here):

1. Per-patch targets: the fraction of the 3 s patch in which the class sounds
   (soft labels in [0, 1]). Tag paths: for each class the MTT tagger names
   (``TAG_PATHS``), tau = max(0.5, 99th percentile of the largest of those tag
   probabilities on calibration patches where the class is absent, covered
   <= 10 %).
2. For each candidate feature set and L2 strength, one-vs-rest logistic
   regressions (L-BFGS, standardised inputs) are scored by 5-fold
   cross-validation grouped by piece (ROC-AUC on patches covered >= 50 % vs
   <= 10 %); the set and strength with the best mean AUC are kept.
3. On the out-of-fold scores, each class's head on-threshold theta is the one
   (grid 0.10 to 0.90, step 0.05) that maximises that class's frame F1 after
   the full timeline post-processing (``instrument_timeline`` with the default
   ``InstrumentConfig``, tag paths included), at the shipped patch hop
   (``InstrumentConfig.hop_seconds``: every second cached patch, both phases),
   since the smoothing and duration rules count patches. A head is *detectable* only if
   its out-of-fold AUC is >= 0.75 and the best out-of-fold frame F1 >= 0.5
   (rule fixed before looking at the results); a class with neither a
   detectable head nor a tag path is reported as not detected.
4. Lead heads: one-vs-rest logistic regressions on the same features whose
   target is the designed lead class of the section a patch lies in (same L2
   strength); their out-of-fold section accuracy (lead picked among the
   classes the timeline finds active) is recorded.
5. Final heads are refitted on all calibration pieces and written to
   ``src/songlens/models/data/instrument_heads.npz`` with a JSON header
   holding the cross-validation figures; its sha256 goes into the registry.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, Piece, every_nth_patch, f1, frame_matrix, load_set  # noqa: E402

from songlens.analysis.instruments import (  # noqa: E402
    CLASSES,
    MELODIC,
    InstrumentHeads,
    _feature,
    instrument_timeline,
)
from songlens.config import InstrumentConfig  # noqa: E402
from songlens.models.registry import sha256_file  # noqa: E402

OUT = ROOT / "src" / "songlens" / "models" / "data" / "instrument_heads.npz"
FEATURE_SETS = (
    ("mtt_penultimate",),
    ("mtt_pooled",),
    ("mtt_logit", "mtt_pooled"),
)
"""Only the MTT tagger: running the MSD one too would double the cost."""
TAG_PATHS = {
    "piano": ("piano",),
    "strings": ("strings", "violin", "cello"),
    "drums": ("drums",),
    "synth": ("synth",),
    "woodwinds": ("flute",),
    "vocals": ("vocal", "vocals", "singing", "voice", "male vocal", "female vocal",
               "male voice", "female voice", "choir", "choral", "opera", "female", "male",
               "woman", "man"),
}
LAMBDAS = (1e-3, 3e-3, 1e-2)
THRESHOLDS = np.round(np.arange(0.10, 0.901, 0.05), 2)
MIN_AUC, MIN_F1 = 0.75, 0.5


def features(p: Piece, names: tuple[str, ...]) -> np.ndarray:
    return np.concatenate([_feature(n, p.acts) for n in names], axis=1)


def fit_logistic(x: np.ndarray, y: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """Independent logistic regressions with soft targets; x standardised (n, d), y (n, k)."""
    n, d = x.shape
    k = y.shape[1]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        wm, b = w[:d * k].reshape(d, k), w[d * k:]
        z = x @ wm + b
        p = 1 / (1 + np.exp(-z))
        ll = -(y * np.log(p + 1e-9) + (1 - y) * np.log(1 - p + 1e-9)).sum() / n
        g = (p - y) / n
        return (ll + lam * (wm ** 2).sum(),
                np.concatenate([(x.T @ g + 2 * lam * wm).ravel(), g.sum(axis=0)]))

    res = minimize(loss, np.zeros(d * k + k), jac=True, method="L-BFGS-B",
                   options={"maxiter": 1000})
    return res.x[:d * k].reshape(d, k), res.x[d * k:]


def auc(s: np.ndarray, y: np.ndarray) -> float:
    p, n = int(y.sum()), int((~y).sum())
    if p == 0 or n == 0:
        return float("nan")
    r = np.empty(s.size)
    r[np.argsort(s, kind="stable")] = np.arange(s.size)
    return float((r[y].sum() - p * (p - 1) / 2) / (p * n))


TAUS: dict[str, tuple[tuple[str, ...], float]] = {}
"""Tag paths with their thresholds, set by main() from the calibration set."""


def make_heads(mean, std, w, b, names, thresholds, detectable, lead=(None, None)
               ) -> InstrumentHeads:
    return InstrumentHeads(classes=CLASSES, features=names, mean=mean, std=std, weights=w,
                           bias=b, thresholds=np.asarray(thresholds, float),
                           detectable=np.asarray(detectable, bool), header={},
                           tag_paths=dict(TAUS), lead_weights=lead[0], lead_bias=lead[1])


def lead_targets(p: Piece) -> np.ndarray:
    """One-hot designed lead class of the section each patch centre lies in."""
    centre = p.acts["musicnn_mtt"].times.mean(axis=1)
    y = np.zeros((centre.size, len(MELODIC)))
    for a, b, c in p.truth["lead"]:
        y[(centre >= a) & (centre < b), MELODIC.index(c)] = 1.0
    return y


def oof_lead_accuracy(pieces: list[Piece], names: tuple[str, ...], lam: float,
                      heads_cv: list[tuple[InstrumentHeads, list[Piece]]],
                      thresholds: np.ndarray, folds: int = 5) -> float:
    hits = []
    for f, (h, test) in enumerate(heads_cv):
        train = [p for i, p in enumerate(pieces) if i % folds != f]
        x = np.concatenate([features(p, names) for p in train])
        lw, lb = fit_logistic((x - h.mean) / h.std, np.concatenate(
            [lead_targets(p) for p in train]), lam)
        hf = make_heads(h.mean, h.std, h.weights, h.bias, names, thresholds,
                        [True] * len(CLASSES), lead=(lw, lb))
        for p in test:
            tl = instrument_timeline(p.acts, sections=[tuple(s) for s in p.truth["sections"]],
                                     heads=hf)
            want = {round(a, 3): c for a, _, c in p.truth["lead"]}
            hits += [ld.name == want[round(ld.start, 3)] for ld in tl.lead
                     if round(ld.start, 3) in want]
    return float(np.mean(hits))


def tag_thresholds(pieces: list[Piece]) -> dict[str, tuple[tuple[str, ...], float]]:
    from songlens.models.registry import load_musicnn

    tags = load_musicnn("musicnn_mtt").tags
    probs = np.concatenate([p.acts["musicnn_mtt"].probs for p in pieces])
    cover = np.concatenate([p.coverage() for p in pieces])
    out = {}
    for c, names in TAG_PATHS.items():
        t = probs[:, [tags.index(n) for n in names]].max(axis=1)
        neg = cover[:, CLASSES.index(c)] <= 0.1
        out[c] = (names, float(max(0.5, np.percentile(t[neg], 99))))
    return out


def cross_validate(pieces: list[Piece], names: tuple[str, ...], lam: float, folds: int = 5
                   ) -> list[tuple[InstrumentHeads, list[Piece]]]:
    """Per fold: heads fitted without the fold, and the fold's pieces."""
    out = []
    for f in range(folds):
        train = [p for i, p in enumerate(pieces) if i % folds != f]
        test = [p for i, p in enumerate(pieces) if i % folds == f]
        x = np.concatenate([features(p, names) for p in train])
        y = np.concatenate([p.coverage() for p in train])
        mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
        w, b = fit_logistic((x - mean) / std, y, lam)
        heads = make_heads(mean, std, w, b, names, [0.5] * len(CLASSES), [True] * len(CLASSES))
        out.append((heads, test))
    return out


def head_scores(p: Piece, h: InstrumentHeads) -> np.ndarray:
    x = features(p, h.features)
    return 1 / (1 + np.exp(-(((x - h.mean) / h.std) @ h.weights + h.bias)))


def oof_auc(cv: list[tuple[InstrumentHeads, list[Piece]]]) -> np.ndarray:
    """ROC-AUC of the heads alone (no tag paths) on out-of-fold patches."""
    s = np.concatenate([head_scores(p, h) for h, test in cv for p in test])
    c = np.concatenate([p.coverage() for _, test in cv for p in test])
    return np.array([auc(s[(c[:, j] >= 0.5) | (c[:, j] <= 0.1), j],
                         c[(c[:, j] >= 0.5) | (c[:, j] <= 0.1), j] >= 0.5)
                     for j in range(len(CLASSES))])


def at_hop(p: Piece, hop: float) -> list[Piece]:
    """The piece's patches at the hop ``hop`` (a multiple of the cached one), every phase."""
    step = int(round(hop / p.acts["musicnn_mtt"].hop_s))
    return [p] if step <= 1 else [every_nth_patch(p, step, phase) for phase in range(step)]


def oof_f1_by_threshold(cv: list[tuple[InstrumentHeads, list[Piece]]]) -> np.ndarray:
    """(n_thresholds, n_classes) frame F1 of the full timeline on out-of-fold pieces,
    at the shipped patch hop."""
    config = InstrumentConfig()
    cv = [(heads, [q for p in test for q in at_hop(p, config.hop_seconds)])
          for heads, test in cv]
    counts = np.zeros((THRESHOLDS.size, len(CLASSES), 3))
    for ti, th in enumerate(THRESHOLDS):
        for heads, test in cv:
            h = make_heads(heads.mean, heads.std, heads.weights, heads.bias, heads.features,
                           [th] * len(CLASSES), [True] * len(CLASSES))
            for p in test:
                tl = instrument_timeline(p.acts, heads=h, config=config)
                est = frame_matrix({i.name: i.active for i in tl.instruments}, p.duration)
                ref = frame_matrix(p.truth["instruments"], p.duration)
                counts[ti, :, 0] += (est & ref).sum(axis=0)
                counts[ti, :, 1] += (est & ~ref).sum(axis=0)
                counts[ti, :, 2] += (~est & ref).sum(axis=0)
    return np.array([[f1(*counts[t, j]) for j in range(len(CLASSES))]
                     for t in range(THRESHOLDS.size)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", nargs="*", default=None,
                    help="skip the search: use this feature set")
    ap.add_argument("--lam", type=float, default=None)
    ap.add_argument("--sets", nargs="+", default=["calibration"],
                    choices=["calibration", "augmented", "varied"],
                    help="cached sets to fit on (collect.py); never the evaluation set")
    args = ap.parse_args()
    loaded = {name: load_set(name) for name in args.sets}
    pieces = [p for sub in loaded.values() for p in sub]
    print(f"{len(pieces)} calibration pieces ({', '.join(args.sets)})")
    TAUS.update(tag_thresholds(pieces))
    for c, (_, tau) in TAUS.items():
        print(f"tag path {c}: tau = {tau:.3f}")
    sets = [tuple(args.features)] if args.features else list(FEATURE_SETS)
    lams = [args.lam] if args.lam else list(LAMBDAS)
    search = {}
    for names, lam in itertools.product(sets, lams):
        a = oof_auc(cross_validate(pieces, names, lam))
        search[f"{'+'.join(names)} lam={lam:g}"] = a
        print(f"{'+'.join(names):35s} lam={lam:<6g} mean AUC {np.nanmean(a):.3f}  "
              + " ".join(f"{c[:6]}={v:.2f}" for c, v in zip(CLASSES, a, strict=True)),
              flush=True)
    best = max(search, key=lambda k: np.nanmean(search[k]))
    names = tuple(best.split(" ")[0].split("+"))
    lam = float(best.split("lam=")[1])
    cv = cross_validate(pieces, names, lam)
    aucs = oof_auc(cv)
    table = oof_f1_by_threshold(cv)
    thresholds = THRESHOLDS[np.argmax(table, axis=0)]
    best_f1 = table.max(axis=0)
    detectable = (aucs >= MIN_AUC) & (best_f1 >= MIN_F1)
    for j, c in enumerate(CLASSES):
        path = f"tag path tau={TAUS[c][1]:.2f}" if c in TAUS else "no tag path"
        print(f"{c:16s} head AUC {aucs[j]:.3f}  theta {thresholds[j]:.2f}  "
              f"OOF frame F1 {best_f1[j]:.3f}  head {'used' if detectable[j] else 'NOT used'}"
              f"  {path}")
    lead_acc = oof_lead_accuracy(pieces, names, lam, cv, thresholds)
    print(f"lead heads: out-of-fold section accuracy {lead_acc:.3f}")
    x = np.concatenate([features(p, names) for p in pieces])
    y = np.concatenate([p.coverage() for p in pieces])
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    w, b = fit_logistic((x - mean) / std, y, lam)
    lw, lb = fit_logistic((x - mean) / std, np.concatenate([lead_targets(p) for p in pieces]),
                          lam)
    header = {
        "format": "songlens.instrument_heads/1",
        "classes": list(CLASSES),
        "features": list(names),
        "l2": lam,
        "thresholds": [float(t) for t in thresholds],
        "detectable": [bool(d) for d in detectable],
        "lead_classes": list(MELODIC),
        "tag_paths": {c: {"tags": list(n), "threshold": round(t, 4)}
                      for c, (n, t) in TAUS.items()},
        "training": {
            "set": "calibration renders (benchmarks/instruments/collect.py): "
                   + "; ".join(f"{name} seeds {min(p.seed for p in sub)}-"
                               f"{max(p.seed for p in sub)}, "
                               + ", ".join(sorted({p.font for p in sub}))
                               for name, sub in loaded.items()),
            "pieces": len(pieces), "patches": int(x.shape[0]),
            "oof_auc": [round(float(v), 4) for v in aucs],
            "oof_frame_f1": [round(float(v), 4) for v in best_f1],
            "threshold_hop_s": InstrumentConfig().hop_seconds,
            "rule": f"head used if OOF AUC >= {MIN_AUC} and OOF frame F1 >= {MIN_F1}",
            "oof_lead_accuracy": round(lead_acc, 4),
            "search_mean_auc": {k: round(float(np.nanmean(v)), 4) for k, v in search.items()},
        },
    }
    np.savez_compressed(OUT, header=np.array(json.dumps(header, sort_keys=True)),
                        mean=mean.astype(np.float32), std=std.astype(np.float32),
                        weights=w.astype(np.float32), bias=b.astype(np.float32),
                        lead_weights=lw.astype(np.float32), lead_bias=lb.astype(np.float32))
    print(f"{best}: wrote {OUT} ({OUT.stat().st_size} bytes, sha256 {sha256_file(OUT)})")


if __name__ == "__main__":
    main()
