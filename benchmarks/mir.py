"""Score rhythm, harmony and form estimators on the labelled sets (issue 3).

Sets: the synthetic set (:mod:`songlens.testing.dataset`, 36 pieces) and the
music21 corpus set (:mod:`songlens.testing.corpus`). Systems: SongLens
(``songlens.analyze(path)``, in process) and the peers run with the peers'
interpreter (``benchmarks/_peers_mir.py``): Essentia and librosa.

Metrics (mir_eval 0.8):

* tempo Acc1 (within 4 % of the truth) and Acc2 (also x2, x3, x1/2, x1/3);
  the truth is the tempo held longest (the opening tempo);
* beat and downbeat F-measure (``mir_eval.beat.f_measure``, ±70 ms, the first
  5 s trimmed from both, as ``mir_eval.beat.evaluate`` does);
* key: MIREX weighted score (``mir_eval.key.weighted_score``) and exact rate;
* chords: majmin and sevenths WCSR, i.e. duration-weighted over all pieces
  (``mir_eval.chord`` comparisons, estimates padded with N to the truth span);
* sections: boundary F-measure at ±3 s (``mir_eval.segment.detection``,
  trim=True: the first and last boundaries, start and end of the music, are not
  counted);
* SongLens-only facets when present: meter (``result.tempo.time_signature`` or
  ``.meter``, compared as "6/8" strings or beats per bar), local keys
  (time-weighted MIREX score of ``result.key.segments``), Roman numerals
  (time-weighted exact match of ``result.chords[i].roman`` after one spelling
  for both sides: ``°``/``o`` for diminished, ``ø``/``/o`` half-diminished,
  figures ``64``/``6/4``, ``65``/``6/5``, ``43``/``4/3``, ``42``/``4/2``/``2``), tuning
  (``result.key.tuning_hz``, the A4 reference in Hz, converted to cents from
  440 Hz; absolute error).

A metric is 'n/a' when the system does not estimate that facet (or the set has
no truth for it). Wall time is per file and includes decoding; every system first
runs once, untimed, on 6 s of noise (imports, JIT compiles).

Usage::

    PYTHONPATH=src python benchmarks/mir.py                      # everything
    PYTHONPATH=src python benchmarks/mir.py --quick 4 --systems songlens,librosa
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import mir_eval
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

from songlens.testing.dataset import Piece, PieceTruth  # noqa: E402

PEERS_PY = os.environ.get("SONGLENS_PEERS_PY", "/work/peers-venv/bin/python")
HEADING = "## Rhythm, harmony and form (issue 3)"
ALL_SYSTEMS = ("songlens", "essentia", "librosa")

Est = dict[str, Any]


# ------------------------------------------------------------------------------------------
# Estimates
# ------------------------------------------------------------------------------------------

def _songlens_estimate(path: Path) -> Est:
    import songlens

    t0 = time.perf_counter()
    try:
        res = songlens.analyze(str(path))
    except Exception as exc:  # noqa: BLE001 - a failure is a result
        return {"error": f"{type(exc).__name__}: {exc}", "seconds": time.perf_counter() - t0}
    est: Est = {"seconds": time.perf_counter() - t0}
    tempo = getattr(res, "tempo", None)
    if tempo is not None:
        est["bpm"] = float(tempo.bpm)
        if tempo.beats:
            est["beats"] = [float(b) for b in tempo.beats]
        if tempo.downbeats:
            est["downbeats"] = [float(b) for b in tempo.downbeats]
        meter = getattr(tempo, "time_signature", None) or getattr(tempo, "meter", None)
        if meter is not None:
            est["meter"] = str(meter)
    key = getattr(res, "key", None)
    if key is not None:
        est["key"] = key.label
        if key.segments:
            est["key_segments"] = [[s.start, s.end, s.label] for s in key.segments]
        tuning_hz = getattr(key, "tuning_hz", None)
        if tuning_hz:
            # the analysers give the tuning reference A4 in Hz; the truth is in cents
            est["tuning_cents"] = float(1200.0 * np.log2(float(tuning_hz) / 440.0))
    chords = getattr(res, "chords", None)
    if chords:
        est["chords"] = [[c.start, c.end, c.label] for c in chords]
        if any(getattr(c, "roman", None) for c in chords):
            est["romans"] = [[c.start, c.end, c.roman or "N"] for c in chords]
    sections = getattr(res, "sections", None)
    if sections:
        est["sections"] = [[s.start, s.end, s.label] for s in sections]
    return est


def _warm_up_songlens(cache: Path) -> None:
    """One untimed run on 6 s of noise, so lazy imports are not timed."""
    import soundfile as sf

    path = cache / "warm_up.wav"
    if not path.exists():
        rng = np.random.default_rng(0)
        sf.write(str(path), (0.1 * rng.standard_normal((6 * 44100, 2))).astype("float32"), 44100)
    _songlens_estimate(path)


def _peer_estimates(system: str, pieces: Sequence[Piece], cache: Path,
                    log: Callable[[str], None]) -> dict[str, Est]:
    """Run a peer over the pieces (cached per audio file; file names carry content hashes)."""
    cdir = cache / "estimates" / system
    cdir.mkdir(parents=True, exist_ok=True)
    version = "1"
    out: dict[str, Est] = {}
    todo = []
    for p in pieces:
        f = cdir / (p.audio_path.stem + ".json")
        if f.exists():
            est = json.loads(f.read_text())
            if est.get("version") == version:
                out[p.name] = est
                continue
        todo.append(p)
    if todo:
        log(f"{system}: running on {len(todo)} files")
        with tempfile.TemporaryDirectory() as tmp:
            inp, res = Path(tmp) / "in.json", Path(tmp) / "out.json"
            inp.write_text(json.dumps([str(p.audio_path) for p in todo]))
            subprocess.run([PEERS_PY, str(HERE / "_peers_mir.py"), system, str(inp), str(res)],
                           check=True)
            got = json.loads(res.read_text())
        for p in todo:
            est = got[str(p.audio_path)]
            (cdir / (p.audio_path.stem + ".json")).write_text(json.dumps(est))
            out[p.name] = est
    return out


# ------------------------------------------------------------------------------------------
# Metrics
# ------------------------------------------------------------------------------------------

def tempo_scores(ref: float, est: float, *, tol: float = 0.04) -> tuple[float, float]:
    """(Acc1, Acc2) for one piece: within ``tol`` of ref; Acc2 also at x2, x3, x1/2, x1/3."""
    def ok(r: float) -> bool:
        return abs(est - r) <= tol * r
    acc1 = float(ok(ref))
    acc2 = float(any(ok(ref * f) for f in (1.0, 2.0, 3.0, 0.5, 1.0 / 3.0)))
    return acc1, acc2


def _events_f(ref: Sequence[float], est: Sequence[float]) -> float:
    r = mir_eval.beat.trim_beats(np.asarray(ref, dtype=float))
    e = mir_eval.beat.trim_beats(np.asarray(est, dtype=float))
    if r.size == 0:
        return float("nan")
    return float(mir_eval.beat.f_measure(r, e))


def _chord_scores(truth: PieceTruth, est_chords: list) -> dict[str, tuple[float, float]]:
    """{'majmin': (score, weight), 'sevenths': (...)} for one piece."""
    ref_iv = np.array([c[:2] for c in truth.chords], dtype=float)
    ref_lab = [c[2] for c in truth.chords]
    est_iv = np.array([c[:2] for c in est_chords], dtype=float)
    est_lab = [c[2] for c in est_chords]
    est_iv, est_lab = mir_eval.util.adjust_intervals(
        est_iv, est_lab, ref_iv.min(), ref_iv.max(), mir_eval.chord.NO_CHORD,
        mir_eval.chord.NO_CHORD)
    iv, r, e = mir_eval.util.merge_labeled_intervals(ref_iv, ref_lab, est_iv, est_lab)
    dur = mir_eval.util.intervals_to_durations(iv)
    out = {}
    for name, fn in (("majmin", mir_eval.chord.majmin), ("sevenths", mir_eval.chord.sevenths)):
        comp = fn(r, e)
        weight = float(dur[comp >= 0].sum())
        score = float(mir_eval.chord.weighted_accuracy(comp, dur)) if weight > 0 else 0.0
        out[name] = (score, weight)
    return out


def _label_at(segs: list, t: float) -> str | None:
    for a, b, lab in segs:
        if a <= t < b:
            return lab
    return None


def _timewise(ref: list, est: list, score: Callable[[str, str], float], *,
              skip: Sequence[str] = ("N", "X"), step: float = 0.1) -> float:
    """Time-weighted mean of ``score(ref, est)`` over the reference's labelled time."""
    vals = []
    for a, b, lab in ref:
        if lab in skip:
            continue
        for t in np.arange(a, b, step):
            e = _label_at(est, t)
            vals.append(score(lab, e) if e is not None else 0.0)
    return float(np.mean(vals)) if vals else float("nan")


