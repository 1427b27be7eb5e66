"""Run every SongLens benchmark script in turn (``make bench``).

Usage::

    python benchmarks/run.py [--quick] [--peer-python PATH] [--only NAME ...]

Each script writes its own section of ``benchmarks/RESULTS.md``. The scripts run
in fresh processes with this checkout's ``src/`` first on ``PYTHONPATH`` and at
lowered priority (``nice -n 10``), because the machine may be shared. Options
not known here are passed on to every script.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent

# Benchmark scripts, in the order they run. Later issues append theirs here.
SCRIPTS = [
    "foundation.py",  # issue 2: loudness, silences, climax, speed, memory
    "mir.py",  # issue 3: tempo/beats/downbeats, key, chords, sections vs Essentia/librosa
    "emotion_melody_eval.py",  # issue 4: emotion quadrants, melody note F
    "instruments/collect.py --set evaluation",  # issue 4: tag the labelled renders (cached)
    "instruments/evaluate.py",  # issue 4: instrument timeline F1, entries, lead
    "speed_profiles.py",  # issues 3-4: whole analyses vs Essentia extractors
    "real_recordings.py",  # issues 4-5: real recordings (Debian packages), no labels
]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Run the SongLens benchmarks.")
    p.add_argument("--only", nargs="*", default=None, metavar="NAME",
                   help="run only these scripts (e.g. foundation)")
    p.add_argument("--no-nice", action="store_true", help="do not lower the priority")
    a, rest = p.parse_known_args(argv)
    env = dict(os.environ)
    src = str(ROOT / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    peers = BENCH_DIR / ".venv-peers" / "bin" / "python"
    if "--peer-python" not in rest and not env.get("PEER_PYTHON"):
        if peers.exists():
            env["PEER_PYTHON"] = str(peers)
        else:
            print("note: no peer venv (run benchmarks/setup_peers.sh, or pass --peer-python "
                  "PATH): the Essentia/librosa comparisons are skipped", flush=True)
    scripts = SCRIPTS
    if a.only:
        wanted = {n.removesuffix(".py") for n in a.only}
        scripts = [s for s in SCRIPTS if s.split()[0].removesuffix(".py") in wanted]
        if not scripts:
            p.error(f"no script named {sorted(wanted)}; known: {SCRIPTS}")
    failed = []
    for script in scripts:
        name, *args = script.split()
        cmd = [sys.executable, str(BENCH_DIR / name), *args, *rest]
        if not a.no_nice and shutil.which("nice"):
            cmd = ["nice", "-n", "10", *cmd]
        print(f"== {script}: {' '.join(cmd)}", flush=True)
        t = time.perf_counter()
        rc = subprocess.call(cmd, env=env, cwd=ROOT)
        print(f"== {script}: exit {rc} after {time.perf_counter() - t:.0f} s", flush=True)
        if rc != 0:
            failed.append(script)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"results in {BENCH_DIR / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
