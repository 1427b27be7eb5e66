"""songlens rhythm on directories of rendered pieces with truth JSON (the issue-3 sets).

Usage::

    PYTHONPATH=src python benchmarks/rhythm_dataset_eval.py DIR [DIR ...]
    PYTHONPATH=src python benchmarks/rhythm_dataset_eval.py --label NAME --results \\
        benchmarks/RESULTS.md DIR [DIR ...]

Each ``DIR`` holds ``<name>-<hash>.flac`` with ``<name>-<hash>.json`` truth
(beats, downbeats, tempo_bpm, time_signature), as ``songlens.testing.dataset``
and ``songlens.testing.corpus`` write them under ``<cache>/synthetic`` and
``<cache>/corpus``. Tempo Acc1: within 4 % of ``tempo_bpm``; Acc2: also at x2,
x3, x1/2, x1/3. Beat F-measure: mir_eval, 70 ms, first 5 s trimmed; downbeat F:
mir_eval, untrimmed; meter: the time signature string matches. Time: wall
seconds of :func:`songlens.analysis.rhythm.analyze_rhythm` alone (features
excluded), in process.

With ``--results``, the summary rows are stored in ``rhythm_eval_runs.json``
next to the results file, keyed by (label, directory), and the section
:data:`HEADING` of the results file is rewritten from all stored rows, so runs
of different code (e.g. a baseline checkout on ``PYTHONPATH``) sit side by side.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shlex
import sys
import time
from pathlib import Path

import mir_eval
import numpy as np

from songlens.analysis.rhythm import analyze_rhythm
from songlens.config import SignalConfig
from songlens.features import FeatureExtractor
from songlens.io.audio import channel_weights, open_audio

HEADING = "## Rhythm on the labelled sets (rhythm_dataset_eval.py)"


def acc(est: float, ref: float) -> tuple[bool, bool]:
    a1 = abs(est - ref) <= 0.04 * ref
    a2 = any(abs(est - f * ref) <= 0.04 * f * ref for f in (1, 2, 3, 0.5, 1 / 3))
    return a1, a2


def evaluate_dir(d: str, *, verbose: bool = True) -> dict:
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
        if verbose:
            name = os.path.basename(js).split("-")[0]
            mark = "A1" if a1 else ("A2" if a2 else "--")
            print(f"{name:34s} ref {truth['tempo_bpm']:6.1f} ({truth['tempo_change']:5s}) est "
                  f"{bpm:6.1f} {mark} beatF {fb:.2f} dbF {fd:.2f} meter "
                  f"{truth['time_signature']}->{r.meter if r else None} conf "
                  f"{r.confidence if r else 0:.2f} {dt * 1000:.0f} ms / {b.duration:.0f} s",
                  flush=True)
    return {"n": len(rows), "acc1": float(np.mean([r["a1"] for r in rows])),
            "acc2": float(np.mean([r["a2"] for r in rows])),
            "beat_f": float(np.mean([r["fb"] for r in rows])),
            "downbeat_f": float(np.mean([r["fd"] for r in rows])),
            "meter": float(np.mean([r["meter_ok"] for r in rows])),
            "seconds": float(sum(r["dt"] for r in rows)),
            "audio_seconds": float(sum(r["dur"] for r in rows))}


def render_section(runs: list[dict]) -> str:
    out = [HEADING, "",
           "`analyze_rhythm` alone on the shared log-mel features, scored with mir_eval "
           "(tempo Acc1/Acc2 at 4 %, beat F ±70 ms with the first 5 s trimmed, downbeat F "
           "untrimmed, meter = same time-signature string). Time: wall seconds of "
           "`analyze_rhythm` summed over the set (features excluded), in process on a shared "
           "2-core machine. Each row names the code it ran (label) and its command.", "",
           "| Code | Set | N | Tempo Acc1 | Tempo Acc2 | Beat F | Downbeat F | Meter | "
           "Rhythm time (s / s of audio) |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        out.append(f"| {r['label']} | {r['set']} | {r['n']} | {100 * r['acc1']:.1f} | "
                   f"{100 * r['acc2']:.1f} | {100 * r['beat_f']:.1f} | "
                   f"{100 * r['downbeat_f']:.1f} | {100 * r['meter']:.1f} | "
                   f"{r['seconds']:.1f} / {r['audio_seconds']:.0f} |")
    out += ["", "Commands:", ""]
    for cmd in dict.fromkeys(r["command"] for r in runs):
        out.append(f"* `{cmd}`")
    notes = [r["note"] for r in runs if r.get("note")]
    if notes:
        out += [""] + list(dict.fromkeys(notes))
    return "\n".join(out) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace (or append) this script's marked section, leaving the others alone."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import write_section as _write

    _write("rhythm_dataset", section, path=path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--label", default="this checkout", help="name of the code under test")
    ap.add_argument("--set-names", default=None,
                    help="comma-separated names of the sets (default: directory names)")
    ap.add_argument("--note", default="", help="a sentence stored with the rows")
    ap.add_argument("--results", default=None, help="RESULTS.md to update")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    names = args.set_names.split(",") if args.set_names else [
        os.path.basename(os.path.normpath(d)) for d in args.dirs]
    if len(names) != len(args.dirs):
        ap.error("--set-names needs one name per directory")
    args_list = list(argv if argv is not None else sys.argv[1:])
    if "--note" in args_list:  # the note is shown below the table, not in the command
        i = args_list.index("--note")
        del args_list[i:i + 2]
    command = "PYTHONPATH=" + os.environ.get("PYTHONPATH", "") + " python " + shlex.join(
        [os.path.relpath(__file__)] + args_list)
    new = []
    for d, name in zip(args.dirs, names, strict=True):
        s = evaluate_dir(d, verbose=not args.quiet)
        print(f"{name}: N={s['n']}  Acc1 {s['acc1']:.3f}  Acc2 {s['acc2']:.3f}  "
              f"beatF {s['beat_f']:.3f}  downbeatF {s['downbeat_f']:.3f}  meter {s['meter']:.3f}"
              f"  time {s['seconds']:.2f} s for {s['audio_seconds']:.0f} s audio", flush=True)
        new.append(dict(s, label=args.label, set=name, command=command, note=args.note))
    if args.results:
        store = Path(args.results).with_name("rhythm_eval_runs.json")
        runs = json.loads(store.read_text()) if store.exists() else []
        keys = {(r["label"], r["set"]) for r in new}
        runs = [r for r in runs if (r["label"], r["set"]) not in keys] + new
        store.write_text(json.dumps(runs, indent=1))
        write_section(Path(args.results), render_section(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