def _key_score(ref: str, est: str) -> float:
    try:
        return float(mir_eval.key.weighted_score(ref, est))
    except ValueError:
        return 0.0


def _norm_roman(r: str) -> str:
    """One spelling for a Roman numeral: the analysers write ``vii°``, ``iiø7``,
    ``I64``, ``V65``, ``V42``; the music21/Riemenschneider truth writes
    ``viio``, ``I6/4``, ``V6/5``, ``V2`` (applied chords ``V7/V`` are kept)."""
    r = r.replace(" ", "").replace("°", "o").replace("/o", "ø")
    r = re.sub(r"(\d)/(\d)", r"\1\2", r)  # 6/4 -> 64, 6/5 -> 65, 4/3 -> 43, 4/2 -> 42
    return re.sub(r"(?<![\d])2(?=$|/)", "42", r)  # V2 -> V42


def score_piece(truth: PieceTruth, est: Est) -> dict[str, Any]:
    """All metrics for one piece; absent facets are left out."""
    s: dict[str, Any] = {}
    if "error" in est:
        s["error"] = est["error"]
    if truth.tempo_bpm and "bpm" in est and est["bpm"]:
        s["acc1"], s["acc2"] = tempo_scores(truth.tempo_bpm, float(est["bpm"]))
    if truth.beats and "beats" in est:
        s["beat_f"] = _events_f(truth.beats, est["beats"])
    if truth.downbeats and "downbeats" in est:
        s["downbeat_f"] = _events_f(truth.downbeats, est["downbeats"])
    if truth.key and "key" in est:
        s["key_mirex"] = _key_score(truth.key, est["key"])
        s["key_exact"] = float(s["key_mirex"] == 1.0)
    if truth.chords and "chords" in est and est["chords"]:
        for name, (sc, w) in _chord_scores(truth, est["chords"]).items():
            s[f"chord_{name}"] = sc
            s[f"chord_{name}_w"] = w
    if truth.sections and "sections" in est and est["sections"]:
        ref = np.array([x[:2] for x in truth.sections], dtype=float)
        e = np.array([x[:2] for x in est["sections"]], dtype=float)
        _, _, f = mir_eval.segment.detection(ref, e, window=3.0, trim=True)
        s["section_f"] = float(f)
    if truth.time_signature and "meter" in est:
        m = str(est["meter"])
        s["meter_acc"] = float(m == truth.time_signature or
                               (m.isdigit() and int(m) == truth.beats_per_bar))
    if truth.key_segments and "key_segments" in est:
        s["local_key"] = _timewise(truth.key_segments, est["key_segments"], _key_score)
    if truth.romans and "romans" in est:
        s["roman_acc"] = _timewise(truth.romans, est["romans"],
                                   lambda r, e: float(_norm_roman(r) == _norm_roman(e)))
    if "tuning_cents" in est:
        s["tuning_err"] = abs(float(est["tuning_cents"]) - truth.tuning_cents)
    s["seconds"] = float(est.get("seconds", float("nan")))
    s["rt"] = truth.duration / s["seconds"] if s["seconds"] > 0 else float("nan")
    return s


