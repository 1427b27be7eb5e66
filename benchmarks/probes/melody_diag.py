"""Diagnose melody note errors on cached activations (see melody_cache.py).

    PYTHONPATH=src python benchmarks/probes/melody_diag.py CACHE_DIR PATTERN

For each cached piece: P/R/F of the lead line at 50 ms (the benchmark metric),
at 100 and 200 ms, pitch-class-only at 50 ms; the share of truth notes present
among all transcribed notes / lead candidates (50 ms, 100 ms, any onset while
sounding); the onset error of the nearest same-pitch candidate; and the
number of lead notes per truth note (fragmentation).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np


def match(ref: np.ndarray, est: np.ndarray, *, tol: float, chroma: bool = False) -> int:
    """Greedy one-to-one onset matching (pitch exact, or pitch class)."""
    used = np.zeros(len(est), dtype=bool)
    n = 0
    for s, _, p in ref:
        d = np.abs(est[:, 0] - s) if len(est) else np.zeros(0)
        if chroma:
            ok = (np.round(est[:, 2] - p) % 12 == 0)
        else:
            ok = np.abs(est[:, 2] - p) < 0.5
        ok &= (d <= tol) & ~used
        if np.any(ok):
            k = np.nonzero(ok)[0][np.argmin(d[ok])]
            used[k] = True
            n += 1
    return n


def prf(ref: np.ndarray, est: np.ndarray, **kw) -> tuple[float, float, float]:
    m = match(ref, est, **kw)
    p = m / max(len(est), 1)
    r = m / max(len(ref), 1)
    return p, r, 2 * p * r / max(p + r, 1e-9)


def main() -> None:
    from songlens.analysis.melody import lead_line, note_salience
    from songlens.analysis.transcription import activations_to_notes, frame_times

    d = Path(sys.argv[1])
    rows = []
    errs = []
    for path in sorted(d.glob(sys.argv[2] + ".npz")):
        z = np.load(path)
        ref = z["melody"].astype(float)
        ev = activations_to_notes(z["note"], z["onset"])
        times = frame_times(z["note"].shape[0])
        notes = np.column_stack([times[ev[:, 0].astype(int)],
                                 times[np.minimum(ev[:, 1].astype(int), times.size - 1)],
                                 ev[:, 2]])
        cand, onset_only = note_salience(ev, note=z["note"], onset=z["onset"], times=times,
                                         return_onset_only=True)
        lead = lead_line(cand, min_pitch=40.0, open_end=onset_only)  # as melody_from_activations
        f50 = prf(ref, lead, tol=0.05)
        f100 = prf(ref, lead, tol=0.1)
        f200 = prf(ref, lead, tol=0.2)
        fpc = prf(ref, lead, tol=0.05, chroma=True)
        fpc2 = prf(ref, lead, tol=0.2, chroma=True)
        # presence in all notes / candidates
        rec_all = [match(ref, notes, tol=t) / len(ref) for t in (0.05, 0.1, 0.2)]
        rec_cand = [match(ref, cand, tol=t) / len(ref) for t in (0.05, 0.1, 0.2)]
        # onset error of nearest same-pitch candidate starting within the ref note
        for s, e, p in ref:
            c = cand[(np.abs(cand[:, 2] - p) < 0.5) & (cand[:, 0] > s - 0.2) & (cand[:, 0] < e)]
            if len(c):
                errs.append(c[np.argmin(np.abs(c[:, 0] - s)), 0] - s)
            else:
                errs.append(np.nan)
        # fragmentation: lead notes with the ref pitch starting inside each ref note
        frag = [int(np.sum((np.abs(lead[:, 2] - p) < 0.5) & (lead[:, 0] >= s - 0.05)
                           & (lead[:, 0] < e - 0.05))) for s, e, p in ref]
        # pitch of lead vs ref at ref mid-points: octave errors, other
        mids = (ref[:, 0] + ref[:, 1]) / 2
        cls = {"same": 0, "octave": 0, "other": 0, "none": 0}
        for t, p in zip(mids, ref[:, 2], strict=True):
            k = np.nonzero((lead[:, 0] <= t) & (lead[:, 1] > t))[0]
            if not k.size:
                cls["none"] += 1
            else:
                dp = lead[k[0], 2] - p
                cls["same" if dp == 0 else ("octave" if dp % 12 == 0 else "other")] += 1
        rows.append((path.stem, int(z["program"]), float(z["bpm"]), len(ref), len(lead),
                     f50, f100, f200, fpc, fpc2, rec_all, rec_cand, np.mean(frag),
                     np.mean(np.array(frag) > 1), cls))
        print(f"{path.stem:10s} prog {int(z['program']):3d} bpm {float(z['bpm']):4.0f} "
              f"ref {len(ref):3d} lead {len(lead):3d} | F50 {f50[2]:.2f} (P {f50[0]:.2f} "
              f"R {f50[1]:.2f}) F100 {f100[2]:.2f} F200 {f200[2]:.2f} PC50 {fpc[2]:.2f} "
              f"PC200 {fpc2[2]:.2f} | in notes {np.round(rec_all, 2)} in cand "
              f"{np.round(rec_cand, 2)} | frag {np.mean(frag):.2f} "
              f"split {np.mean(np.array(frag) > 1):.2f} "
              f"| mid {cls}", flush=True)
    e = np.array(errs)
    mean = {k: np.mean([r[i][2] for r in rows]) for k, i in
            (("F50", 5), ("F100", 6), ("F200", 7), ("PC50", 8))}
    print(" ".join(f"mean {k} {v:.3f}" for k, v in mean.items()))
    ok = e[np.isfinite(e)]
    print(f"onset error of nearest same-pitch candidate: n {ok.size}/{e.size} missing "
          f"{np.mean(~np.isfinite(e)):.2f}; percentiles 10/25/50/75/90 (ms) "
          f"{np.round(1000 * np.percentile(ok, [10, 25, 50, 75, 90]))}")
    print("histogram (ms):", np.histogram(1000 * ok, bins=[-200, -50, -25, 0, 25, 50, 75, 100,
                                                              150, 200, 400, 2000])[0].tolist())


if __name__ == "__main__":
    main()
