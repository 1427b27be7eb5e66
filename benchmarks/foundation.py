"""Foundation benchmark (issue 2): loudness, silences, climax, speed and memory.

Run with the project venv and this worktree's sources, niced (the machine is shared)::

    PYTHONPATH=src nice -n 10 python benchmarks/foundation.py [--quick]
        [--peer-python benchmarks/.venv-peers/bin/python]

It rewrites the ``foundation`` section of ``benchmarks/RESULTS.md``:

a. loudness accuracy on EBU Tech 3341 cases 1-5 (integrated), Tech 3342 cases
   1-4 (LRA), the fs/4 45-degree sine (true peak), and the difference to
   pyloudnorm on rendered music;
b. silence, climax and build-up accuracy on rendered pieces with planned truth
   (in memory, and a few encoded to MP3 and analysed from the file);
c. speed on a 4-minute 44.1 kHz stereo track (FLAC, WAV, MP3): the ``songlens``
   CLI against Essentia and librosa run in the peer venv, plus the in-process
   ``songlens.analyze`` time and a profile;
d. peak memory of ``songlens analyze`` on 1-hour and 3-hour 44.1 kHz stereo
   files (``--hours``; skipped by ``--quick``).

Conventions
-----------
Times in seconds, levels in LUFS/LU/dBTP, errors are estimate - truth (signed)
or its absolute value where the column says |error|. Rendered pieces are cached
in ``benchmarks/.cache`` (keyed by their parameters and the renderer's source).
Large files go to a temporary directory that is deleted at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import (
    CACHE,
    RESULTS,
    ROOT,
    best_of,
    fmt,
    last_json,
    machine_facts,
    machine_line,
    now,
    run_timed,
    songlens_env,
    table,
    write_section,
)

if str(ROOT / "src") not in sys.path:  # this worktree's sources first
    sys.path.insert(0, str(ROOT / "src"))

SR = 44100
RSS_LIMIT_MIB = 1.5 * 1000**3 / 2**20  # the requirement: < 1.5 GB peak RSS

KEYS = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]

# Rendered pieces with planned truth: varied seed, tempo, key, mode, section
# lengths, rest (gap) lengths 1.2-3 s and noise floors -90..-70 dBFS. Lead-ins of
# 0 or 0.5 s are shorter than the 1 s minimum silence, so must not be reported.
PIECES: dict[str, dict] = {
    "p01_ballad_Am": dict(seed=11, bpm=72.0, tonic=9, mode="minor", intro_s=14, build_s=26,
                          fall_s=12, gap_s=2.0, outro_s=10, lead_in_s=1.5, tail_s=2.0,
                          noise_dbfs=-80.0),
    "p02_pop_D": dict(seed=12, bpm=118.0, tonic=2, mode="major", intro_s=18, build_s=18,
                      fall_s=10, gap_s=1.3, outro_s=12, lead_in_s=0.0, tail_s=1.2,
                      noise_dbfs=-75.0),
    "p03_slow_Fm": dict(seed=13, bpm=96.0, tonic=5, mode="minor", intro_s=10, build_s=40,
                        fall_s=14, gap_s=3.0, outro_s=8, lead_in_s=2.5, tail_s=3.0,
                        noise_dbfs=-90.0),
    "p04_fast_Em": dict(seed=14, bpm=140.0, tonic=4, mode="minor", intro_s=8, build_s=20,
                        fall_s=8, gap_s=1.2, outro_s=8, lead_in_s=1.2, tail_s=1.5,
                        noise_dbfs=-70.0),
    "p05_hymn_Bb": dict(seed=15, bpm=66.0, tonic=10, mode="major", intro_s=16, build_s=32,
                        fall_s=16, gap_s=2.5, outro_s=12, lead_in_s=2.0, tail_s=2.5,
                        noise_dbfs=-85.0),
    "p06_mid_G": dict(seed=16, bpm=104.0, tonic=7, mode="major", intro_s=12, build_s=24,
                      fall_s=12, gap_s=1.6, outro_s=10, lead_in_s=1.2, tail_s=2.0,
                      noise_dbfs=-72.0),
    "p07_long_C#m": dict(seed=17, bpm=84.0, tonic=1, mode="minor", intro_s=20, build_s=36,
                         fall_s=10, gap_s=2.2, outro_s=14, lead_in_s=0.5, tail_s=1.5,
                         noise_dbfs=-88.0),
    "p08_dance_C": dict(seed=18, bpm=128.0, tonic=0, mode="major", intro_s=10, build_s=16,
                        fall_s=12, gap_s=1.8, outro_s=8, lead_in_s=3.0, tail_s=1.2,
                        noise_dbfs=-78.0),
    "p09_drama_G#m": dict(seed=19, bpm=90.0, tonic=8, mode="minor", intro_s=12, build_s=28,
                          fall_s=20, gap_s=2.8, outro_s=10, lead_in_s=1.5, tail_s=2.0,
                          noise_dbfs=-82.0),
    "p10_short_Eb": dict(seed=20, bpm=110.0, tonic=3, mode="major", intro_s=6, build_s=30,
                         fall_s=6, gap_s=1.4, outro_s=6, lead_in_s=1.0, tail_s=2.0,
                         noise_dbfs=-74.0),
}
MP3_PIECES = ("p02_pop_D", "p05_hymn_Bb", "p08_dance_C")

# The 4-minute speed track: long sections, padded/cut to exactly 240 s.
SPEED_PIECE = dict(seed=240, bpm=100.0, tonic=7, mode="major", intro_s=50, build_s=100,
                   fall_s=50, gap_s=3.0, outro_s=30, lead_in_s=2.0, tail_s=5.0,
                   noise_dbfs=-80.0)
SPEED_SECONDS = 240.0


# ----------------------------------------------------------------------------
# rendering (cached)
def _render_source_hash() -> str:
    from songlens.testing import render

    return hashlib.sha1(Path(render.__file__).read_bytes()).hexdigest()[:12]


def render_piece(kw: dict) -> tuple[np.ndarray, object]:
    """Render (or load from the cache) ``compose_arc_piece(**kw)`` at 44.1 kHz."""
    from songlens.testing.render import Truth, compose_arc_piece, find_soundfont

    sf2 = find_soundfont()
    key = hashlib.sha1(json.dumps([kw, SR, sf2, _render_source_hash()],
                                  sort_keys=True).encode()).hexdigest()[:16]
    CACHE.mkdir(parents=True, exist_ok=True)
    npy, tj = CACHE / f"piece-{key}.npy", CACHE / f"piece-{key}.truth.json"
    if npy.exists() and tj.exists():
        d = json.loads(tj.read_text())
        return np.load(npy), Truth(**d)
    args = dict(kw)
    seed = args.pop("seed")
    y, truth = compose_arc_piece(seed, sr=SR, **args)
    np.save(npy, y)
    tj.write_text(json.dumps(truth.to_dict()))
    return y, truth


def write_audio(path: Path, y: np.ndarray, *, sr: int) -> None:
    """Write ``y`` (channels, n) with soundfile: WAV/FLAC 16-bit, MP3 via LAME defaults."""
    import soundfile as sf

    ext = path.suffix.lower()
    if ext == ".mp3":
        sf.write(str(path), y.T, sr, format="MP3")
    elif ext == ".flac":
        sf.write(str(path), y.T, sr, subtype="PCM_16")
    else:
        sf.write(str(path), y.T, sr, subtype="PCM_16")


# ----------------------------------------------------------------------------
# a. loudness accuracy
def loudness_section() -> tuple[str, dict]:
    import pyloudnorm as pyln

    from songlens.pipeline import analyze_signal
    from songlens.testing.signals import ebu3341_case, ebu3342_case, sine, stereo

    rows, errs = [], []
    s_errs: list[float] = []
    ref_errs: list[float] = []
    for case in range(1, 6):
        y, expected = ebu3341_case(case, sr=48000)
        got = analyze_signal(y, sr=48000).loudness.integrated_lufs
        ref = pyln.Meter(48000).integrated_loudness(y.T)
        errs.append(abs(got - expected))
        s_errs.append(got - expected)
        ref_errs.append(ref - expected)
        rows.append([f"3341 case {case}", "integrated (LUFS)", f"{expected:.1f}", f"{got:.3f}",
                     f"{got - expected:+.3f}", "±0.1", f"{ref - expected:+.3f}"])
    lra_errs = []
    for case in range(1, 5):
        y, expected = ebu3342_case(case, sr=48000)
        got = analyze_signal(y, sr=48000).loudness.range_lu
        ref = pyln.Meter(48000).loudness_range(y.T)
        lra_errs.append(abs(got - expected))
        rows.append([f"3342 case {case}", "LRA (LU)", f"{expected:.1f}", f"{got:.3f}",
                     f"{got - expected:+.3f}", "±1", f"{ref - expected:+.3f}"])
    y = stereo(sine(48000 / 4, 2.0, sr=48000, dbfs=0.0, phase=np.pi / 4))
    r = analyze_signal(y, sr=48000)
    tp = r.loudness.true_peak_dbtp
    rows.append(["fs/4 sine, 45 deg", "true peak (dBTP)", "0.0", f"{tp:.3f}", f"{tp:+.3f}",
                 "-0.4/+0.2", "(no true peak)"])
    rows.append(["fs/4 sine, 45 deg", "sample peak (dBFS)", "-3.01",
                 f"{r.production.peak_dbfs:.3f}", f"{r.production.peak_dbfs + 3.0103:+.3f}",
                 "", ""])
    text = table(["signal", "measure", "truth", "SongLens", "error", "spec tol.",
                  "pyloudnorm error"], rows)
    text += (f"\n\nMean error on the Tech 3341 cases: SongLens {np.mean(s_errs):+.3f} LU, "
             f"pyloudnorm {np.mean(ref_errs):+.3f} LU.")
    return text, {"lufs_max_err": max(errs), "lra_max_err": max(lra_errs), "tp_err": tp}


# ----------------------------------------------------------------------------
# b. silences, build-ups, climax
def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return min(a[1], b[1]) - max(a[0], b[0])


def eval_piece(result, truth, *, min_silence: float) -> dict:
    """Compare one AnalysisResult with the planned Truth."""
    det = [(s.start, s.end) for s in result.silences or []]
    dur = truth.duration
    wanted = [(a, b) for a, b in truth.silences if b - a >= min_silence - 1e-9]
    used: set[int] = set()
    starts, ends = [], []
    missed = 0
    for a, b in wanted:
        cands = [(_overlap((a, b), d), j) for j, d in enumerate(det) if _overlap((a, b), d) > 0]
        if not cands:
            missed += 1
            continue
        _, j = max(cands)
        used.add(j)
        s, e = det[j]
        if a > 1e-3:  # interior boundary (a silence at t=0 starts trivially at 0)
            starts.append(s - a)
        if b < dur - 1e-3:  # a silence at the very end ends trivially there
            ends.append(e - b)
    false = [det[j] for j in range(len(det)) if j not in used]
    out: dict = {"silence_start_err": starts, "silence_end_err": ends, "missed": missed,
                 "false": len(false), "false_list": false, "n_truth": len(wanted),
                 "n_det": len(det)}
    tb = truth.buildups[0]
    bus = [(b.start, b.end) for b in result.buildups or []]
    cands = [(_overlap(tb, b), j) for j, b in enumerate(bus) if _overlap(tb, b) > 0]
    if cands:
        _, j = max(cands)
        out["build_start_err"] = bus[j][0] - tb[0]
        out["build_end_err"] = bus[j][1] - tb[1]
        out["build_other"] = len(bus) - 1
    else:
        out["build_start_err"] = out["build_end_err"] = None
        out["build_other"] = len(bus)
    out["buildups"] = bus
    out["climax_err"] = (None if result.climax is None
                         else result.climax.time - float(truth.climax))
    return out


def _stats(xs: list[float]) -> tuple[str, str, str]:
    if not xs:
        return "n/a", "n/a", "n/a"
    a = np.abs(xs)
    return f"{a.mean():.3f}", f"{a.max():.3f}", f"{np.mean(xs):+.3f}"


def arc_section(workdir: Path) -> tuple[str, dict]:
    import pyloudnorm as pyln
    import soundfile as sf

    from songlens.config import SilenceConfig
    from songlens.pipeline import analyze, analyze_signal

    min_sil = SilenceConfig().min_duration
    evals: dict[str, dict] = {}
    rows, lrows = [], []
    t_render = time.perf_counter()
    rendered = {name: render_piece(kw) for name, kw in PIECES.items()}
    t_render = time.perf_counter() - t_render
    for name, kw in PIECES.items():
        y, truth = rendered[name]
        variants = [("memory", y, lambda y=y: analyze_signal(y, sr=SR))]
        if name in MP3_PIECES:
            mp3 = workdir / f"{name}.mp3"
            write_audio(mp3, y, sr=SR)
            dec, _ = sf.read(str(mp3), dtype="float32", always_2d=True)
            variants.append(("mp3 file", dec.T, lambda mp3=mp3: analyze(mp3)))
        for how, audio, fn in variants:
            r = fn()
            ev = eval_piece(r, truth, min_silence=min_sil)
            label = f"{name} ({how})"
            evals[label] = ev
            worst = max((abs(x) for x in ev["silence_start_err"] + ev["silence_end_err"]),
                        default=None)
            rows.append([
                label, f"{kw['bpm']:.0f}", f"{KEYS[kw['tonic']]} {kw['mode'][:3]}",
                f"{kw['gap_s']:.1f}", f"{kw['noise_dbfs']:.0f}",
                f"{ev['n_truth']}/{ev['n_det']}", str(ev["missed"]), str(ev["false"]),
                fmt(worst, ".3f"), fmt(ev["climax_err"], "+.2f", "none"),
                fmt(ev["build_start_err"], "+.2f", "missed"),
                fmt(ev["build_end_err"], "+.2f", "missed"), str(ev["build_other"]),
                "{:.1f}-{:.1f}".format(*truth.buildups[0]),
                ", ".join(f"{a:.1f}-{b:.1f}" for a, b in ev["buildups"]) or "none",
            ])
            meter = pyln.Meter(SR)
            ref_i = meter.integrated_loudness(audio.T.astype(np.float64))
            ref_lra = meter.loudness_range(audio.T.astype(np.float64))
            lo = r.loudness
            lrows.append([label, f"{lo.integrated_lufs:.2f}", f"{ref_i:.2f}",
                          f"{lo.integrated_lufs - ref_i:+.3f}", f"{lo.range_lu:.2f}",
                          f"{ref_lra:.2f}", f"{lo.range_lu - ref_lra:+.2f}"])
            ev["lufs_diff"] = lo.integrated_lufs - ref_i
            ev["lra_diff"] = lo.range_lu - ref_lra
    per_piece = table(["piece (input)", "bpm", "key", "gap s", "noise dBFS",
                       "silences truth/found", "missed", "false", "worst boundary |err| s",
                       "climax err s", "build-up start err s", "build-up end err s",
                       "other build-ups", "planned build-up s", "found build-ups s"], rows)
    loud = table(["piece (input)", "SongLens LUFS", "pyloudnorm LUFS", "diff LU",
                  "SongLens LRA", "pyloudnorm LRA", "diff LU"], lrows)

    def gather(key: str, subset=None) -> list[float]:
        out: list[float] = []
        for label, ev in evals.items():
            if subset is not None and subset not in label:
                continue
            v = ev[key]
            if isinstance(v, list):
                out += v
            elif v is not None:
                out.append(v)
        return out

    agg_rows = []
    for subset, title in ((None, "all inputs"), ("(memory)", "in memory"),
                          ("(mp3 file)", "MP3 files")):
        for key, what in (("silence_start_err", "silence start (s)"),
                          ("silence_end_err", "silence end (s)"),
                          ("climax_err", "climax time (s)"),
                          ("build_start_err", "build-up start (s)"),
                          ("build_end_err", "build-up end (s)")):
            xs = gather(key, subset)
            m, mx, bias = _stats(xs)
            agg_rows.append([title, what, str(len(xs)), m, mx, bias])
    n_in = sum(1 for k in evals)
    tot = {
        "inputs": n_in,
        "silences_truth": sum(ev["n_truth"] for ev in evals.values()),
        "missed": sum(ev["missed"] for ev in evals.values()),
        "false": sum(ev["false"] for ev in evals.values()),
        "climax_none": sum(ev["climax_err"] is None for ev in evals.values()),
        "build_missed": sum(ev["build_start_err"] is None for ev in evals.values()),
        "build_other": sum(ev["build_other"] for ev in evals.values()),
        "lufs_absdiff_max": max(abs(ev["lufs_diff"]) for ev in evals.values()),
        "lufs_absdiff_mean": float(np.mean([abs(ev["lufs_diff"]) for ev in evals.values()])),
        "lra_absdiff_max": max(abs(ev["lra_diff"]) for ev in evals.values()),
        "render_s": t_render,
    }
    agg = table(["inputs", "boundary", "n", "mean |err|", "max |err|", "mean signed err (bias)"],
                agg_rows)
    false_list = [f"{label}: {', '.join(f'{a:.2f}-{b:.2f} s' for a, b in ev['false_list'])}"
                  for label, ev in evals.items() if ev["false_list"]]
    other_bu = [f"{label}: {', '.join(f'{a:.1f}-{b:.1f} s' for a, b in ev['buildups'])}"
                for label, ev in evals.items() if ev["build_other"]]
    text = "\n\n".join([
        "Per input (errors are SongLens - truth; a silence boundary at t=0 or at the end "
        "of the track is trivial and not counted):",
        per_piece,
        f"Totals over {n_in} inputs: {tot['silences_truth']} planned silences of >= "
        f"{min_sil:g} s, **{tot['missed']} missed, {tot['false']} false**; climax not found "
        f"in {tot['climax_none']}; planned build-up missed in {tot['build_missed']}; "
        f"{tot['build_other']} extra build-up(s) reported outside the planned one.",
        agg,
        "False silences: " + ("; ".join(false_list) if false_list else "none") + ".",
        "Build-ups reported where one other than the planned one was found: "
        + ("; ".join(other_bu) if other_bu else "none") + ".",
        "Loudness on the same music against pyloudnorm 0.2 (an independent BS.1770 / "
        "Tech 3342 meter; MP3 rows compare both on the decoded MP3):",
        loud,
    ])
    return text, tot


# ----------------------------------------------------------------------------
# c. speed
def speed_section(workdir: Path, peer_python: str | None, repeat: int) -> tuple[str, dict]:
    py = sys.executable
    env = songlens_env()
    load_start = os.getloadavg()[0]
    y, _ = render_piece(SPEED_PIECE)
    n = int(SPEED_SECONDS * SR)
    y = y[:, :n] if y.shape[1] >= n else np.pad(y, ((0, 0), (0, n - y.shape[1])))
    files = {}
    for ext in ("flac", "wav", "mp3"):
        f = workdir / f"track4m.{ext}"
        write_audio(f, y, sr=SR)
        files[ext] = f
    probes = ROOT / "benchmarks" / "probes"
    out_json = workdir / "out.json"

    startup, _ = best_of([py, "-c", "pass"], repeat=repeat)
    peer_startup = None
    if peer_python:
        peer_startup, _ = best_of([peer_python, "-c", "pass"], repeat=repeat)

    rows = []
    res: dict = {}
    for ext, f in files.items():
        sl, _ = best_of([py, "-m", "songlens", "analyze", str(f), "--json", str(out_json),
                         "--no-progress"], repeat=repeat, env=env)
        res[f"cli_{ext}"] = sl.wall
        res[f"cli_rss_{ext}"] = sl.max_rss_mib
        res[f"cli_cpu_{ext}"] = sl.cpu
        lo = json.loads(out_json.read_text()).get("loudness", {})
        rows.append([ext, "songlens analyze (CLI, all facets + JSON)", f"{sl.wall:.2f}",
                     f"{SPEED_SECONDS / sl.wall:.0f}x", fmt(sl.cpu, ".2f"),
                     fmt(sl.max_rss_mib, ".0f"), "1.00", "1.00",
                     f"it reads {fmt(lo.get('integrated_lufs'))} LUFS, LRA "
                     f"{fmt(lo.get('range_lu'))}"])
        ip = run_timed([py, str(probes / "songlens_inproc.py"), str(f), str(out_json),
                        "--repeat", str(repeat + 1)], env=env)
        if ip.returncode != 0:
            raise RuntimeError(ip.stderr[-2000:])
        d = last_json(ip.stdout)
        best = min(d["runs"][1:], key=lambda r: r["total"])  # the first call is a warm-up
        best_ip = best["total"]
        res[f"inproc_{ext}"] = best_ip
        res[f"inproc_cpu_{ext}"] = best["cpu"]
        res[f"import_{ext}"] = d["import"]
        res[f"import_cpu_{ext}"] = d["import_cpu"]
        rows.append([ext, "songlens.analyze + dump_json (in-process)", f"{best_ip:.2f}",
                     f"{SPEED_SECONDS / best_ip:.0f}x", f"{best['cpu']:.2f}", "", "", "",
                     f"import of songlens.pipeline {d['import']:.2f} s wall, "
                     f"{d['import_cpu']:.2f} s CPU; first call {d['runs'][0]['total']:.2f} s "
                     "(pays lazy imports)"])
        if not peer_python:
            continue
        for tool, script in (("essentia", "essentia_loudness.py"), ("librosa", "librosa_rms.py")):
            pr, _ = best_of([peer_python, str(probes / script), str(f)], repeat=repeat)
            pd = last_json(pr.stdout)
            res[f"{tool}_{ext}"] = pr.wall
            if tool == "essentia":
                what = "Essentia AudioLoader + LoudnessEBUR128 (stereo)"
                inner = pd["load"] + pd["loudness"]
                detail = (f"import {pd['import']:.2f}, load {pd['load']:.2f}, loudness "
                          f"{pd['loudness']:.2f} s; it reads {pd['integrated_lufs']:.2f} LUFS, "
                          f"LRA {pd['lra']:.2f}")
                res[f"essentia_lufs_{ext}"] = pd["integrated_lufs"]
            else:
                what = f"librosa {pd['version']} load (22050 Hz mono) + feature.rms"
                inner = pd["load"] + pd["rms"]
                detail = (f"import {pd['import']:.2f}, load {pd['load']:.2f}, rms "
                          f"{pd['rms']:.2f} s")
            res[f"{tool}_inner_{ext}"] = inner
            res[f"{tool}_cpu_{ext}"] = pr.cpu
            cpu_ratio = (f"{sl.cpu / pr.cpu:.2f}" if sl.cpu and pr.cpu else "n/a")
            rows.append([ext, what, f"{pr.wall:.2f}", f"{SPEED_SECONDS / pr.wall:.0f}x",
                         fmt(pr.cpu, ".2f"), fmt(pr.max_rss_mib, ".0f"),
                         f"{sl.wall / pr.wall:.2f}", cpu_ratio,
                         detail + f"; in-process songlens/peer {best_ip / inner:.2f}"])
    table_txt = table(["file", "tool", f"wall s (best of {repeat})", "x-realtime",
                       "CPU s (user+sys)", "peak RSS MiB", "songlens CLI / this (wall)",
                       "songlens CLI / this (CPU)", "notes (inner wall times of the best run)"],
                      rows)
    start = f"`python -c pass` takes {startup.wall:.3f} s in the SongLens venv"
    if peer_startup:
        start += f", {peer_startup.wall:.3f} s in the peer venv"
    # profile of one in-process run on FLAC
    pp = run_timed([py, str(probes / "songlens_inproc.py"), str(files["flac"]), str(out_json),
                    "--repeat", "1", "--profile"], env=env)
    prof_txt = ""
    if pp.returncode == 0:
        d = last_json(pp.stdout)["profile"]
        prows = [[r["func"].replace("|", "/"), str(r["calls"]), f"{r['tottime']:.2f}",
                  f"{r['cumtime']:.2f}"] for r in d["top"][:12]]
        crow = [[r["func"].replace("|", "/"), str(r["calls"]), f"{r['cumtime']:.2f}"]
                for r in d["top_cum"][:12]]
        prof_txt = "\n\n".join([
            f"cProfile of one in-process `songlens.analyze` on the FLAC "
            f"({d['total']:.2f} s under the profiler), top functions by own time:",
            table(["function", "calls", "own s", "cumulative s"], prows),
            "SongLens functions by cumulative time:",
            table(["function", "calls", "cumulative s"], crow),
        ])
        res["profile"] = d
    load_end = os.getloadavg()[0]
    res["loadavg"] = (load_start, load_end)
    text = "\n\n".join([
        f"1-minute load average at the start of this part {load_start:.1f}, at its end "
        f"{load_end:.1f}, on {os.cpu_count()} cores: "
        + ("the machine was busy with other jobs, so wall times are inflated; the CPU "
           "times are the steadier figure." if max(load_start, load_end) > 1.5 * (
               os.cpu_count() or 1) else "the machine was not overloaded."),
        f"4-minute track ({SPEED_SECONDS:.0f} s, 44.1 kHz stereo, rendered with "
        "`compose_arc_piece`, 16-bit FLAC/WAV and LAME MP3 written by soundfile). "
        "Every row is a fresh process (start-up, imports, decoding included), best of "
        f"{repeat} after one untimed warm-up run (file cache, .pyc, numba caches), except "
        "the in-process rows (one process: a warm-up call, then best of "
        f"{repeat}). CPU s is user+system time of the best run: less sensitive than wall "
        f"time to other jobs on the machine. {start}.",
        table_txt,
        prof_txt,
    ])
    return text, res


# ----------------------------------------------------------------------------
# d. memory on a long file
def write_long_file(path: Path, *, hours: float, sr: int = SR, seed: int = 3) -> dict:
    """Stream a tone + noise + silences signal to a 16-bit WAV/FLAC, block by block.

    A 220 Hz tone with three harmonics whose level wanders slowly between -30
    and -10 dBFS, white noise at -50 dBFS RMS, and a 4 s rest (noise floor
    -90 dBFS) every 10 minutes.
    """
    import soundfile as sf

    rng = np.random.default_rng(seed)
    n_total = int(hours * 3600 * sr)
    block = 60 * sr
    rest_every, rest_len = 600.0, 4.0
    subtype = "PCM_16"
    fmt_name = "FLAC" if path.suffix.lower() == ".flac" else "WAV"
    with sf.SoundFile(str(path), "w", samplerate=sr, channels=2, subtype=subtype,
                      format=fmt_name) as f:
        for i0 in range(0, n_total, block):
            n = min(block, n_total - i0)
            t = (i0 + np.arange(n)) / sr
            level_db = -20.0 + 10.0 * np.sin(2 * np.pi * t / 97.0)
            amp = 10 ** (level_db / 20)
            tone = sum(np.sin(2 * np.pi * 220.0 * h * t) / h for h in (1, 2, 3, 4)) / 2.1
            noise = rng.standard_normal((2, n)) * 10 ** (-50 / 20)
            x = amp * tone + noise
            rest = (t % rest_every) >= rest_every - rest_len
            x[:, rest] = rng.standard_normal((2, int(rest.sum()))) * 10 ** (-90 / 20)
            x[1] *= 0.9
            f.write(np.clip(x.T, -1, 1).astype(np.float32))
    n_rests = int(n_total / sr // rest_every)
    return {"samples": n_total, "rests": n_rests, "size": path.stat().st_size}


def memory_section(workdir: Path, *, hours: list[float], fmt_ext: str) -> tuple[str, dict]:
    """Peak RSS of the CLI on generated files of each length in ``hours``."""
    py = sys.executable
    env = songlens_env()
    rows, sanity, res = [], [], {}
    gen_total = 0.0
    for h in sorted(hours):
        path = workdir / f"long{h:g}h.{fmt_ext}"
        t = time.perf_counter()
        info = write_long_file(path, hours=h)
        gen_total += time.perf_counter() - t
        out_json = workdir / "long.json"
        r = run_timed([py, "-m", "songlens", "analyze", str(path), "--json", str(out_json),
                       "--no-progress"], env=env)
        size = path.stat().st_size / 2**20
        path.unlink()
        if r.returncode != 0:
            raise RuntimeError(f"songlens analyze failed on the {h:g} h file:\n"
                               f"{r.stderr[-3000:]}")
        doc = json.loads(out_json.read_text())
        dur = h * 3600
        res[f"{h:g}h"] = {"rss_mib": r.max_rss_mib, "wall": r.wall, "cpu": r.cpu,
                          "json_mib": out_json.stat().st_size / 2**20, "file_mib": size,
                          "silences": len(doc.get("silences", [])), "rests": info["rests"],
                          "lufs": doc.get("loudness", {}).get("integrated_lufs")}
        ok = r.max_rss_mib is not None and r.max_rss_mib < RSS_LIMIT_MIB
        rows.append([f"{h:g} h, 44.1 kHz stereo, 16-bit {fmt_ext.upper()} ({size:.0f} MiB)",
                     fmt(r.max_rss_mib, ".0f"), f"{RSS_LIMIT_MIB:.0f}",
                     "yes" if ok else "**NO**", f"{r.wall:.1f}", f"{dur / r.wall:.0f}x",
                     fmt(r.cpu, ".1f"), f"{res[f'{h:g}h']['json_mib']:.1f}"])
        sanity.append(f"{h:g} h: {res[f'{h:g}h']['silences']} silences found for "
                      f"{info['rests']} planned rests, integrated loudness "
                      f"{fmt(res[f'{h:g}h']['lufs'], '.2f')} LUFS")
    parts = [
        "`songlens analyze FILE --json OUT` (CLI, one fresh process per file) on generated "
        "files: a 220 Hz tone with harmonics wandering between -30 and -10 dBFS, white "
        "noise at -50 dBFS and a 4 s rest (-90 dBFS noise) at the end of every 10 min, "
        f"streamed to disk block by block (written in {gen_total:.0f} s in all, each "
        "deleted after its run).",
        table(["file", "peak RSS MiB", "limit MiB (1.5 GB)", "within limit", "wall s",
               "x-realtime", "CPU s", "JSON MiB"], rows),
        "Sanity: " + "; ".join(sanity) + ".",
    ]
    hs = sorted(h for h in hours if h >= 1.0)
    if len(hs) >= 2:
        a_, b_ = res[f"{hs[0]:g}h"]["rss_mib"], res[f"{hs[-1]:g}h"]["rss_mib"]
        if a_ and b_:
            slope = (b_ - a_) / (hs[-1] - hs[0])
            res["mib_per_hour"] = slope
            parts.append(f"Peak RSS grows by {slope:.0f} MiB per hour of audio between "
                         f"{hs[0]:g} h and {hs[-1]:g} h; a straight-line extrapolation "
                         f"reaches the 1.5 GB limit at about "
                         f"{hs[-1] + (RSS_LIMIT_MIB - b_) / slope:.1f} h." if slope > 0 else
                         "Peak RSS does not grow with the file length.")
    return "\n\n".join(parts), res


# ----------------------------------------------------------------------------
PART_TITLES = {
    "loudness": "a. Loudness accuracy",
    "arc": "b. Silences, build-up and climax on rendered pieces",
    "speed": "c. Speed",
    "memory": "d. Memory on a long file",
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="skip the long-file memory test")
    p.add_argument("--peer-python", default=os.environ.get("PEER_PYTHON"),
                   help="python of the peer venv (essentia, librosa); default $PEER_PYTHON "
                        "or benchmarks/.venv-peers/bin/python if it exists")
    p.add_argument("--repeat", type=int, default=3, help="timing repeats (best of)")
    p.add_argument("--hours", type=float, nargs="+", default=[1.0, 3.0],
                   help="lengths of the memory test files (h); default 1 and 3")
    p.add_argument("--long-format", choices=["wav", "flac"], default="flac")
    p.add_argument("--skip", nargs="*", default=[], choices=["loudness", "arc", "speed"],
                   help="parts to skip (their sections in RESULTS.md are kept as they were)")
    p.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    a = p.parse_args(argv)
    peer = a.peer_python
    if peer is None:
        cand = ROOT / "benchmarks" / ".venv-peers" / "bin" / "python"
        peer = str(cand) if cand.exists() else None
    cmd = "PYTHONPATH=src nice -n 10 python benchmarks/foundation.py" + "".join(
        f" {x}" for x in (argv if argv is not None else sys.argv[1:]))
    if peer:
        cmd = cmd.replace(peer, "PEER_PYTHON")
    peer_ver = ""
    if peer:
        pv = run_timed([peer, "-c", "import essentia, librosa; print(essentia.__version__, "
                        "librosa.__version__)"])
        if pv.returncode == 0 and len(pv.stdout.split()) == 2:
            ev, lv = pv.stdout.split()
            peer_ver = f" Peers: essentia {ev}, librosa {lv}."

    def emit(name: str, intro: str, text: str, t0: float, facts: dict[str, str],
             started: str) -> None:
        head = (f"### {PART_TITLES[name]}\n\n"
                f"Produced by `{cmd}` (script `benchmarks/foundation.py`), started {started}, "
                f"took {(time.perf_counter() - t0) / 60:.1f} min. Machine: "
                f"{machine_line(facts)}; load average at start {facts.get('loadavg', '?')}."
                + (peer_ver if name == "speed" else "") + "\n")
        body = head + "\n" + "\n\n".join(x for x in (intro, text) if x) + "\n"
        if a.no_write:
            print(body)
        else:
            write_section("foundation", FOUNDATION_INTRO)
            write_section(f"foundation-{name}", body)
            print(f"  wrote section foundation-{name} of {ROOT / 'benchmarks' / 'RESULTS.md'}",
                  flush=True)

    summary: dict = {}
    # SIGTERM -> SystemExit, so that the temporary files are removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="songlens-bench-"))
    try:
        for name in ("loudness", "arc", "speed", "memory"):
            if name in a.skip:
                continue
            facts, started, t0 = machine_facts(), now(), time.perf_counter()
            print(f"{PART_TITLES[name]} ...", flush=True)
            intro = ""
            if name == "loudness":
                txt, summary[name] = loudness_section()
                intro = ("`songlens.analyze_signal` on the synthetic EBU test signals at 48 kHz "
                         "(`songlens.testing.signals`); pyloudnorm 0.2 on the same signals "
                         "for reference. Errors are measured - truth.")
            elif name == "arc":
                txt, summary[name] = arc_section(tmp)
                intro = (f"{len(PIECES)} pieces from `compose_arc_piece` (FluidR3 GM "
                         "soundfont, 44.1 kHz stereo), analysed in memory with "
                         f"`analyze_signal`; {len(MP3_PIECES)} of them also written as MP3 "
                         "(soundfile/LAME defaults) and analysed from the file with "
                         "`songlens.analyze`. Truth: the planned lead-in, rest and tail "
                         "silences; the planned build-up (start of the crescendo to the "
                         "climax) and the climax (end of the crescendo).")
            elif name == "speed":
                txt, summary[name] = speed_section(tmp, peer, a.repeat)
                if not peer:
                    intro = "(No peer python given: Essentia/librosa rows skipped.)"
            elif a.quick:
                if not a.no_write and "foundation-memory" in _results_text():
                    continue  # keep the last full measurement
                txt = "Not run yet (`--quick`)."
            else:
                txt, summary[name] = memory_section(tmp, hours=a.hours, fmt_ext=a.long_format)
            emit(name, intro, txt, t0, facts, started)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "foundation-summary.json").write_text(json.dumps(summary, indent=1, default=str))
    return 0


FOUNDATION_INTRO = """\
## Foundation (issue 2): loudness, silences, climax, speed, memory

Script `benchmarks/foundation.py`. Each part below was produced by the command,
on the date and machine it names; `--quick` and `--skip` re-runs leave the parts
they skip as they were.
"""


def _results_text() -> str:
    return RESULTS.read_text() if RESULTS.exists() else ""


if __name__ == "__main__":
    sys.exit(main())