# ------------------------------------------------------------------------------------------
# Aggregation and report
# ------------------------------------------------------------------------------------------

MAIN_COLS = [("acc1", "Tempo Acc1"), ("acc2", "Tempo Acc2"), ("beat_f", "Beat F"),
             ("downbeat_f", "Downbeat F"), ("key_mirex", "Key MIREX"), ("key_exact", "Key exact"),
             ("chord_majmin", "Chords majmin WCSR"), ("chord_sevenths", "Chords sevenths WCSR"),
             ("section_f", "Sections F@3s")]
EXTRA_COLS = [("meter_acc", "Meter acc"), ("local_key", "Local key (MIREX, time-weighted)"),
              ("roman_acc", "Roman numerals (time-weighted)"),
              ("tuning_err", "Tuning |err| (cents)")]


def aggregate(rows: list[dict[str, Any]], metric: str) -> tuple[float, int]:
    """Mean over pieces (WCSR: duration-weighted) and the number of pieces scored."""
    vals = [r[metric] for r in rows if metric in r and np.isfinite(r[metric])]
    if not vals:
        return float("nan"), 0
    if metric.startswith("chord_"):
        w = [r[metric + "_w"] for r in rows if metric in r and np.isfinite(r[metric])]
        return (float(np.dot(vals, w) / np.sum(w)) if np.sum(w) > 0 else float("nan")), len(vals)
    return float(np.mean(vals)), len(vals)


