"""Chord decoding diagnostics on the corpus chorales (issue 3, majmin WCSR).

Usage::

    PYTHONPATH=src python benchmarks/probes/chord_diag.py --cache /work/cache-v2 \
        [--beats truth|est:/tmp/mir.json] [--pf-cache /tmp/h3_pf] [--breakdown]

Pitch features are computed once per piece (mono mean of the channels, soxr
resampled to 22050 Hz as in the pipeline) and cached as ``.npz``. The chords
are decoded with :func:`songlens.analysis.chords.decode_chords` on the truth
beats (or on SongLens' own beats from a ``mir.py --json`` dump that kept
them) and scored with the same mir_eval majmin/sevenths code as
``benchmarks/mir.py``. ``--breakdown`` classifies every 10 ms of majmin-scored
reference time: correct; estimate N; right root, wrong quality; estimate root
= reference bass (an inversion read as its bass note); estimate equal to the
previous/next reference chord (a boundary off by up to one beat); other
wrong root. ``--oracle`` replaces the audio chroma by the chroma of the
rendered MIDI notes (same register weights, no window, no partials): the
score the template model would reach with perfect pitch features.
``--set NAME=VALUE`` overrides a module constant of
:mod:`songlens.analysis.chords` (e.g. ``BEAT_SWITCH_COST=0.5``) for a
sensitivity check.

Findings (13 chorales, majmin WCSR, 2026-11, after the beat-grid continuation)
------------------------------------------------------------------------------
* truth beats 0.852, SongLens beats 0.817 (the pipeline's beats drift by up
  to 0.2 s on bwv269/bwv351, halve the period on bwv248, 2:3 on bwv281);
  frame-level decoding without beats 0.80-0.81.
* truth-beat error classes (share of scored time): one-beat chord skipped or
  boundary late/early 5.7 %, other wrong root 5.0 %, root read from an
  inversion's bass 3.3 %, wrong quality 1.1 %; "N" 0 (1.9 % before the
  continuation: the final chord shared an interval with the tail silence).
* ceilings: the truth reduced to one label per beat scores 0.986 (per half
  beat 1.000), so half-beat chords hardly matter; oracle note chroma with the
  same templates and Viterbi 0.902, so the audio front end costs ~0.05 and
  the template model ~0.08.
* tried and rejected (truth beats / SongLens beats): half-beat grid 0.849 /
  0.819; inversions scored like root position (bass on the third or fifth
  rewarded as the root) 0.844 / -; chord changes moved to the best frame
  edge within half a beat 0.823 / 0.813; frames shared between beats by
  their Hann window mass 0.849 / 0.813; beat-mean chroma scored once 0.846 /
  -; BEAT_SWITCH_COST 0.25 / 0.5 / 2.0: 0.851 / 0.853 / 0.790.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import mir_eval
import numpy as np

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from mir import _chord_scores  # noqa: E402
from songlens.analysis.chords import analyze_chords, decode_chords  # noqa: E402
from songlens.dsp.chroma import PitchFeatures, pitch_features  # noqa: E402
from songlens.testing.corpus import load_corpus  # noqa: E402


def _features(piece, pf_cache: Path) -> PitchFeatures:
    f = pf_cache / f"{piece.name}.npz"
    if f.exists():
        z = np.load(f)
        return PitchFeatures(notes=z["notes"], treble=z["treble"], bass=z["bass"],
                             level_db=z["level_db"], sr=int(z["sr"]),
                             hop_length=int(z["hop"]), n_fft=int(z["n_fft"]),
                             tuning_hz=float(z["tuning"]))
    import soundfile as sf
    import soxr

    y, sr = sf.read(str(piece.audio_path), dtype="float32", always_2d=True)
    y = soxr.resample(y.mean(axis=1), sr, 22050, quality="HQ").astype(np.float32)
    p = pitch_features(y, sr=22050)
    pf_cache.mkdir(parents=True, exist_ok=True)
    np.savez(f, notes=p.notes, treble=p.treble, bass=p.bass, level_db=p.level_db, sr=p.sr,
             hop=p.hop_length, n_fft=p.n_fft, tuning=p.tuning_hz)
    return p


def _oracle(piece) -> PitchFeatures:
    """Pitch features from the rendered MIDI notes (binary salience per frame)."""
    import pretty_midi

    from songlens.dsp import chroma as ch

    pm = pretty_midi.PrettyMIDI(str(piece.audio_path.with_suffix(".mid")))
    sr, hop = ch.PITCH_RATE, 1024
    times = np.arange(int(piece.truth.duration * sr / hop) + 1) * hop / sr
    notes = np.zeros((times.size, ch.N_NOTES), np.float32)
    for inst in pm.instruments:
        for nt in inst.notes:
            i0, i1 = np.searchsorted(times, [nt.start, nt.end])
            notes[i0:i1, nt.pitch - ch.MIDI_LOW] += 1.0
    comp = np.sqrt(notes)
    return PitchFeatures(notes=notes, treble=comp @ ch._FOLD_TREBLE, bass=comp @ ch._FOLD_BASS,
                         level_db=np.where(notes.sum(axis=1) > 0, 0.0, -100.0), sr=sr,
                         hop_length=hop, n_fft=4096, tuning_hz=440.0)


def _at(segs, t):
    for a, b, lab in segs:
        if a <= t < b:
            return lab
    return "N"


def breakdown(ref: list, est: list, step: float = 0.01) -> dict[str, float]:
    """Seconds of majmin-scored reference time per error class."""
    out = {k: 0.0 for k in ("correct", "est_N", "quality", "bass_root", "boundary", "root")}
    ref_iv = [(a, b, lab) for a, b, lab in ref]
    for i, (a, b, lab) in enumerate(ref_iv):
        if lab in ("N", "X"):
            continue
        r_root, r_bits, r_bass = mir_eval.chord.encode(lab)
        if tuple(r_bits[:8]) not in ((1, 0, 0, 0, 1, 0, 0, 1), (1, 0, 0, 1, 0, 0, 0, 1)):
            continue  # not scored by majmin
        prev = ref_iv[i - 1][2] if i > 0 else "N"
        nxt = ref_iv[i + 1][2] if i + 1 < len(ref_iv) else "N"
        for t in np.arange(a, b, step):
            e = _at(est, t)
            if mir_eval.chord.majmin([lab], [e])[0] == 1:
                out["correct"] += step
                continue
            if e == "N":
                out["est_N"] += step
                continue
            e_root, _, _ = mir_eval.chord.encode(e)
            near = (t - a < 1.0 and prev not in ("N", "X")
                    and mir_eval.chord.majmin([prev], [e])[0] == 1) or (
                b - t < 1.0 and nxt not in ("N", "X")
                and mir_eval.chord.majmin([nxt], [e])[0] == 1)
            if near:
                out["boundary"] += step
            elif e_root == r_root:
                out["quality"] += step
            elif e_root == (r_root + r_bass) % 12:
                out["bass_root"] += step
            else:
                out["root"] += step
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default="/work/cache-v2")
    ap.add_argument("--pf-cache", default="/tmp/h3_pf")
    ap.add_argument("--beats", default="truth")
    ap.add_argument("--breakdown", action="store_true")
    ap.add_argument("--oracle", action="store_true", help="chroma of the MIDI notes")
    ap.add_argument("--dump", default=None, help="write estimates per piece (JSON)")
    ap.add_argument("--set", action="append", default=[],
                    help="NAME=VALUE: override a module constant of songlens.analysis.chords")
    a = ap.parse_args()
    import songlens.analysis.chords as ch
    for kv in a.set:
        k, v = kv.split("=")
        setattr(ch, k, None if v == "None" else float(v))
    pieces = [p for p in load_corpus(a.cache) if p.truth.chords]
    est_beats = {}
    if a.beats.startswith("est:"):
        d = json.loads(Path(a.beats[4:]).read_text())["corpus"]["songlens"]
        est_beats = {k: v.get("beats") for k, v in d.items()}
    tot = {"majmin": [0.0, 0.0], "sevenths": [0.0, 0.0]}
    bd_tot: dict[str, float] = {}
    dump = {}
    for p in pieces:
        pf = _oracle(p) if a.oracle else _features(p, Path(a.pf_cache))
        beats = (None if a.beats == "none" else
                 np.asarray(p.truth.beats if a.beats == "truth" else est_beats[p.name]))
        dec = decode_chords(pf, beats=beats, duration=p.truth.duration)
        chords, _ = analyze_chords(pf, key=None, chords=dec, duration=p.truth.duration)
        est = [[c.start, c.end, c.label] for c in chords]
        dump[p.name] = est
        sc = _chord_scores(p.truth, est)
        for k, (s, w) in sc.items():
            tot[k][0] += s * w
            tot[k][1] += w
        line = f"{p.name[8:24]:16s} majmin {sc['majmin'][0]:.3f} sev {sc['sevenths'][0]:.3f}"
        if a.breakdown:
            bd = breakdown(p.truth.chords, est)
            n = sum(bd.values())
            line += "  " + " ".join(f"{k} {v / n:.3f}" for k, v in bd.items())
            for k, v in bd.items():
                bd_tot[k] = bd_tot.get(k, 0.0) + v
        print(line, flush=True)
    print(f"WCSR majmin {tot['majmin'][0] / tot['majmin'][1]:.4f} "
          f"sevenths {tot['sevenths'][0] / tot['sevenths'][1]:.4f}")
    if bd_tot:
        n = sum(bd_tot.values())
        print("breakdown " + " ".join(f"{k} {v / n:.3f}" for k, v in bd_tot.items()))
    if a.dump:
        Path(a.dump).write_text(json.dumps(dump))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
