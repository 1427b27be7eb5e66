"""Does the harmonic rhythm separate 2/4 from 4/4? A probe, not a benchmark.

    PYTHONPATH=src python benchmarks/probes/meter_harmony_probe.py DIR [DIR ...]

Each ``DIR`` holds ``<name>-<hash>.flac`` with truth JSON, as for
``benchmarks/rhythm_dataset_eval.py``. For every piece whose truth is 2/4 or
4/4 and whose estimate is 2/4 or 4/4, the pipeline's own steps are run in
order: :func:`songlens.analysis.rhythm.analyze_rhythm`, then
:func:`songlens.dsp.chroma.pitch_features` and the beat-synchronous
:func:`songlens.analysis.chords.decode_chords` (chords change only on beats).

The cue tested is the chord-change bar cue (Goto & Muraoka 1999 [1]_;
Papadopoulos & Peeters 2011 [2]_: chords change preferably on downbeats).
The estimated bar lines every two beats are split into two alternating
classes: with a 4/4 estimate, beat 1 (``A``) and beat 3 (``B``); with a 2/4
estimate, odd and even bars. Under 2/4 both classes are bar lines, so a chord
change is equally likely on either (share ``p = 1/2``); under 4/4 beat 3 is
the weaker one, ``p ~ U(0, 1/2)``, and either class may hold the downbeats.
:func:`bar_line_bayes_factor` is the Bayes factor of 2/4 against 4/4 from the
counts ``(a, b)``; it needs no tuned constant. Read on Jeffreys' scale
(> 3 substantial, > 10 strong). It also prints the changes off that grid
(beats 2 and 4): a harmony that changes on every beat says nothing about the
bar. With ``--truth-chords`` the same counts are taken from the truth chords
on the truth bar grid (the cue with a perfect chord and downbeat estimate).

Findings (v2 synthetic, heldout7, corpus; November 2026): see the Known limits
of :mod:`songlens.analysis.rhythm`.

References
----------
.. [1] M. Goto and Y. Muraoka, "Real-time beat tracking for drumless audio
       signals: chord change detection for musical decisions", Speech
       Communication 27(3-4), 1999.
.. [2] H. Papadopoulos and G. Peeters, "Joint estimation of chords and
       downbeats from an audio signal", IEEE TASLP 19(1), 2011.
"""

from __future__ import annotations

import argparse
import glob
import json
import os

import numpy as np
from scipy.special import betainc, gammaln

METERS = ("2/4", "4/4")


def bar_line_bayes_factor(a: int, b: int) -> float:
    """Bayes factor of "2/4" against "4/4" from chord changes on alternating bar lines.

    Parameters
    ----------
    a, b : int >= 0
        Chord changes on the two alternating classes of bar lines two beats
        apart.

    Returns
    -------
    bf : float > 0
        ``P(a, b | p = 1/2) / P(a, b | 4/4)``, where under 4/4 the share of
        the weaker class ``p`` is uniform on ``[0, 1/2]`` and either class is
        the downbeat with probability 1/2. 1 when there is no change.
    """
    if a < 0 or b < 0:
        raise ValueError(f"counts must be >= 0, got {a}, {b}")
    n = a + b
    if n == 0:
        return 1.0
    # the binomial coefficient cancels; log P(a, b | p = 1/2) without it:
    log_l2 = n * np.log(0.5)
    # 2 * int_0^1/2 p^b (1 - p)^a dp = 2 B(b+1, a+1) I_1/2(b+1, a+1), averaged over the phase
    log_beta = gammaln(a + 1) + gammaln(b + 1) - gammaln(n + 2)
    tail = 0.5 * (betainc(b + 1, a + 1, 0.5) + betainc(a + 1, b + 1, 0.5))
    log_l4 = np.log(2.0) + log_beta + np.log(tail)
    return float(np.exp(log_l2 - log_l4))


