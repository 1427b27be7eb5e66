"""Time ``songlens.analyze`` in-process (after imports), best of N; optional cProfile.

Usage: ``PYTHONPATH=src python benchmarks/probes/songlens_inproc.py FILE OUT.json
[--repeat N] [--profile]``. Prints one JSON line: import time, every run's wall
and CPU time (analyse + JSON write), and with ``--profile`` the top functions by own time.
"""

from __future__ import annotations

import argparse
import json
import time

t0, c0 = time.perf_counter(), time.process_time()
from songlens.pipeline import analyze  # noqa: E402
from songlens.result.serialize import dump_json  # noqa: E402

T_IMPORT = time.perf_counter() - t0
T_IMPORT_CPU = time.process_time() - c0


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("out")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--profile", action="store_true")
    a = p.parse_args()
    runs = []
    for _ in range(a.repeat):
        t, c = time.perf_counter(), time.process_time()
        r = analyze(a.file)
        t_an = time.perf_counter() - t
        dump_json(r, a.out)
        runs.append({"analyze": t_an, "total": time.perf_counter() - t,
                     "cpu": time.process_time() - c})
    out = {"import": T_IMPORT, "import_cpu": T_IMPORT_CPU, "runs": runs,
           "duration": r.track.duration}
    if a.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        analyze(a.file)
        prof.disable()
        total = time.perf_counter() - t
        st = pstats.Stats(prof)
        rows = []
        for (fn, line, name), (_cc, nc, tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
            rows.append({"func": f"{fn.split('/site-packages/')[-1].split('/src/')[-1]}:{line}"
                                 f"({name})", "calls": nc, "tottime": tt, "cumtime": ct})
        rows.sort(key=lambda r: -r["tottime"])
        out["profile"] = {"total": total, "top": rows[:15]}
        cum = sorted(rows, key=lambda r: -r["cumtime"])
        out["profile"]["top_cum"] = [r for r in cum if "songlens" in r["func"]][:15]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
