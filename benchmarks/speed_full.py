"""Wall and CPU time of ``analyze(profile=...)`` on one file, with a stage breakdown.

    PYTHONPATH=src python benchmarks/speed_full.py FILE [--profile full] [--repeat 3]

Prints, per run: wall time, process CPU time, and the time spent in the
transcription thread (network + note decoding + melody), so the overlap of the
model with the DSP analysers is visible. Run it on an idle machine: with other
jobs on the 2 cores the wall time grows with the load (onnxruntime and the
decoder share the cores with everyone else).
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--profile", default="full")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    from songlens.analysis import melody
    from songlens.pipeline import analyze

    spent: list[float] = []
    original = melody.transcribe_melody

    def timed(*a, **kw):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        try:
            return original(*a, **kw)
        finally:
            spent.append(time.perf_counter() - t)

    melody.transcribe_melody = timed  # type: ignore[assignment]
    cfg = {"profile": args.profile, "models": {"threads": args.threads}}
    for i in range(args.repeat):
        spent.clear()
        t, c = time.perf_counter(), time.process_time()
        r = analyze(args.file, config=cfg)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        extra = f", transcription thread {spent[0]:.2f} s" if spent else ""
        print(f"run {i + 1}: wall {wall:.2f} s, cpu {cpu:.2f} s{extra}; "
              f"{r.track.duration:.0f} s audio, load avg {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