def _fmt(v: float, n: int, *, pct: bool = True, total: int | None = None) -> str:
    if n == 0 or not np.isfinite(v):
        return "n/a"
    cell = f"{100 * v:.1f}" if pct else f"{v:.1f}"
    if total is not None and n != total:
        cell += f" ({n})"
    return cell


def table_main(per_sys: dict[str, list[dict[str, Any]]], n_pieces: int) -> list[str]:
    head = "| System | " + " | ".join(c for _, c in MAIN_COLS) + " | s/file (× real time) |"
    lines = [head, "|" + "---|" * (len(MAIN_COLS) + 2)]
    for sys_name, rows in per_sys.items():
        cells = [_fmt(*aggregate(rows, m), total=n_pieces) for m, _ in MAIN_COLS]
        secs = [r["seconds"] for r in rows if np.isfinite(r.get("seconds", np.nan))]
        rts = [r["rt"] for r in rows if np.isfinite(r.get("rt", np.nan))]
        speed = f"{np.mean(secs):.2f} ({np.median(rts):.0f}×)" if secs else "n/a"
        errs = sum("error" in r for r in rows)
        name = sys_name + (f" ({errs} errors)" if errs else "")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {speed} |")
    return lines


def table_extra(per_sys: dict[str, list[dict[str, Any]]], n_pieces: int) -> list[str]:
    lines = ["| System | " + " | ".join(c for _, c in EXTRA_COLS) + " |",
             "|" + "---|" * (len(EXTRA_COLS) + 1)]
    for sys_name, rows in per_sys.items():
        cells = []
        for m, _ in EXTRA_COLS:
            v, n = aggregate(rows, m)
            cells.append(_fmt(v, n, pct=m != "tuning_err", total=n_pieces))
        lines.append(f"| {sys_name} | " + " | ".join(cells) + " |")
    return lines


def table_by(per_sys: dict[str, list[dict[str, Any]]], truths: list[PieceTruth], metric: str,
             groups: list[tuple[str, Callable[[PieceTruth], bool]]]) -> list[str]:
    lines = ["| System | " + " | ".join(f"{g} (n={sum(map(f, truths))})" for g, f in groups)
             + " |", "|" + "---|" * (len(groups) + 1)]
    for sys_name, rows in per_sys.items():
        cells = []
        for _, f in groups:
            sel = [r for r, t in zip(rows, truths, strict=True) if f(t)]
            cells.append(_fmt(*aggregate(sel, metric)))
        lines.append(f"| {sys_name} | " + " | ".join(cells) + " |")
    return lines


