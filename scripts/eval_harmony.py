"""Score key and chord estimation on rendered pieces with known truth.

Reads every ``*.flac`` (or ``*.npy``: mono float32 at 22050 Hz) in a
directory with its ``.json`` truth (the files written by
``songlens.testing.dataset`` / ``songlens.testing.corpus``, or by
``scripts/harmony_devset.py``), decodes it the way the pipeline does (mono,
22050 Hz), runs the harmony analysers and prints mir_eval scores:

* key: MIREX weighted score (``mir_eval.key.weighted_score``) and exact rate;
* chords: majmin and sevenths WCSR pooled over all pieces (duration-weighted,
  estimates padded with N to the truth span, truth outside the vocabulary
  ignored as mir_eval does);
* local keys: share of time whose local key equals the truth's;
* tuning: absolute error in cents when the truth has ``tuning_cents``;
* time of the harmony stage (pitch front end + chords + key + harmony).

With ``--peers FILE`` (JSON ``{audio path: {"key", "chords"}}``, e.g. from an
Essentia run) the same scores are printed for the peer. ``--beats truth``
decodes beat-synchronously on the true beats.

Run::

    PYTHONPATH=src python scripts/eval_harmony.py DIR [--beats truth] [--peers FILE]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import mir_eval
import numpy as np

from songlens.analysis.chords import analyze_chords, decode_chords
from songlens.analysis.key import analyze_key
from songlens.config import SignalConfig
from songlens.dsp.chroma import pitch_features
from songlens.features import FeatureExtractor
from songlens.io.audio import channel_weights, open_audio

SR = 22050


def load_mono(path: Path) -> np.ndarray:
    if path.suffix == ".npy":
        return np.load(path)
    with open_audio(path) as r:
        info = r.info
        bundle = FeatureExtractor.from_blocks(
            r.blocks(int(10 * info.sample_rate)), sr=info.sample_rate,
            channel_weights=channel_weights(info.channel_names, info.channels),
            signal=SignalConfig())
    return bundle.y


def fill_gaps(chords: list, duration: float) -> list:
    """Truth chords with N over the gaps (truth written without N)."""
    out, t = [], 0.0
    for s, e, lab in sorted(chords):
        s = max(s, t)
        if s > t + 1e-3:
            out.append((t, s, "N"))
        if e > s:
            out.append((s, e, lab))
            t = e
    if duration > t + 1e-3:
        out.append((t, duration, "N"))
    return out


def chord_counts(ref: list, est: list, fn) -> tuple[float, float]:
    """(correct seconds, scored seconds) of one piece."""
    ri = np.array([c[:2] for c in ref], float)
    rl = [c[2] for c in ref]
    ei = np.array([c[:2] for c in est], float)
    el = [c[2] for c in est]
    ei, el = mir_eval.util.adjust_intervals(ei, el, ri.min(), ri.max(), "N", "N")
    iv, r, e = mir_eval.util.merge_labeled_intervals(ri, rl, ei, el)
    d = mir_eval.util.intervals_to_durations(iv)
    c = fn(r, e)
    m = c >= 0
    return float((c[m] * d[m]).sum()), float(d[m].sum())


def local_key_share(truth_segments: list, segments: list, label: str, duration: float) -> float:
    ok = []
    for t in np.arange(0.0, duration, 0.25):
        ref = [k for a, b, k in truth_segments if a <= t < b]
        if not ref:
            continue
        est = [k for a, b, k in segments if a <= t < b] or [label]
        ok.append(mir_eval.key.weighted_score(ref[0], est[0]) == 1.0)
    return float(np.mean(ok)) if ok else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("directory")
    ap.add_argument("--beats", choices=("none", "truth"), default="none")
    ap.add_argument("--peers", default=None)
    args = ap.parse_args()
    peers = json.loads(Path(args.peers).read_text()) if args.peers else {}
    files = [f for f in sorted(Path(args.directory).glob("*.flac"))
             + sorted(Path(args.directory).glob("*.npy")) if f.with_suffix(".json").exists()]
    rows = []
    for f in files:
        truth = json.loads(f.with_suffix(".json").read_text())
        y = load_mono(f)
        dur = y.size / SR
        t0 = time.perf_counter()
        pitch = pitch_features(y, sr=SR)
        beats = np.asarray(truth["beats"]) if args.beats == "truth" else None
        segs = decode_chords(pitch, beats=beats, duration=dur)
        key = analyze_key(pitch, chords=segs)
        chords, _ = analyze_chords(pitch, key=key, chords=segs, duration=dur)
        row = {"name": f.stem, "seconds": time.perf_counter() - t0, "duration": dur,
               "key": mir_eval.key.weighted_score(truth["key"], key.label) if key else 0.0,
               "est_key": key.label if key else None, "ref_key": truth["key"]}
        if key is not None and truth.get("key_segments"):
            row["local"] = local_key_share(
                truth["key_segments"], [(s.start, s.end, s.label) for s in key.segments],
                key.label, truth["duration"])
        if "tuning_cents" in truth and key is not None:
            row["tuning_err"] = abs(1200 * np.log2(key.tuning_hz / 440.0)
                                    - truth["tuning_cents"])
        peer = peers.get(str(f))
        if peer:
            row["peer_key"] = mir_eval.key.weighted_score(truth["key"], peer["key"])
        if truth.get("chords"):
            ref = truth["chords"]
            if ref[0][0] > 1e-6 or ref[-1][1] < truth["duration"] - 1e-6:
                ref = fill_gaps(ref, truth["duration"])
            est = [(c.start, c.end, c.label) for c in chords]
            for name, fn in (("majmin", mir_eval.chord.majmin),
                             ("sevenths", mir_eval.chord.sevenths)):
                row[name] = chord_counts(ref, est, fn)
                if peer:
                    row["peer_" + name] = chord_counts(ref, peer["chords"], fn)
        rows.append(row)
        mm = row.get("majmin")
        print(f"{row['name'][:34]:34s} key {row['key']:.1f} ({row['ref_key']} -> "
              f"{row['est_key']})" + (f" majmin {mm[0] / mm[1]:.3f}" if mm and mm[1] else ""),
              flush=True)

    def pooled(k: str) -> tuple[float, int]:
        v = [r[k] for r in rows if k in r and r[k][1] > 0]
        return (sum(a for a, _ in v) / sum(b for _, b in v) if v else float("nan"), len(v))

    def mean(k: str) -> tuple[float, int]:
        v = [r[k] for r in rows if k in r]
        return (float(np.mean(v)) if v else float("nan"), len(v))

    key_mean, n_key = mean("key")
    exact = float(np.mean([r["key"] == 1.0 for r in rows]))
    mm, n_mm = pooled("majmin")
    loc, n_loc = mean("local")
    print(f"pieces {len(rows)}")
    print(f"key weighted {key_mean:.3f} (n={n_key}) exact {exact:.3f}")
    print(f"chords majmin WCSR {mm:.3f} (n={n_mm}) sevenths {pooled('sevenths')[0]:.3f}")
    print(f"local key time share {loc:.3f} (n={n_loc})")
    if any("tuning_err" in r for r in rows):
        err = [r["tuning_err"] for r in rows if "tuning_err" in r]
        print(f"tuning |error| mean {np.mean(err):.1f} cents, max {np.max(err):.1f} cents")
    if peers:
        pk, n_pk = mean("peer_key")
        pm, n_pm = pooled("peer_majmin")
        print(f"peer key weighted {pk:.3f} (n={n_pk}) | majmin WCSR {pm:.3f} (n={n_pm}) "
              f"sevenths {pooled('peer_sevenths')[0]:.3f}")
    total = sum(r["duration"] for r in rows)
    per_min = 60 * sum(r["seconds"] for r in rows) / total
    print(f"harmony stage: {per_min:.3f} s per minute of audio")


if __name__ == "__main__":
    main()
