"""Peers on the rendered rhythm pieces: Essentia RhythmExtractor2013 and librosa beat_track.

Run with the peers' environment (AGPL essentia is never imported by songlens)::

    /work/peers-venv/bin/python benchmarks/rhythm_peers.py [--cache DIR] [--heldout]

It reads the audio and truth that ``benchmarks/rhythm_selfeval.py`` cached
(``{name}_22050.npy``, ``{name}_truth.json``) and scores tempo Acc1/Acc2 and
beat F-measure exactly as that script does.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import time

import mir_eval
import numpy as np


def acc(est: float, ref: float) -> tuple[bool, bool]:
    a1 = abs(est - ref) <= 0.04 * ref
    a2 = any(abs(est - f * ref) <= 0.04 * f * ref for f in (1, 2, 3, 0.5, 1 / 3))
    return a1, a2


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default="/tmp/rhythm_cache")
    ap.add_argument("--heldout", action="store_true")
    ap.add_argument("--dataset", help="directory of <name>-<hash>.flac + .json truth "
                    "(songlens.testing.dataset cache, 'synthetic' folder)")
    args = ap.parse_args()
    import essentia.standard as es
    import librosa

    if args.dataset:
        files = sorted(glob.glob(os.path.join(args.dataset, "*.json")))
        files = [f for f in files if os.path.exists(f[:-5] + ".flac")]
    else:
        files = sorted(glob.glob(os.path.join(args.cache, "*_truth.json")))
        files = [f for f in files if os.path.basename(f).startswith("held") == args.heldout]
    rows = []
    for f in files:
        truth = json.load(open(f))
        if args.dataset:
            name = os.path.basename(f).split("-")[0]
            truth["bpm"] = truth["tempo_bpm"]
            y = es.MonoLoader(filename=f[:-5] + ".flac", sampleRate=22050)()
        else:
            name = os.path.basename(f)[: -len("_truth.json")]
            y = np.load(os.path.join(args.cache, f"{name}_22050.npy")).mean(axis=0)
            y = y.astype(np.float32)
        ref = np.asarray(truth["beats"])
        y44 = es.Resample(inputSampleRate=22050, outputSampleRate=44100)(y)
        t0 = time.perf_counter()
        bpm_e, beats_e, _, _, _ = es.RhythmExtractor2013(method="multifeature")(y44)
        te = time.perf_counter() - t0
        t0 = time.perf_counter()
        bpm_l, beats_l = librosa.beat.beat_track(y=y, sr=22050, units="time")
        tl = time.perf_counter() - t0
        bpm_l = float(np.atleast_1d(bpm_l)[0])
        row = {"name": name}
        for key, b, bt in (("ess", float(bpm_e), np.asarray(beats_e)), ("lib", bpm_l, beats_l)):
            a1, a2 = acc(b, truth["bpm"])
            fb = mir_eval.beat.f_measure(mir_eval.beat.trim_beats(ref),
                                         mir_eval.beat.trim_beats(np.asarray(bt)))
            row.update({f"{key}_bpm": b, f"{key}_a1": a1, f"{key}_a2": a2, f"{key}_fb": fb})
        rows.append(row)
        print(f"{name:34s} ref {truth['bpm']:6.1f}  essentia {row['ess_bpm']:6.1f} "
              f"F={row['ess_fb']:.2f} ({te:.2f}s)  librosa {row['lib_bpm']:6.1f} "
              f"F={row['lib_fb']:.2f} ({tl:.2f}s)", flush=True)
    for key, label in (("ess", "Essentia RhythmExtractor2013"), ("lib", "librosa beat_track")):
        print(f"{label}: N={len(rows)} Acc1 {np.mean([r[key + '_a1'] for r in rows]):.3f} "
              f"Acc2 {np.mean([r[key + '_a2'] for r in rows]):.3f} "
              f"beatF {np.mean([r[key + '_fb'] for r in rows]):.3f}")


if __name__ == "__main__":
    main()