def _production(t: PieceTruth) -> str:
    if t.lossy:
        return "mp3"
    if t.noise_snr_db is not None:
        return "noise"
    return "clean"


def render_section(results: dict[str, dict[str, list[dict[str, Any]]]],
                   truths: dict[str, list[PieceTruth]], *, command: str,
                   quick: int | None) -> str:
    out = [HEADING, ""]
    out.append(
        "Scored by `benchmarks/mir.py` with mir_eval on SongLens's labelled sets "
        "(`songlens.testing.dataset`, `songlens.testing.corpus`). Values are % (tempo "
        "accuracies, F-measures, key scores, WCSR); WCSR is duration-weighted over the pieces. "
        "'n/a' = the system does not estimate the facet (or the set has no truth for it). "
        "A number in parentheses is how many pieces were scored when fewer than all. "
        "Beat/downbeat F: ±70 ms, first 5 s trimmed. Sections: boundary F at ±3 s, "
        "start/end of the music not counted. Key: MIREX weighted score (1 / 0.5 fifth / "
        "0.3 relative / 0.2 parallel). 6/8 beats are dotted quarters. Timing: wall "
        "seconds per file including decoding, on a shared 2-core machine that other jobs "
        "were loading heavily, so speeds are only indicative."
    )
    out += ["", f"Command: `{command}`" + (f" (quick: first {quick} pieces per set)"
                                           if quick else ""), ""]
    def describe(set_name: str, ts: list[PieceTruth]) -> str:
        durs = [t.duration for t in ts]
        span = f"{min(durs):.0f}-{max(durs):.0f} s" if durs else "none"
        if set_name == "synthetic":
            return (f"Seeded pieces of {span} (pop, ballad, jazz, classical, march, folk; "
                    "meters 4/4, 3/4, 6/8, 2/4): "
                    f"{sum(t.tempo_change != 'none' for t in ts)} with tempo changes (step, "
                    f"accel, rit), {sum(t.modulation != 'none' for t in ts)} with modulations, "
                    f"{sum(t.noise_snr_db is not None for t in ts)} with added noise, "
                    f"{sum(t.lossy is not None for t in ts)} MP3-coded, "
                    f"{sum(t.tuning_cents != 0 for t in ts)} detuned; soundfonts "
                    f"{', '.join(sorted({t.soundfont or '?' for t in ts}))}.")
        return (f"music21 scores of {span} played at one constant tempo (Bach chorales, "
                "Mozart/Haydn/Schumann quartet movements, songs, piano pieces): key and "
                f"beats for all; chords, Roman numerals and local keys for the "
                f"{sum(t.chords is not None for t in ts)} chorales whose Riemenschneider "
                "analysis fits the score; no section truth.")

    for set_name, per_sys in results.items():
        ts = truths[set_name]
        out += [f"### {set_name.capitalize()} set ({len(ts)} pieces)", "",
                describe(set_name, ts), ""]
        out += table_main(per_sys, len(ts)) + [""]
        if any(any(m in r for r in rows for m, _ in EXTRA_COLS) for rows in per_sys.values()):
            out += ["Facets only SongLens estimates:", ""] + table_extra(per_sys, len(ts)) + [""]
        if set_name == "synthetic":
            out += ["Beat F by tempo change and meter (synthetic):", ""]
            out += table_by(per_sys, ts, "beat_f", [
                ("constant", lambda t: t.tempo_change == "none"),
                ("step", lambda t: t.tempo_change == "step"),
                ("accel", lambda t: t.tempo_change == "accel"),
                ("rit", lambda t: t.tempo_change == "rit"),
                ("4/4", lambda t: t.time_signature == "4/4"),
                ("3/4", lambda t: t.time_signature == "3/4"),
                ("6/8", lambda t: t.time_signature == "6/8"),
                ("2/4", lambda t: t.time_signature == "2/4")]) + [""]
            out += ["Tempo Acc1 by tempo change (synthetic):", ""]
            out += table_by(per_sys, ts, "acc1", [
                ("constant", lambda t: t.tempo_change == "none"),
                ("changing", lambda t: t.tempo_change != "none"),
                ("6/8", lambda t: t.time_signature == "6/8")]) + [""]
            out += ["Key MIREX and chords majmin WCSR by condition (synthetic):", ""]
            groups = [("no modulation", lambda t: t.modulation == "none"),
                      ("modulating", lambda t: t.modulation != "none"),
                      ("clean", lambda t: _production(t) == "clean"),
                      ("noise", lambda t: _production(t) == "noise"),
                      ("mp3", lambda t: _production(t) == "mp3"),
                      ("detuned", lambda t: t.tuning_cents != 0)]
            out += ["Key MIREX:", ""] + table_by(per_sys, ts, "key_mirex", groups) + [""]
            out += ["Chords majmin WCSR:", ""] + table_by(per_sys, ts, "chord_majmin", groups)
            out += [""]
    return "\n".join(out).rstrip() + "\n"


