"""Sanity of the full analysis on real, produced recordings (no labels).

    PYTHONPATH=src nice -n 10 python benchmarks/real_recordings.py [--json OUT] [--from-json IN]

Analyses, with the default (full) profile of :func:`songlens.pipeline.analyze`,
every decodable music file of the Debian packages that ``make setup`` installs
(``scripts/setup.sh``): ``asc-music`` (three mp3 by Michael Kievernagel, 2002,
GPL-2+) and ``drascula-music`` (the 31 ogg tracks of the Drascula game
soundtrack, Alcachofa Soft, Drascula licence). If present, the three music
tracks of ``frozen-bubble-data`` (GPL-2+) are analysed too. The audio is read
from the Debian paths and never copied into the repository.

There are no labels, so nothing is scored: per track the script lists what
SongLens reports, then the distribution of valence/arousal and of the
instrument classes found, the warnings of the analyses, and automatic
plausibility flags (NaN/inf anywhere in the result, values outside their
documented ranges, BPM outside 40-250, melody notes outside the piano range,
sections that do not tile the track, ...).

Optionally (``--peer-python``, the interpreter of a venv with Essentia, which
is AGPL and never a SongLens dependency), Essentia's RhythmExtractor2013 and
KeyExtractor (via ``benchmarks/_peers_mir.py essentia``) give a second opinion on
tempo and key: agreement with a peer, not accuracy.

Timing: in-process wall time per track (``time.perf_counter``) after one
untimed warm-up analysis of the shortest file (model loading), so the first row
does not pay one-off costs. Writes the ``real_recordings`` section of
``benchmarks/RESULTS.md`` and the per-track summaries to
``benchmarks/real_recordings_results.json`` (``--from-json`` re-renders the
section from that file without analysing again).
"""

from __future__ import annotations

import argparse
import glob
import json
import logging
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH_DIR, fmt, now, table, write_section  # noqa: E402

SOURCES: list[tuple[str, str, str]] = [
    # (Debian package, glob, licence)
    ("asc-music", "/usr/share/games/asc/music/*.mp3", "GPL-2+"),
    ("drascula-music", "/usr/share/scummvm/drascula/audio/track*.ogg", "Drascula licence"),
    ("frozen-bubble-data", "/usr/share/games/frozen-bubble/snd/*zik*.ogg", "GPL-2+"),
]
REQUIRED = ("asc-music", "drascula-music")
JSON_OUT = BENCH_DIR / "real_recordings_results.json"
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def note_name(midi: float) -> str:
    m = int(round(midi))
    return f"{NOTE_NAMES[m % 12]}{m // 12 - 1}"


def list_files() -> list[tuple[str, str, str]]:
    """``(package, path, licence)`` of every candidate file, naturally sorted."""

    def natural(p: str) -> tuple[str, int]:
        stem = Path(p).stem
        digits = "".join(c for c in stem if c.isdigit())
        return stem.rstrip("0123456789"), int(digits) if digits else -1

    out = []
    for pkg, pattern, lic in SOURCES:
        for p in sorted(glob.glob(pattern), key=natural):
            out.append((pkg, p, lic))
    return out


def _walk_bad_numbers(obj: Any, where: str = "") -> list[str]:
    bad: list[str] = []
    if isinstance(obj, float):
        if not math.isfinite(obj):
            bad.append(f"{where}={obj}")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            bad += _walk_bad_numbers(v, f"{where}.{k}" if where else str(k))
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            bad += _walk_bad_numbers(v, f"{where}[{i}]")
    return bad


