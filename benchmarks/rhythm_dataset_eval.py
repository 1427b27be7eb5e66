"""songlens rhythm on a directory of rendered pieces with truth JSON (the issue-3 dataset).

Usage::

    PYTHONPATH=src python benchmarks/rhythm_dataset_eval.py DIR

``DIR`` holds ``<name>-<hash>.flac`` with ``<name>-<hash>.json`` truth (beats,
downbeats, tempo_bpm, time_signature), as ``songlens.testing.dataset`` writes
them under ``<cache>/synthetic``. Tempo Acc1: within 4 % of ``tempo_bpm``;
Acc2: also at x2, x3, x1/2, x1/3. Beat F-measure: mir_eval, 70 ms, first 5 s
trimmed; downbeat F: mir_eval, untrimmed.
"""

from __future__ import annotations

import glob
import json
import os
import sys
import time

import mir_eval
import numpy as np

from songlens.analysis.rhythm import analyze_rhythm
from songlens.config import SignalConfig
from songlens.features import FeatureExtractor
from songlens.io.audio import channel_weights, open_audio


def acc(est: float, ref: float) -> tuple[bool, bool]:
    a1 = abs(est - ref) <= 0.04 * ref
    a2 = any(abs(est - f * ref) <= 0.04 * f * ref for f in (1, 2, 3, 0.5, 1 / 3))
    return a1, a2


def main() -> None:
    d = sys.argv[1]
    sig = SignalConfig()
    rows = []
    for js in sorted(glob.glob(os.path.join(d, "*.json"))):
        audio = js[:-5] + ".flac"
        if not os.path.exists(audio):
            continue
        truth = json.load(open(js))
        with open_audio(audio) as rd:
            info = rd.info
            b = FeatureExtractor.from_blocks(
                rd.blocks(int(10 * info.sample_rate)), sr=info.sample_rate,
                channel_weights=channel_weights(info.channel_names, info.channels), signal=sig)
        t0 = time.perf_counter()
        r = analyze_rhythm(b.log_mel, frame_rate=sig.frame_rate)
        dt = time.perf_counter() - t0
        ref_b = np.asarray(truth["beats"])
        est_b = np.asarray(r.beats) if r else np.zeros(0)
        est_d = np.asarray(r.downbeats) if r else np.zeros(0)
        fb = mir_eval.beat.f_measure(mir_eval.beat.trim_beats(ref_b),
                                     mir_eval.beat.trim_beats(est_b))
        fd = mir_eval.beat.f_measure(np.asarray(truth["downbeats"]), est_d)
        bpm = r.bpm if r else 0.0
        a1, a2 = acc(bpm, truth["tempo_bpm"])
        rows.append(dict(a1=a1, a2=a2, fb=fb, fd=fd, dur=b.duration, dt=dt,
                         meter_ok=(r.meter if r else None) == truth["time_signature"]))
        name = os.path.basename(js).split("-")[0]
        mark = "A1" if a1 else ("A2" if a2 else "--")
        print(f"{name:34s} ref {truth['tempo_bpm']:6.1f} ({truth['tempo_change']:5s}) est "
              f"{bpm:6.1f} {mark} beatF {fb:.2f} dbF {fd:.2f} meter "
              f"{truth['time_signature']}->{r.meter if r else None} conf "
              f"{r.confidence if r else 0:.2f} {dt * 1000:.0f} ms / {b.duration:.0f} s",
              flush=True)
    print(f"\nN={len(rows)}  Acc1 {np.mean([r['a1'] for r in rows]):.3f}  "
          f"Acc2 {np.mean([r['a2'] for r in rows]):.3f}  "
          f"beatF {np.mean([r['fb'] for r in rows]):.3f}  "
          f"downbeatF {np.mean([r['fd'] for r in rows]):.3f}  "
          f"meter {np.mean([r['meter_ok'] for r in rows]):.3f}  "
          f"time {sum(r['dt'] for r in rows):.2f} s for {sum(r['dur'] for r in rows):.0f} s audio")


if __name__ == "__main__":
    main()