def write_results_md(path: Path, section: str) -> None:
    """Replace (or append) this script's marked section, leaving the others alone."""
    sys.path.insert(0, str(HERE))
    from _common import write_section

    write_section("mir", section, path=path)


# ------------------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", type=int, default=None, help="first N pieces of each set")
    ap.add_argument("--systems", default=",".join(ALL_SYSTEMS))
    ap.add_argument("--sets", default="synthetic,corpus")
    ap.add_argument("--cache", default=str(HERE / ".cache"))
    ap.add_argument("--results", default=str(HERE / "RESULTS.md"))
    ap.add_argument("--json", default=str(HERE / "mir_results.json"),
                    help="per-piece scores and estimates summary")
    ap.add_argument("--no-write", action="store_true", help="print the section only")
    args, unknown = ap.parse_known_args(argv)  # run.py passes its extra options to all
    if unknown:
        print(f"note: ignoring options {unknown}", flush=True)
    systems = [s for s in args.systems.split(",") if s]
    bad = set(systems) - set(ALL_SYSTEMS)
    if bad:
        ap.error(f"unknown systems {sorted(bad)}")
    cache = Path(args.cache)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    pieces: dict[str, list[Piece]] = {}
    for set_name in [s for s in args.sets.split(",") if s]:
        t0 = time.perf_counter()
        if set_name == "synthetic":
            from songlens.testing.dataset import load_dataset
            pieces[set_name] = load_dataset(
                cache, limit=args.quick,
                progress=lambda i, n, name: log(f"synthetic {i + 1}/{n} {name}"))
        elif set_name == "corpus":
            from songlens.testing.corpus import load_corpus
            pieces[set_name] = load_corpus(
                cache, limit=args.quick,
                progress=lambda i, n, name: log(f"corpus {i + 1}/{n} {name}"))
        else:
            ap.error(f"unknown set {set_name!r}")
        log(f"{set_name}: {len(pieces[set_name])} pieces ready in "
            f"{time.perf_counter() - t0:.0f} s")

    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    dump: dict[str, Any] = {}
    for set_name, ps in pieces.items():
        results[set_name] = {}
        for system in systems:
            if system == "songlens":
                _warm_up_songlens(cache)
                ests = {}
                for i, p in enumerate(ps):
                    ests[p.name] = _songlens_estimate(p.audio_path)
                    log(f"songlens {set_name} {i + 1}/{len(ps)} {ests[p.name]['seconds']:.1f}s")
            else:
                ests = _peer_estimates(system, ps, cache, log)
            rows = [score_piece(p.truth, ests[p.name]) for p in ps]
            results[set_name][system] = rows
            dump.setdefault(set_name, {})[system] = {p.name: r for p, r in zip(ps, rows,
                                                                                strict=True)}
    command = "PYTHONPATH=src python benchmarks/mir.py" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    section = render_section(results, {k: [p.truth for p in v] for k, v in pieces.items()},
                             command=command, quick=args.quick)
    print(section)
    if not args.no_write:
        write_results_md(Path(args.results), section)
        Path(args.json).write_text(json.dumps(dump, indent=1, sort_keys=True, default=float))
        log(f"wrote {args.results} and {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