def plausibility_flags(r: Any, d: dict[str, Any]) -> list[str]:
    """Automatic flags on one result (``r`` the AnalysisResult, ``d`` its dict)."""
    flags: list[str] = []
    bad = _walk_bad_numbers(d)
    if bad:
        flags.append(f"{len(bad)} non-finite numbers, e.g. {', '.join(bad[:3])}")
    dur = r.track.duration
    if r.tempo is None:
        flags.append("no tempo")
    elif not 40.0 <= r.tempo.bpm <= 250.0:
        flags.append(f"BPM {r.tempo.bpm:.1f} outside 40-250")
    if r.key is None:
        flags.append("no key")
    if not r.chords:
        flags.append("no chords")
    if r.sections:
        # sections cover the music: a leading/trailing silence may lie outside them
        sil = r.silences or []
        first = sil[0].end if sil and sil[0].start <= 0.5 else 0.0
        last = sil[-1].start if sil and sil[-1].end >= dur - 0.5 else dur
        if abs(r.sections[0].start - first) > 0.5 or abs(r.sections[-1].end - last) > 1.0:
            flags.append(f"sections span {r.sections[0].start:.1f}-{r.sections[-1].end:.1f} s "
                         f"of {dur:.1f} s")
        if dur > 60 and len(r.sections) == 1:
            flags.append("a single section on a track > 60 s")
    else:
        flags.append("no sections")
    if r.emotion is not None:
        if not (-1 <= r.emotion.valence <= 1 and -1 <= r.emotion.arousal <= 1):
            flags.append(f"V/A ({r.emotion.valence}, {r.emotion.arousal}) outside [-1, 1]")
    else:
        flags.append("no emotion")
    if r.melody is not None and r.melody.notes:
        lo = min(n.pitch for n in r.melody.notes)
        hi = max(n.pitch for n in r.melody.notes)
        if lo < 21 or hi > 108:
            flags.append(f"melody notes {lo:.0f}-{hi:.0f} outside the piano range (21-108)")
        if any(n.end <= n.start for n in r.melody.notes):
            flags.append("melody notes with end <= start")
        if any(n.start < -0.01 or n.end > dur + 0.5 for n in r.melody.notes):
            flags.append("melody notes outside the track")
    if r.descriptors is not None:
        for k in ("acousticness", "danceability", "energy", "instrumentalness", "liveness",
                  "speechiness", "valence"):
            v = getattr(r.descriptors, k)
            if v is not None and not 0.0 <= v <= 1.0:
                flags.append(f"descriptors.{k} = {v} outside [0, 1]")
    if r.instruments is not None:
        for ins in r.instruments:
            if ins.first_entry is not None and not -0.01 <= ins.first_entry <= dur + 0.5:
                flags.append(f"{ins.name} first entry {ins.first_entry:.1f} s outside the track")
    if r.loudness is not None and r.loudness.integrated_lufs is not None:
        if not -70 <= r.loudness.integrated_lufs <= 0:
            flags.append(f"integrated loudness {r.loudness.integrated_lufs:.1f} LUFS")
    return flags


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()}")


def summarise(pkg: str, path: str, lic: str) -> dict[str, Any]:
    """Analyse one file (full profile) and keep what the section reports."""
    from songlens.pipeline import analyze
    from songlens.result.serialize import result_to_dict

    handler = _Collect()
    logging.getLogger().addHandler(handler)
    row: dict[str, Any] = {"package": pkg, "path": path, "licence": lic}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            try:
                r = analyze(path)
            except Exception as exc:  # noqa: BLE001 - a crash is a finding, reported
                row["error"] = f"{type(exc).__name__}: {exc}"
                return row
            row["wall_s"] = time.perf_counter() - t0
    finally:
        logging.getLogger().removeHandler(handler)
    d = result_to_dict(r)
    row["duration_s"] = r.track.duration
    row["sample_rate"] = r.track.sample_rate
    row["profile"] = r.settings.get("profile")
    row["bpm"] = r.tempo.bpm if r.tempo else None
    row["meter"] = r.tempo.meter if r.tempo else None
    row["tempo_confidence"] = r.tempo.confidence if r.tempo else None
    row["key"] = r.key.label if r.key else None
    row["key_confidence"] = r.key.confidence if r.key else None
    row["n_chords"] = len(r.chords) if r.chords is not None else None
    row["n_chord_labels"] = len({c.label for c in r.chords}) if r.chords else 0
    row["n_sections"] = len(r.sections) if r.sections is not None else None
    row["section_labels"] = [s.label for s in r.sections] if r.sections else []
    row["instruments"] = ([{"name": i.name, "first_entry": i.first_entry,
                            "active_s": sum(b - a for a, b in i.active)}
                           for i in r.instruments] if r.instruments is not None else None)
    if r.lead_instruments is not None:
        lead = Counter()
        for seg in r.lead_instruments:
            lead[seg.name or "(none)"] += seg.end - seg.start
        row["lead"] = [[k, v] for k, v in lead.most_common()]
    else:
        row["lead"] = None
    if r.melody is not None:
        pitches = [n.pitch for n in r.melody.notes]
        row["melody_notes"] = len(pitches)
        row["melody_range"] = [min(pitches), max(pitches)] if pitches else None
    else:
        row["melody_notes"] = None
        row["melody_range"] = None
    if r.emotion is not None:
        row["valence"] = r.emotion.valence
        row["arousal"] = r.emotion.arousal
        moods = sorted(r.emotion.moods, key=lambda m: -m.score)
        row["moods"] = [[m.label, m.score] for m in moods[:3]]
    if r.descriptors is not None:
        for k in ("danceability", "energy", "acousticness", "instrumentalness", "speechiness",
                  "liveness"):
            row[k] = getattr(r.descriptors, k)
    row["lufs"] = r.loudness.integrated_lufs if r.loudness else None
    row["climax_s"] = r.climax.time if r.climax else None
    row["n_buildups"] = len(r.buildups) if r.buildups is not None else None
    row["silences"] = [[x.start, x.end] for x in r.silences or []]
    row["warnings"] = list(r.warnings)
    row["py_warnings"] = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    row["log_warnings"] = sorted(set(handler.records))
    row["flags"] = plausibility_flags(r, d)
    return row


