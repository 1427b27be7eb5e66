"""Render labelled arrangements and cache the taggers' activations on them.

    PYTHONPATH=src python benchmarks/instruments/collect.py --set calibration
    PYTHONPATH=src python benchmarks/instruments/collect.py --set evaluation
    PYTHONPATH=src python benchmarks/instruments/collect.py --set calibration --seeds 1143-1239

Sets (seeds and soundfonts never overlap):

* ``calibration``: seeds 1000-1239, FluidR3_GM and MuseScore_General_Lite
  alternately; used to choose the instrument timeline's thresholds;
* ``evaluation``: seeds 2000-2029, FluidR3_GM, MuseScore_General_Lite and
  TimGM6mb in turn (TimGM6mb is never used for calibration); used only to
  measure.

For each piece, ``benchmarks/.cache/instruments/<set>/<seed>.npz`` holds the
mono 16 kHz audio (int16), the truth as JSON, and the MTT tagger's outputs
on patches every 1.5 s (probabilities, penultimate and pooled features; with
``--msd`` the MSD tagger's too: the first calibration pieces have them).
Rendering is skipped when the audio is cached; the taggers' outputs are
recomputed when a key is missing.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from songlens.analysis.tagging import tag_log_mel, to_tagger_rate
from songlens.models.musicnn import SAMPLE_RATE, log_mel
from songlens.testing.arrangements import compose_arrangement

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "benchmarks" / ".cache" / "instruments"
FONTS = {
    "FluidR3": "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "MuseScore": "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3",
    "TimGM6mb": "/usr/share/sounds/sf2/TimGM6mb.sf2",
}
SETS = {
    "calibration": (range(1000, 1240), ("FluidR3", "MuseScore")),
    "evaluation": (range(2000, 2030), ("FluidR3", "MuseScore", "TimGM6mb")),
}


def collect(name: str, *, models: tuple[str, ...] = ("musicnn_mtt",),
            seeds: range | None = None) -> None:
    all_seeds, fonts = SETS[name]
    seeds = all_seeds if seeds is None else seeds
    if not set(seeds) <= set(all_seeds):
        raise SystemExit(f"seeds outside the {name} set ({all_seeds.start}-{all_seeds.stop - 1})")
    out_dir = CACHE / name
    out_dir.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        i = seed - all_seeds.start
        path = out_dir / f"{seed}.npz"
        t0 = time.perf_counter()
        if path.exists():
            with np.load(path) as z:
                arrays = {k: z[k] for k in z.files}
            if "mtt_pooled" in arrays:
                continue
            meta = json.loads(str(arrays.pop("truth")))
            y16 = arrays["y16"].astype(np.float32) / 32767
        else:
            font = fonts[i % len(fonts)]
            y, truth = compose_arrangement(seed, sr=44100, soundfont=FONTS[font])
            y16 = to_tagger_rate(y.mean(axis=0), sr=44100)
            arrays = {"y16": (np.clip(y16, -1, 1) * 32767).astype(np.int16)}
            meta = truth.to_dict() | {"seed": seed, "font": font}
        S = log_mel(y16, sr=SAMPLE_RATE)
        for model in models:
            acts = tag_log_mel(S, model=model, y16=y16, hop_s=1.5, pooled=True)
            key = model.split("_")[1]
            arrays[f"{key}_probs"] = acts.probs
            arrays[f"{key}_pen"] = acts.penultimate
            arrays[f"{key}_pooled"] = acts.pooled.astype(np.float16)
            arrays["times"] = acts.times
            arrays["level_db"] = acts.level_db
        np.savez_compressed(path, truth=np.array(json.dumps(meta)), **arrays)
        print(f"{name} {seed} {meta['font']} {meta['duration']:.0f}s "
              f"{sorted(meta['instruments'])} {time.perf_counter() - t0:.1f}s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=sorted(SETS), required=True)
    ap.add_argument("--msd", action="store_true", help="also run the MSD tagger")
    ap.add_argument("--seeds", default=None, help="first-last seeds to collect (default: all)")
    args, unknown = ap.parse_known_args()  # run.py passes its extra options to all
    if unknown:
        print(f"note: ignoring options {unknown}", flush=True)
    seeds = None
    if args.seeds:
        a, _, b = args.seeds.partition("-")
        seeds = range(int(a), int(b or a) + 1)
    collect(args.set, models=("musicnn_mtt", "musicnn_msd") if args.msd else ("musicnn_mtt",),
            seeds=seeds)


if __name__ == "__main__":
    main()