def grid_counts(beats: np.ndarray, downbeats: np.ndarray, change_times: np.ndarray, *,
                beats_per_bar: int, tol: float) -> tuple[int, int, int, int, int]:
    """Chord changes on beat 1 / beat 3 (4/4) or odd / even bars (2/4), and off the grid.

    Returns ``(a, b, on_grid_beats, off_grid_changes, off_grid_beats)``.
    """
    beats = np.asarray(beats, dtype=np.float64)
    chg = np.zeros(beats.size, dtype=bool)
    for t in change_times:
        k = int(np.argmin(np.abs(beats - t)))
        if abs(beats[k] - t) <= tol:
            chg[k] = True
    di = [int(np.argmin(np.abs(beats - d))) for d in downbeats]
    pos = np.full(beats.size, -1)
    for i, k in enumerate(di):
        end = di[i + 1] if i + 1 < len(di) else beats.size
        pos[k:end] = np.arange(end - k)
    if beats_per_bar == 4:
        cls = np.where(pos == 0, 0, np.where(pos == 2, 1, -1))
    else:
        bar = np.cumsum(pos == 0) - 1
        cls = np.where(pos == 0, bar % 2, -1)
    off = (pos >= 0) & (cls < 0)
    return (int(chg[cls == 0].sum()), int(chg[cls == 1].sum()), int(np.sum(cls >= 0)),
            int(chg[off].sum()), int(off.sum()))


def main(argv: list[str] | None = None) -> int:
    from songlens.analysis.chords import decode_chords
    from songlens.analysis.rhythm import analyze_rhythm
    from songlens.config import SignalConfig
    from songlens.dsp.chroma import pitch_features
    from songlens.features import FeatureExtractor
    from songlens.io.audio import channel_weights, open_audio

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--truth-chords", action="store_true",
                    help="also count the truth chords on the truth bar grid")
    args = ap.parse_args(argv)
    sig = SignalConfig()
    rows = []
    for d in args.dirs:
        for js in sorted(glob.glob(os.path.join(d, "*.json"))):
            audio = js[:-5] + ".flac"
            truth = json.load(open(js))
            if not os.path.exists(audio) or truth.get("time_signature") not in METERS:
                continue
            with open_audio(audio) as rd:
                info = rd.info
                bundle = FeatureExtractor.from_blocks(
                    rd.blocks(int(10 * info.sample_rate)), sr=info.sample_rate,
                    channel_weights=channel_weights(info.channel_names, info.channels),
                    signal=sig)
            tempo = analyze_rhythm(bundle.log_mel, frame_rate=sig.frame_rate)
            if tempo is None or tempo.meter not in METERS or bundle.y is None:
                continue
            beats = np.asarray(tempo.beats)
            chords = decode_chords(pitch_features(bundle.y, sr=sig.sample_rate), beats=beats,
                                   duration=bundle.duration)
            starts = np.array([c[0] for c in chords[1:]])
            a, b, n_on, c_off, n_off = grid_counts(
                beats, np.asarray(tempo.downbeats), starts,
                beats_per_bar=int(tempo.meter[0]), tol=1e-3)
            bf = bar_line_bayes_factor(a, b)
            name = os.path.basename(js).split("-")[0]
            line = (f"{os.path.basename(os.path.normpath(d))[:10]:10s} {name:38s} "
                    f"{truth['time_signature']}->{tempo.meter} changes A {a:3d} B {b:3d} "
                    f"(of {n_on:3d} grid beats) off-grid {c_off:3d}/{n_off:3d}  BF(2/4:4/4) "
                    f"{bf:9.3g}")
            if args.truth_chords and truth.get("chords"):
                tc = truth["chords"]
                tch = np.array([tc[i][0] for i in range(1, len(tc)) if tc[i][2] != tc[i - 1][2]])
                ta, tb, _, _, _ = grid_counts(
                    np.asarray(truth["beats"]), np.asarray(truth["downbeats"]), tch,
                    beats_per_bar=int(truth["time_signature"][0]), tol=0.05)
                line += f" | truth A {ta:3d} B {tb:3d} BF {bar_line_bayes_factor(ta, tb):9.3g}"
            print(line, flush=True)
            rows.append((truth["time_signature"], tempo.meter, bf))
    for ts in METERS:
        v = np.array([r[2] for r in rows if r[0] == ts])
        if v.size:
            print(f"truth {ts}: N={v.size}  BF median {np.median(v):.3g}  range "
                  f"[{v.min():.3g}, {v.max():.3g}]  BF>3: {int(np.sum(v > 3))}  "
                  f"BF<1/3: {int(np.sum(v < 1 / 3))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