def quadrant(v: float, a: float) -> str:
    return {(True, True): "happy/excited (+V +A)", (False, True): "tense/angry (-V +A)",
            (False, False): "sad/gloomy (-V -A)", (True, False): "calm/tender (+V -A)"}[
        (v >= 0, a >= 0)]


def render(rows: list[dict[str, Any]], *, command: str, when: str, load: str) -> str:
    ok = [r for r in rows if "error" not in r]
    total_audio = sum(r["duration_s"] for r in ok)
    total_wall = sum(r["wall_s"] for r in ok)
    pkgs = Counter(r["package"] for r in rows)
    lines = [
        "## Real recordings, no labels: are the outputs sane? (issue 4)", "",
        f"Script: `{command}`; {when}. Load average at the end: {load} (2 cores shared "
        "with other jobs, so wall times are inflated).",
        "",
        "Files: every decodable music file of the Debian packages "
        + ", ".join(f"`{p}` ({n})" for p, n in pkgs.items())
        + ", read from their Debian paths (never copied into the repository): "
        "`asc-music` = three tracks by Michael Kievernagel (2002, GPL-2+); "
        "`drascula-music` = the Drascula game soundtrack (Alcachofa Soft, Drascula licence); "
        "`frozen-bubble-data` = the Frozen Bubble music (GPL-2+; installed here as a "
        "dependency of `fb-music-high`, whose only file, an .xm module, FFmpeg does not "
        "decode). These are real, produced game/soundtrack recordings, mostly "
        "instrumental and orchestral/synth; none is a pop song with vocals, so the vocal "
        "and genre readings are barely exercised.",
        "",
        f"Each file is analysed in-process with `songlens.pipeline.analyze(path)` (profile "
        f"full, the default); wall = that call, after one untimed warm-up analysis. "
        f"{len(ok)} of {len(rows)} files analysed, {total_audio / 60:.1f} min of audio in "
        f"{total_wall:.0f} s ({total_audio / max(total_wall, 1e-9):.1f} x realtime).",
        "",
        "Columns: BPM/meter; key; chords = chord segments (distinct labels); sect = "
        "sections; instruments = classes found with their first entry (s), earliest first; "
        "lead = lead instrument(s) by time as lead; melody = transcribed notes and their "
        "range; V/A = valence/arousal in [-1, 1]; mood = top mood (score); D/E/A = "
        "danceability/energy/acousticness in [0, 1]; wall = analysis seconds.",
        "",
    ]
    hdr = ["track", "dur (s)", "BPM / meter", "key", "chords", "sect",
           "instruments (first entry s)", "lead", "melody", "V / A", "mood", "D / E / A",
           "wall (s)"]
    body = []
    for r in rows:
        name = f"{r['package']}/{Path(r['path']).name}"
        if "error" in r:
            body.append([name] + ["-"] * 11 + [f"ERROR {r['error']}"])
            continue
        ins = r["instruments"]
        if ins is None:
            ins_s = "n/a"
        elif not ins:
            ins_s = "none"
        else:
            srt = sorted(ins, key=lambda i: (i["first_entry"] is None, i["first_entry"] or 0))
            ins_s = ", ".join(f"{i['name']} {fmt(i['first_entry'], '.0f', '?')}" for i in srt)
        lead = r["lead"]
        if lead is None:
            lead_s = "n/a"
        else:
            tot = sum(v for _, v in lead) or 1.0
            lead_s = ", ".join(f"{k} {100 * v / tot:.0f}%" for k, v in lead[:2])
        mel = "n/a"
        if r["melody_notes"] is not None:
            mel = str(r["melody_notes"])
            if r["melody_range"]:
                mel += f" {note_name(r['melody_range'][0])}-{note_name(r['melody_range'][1])}"
        mood = f"{r['moods'][0][0]} {r['moods'][0][1]:.2f}" if r.get("moods") else "n/a"
        body.append([
            name, f"{r['duration_s']:.0f}",
            f"{fmt(r['bpm'], '.1f')} {r['meter'] or '?'}", r["key"] or "n/a",
            f"{r['n_chords']} ({r['n_chord_labels']})", str(r["n_sections"]), ins_s, lead_s,
            mel, f"{fmt(r.get('valence'), '+.2f')} / {fmt(r.get('arousal'), '+.2f')}", mood,
            f"{fmt(r.get('danceability'))} / {fmt(r.get('energy'))} / "
            f"{fmt(r.get('acousticness'))}",
            f"{r['wall_s']:.1f}"])
    lines += [table(hdr, body), ""]

    # distributions --------------------------------------------------------------
    va = [(r["valence"], r["arousal"]) for r in ok if r.get("valence") is not None]
    if va:
        def mmm(xs: list[float]) -> str:
            return f"{min(xs):+.2f} / {statistics.median(xs):+.2f} / {max(xs):+.2f}"

        vs = [v for v, _ in va]
        as_ = [a for _, a in va]
        q = Counter(quadrant(v, a) for v, a in va)
        lines += [
            "### Valence / arousal distribution", "",
            table(["", "min / median / max", "std"],
                  [["valence", mmm(vs), f"{statistics.pstdev(vs):.2f}"],
                   ["arousal", mmm(as_), f"{statistics.pstdev(as_):.2f}"]]), "",
            "Quadrants (sign of V, sign of A): " + ", ".join(
                f"{k} {q.get(k, 0)}" for k in ("happy/excited (+V +A)", "tense/angry (-V +A)",
                                              "sad/gloomy (-V -A)", "calm/tender (+V -A)"))
            + ".",
            "",
        ]
        per_pkg = []
        for pkg in pkgs:
            sub = [(r["valence"], r["arousal"]) for r in ok
                   if r["package"] == pkg and r.get("valence") is not None]
            if sub:
                per_pkg.append([pkg, str(len(sub)),
                                f"{statistics.median(v for v, _ in sub):+.2f}",
                                f"{statistics.median(a for _, a in sub):+.2f}"])
        lines += [table(["package", "tracks", "median valence", "median arousal"], per_pkg), ""]
        moods = Counter(r["moods"][0][0] for r in ok if r.get("moods"))
        lines += ["Top mood per track: " + ", ".join(f"{k} {n}" for k, n in moods.most_common())
                  + ".", ""]

    # instruments ------------------------------------------------------------------
    n_with = [r for r in ok if r["instruments"] is not None]
    found = Counter(i["name"] for r in n_with for i in r["instruments"])
    lead_c = Counter(r["lead"][0][0] for r in ok if r["lead"])
    lines += [
        "### Instrument classes found", "",
        f"Tracks in which each class is found at least once (of {len(n_with)} with an "
        "instrument timeline):", "",
        table(["instrument", "tracks", "median first entry (s)"],
              [[k, str(n), fmt(statistics.median(
                  [i["first_entry"] for r in n_with for i in r["instruments"]
                   if i["name"] == k and i["first_entry"] is not None] or [float("nan")]),
                  ".0f")] for k, n in found.most_common()]),
        "",
        f"Tracks with no instrument found: {sum(1 for r in n_with if not r['instruments'])}. "
        "Main lead instrument per track: "
        + (", ".join(f"{k} {n}" for k, n in lead_c.most_common()) or "none") + ".",
        "",
    ]
    # descriptors ----------------------------------------------------------------------
    desc_rows = []
    for k in ("danceability", "energy", "acousticness", "instrumentalness", "speechiness",
              "liveness"):
        xs = [r[k] for r in ok if r.get(k) is not None]
        if xs:
            desc_rows.append([k, f"{min(xs):.2f} / {statistics.median(xs):.2f} / {max(xs):.2f}"])
    bpms = [r["bpm"] for r in ok if r["bpm"]]
    meters = Counter(r["meter"] or "?" for r in ok)
    modes = Counter((r["key"] or "n/a").split()[-1] for r in ok)
    if desc_rows:
        lines += ["### Other distributions", "",
                  table(["descriptor", "min / median / max"], desc_rows), "",
                  f"BPM min / median / max: {min(bpms):.1f} / {statistics.median(bpms):.1f} / "
                  f"{max(bpms):.1f}. Meters: "
                  + ", ".join(f"{k} {n}" for k, n in meters.most_common())
                  + ". Key modes: " + ", ".join(f"{k} {n}" for k, n in modes.most_common())
                  + ".", ""]

    # second opinion -------------------------------------------------------------------
    peer = [r for r in ok if r.get("peer") and "error" not in r["peer"]]
    if peer:
        lines += peer_section(peer)

    lines += observations(ok)

    # warnings / errors / flags -------------------------------------------------------
    errs = [r for r in rows if "error" in r]
    lines += ["### Errors, warnings and automatic plausibility flags", ""]
    lines.append(f"Errors (analysis raised): {len(errs)}"
                 + ("" if not errs else ": " + "; ".join(
                     f"{Path(r['path']).name}: {r['error']}" for r in errs)) + ".")
    lines.append("")
    wcount: Counter[str] = Counter()
    wtracks: dict[str, list[str]] = {}
    for r in ok:
        for w in set(r["warnings"]) | set(r["py_warnings"]) | set(r["log_warnings"]):
            kind = re.sub(r"\d+(\.\d+)?", "#", w)
            wcount[kind] += 1
            wtracks.setdefault(kind, []).append(f"{Path(r['path']).name} ({w})")
    if wcount:
        lines += ["Warnings (result warnings, Python warnings and log records, numbers "
                  "replaced by #; number of tracks, then which):", ""]
        lines += [f"* {n} x \"{k}\": " + "; ".join(wtracks[k]) for k, n in wcount.most_common()]
    else:
        lines.append("No warnings (result, Python or log) on any track.")
    lines.append("")
    flagged = [r for r in ok if r["flags"]]
    if flagged:
        lines += ["Automatic flags (checks listed in the script docstring):", ""]
        lines += [f"* {r['package']}/{Path(r['path']).name}: " + "; ".join(r["flags"])
                  for r in flagged]
    else:
        lines.append("No automatic plausibility flag raised on any track.")
    lines.append("")
    return "\n".join(lines)


