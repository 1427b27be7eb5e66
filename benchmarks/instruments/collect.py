"""Render labelled arrangements and cache the taggers' activations on them.

    PYTHONPATH=src python benchmarks/instruments/collect.py --set calibration
    PYTHONPATH=src python benchmarks/instruments/collect.py --set evaluation
    PYTHONPATH=src python benchmarks/instruments/collect.py --set calibration --seeds 1143-1239

Sets (seeds and soundfonts never overlap):

* ``calibration``: seeds 1000-1239, FluidR3_GM and MuseScore_General_Lite
  alternately; used to choose the instrument timeline's thresholds;
* ``augmented``: seeds 1300-1419, timbre variety for calibration: every
  class of a piece is played by a soundfont drawn from FluidR3_GM,
  MuseScore_General_Lite and csound's public-domain sf_GMbank
  (``apt-get install csound-soundfont``); the classes sharing a soundfont are
  rendered together and that stem gets a random EQ (low shelf at 250 Hz and
  high shelf at 4 kHz, each +-6 dB) and gain (+-4 dB) before mixing.
  TimGM6mb is never used;
* ``varied``: seeds 1500-1799, like ``augmented`` and each class also
  played by a GM program drawn from a wider family (``WIDE_PROGRAMS``:
  electric grand and honky-tonk pianos, viola and tremolo strings, muted
  guitar, fretless and synth bass, synth voice, tuba and French horn, more
  saxophones and reeds, more pads, rock and reed organs);
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
from typing import Any

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
    "GMbank": "/usr/share/sounds/sf2/sf_GMbank.sf2",
}
MIXED_FONTS = ("FluidR3", "MuseScore", "GMbank")
WIDE_PROGRAMS: dict[str, tuple[int, ...]] = {
    "piano": (0, 1, 2, 3, 4, 5),
    "strings": (40, 41, 42, 44, 48, 49),
    "acoustic guitar": (24, 25),
    "electric guitar": (26, 27, 28, 29, 30),
    "bass": (32, 33, 34, 35, 38),
    "vocals": (52, 53, 54),
    "brass": (56, 57, 58, 60, 61),
    "woodwinds": (64, 65, 66, 68, 69, 71, 73),
    "synth": (80, 81, 88, 89, 90, 91, 95),
    "organ": (16, 17, 18, 19, 20),
}
"""GM programs per class for the ``varied`` set (a superset of the
arrangements' own ``GM_PROGRAMS``)."""
SETS = {
    "calibration": (range(1000, 1240), ("FluidR3", "MuseScore")),
    "augmented": (range(1300, 1420), ("mixed",)),
    "varied": (range(1500, 1800), ("mixed",)),
    "evaluation": (range(2000, 2030), ("FluidR3", "MuseScore", "TimGM6mb")),
}


def _shelf(y: np.ndarray, *, sr: int, f0: float, gain_db: float, high: bool) -> np.ndarray:
    """RBJ-cookbook shelving biquad (slope 1) along the last axis."""
    from scipy.signal import lfilter

    a_ = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * f0 / sr
    cw, alpha = np.cos(w0), np.sin(w0) / 2 * np.sqrt(2)
    sq = 2 * np.sqrt(a_) * alpha
    if high:
        b = [a_ * ((a_ + 1) + (a_ - 1) * cw + sq), -2 * a_ * ((a_ - 1) + (a_ + 1) * cw),
             a_ * ((a_ + 1) + (a_ - 1) * cw - sq)]
        a = [(a_ + 1) - (a_ - 1) * cw + sq, 2 * ((a_ - 1) - (a_ + 1) * cw),
             (a_ + 1) - (a_ - 1) * cw - sq]
    else:
        b = [a_ * ((a_ + 1) - (a_ - 1) * cw + sq), 2 * a_ * ((a_ - 1) - (a_ + 1) * cw),
             a_ * ((a_ + 1) - (a_ - 1) * cw - sq)]
        a = [(a_ + 1) + (a_ - 1) * cw + sq, -2 * ((a_ - 1) + (a_ + 1) * cw),
             (a_ + 1) + (a_ - 1) * cw - sq]
    return lfilter(np.array(b) / a[0], np.array(a) / a[0], y, axis=-1)


def mixed_render(seed: int, *, sr: int = 44100, wide: bool = False
                 ) -> tuple[np.ndarray, Any, dict[str, Any]]:
    """Render a piece of the augmented (or, ``wide``, varied) set: a soundfont,
    EQ and gain per class (and a program from ``WIDE_PROGRAMS``)."""
    from songlens.testing.arrangements import plan_arrangement

    missing = [FONTS[f] for f in MIXED_FONTS if not Path(FONTS[f]).is_file()]
    if missing:  # never fall back to another soundfont: the set would not be reproducible
        raise SystemExit(f"missing soundfonts {missing}: apt-get install fluid-soundfont-gm "
                         "musescore-general-soundfont-small csound-soundfont")
    rng = np.random.default_rng(seed + 104729)
    classes = list(plan_arrangement(seed).programs)
    fonts = {c: str(rng.choice(MIXED_FONTS)) for c in classes}
    programs = ({c: int(rng.choice(WIDE_PROGRAMS[c])) for c in classes if c in WIDE_PROGRAMS}
                if wide else None)
    fx = {f: (float(rng.uniform(-6, 6)), float(rng.uniform(-6, 6)), float(rng.uniform(-4, 4)))
          for f in MIXED_FONTS}

    fx_by_path = {FONTS[f]: v for f, v in fx.items()}

    def stem_filter(path: str, y: np.ndarray) -> np.ndarray:
        lo, hi, g = fx_by_path[path]
        y = _shelf(y, sr=sr, f0=250.0, gain_db=lo, high=False)
        y = _shelf(y, sr=sr, f0=4000.0, gain_db=hi, high=True)
        return y * 10 ** (g / 20)

    y, truth = compose_arrangement(seed, sr=sr, soundfonts={c: FONTS[f] for c, f in fonts.items()},
                                   stem_filter=stem_filter, programs=programs)
    return y, truth, {"fonts": fonts, "eq_low_high_gain_db": fx}


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
            if font == "mixed":
                y, truth, extra = mixed_render(seed, sr=44100, wide=name == "varied")
            else:
                y, truth = compose_arrangement(seed, sr=44100, soundfont=FONTS[font])
                extra = {}
            y16 = to_tagger_rate(y.mean(axis=0), sr=44100)
            arrays = {"y16": (np.clip(y16, -1, 1) * 32767).astype(np.int16)}
            meta = truth.to_dict() | {"seed": seed, "font": font} | extra
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
        try:
            seeds = range(int(a), int(b or a) + 1)
        except ValueError:
            raise SystemExit(f"--seeds takes FIRST-LAST or one seed, got {args.seeds!r}") from None
    collect(args.set, models=("musicnn_mtt", "musicnn_msd") if args.msd else ("musicnn_mtt",),
            seeds=seeds)


if __name__ == "__main__":
    main()
