"""Score the instrument timeline on the labelled evaluation renders.

    PYTHONPATH=src python benchmarks/instruments/evaluate.py [--set evaluation]

Metrics (per soundfont and overall):

* frame F1: activity of each class on 0.5 s frames vs the designed truth
  (a note of the class sounds), micro-averaged over (frame, class) pairs, once
  over all 11 classes (classes the models cannot detect count as missed) and
  once over the detectable classes only; per-class F1 too;
* entry times: for every class a piece contains, |predicted first entry -
  true first entry| (a class never reported counts as a miss), share within
  5 s; also for the *designed late entries* (true entry > 5 s after the
  music starts) alone;
* lead: share of sections whose reported lead equals the designed lead
  (sections given from the truth).

Writes benchmarks/instruments/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import FRAME, every_nth_patch, f1, frame_matrix, load_set  # noqa: E402

from songlens.analysis.instruments import CLASSES, instrument_timeline, load_heads  # noqa: E402
from songlens.config import InstrumentConfig  # noqa: E402

HERE = Path(__file__).resolve().parent


def subsample(pieces: list, step: int) -> list:
    """Keep every ``step``-th patch (hop 1.5 s -> 3.0 s for step 2)."""
    return [every_nth_patch(p, step) for p in pieces]


def evaluate(name: str, *, step: int = 1, config: InstrumentConfig | None = None) -> str:
    pieces = load_set(name)
    if step > 1:
        pieces = subsample(pieces, step)
    heads = load_heads()
    det = heads.detectable
    counts: dict[str, np.ndarray] = defaultdict(lambda: np.zeros((len(CLASSES), 3)))
    entries: dict[str, list[tuple[str, float, float | None]]] = defaultdict(list)
    lead_hits: dict[str, list[bool]] = defaultdict(list)
    for p in pieces:
        secs = [tuple(s) for s in p.truth["sections"]]
        tl = instrument_timeline(p.acts, sections=secs, heads=heads, config=config)
        est_iv = {i.name: i.active for i in tl.instruments}
        est = frame_matrix(est_iv, p.duration)
        ref = frame_matrix(p.truth["instruments"], p.duration)
        for key in ("all", p.font):
            counts[key][:, 0] += (est & ref).sum(axis=0)
            counts[key][:, 1] += (est & ~ref).sum(axis=0)
            counts[key][:, 2] += (~est & ref).sum(axis=0)
        music_start = min(a for iv in p.truth["instruments"].values() for a, _ in iv)
        first = {i.name: i.first_entry for i in tl.instruments}
        for c, iv in p.truth["instruments"].items():
            t_true = iv[0][0]
            for key in ("all", p.font):
                entries[key].append((c, t_true - music_start, first.get(c)))
        truth_lead = {(round(a, 3)): c for a, _, c in p.truth["lead"]}
        for ld in tl.lead:
            want = truth_lead.get(round(ld.start, 3))
            if want is None:
                continue
            for key in ("all", p.font):
                lead_hits[key].append(ld.name == want)
        del first
    hop = pieces[0].acts["musicnn_mtt"].hop_s if pieces else float("nan")
    lines = [f"# Instrument timeline on labelled renders ({name} set, patch hop {hop:.1f} s)",
             "",
             f"{len(pieces)} pieces, {sum(p.duration for p in pieces) / 60:.1f} min; frames of "
             f"{FRAME} s. Heads: {', '.join(heads.features)}; detectable classes: "
             f"{', '.join(c for c, d in zip(CLASSES, det, strict=True) if d)}; not detected: "
             f"{', '.join(c for c, d in zip(CLASSES, det, strict=True) if not d) or 'none'}.",
             "", "| subset | pieces | frame F1 (all 11 classes) | frame F1 (detectable) | "
             "entries within 5 s | late entries within 5 s | median entry error (s) | "
             "lead accuracy |", "|---|---|---|---|---|---|---|---|"]
    keys = ["all"] + sorted(k for k in counts if k != "all")
    for key in keys:
        c = counts[key]
        n_p = len(pieces) if key == "all" else sum(p.font == key for p in pieces)
        f_all = f1(*c.sum(axis=0))
        f_det = f1(*c[det].sum(axis=0))
        ent = entries[key]
        ok = [e is not None and abs(e - t) <= 5.0 for _, t, e in ent]
        late = [e is not None and abs(e - t) <= 5.0 for _, t, e in ent if t > 5.0]
        errs = [abs(e - t) for _, t, e in ent if e is not None]
        lines.append(
            f"| {key} | {n_p} | {f_all:.3f} | {f_det:.3f} | {np.mean(ok):.2f} ({sum(ok)}/"
            f"{len(ok)}) | {np.mean(late) if late else float('nan'):.2f} ({sum(late)}/"
            f"{len(late)}) | {np.median(errs) if errs else float('nan'):.1f} | "
            f"{np.mean(lead_hits[key]) if lead_hits[key] else float('nan'):.2f} |")
    lines += ["", "Per class (all pieces):", "",
              "| class | detectable | precision | recall | F1 | entries within 5 s |",
              "|---|---|---|---|---|---|"]
    c = counts["all"]
    for j, cls in enumerate(CLASSES):
        tp, fp, fn = c[j]
        ent = [e is not None and abs(e - t) <= 5.0 for k, t, e in entries["all"] if k == cls]
        lines.append(f"| {cls} | {'yes' if det[j] else 'no'} | {tp / max(tp + fp, 1):.2f} | "
                     f"{tp / max(tp + fn, 1):.2f} | {f1(tp, fp, fn):.2f} | "
                     f"{sum(ent)}/{len(ent)} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="evaluation")
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--step", type=int, default=2,
                    help="use every step-th cached patch (cached at hop 1.5 s; 2 = hop 3.0 s, "
                    "the shipped InstrumentConfig.hop_seconds)")
    ap.add_argument("--no-write", action="store_true",
                    help="do not write the 'instruments' section of benchmarks/RESULTS.md")
    ap.add_argument("--smooth", type=int, default=None, help="InstrumentConfig.smooth_patches")
    args, unknown = ap.parse_known_args()  # run.py passes its extra options to all
    if unknown:
        print(f"note: ignoring options {unknown}", flush=True)
    cfg = InstrumentConfig(hop_seconds=1.5 * args.step,
                           **({"smooth_patches": args.smooth} if args.smooth else {}))
    text = evaluate(args.set, step=args.step, config=cfg)
    print(text)
    if args.out:
        args.out.write_text(text)
    if not args.no_write and args.set == "evaluation":
        sys.path.insert(0, str(HERE.parent))
        from _common import now, write_section

        body = text.replace("# Instrument timeline", "## Instrument timeline (issue 4)", 1)
        cmd = "PYTHONPATH=src python benchmarks/instruments/evaluate.py" + (
            f" --step {args.step}" if args.step != 2 else "")
        body = body.replace("\n\n", f"\n\nScript: `{cmd}` ({now()}); taggers run once by "
                            "`collect.py` (cached), heads from `fit_heads.py` on the disjoint "
                            "calibration set.\n\n", 1)
        write_section("instruments", body)


if __name__ == "__main__":
    main()