def observations(ok: list[dict[str, Any]]) -> list[str]:
    """Figures behind the oddities worth a listen (computed, not judged by hand)."""
    n = len(ok)
    vocals = [r for r in ok if r["instruments"] and any(i["name"] == "vocals"
                                                         for i in r["instruments"])]
    vocal_lead = [Path(r["path"]).name for r in ok if r["lead"] and r["lead"][0][0] == "vocals"]
    inst = [r["instrumentalness"] for r in ok if r.get("instrumentalness") is not None]
    synth_led = [r for r in ok if r["lead"] and r["lead"][0][0] == "synth"]
    synth_acoustic = [r for r in synth_led if (r.get("acousticness") or 0) > 0.5]
    both = sum(1 for r in ok if r["instruments"]
               and {"synth", "piano"} <= {i["name"] for i in r["instruments"]})
    sec_len = [(r["duration_s"] / r["n_sections"], Path(r["path"]).name) for r in ok
               if r["n_sections"] and r["duration_s"] > 60]
    short = sorted(x for x in sec_len if x[0] < 10.0)
    out = ["### Observations (figures from the table above)", "",
           "The packages hold game soundtracks which, as far as their descriptions go, are "
           "instrumental (not verified by listening here). Against that:", "",
           f"* vocals are found in {len(vocals)} of {n} tracks and are the main lead "
           f"instrument in {len(vocal_lead)} ({', '.join(vocal_lead) or 'none'}): probably "
           "false positives of the instrument tagger (sustained synth/string lines?);"]
    if inst:
        out.append(f"* instrumentalness ranges {min(inst):.2f}-{max(inst):.2f} (median "
                   f"{statistics.median(inst):.2f}); on Spotify's scale values above 0.5 mean "
                   f"\"likely instrumental\", so {sum(1 for x in inst if x <= 0.5)} of "
                   f"{len(inst)} tracks read as vocal: the scale is compressed towards 0.5;")
    out.append(f"* acousticness exceeds 0.5 on {len(synth_acoustic)} of the {len(synth_led)} "
               "tracks whose main lead is synth: implausible for synth-led music;")
    out.append(f"* synth and piano are both found in {both} of {n} tracks: the tagger finds "
               "almost everything almost everywhere, so \"instruments found\" discriminates "
               "little between these tracks;")
    if short:
        out.append(f"* {len(short)} tracks longer than 60 s have sections shorter than 10 s on "
                   "average (" + ", ".join(f"{nm} {x:.1f} s" for x, nm in short) + "): an "
                   "over-segmentation, or short phrases labelled as sections;")
    peer = [r for r in ok if r.get("peer") and "bpm" in r["peer"] and r["bpm"]]
    if peer:
        octave = [r for r in peer if tempo_relation(r["bpm"], r["peer"]["bpm"])
                  not in ("same", "other")]
        out.append(f"* tempo: {len(octave)} of {len(peer)} tracks are at a metrical multiple "
                   "of Essentia's BPM (x2, x1/2, x3/2, x1/3"
                   + "".join(f"; e.g. {Path(r['path']).name} at {r['bpm']:.0f} BPM where "
                             f"Essentia says {r['peer']['bpm']:.0f}" for r in octave[:1])
                   + "), the usual octave ambiguity; key: SongLens and "
                   "Essentia agree exactly on only "
                   f"{sum(1 for r in peer if key_relation(r['key'], r['peer']['key']) == 'same')}"
                   f" of {len(peer)} (mir_eval counts a fifth only when SongLens' tonic is a "
                   "fifth above Essentia's).")
    out.append("")
    return out


