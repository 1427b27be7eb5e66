"""Self-evaluation of songlens.analysis.rhythm on rendered pieces with known beats.

Usage (from the worktree)::

    PYTHONPATH=src python benchmarks/rhythm_selfeval.py [--librosa] [--cache DIR] [NAME ...]

Tempo Acc1: |est - ref| <= 4 % of ref; Acc2: the same up to a factor 2, 3, 1/2
or 1/3. Beat and downbeat F-measure: mir_eval (70 ms window, first 5 s trimmed
for beats as mir_eval.beat.evaluate does; downbeats untrimmed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import mir_eval
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from rhythm_pieces import HELDOUT, SUITE, render_piece  # noqa: E402
from songlens.analysis.rhythm import analyze_rhythm  # noqa: E402
from songlens.config import SignalConfig  # noqa: E402
from songlens.features import FeatureExtractor  # noqa: E402


def acc(est: float, ref: float) -> tuple[bool, bool]:
    a1 = abs(est - ref) <= 0.04 * ref
    a2 = any(abs(est - f * ref) <= 0.04 * f * ref for f in (1, 2, 3, 0.5, 1 / 3))
    return a1, a2


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*")
    ap.add_argument("--librosa", action="store_true")
    ap.add_argument("--heldout", action="store_true", help="evaluate the held-out plans")
    ap.add_argument("--cache", default="/tmp/rhythm_cache")
    args = ap.parse_args()
    names = args.names or list(HELDOUT if args.heldout else SUITE)
    sig = SignalConfig()
    rows = []
    for name in names:
        y, sr, truth = render_piece(name, sr=22050, cache_dir=args.cache)
        bundle = FeatureExtractor.from_blocks([y], sr=sr, channel_weights=np.ones(2),
                                              signal=sig)
        t0 = time.perf_counter()
        r = analyze_rhythm(bundle.log_mel, frame_rate=sig.frame_rate)
        dt = time.perf_counter() - t0
        ref_b = truth.beats
        with open(Path(args.cache) / f"{name}_truth.json", "w") as fh:  # for rhythm_peers.py
            json.dump({"beats": truth.beats.tolist(), "downbeats": truth.downbeats.tolist(),
                       "bpm": truth.bpm, "meter": truth.meter}, fh)
        est_b = np.asarray(r.beats) if r else np.zeros(0)
        est_d = np.asarray(r.downbeats) if r else np.zeros(0)
        fb = mir_eval.beat.f_measure(mir_eval.beat.trim_beats(ref_b),
                                     mir_eval.beat.trim_beats(est_b))
        fd = mir_eval.beat.f_measure(truth.downbeats, est_d)
        bpm = r.bpm if r else 0.0
        a1, a2 = acc(bpm, truth.bpm)
        row = dict(name=name, ref=truth.bpm, est=bpm, a1=a1, a2=a2, fb=fb, fd=fd,
                   meter=truth.meter, est_meter=r.meter if r else None,
                   conf=r.confidence if r else 0.0, dt=dt)
        if args.librosa:
            import librosa
            ym = y.mean(axis=0)
            tl, bl = librosa.beat.beat_track(y=ym, sr=sr, units="time")
            tl = float(np.atleast_1d(tl)[0])
            row["lib_bpm"] = tl
            row["lib_a1"], row["lib_a2"] = acc(tl, truth.bpm)
            row["lib_fb"] = mir_eval.beat.f_measure(mir_eval.beat.trim_beats(ref_b),
                                                    mir_eval.beat.trim_beats(bl))
        rows.append(row)
        lib = (f"  librosa {row['lib_bpm']:6.1f} F={row['lib_fb']:.2f}"
               if args.librosa else "")
        mark = "A1" if a1 else ("A2" if a2 else "--")
        print(f"{name:24s} ref {truth.bpm:6.1f} est {bpm:6.1f} {mark}"
              f"  beatF {fb:.2f}  dbF {fd:.2f}  meter {truth.meter}->{row['est_meter']}"
              f"  conf {row['conf']:.2f}  {dt*1000:.0f} ms{lib}", flush=True)
    k = len(rows)
    print(f"\nN={k}  Acc1 {np.mean([r['a1'] for r in rows]):.3f}  "
          f"Acc2 {np.mean([r['a2'] for r in rows]):.3f}  "
          f"beatF {np.mean([r['fb'] for r in rows]):.3f}  "
          f"downbeatF {np.mean([r['fd'] for r in rows]):.3f}  "
          f"meter {np.mean([r['meter'] == r['est_meter'] for r in rows]):.3f}")
    if args.librosa:
        print(f"librosa: Acc1 {np.mean([r['lib_a1'] for r in rows]):.3f}  "
              f"Acc2 {np.mean([r['lib_a2'] for r in rows]):.3f}  "
              f"beatF {np.mean([r['lib_fb'] for r in rows]):.3f}")


if __name__ == "__main__":
    main()
