"""Emotion quadrant accuracy and melody note F-measure on labelled renders.

Renders ``--per-quadrant`` pieces per emotion quadrant with
:func:`songlens.testing.expressive.compose_quadrant_piece` (seeds ``--first-seed``
onwards; seeds 1-2 were the pilot pieces used to set the cue anchors, so the
default evaluation starts at seed 3), runs ``analyze_signal(profile="full")``
and scores:

* emotion: the quadrant given by the signs of (valence, arousal) against the
  design (happy +/+, tense -/+, sad -/-, tender +/-);
* melody: mir_eval onset-only note F-measure (50 ms, 50 cents) of
  ``result.melody.notes`` against the lead part, on the pieces whose lead is a
  melody (happy, tender, sad; the tense "lead" is a low ostinato and is reported
  separately);

and the same melody F-measure on the three ``compose_arc_piece`` fixtures.

    PYTHONPATH=src python benchmarks/emotion_melody_eval.py [--per-quadrant 8] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def _f(ref: np.ndarray, est: np.ndarray) -> tuple[float, float, float]:
    import mir_eval

    if len(est) == 0:
        return 0.0, 0.0, 0.0
    hz = lambda p: 440.0 * 2 ** ((np.asarray(p, dtype=float) - 69) / 12)  # noqa: E731
    p, r, f, _ = mir_eval.transcription.precision_recall_f1_overlap(
        ref[:, :2], hz(ref[:, 2]), est[:, :2], hz(est[:, 2]), onset_tolerance=0.05,
        pitch_tolerance=50.0, offset_ratio=None)
    return float(p), float(r), float(f)


_KEYS: dict[int, tuple[str, str, str, float] | None] = {}


def _external_key(y: np.ndarray, src: str) -> tuple[str, str, str, float] | None:
    import os
    import subprocess
    import tempfile

    import soundfile as sf

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "piece.wav")
        sf.write(path, y.T, 44100, subtype="PCM_16")
        code = ("import json,sys; from songlens.pipeline import analyze; r = analyze(sys.argv[1]); "
                "k = r.key; print(json.dumps(None if k is None else "
                "[k.label, k.tonic, k.mode, k.confidence]))")
        out = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": src}, check=True)
    k = json.loads(out.stdout.strip().splitlines()[-1])
    return None if k is None else tuple(k)


def _inject_keys(src: str) -> None:
    """Make the pipeline see an external key analysis (simulates the merged pipeline)."""
    from songlens import pipeline
    from songlens.result.model import Key

    original = pipeline._melody_emotion_descriptors

    def wrapped(result, bundle, config, **kw):  # type: ignore[no-untyped-def]
        k = _KEYS.get(-1)
        if k is not None:
            result.key = Key(label=k[0], tonic=k[1], mode=k[2], confidence=float(k[3]))
        return original(result, bundle, config, **kw)

    pipeline._melody_emotion_descriptors = wrapped  # type: ignore[assignment]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-quadrant", type=int, default=48)
    ap.add_argument("--first-seed", type=int, default=3)
    ap.add_argument("--json", default=None)
    ap.add_argument("--skip-arc", action="store_true")
    ap.add_argument("--from-json", metavar="PATH", default=None,
                    help="write the RESULTS.md section from a saved --json run (no re-run)")
    ap.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    ap.add_argument("--key-from", metavar="SRC", default=None,
                    help="source tree of a SongLens with a key analyser (e.g. the harmony "
                    "branch's src/): its key of each piece, computed in a subprocess, is "
                    "given to the emotion analysis as result.key, as the merged pipeline will")
    args, unknown = ap.parse_known_args()  # run.py passes its extra options to all
    if unknown:
        print(f"note: ignoring options {unknown}", flush=True)
    if args.from_json:
        write_results(json.loads(Path(args.from_json).read_text()))
        return
    if args.key_from:
        _inject_keys(args.key_from)
    from songlens.pipeline import analyze_signal
    from songlens.testing.expressive import QUADRANTS, compose_quadrant_piece

    rows = []
    for q in QUADRANTS:
        for seed in range(args.first_seed, args.first_seed + args.per_quadrant):
            y, truth = compose_quadrant_piece(seed, q)
            if args.key_from:
                _KEYS[-1] = _external_key(y, args.key_from)
            t = time.perf_counter()
            r = analyze_signal(y, sr=44100, config={"profile": "full"})
            dt = time.perf_counter() - t
            e = r.emotion
            pred = {(1, 1): "happy", (-1, 1): "tense", (-1, -1): "sad", (1, -1): "tender"}[
                (1 if e.valence >= 0 else -1, 1 if e.arousal >= 0 else -1)]
            est = np.array([(n.start, n.end, n.pitch) for n in r.melody.notes]).reshape(-1, 3)
            prf = _f(np.array(truth.melody), est)
            rows.append(dict(quadrant=q, seed=seed, predicted=pred, valence=e.valence,
                             arousal=e.arousal, top_moods=[m.label for m in e.moods[:3]],
                             key=truth.key, bpm=truth.tempo_bpm, lead_program=truth.lead_program,
                             melody_prf=prf, seconds=dt, reasons=e.reasons,
                             external_key=_KEYS.get(-1)))
            print(f"{q:6s} seed {seed:2d} -> {pred:6s} V {e.valence:+.2f} A {e.arousal:+.2f} "
                  f"moods {rows[-1]['top_moods']} melody F {prf[2]:.2f} ({dt:.1f} s)", flush=True)
    acc = float(np.mean([r["predicted"] == r["quadrant"] for r in rows]))
    per_q = {q: float(np.mean([r["predicted"] == q for r in rows if r["quadrant"] == q]))
             for q in QUADRANTS}
    mel = [r["melody_prf"][2] for r in rows if r["quadrant"] != "tense"]
    mel_tense = [r["melody_prf"][2] for r in rows if r["quadrant"] == "tense"]
    out = {"emotion_quadrant_accuracy": acc, "per_quadrant": per_q,
           "melody_f_quadrant_pieces_mean": float(np.mean(mel)),
           "melody_f_tense_ostinato_mean": float(np.mean(mel_tense)), "pieces": rows}
    print(f"quadrant accuracy {acc:.3f} per quadrant {per_q}")
    print(f"melody F (happy/tender/sad leads) mean {np.mean(mel):.3f}; tense ostinato "
          f"{np.mean(mel_tense):.3f}")
    if not args.skip_arc:
        from conftest import PIECES
        from songlens.testing.render import compose_arc_piece

        arc = {}
        for name, kw in PIECES.items():
            kw = dict(kw)
            y, truth = compose_arc_piece(kw.pop("seed"), sr=44100, **kw)
            r = analyze_signal(y, sr=44100, config={"profile": "full"})
            est = np.array([(n.start, n.end, n.pitch) for n in r.melody.notes]).reshape(-1, 3)
            arc[name] = _f(np.array(truth.melody), est)
            print(f"arc piece {name}: melody P/R/F {np.round(arc[name], 3).tolist()}", flush=True)
        out["melody_f_arc_pieces"] = arc
        out["melody_f_arc_mean"] = float(np.mean([v[2] for v in arc.values()]))
        print(f"melody F (arc pieces) mean {out['melody_f_arc_mean']:.3f}")
    out["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    out["load_avg"] = os.getloadavg()[0]
    out["mean_seconds_per_piece"] = float(np.mean([r["seconds"] for r in rows]))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    if not args.no_write and not args.key_from and args.first_seed == 3:
        write_results(out)


def write_results(out: dict) -> None:
    """The ``emotion_melody`` section of benchmarks/RESULTS.md from a run's summary."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import table, write_section

    rows = out["pieces"]
    quads = list(out["per_quadrant"])
    n = len(rows) // max(1, len(quads))
    seeds = sorted({r["seed"] for r in rows})
    conf = [[q] + [str(sum(1 for r in rows if r["quadrant"] == q and r["predicted"] == p))
                   for p in quads] for q in quads]
    mel = {q: float(np.mean([r["melody_prf"][2] for r in rows if r["quadrant"] == q]))
           for q in quads}
    blocks = []
    for lo, hi in ((3, 10), (11, 18), (19, 26), (27, 50), (51, 10**6)):
        sel = [r for r in rows if lo <= r["seed"] <= hi]
        if sel:
            acc_b = float(np.mean([r["predicted"] == r["quadrant"] for r in sel]))
            mel_b = float(np.mean([r["melody_prf"][2] for r in sel if r["quadrant"] != "tense"]))
            span = f"{lo}-{min(hi, max(r['seed'] for r in sel))}"
            blocks.append(f"seeds {span}: {len(sel)} pieces, quadrant accuracy {acc_b:.3f}, "
                          f"melody F {mel_b:.3f}")
    body = [
        "## Emotion quadrants and melody notes on labelled renders (issue 4)", "",
        "Script: `PYTHONPATH=src python benchmarks/emotion_melody_eval.py --json OUT` "
        f"(run {out.get('date', 'n/a')}, load average {out.get('load_avg', float('nan')):.1f}). "
        f"{n} pieces per quadrant from `songlens.testing.expressive.compose_quadrant_piece`, "
        f"seeds {seeds[0]}-{seeds[-1]} (seeds 1-2 were the pilot pieces that set the cue "
        "anchors; nothing was fitted on the others), designed with the established cues: happy = "
        "major/fast/loud/staccato/high/bright, tender = major/slow/soft/legato, sad = "
        "minor/slow/soft/low/dark, tense = minor + clusters/fast/loud/low brass. "
        "`analyze_signal(profile='full')`; the predicted quadrant is the signs of "
        "(valence, arousal).", "",
        f"**Quadrant accuracy {out['emotion_quadrant_accuracy']:.3f}** (target 0.90). "
        "Per quadrant: " + ", ".join(f"{q} {v:.3f}" for q, v in out["per_quadrant"].items())
        + ".", "",
        "By seed block: " + "; ".join(blocks) + ". What each block has seen: seeds 3-10 "
        "were the benchmark pieces when the emotion cue model was revised (roughness as the "
        "dissonance cue, tempo off the valence axis); seeds 11-18 were run by the emotion "
        "work only after that revision, but the melody work used sad seeds 11-18 and "
        "happy/tender seeds 11-12 as development pieces (seeds 3-10 it saw only in final "
        "runs); seeds 19-26 were seen by neither before the previous release. The mode "
        "cue's cross-check with the transcribed notes (stop 9) was added after reading the "
        "errors on seeds 3-26; seeds 27-50 were then run once with and once without it, as a "
        "check (27-34: 0.938 both; 35-50: 0.875 without, 0.922 with), and nothing was changed "
        "after that.", "",
        "Confusion (rows: designed, columns: predicted):", "",
        table(["designed"] + quads, conf), "",
        "Melody, onset-only note F-measure (mir_eval, 50 ms, 50 cents) of `melody.notes` "
        "against the lead part: "
        + ", ".join(f"{q} {v:.3f}" for q, v in mel.items() if q != "tense")
        + f"; **mean over happy/tender/sad leads {out['melody_f_quadrant_pieces_mean']:.3f}** "
        f"(target 0.60); the tense pieces' lead is a low ostinato "
        f"({out['melody_f_tense_ostinato_mean']:.3f}).",
    ]
    if "melody_f_arc_pieces" in out:
        body += ["", "Arc fixtures (`compose_arc_piece`, piano melody inside piano "
                 "arpeggios, strings and drums), note P/R/F: "
                 + "; ".join(f"{k} {v[0]:.3f}/{v[1]:.3f}/{v[2]:.3f}"
                             for k, v in out["melody_f_arc_pieces"].items())
                 + f"; mean F {out['melody_f_arc_mean']:.3f}."]
    if "mean_seconds_per_piece" in out:
        body += ["", f"Mean analysis time {out['mean_seconds_per_piece']:.1f} s per piece "
                 "(wall, in-process, loaded machine)."]
    write_section("emotion_melody", "\n".join(body) + "\n")


if __name__ == "__main__":
    main()