def tempo_relation(a: float | None, b: float | None, *, tol: float = 0.04) -> str:
    """``same`` (within ``tol``), ``x2``/``x1/2``/``x3``/``x1/3`` (a vs b), else ``other``."""
    if not a or not b:
        return "n/a"
    for name, k in (("same", 1.0), ("x2", 2.0), ("x1/2", 0.5), ("x3", 3.0), ("x1/3", 1 / 3),
                    ("x3/2", 1.5), ("x2/3", 2 / 3)):
        if abs(a - k * b) <= tol * k * b:
            return name
    return "other"


def key_relation(est: str, ref: str) -> str:
    """MIREX relation of ``est`` to ``ref`` (same / fifth / relative / parallel / other)."""
    import mir_eval

    score = mir_eval.key.weighted_score(ref, est)
    return {1.0: "same", 0.5: "fifth", 0.3: "relative", 0.2: "parallel"}.get(score, "other")


def peer_section(rows: list[dict[str, Any]]) -> list[str]:
    tr = Counter(tempo_relation(r["bpm"], r["peer"]["bpm"]) for r in rows)
    kr = Counter(key_relation(r["key"], r["peer"]["key"]) for r in rows if r["key"])
    diff = [[f"{r['package']}/{Path(r['path']).name}",
             f"{fmt(r['bpm'], '.1f')} / {fmt(r['peer']['bpm'], '.1f')}",
             f"{r['key']} / {r['peer']['key']}",
             f"{tempo_relation(r['bpm'], r['peer']['bpm'])}, "
             f"{key_relation(r['key'], r['peer']['key'])}"]
            for r in rows
            if tempo_relation(r["bpm"], r["peer"]["bpm"]) != "same"
            or key_relation(r["key"], r["peer"]["key"]) != "same"]
    order = ("same", "x2", "x1/2", "x3", "x1/3", "x3/2", "x2/3", "other", "n/a")
    korder = ("same", "fifth", "relative", "parallel", "other")
    out = [
        "### Second opinion: Essentia on the same files (agreement, not accuracy)", "",
        "Essentia `RhythmExtractor2013(method='multifeature')` BPM and `KeyExtractor()` key "
        "(defaults), run by `benchmarks/_peers_mir.py essentia` in the peers' venv. Neither "
        "side is ground truth; a disagreement says where to listen.", "",
        f"Tempo, SongLens vs Essentia ({sum(tr.values())} tracks; 4 % tolerance): "
        + ", ".join(f"{k} {tr[k]}" for k in order if tr.get(k)) + ".",
        "Key, SongLens vs Essentia (MIREX relation): "
        + ", ".join(f"{k} {kr[k]}" for k in korder if kr.get(k)) + ".", "",
    ]
    if diff:
        out += ["Tracks where they differ:", "",
                table(["track", "BPM SongLens / Essentia", "key SongLens / Essentia",
                       "relation (tempo, key)"], diff), ""]
    return out


def run_peer(python: str, rows: list[dict[str, Any]]) -> None:
    """Add ``row["peer"] = {"bpm", "key"}`` from Essentia (``_peers_mir.py``)."""
    paths = [r["path"] for r in rows if "error" not in r]
    with tempfile.TemporaryDirectory() as tmp:
        inp, res = Path(tmp) / "in.json", Path(tmp) / "out.json"
        inp.write_text(json.dumps(paths))
        subprocess.run(["nice", "-n", "10", python, str(BENCH_DIR / "_peers_mir.py"),
                        "essentia", str(inp), str(res)], check=True)
        est = json.loads(res.read_text())
    for r in rows:
        e = est.get(r["path"])
        if e is not None:
            r["peer"] = ({"error": e["error"]} if "error" in e else
                         {"bpm": e["bpm"], "key": e["key"], "seconds": e["seconds"]})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=str(JSON_OUT), help="where to write per-track summaries")
    ap.add_argument("--from-json", default=None, help="re-render from a previous --json")
    ap.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    ap.add_argument("--limit", type=int, default=None, help="only the first N files (debug)")
    ap.add_argument("--peer-python", default=None,
                    help="python of a venv with Essentia: add its tempo/key as a second opinion")
    a, unknown = ap.parse_known_args(argv)  # run.py passes its extra options to all
    if unknown:
        print(f"note: ignoring options {unknown}", flush=True)
    base = command = "PYTHONPATH=src nice -n 10 python benchmarks/real_recordings.py"
    if a.from_json:
        saved = json.loads(Path(a.from_json).read_text())
        rows, when, load = saved["rows"], saved["when"], saved["loadavg"]
        command = saved.get("command", command)
        if a.peer_python:
            command += (f"` (analyses), then `{base} --from-json {a.from_json} "
                        f"--peer-python {a.peer_python}` (Essentia)")
            run_peer(a.peer_python, rows)
            saved["rows"], saved["command"] = rows, command
            Path(a.from_json).write_text(json.dumps(saved, indent=1, default=float) + "\n")
    else:
        files = list_files()
        missing = [p for p in REQUIRED if not any(f[0] == p for f in files)]
        if missing:
            print(f"missing Debian packages {missing}: run `make setup` "
                  "(scripts/setup.sh installs them)", file=sys.stderr)
            return 1
        if a.limit:
            files = files[:a.limit]
        from songlens.pipeline import analyze

        shortest = min(files, key=lambda f: os.path.getsize(f[1]))
        analyze(shortest[1])  # warm-up: models loaded, caches filled
        rows = []
        for pkg, path, lic in files:
            row = summarise(pkg, path, lic)
            rows.append(row)
            print(f"{Path(path).name}: "
                  + (row["error"] if "error" in row else
                     f"{row['duration_s']:.0f} s in {row['wall_s']:.1f} s, "
                     f"BPM {fmt(row['bpm'], '.1f')}, {row['key']}, "
                     f"V/A {fmt(row.get('valence'))}/{fmt(row.get('arousal'))}, "
                     f"flags {row['flags']}"), flush=True)
        if a.peer_python:
            command += f" --peer-python {a.peer_python}"
            run_peer(a.peer_python, rows)
        when = now()
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        Path(a.json).write_text(json.dumps({"when": when, "loadavg": load, "command": command,
                                            "rows": rows}, indent=1, default=float) + "\n")
    body = render(rows, command=command, when=when, load=load)
    print(body)
    if not a.no_write:
        write_section("real_recordings", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
