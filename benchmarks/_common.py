"""Helpers shared by the benchmark scripts: machine facts, timing, RESULTS.md sections.

Conventions
-----------
* Every benchmark script owns one section of ``benchmarks/RESULTS.md``, delimited
  by ``<!-- BEGIN name -->`` / ``<!-- END name -->``; rewriting a section keeps
  the others. The file header (methods and machine facts) is rewritten on every
  write.
* Times are wall-clock seconds (``time.perf_counter``); memory is peak resident
  set size in MiB as reported by ``/usr/bin/time -v`` (or, without it,
  ``getrusage(RUSAGE_CHILDREN).ru_maxrss``, the largest child so far).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "RESULTS.md"
CACHE = BENCH_DIR / ".cache"

HEADER = """\
# SongLens benchmark results

Written by the scripts in `benchmarks/` (run them all with `make bench`, or one with
`PYTHONPATH=src python benchmarks/NAME.py`; see `benchmarks/README.md`). Each section
below names the script and the command that produced it, the date, and how every
figure was measured. Nothing here is edited by hand.

Method, common to all sections:

* **Accuracy** figures compare SongLens with a known truth: the EBU Tech 3341/3342
  test signals (`songlens.testing.signals`), or pieces rendered from MIDI with
  FluidSynth (`songlens.testing.render`) whose silences, build-up and climax are
  planned in code. A reference meter (pyloudnorm) is used where no exact truth exists.
* **Speed** is wall-clock time, best of 3 after an untimed warm-up run, each in a
  fresh subprocess (so it includes interpreter start-up, imports and decoding)
  unless a row says "in-process"; x-realtime = audio duration / wall time. The
  CPU time (user + system) of the same run is given too: the machine may be
  shared with other jobs, which inflates wall time far more than CPU time, so
  each part states the load average it ran under.
* **Memory** is the peak resident set size of the whole process, from
  `/usr/bin/time -v` (MiB = 2^20 bytes).

Last written: {date}. Machine: {machine}.
"""


def machine_facts() -> dict[str, str]:
    """nproc, CPU model, RAM, OS, Python and key library versions."""
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    except OSError:
        pass
    import numpy
    import scipy

    facts = {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
    }
    try:
        facts["loadavg"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        pass
    return facts


def machine_line(facts: dict[str, str]) -> str:
    return (f"nproc {facts['nproc']}, CPU \"{facts['cpu']}\", RAM {facts['ram']}, "
            f"{facts['os']}, Python {facts['python']}, numpy {facts['numpy']}, "
            f"scipy {facts['scipy']}")


def now() -> str:
    return _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")


def write_section(name: str, body: str, *, path: Path = RESULTS) -> None:
    """Replace (or append) section ``name`` of RESULTS.md and refresh the header."""
    sections: list[tuple[str, str]] = []
    loose = ""
    if path.exists():
        text = path.read_text()
        pattern = r"<!-- BEGIN (\S+) -->\n(.*?)<!-- END \1 -->\n?"
        for m in re.finditer(pattern, text, re.S):
            sections.append((m.group(1), m.group(2)))
        # text outside the marked sections, other than our own header, is kept (at the end)
        rest = re.sub(pattern, "", text, flags=re.S)
        if rest.startswith("# SongLens benchmark results"):
            cut = rest.find("\n", rest.find("Last written:")) if "Last written:" in rest else -1
            rest = rest[cut + 1:] if cut >= 0 else ""
        loose = rest.strip("\n")
    block = body.rstrip("\n") + "\n"
    for i, (n, _) in enumerate(sections):
        if n == name:
            sections[i] = (name, block)
            break
    else:
        sections.append((name, block))
    head = HEADER.format(date=now(), machine=machine_line(machine_facts()))
    parts = [head]
    for n, b in sections:
        parts.append(f"<!-- BEGIN {n} -->\n{b}<!-- END {n} -->\n")
    if loose:
        parts.append(loose + "\n")
    path.write_text("\n".join(parts))


@dataclass
class Run:
    """One timed subprocess run."""

    wall: float
    max_rss_mib: float | None
    cpu: float | None  # user + system CPU seconds of the process
    stdout: str
    stderr: str
    returncode: int


def run_timed(cmd: list[str], *, env: dict[str, str] | None = None, nice: int = 0,
              timeout: float | None = None) -> Run:
    """Run ``cmd`` in a fresh process; wall time (s) and peak RSS (MiB)."""
    time_exe = shutil.which("time", path="/usr/bin") or None
    full = list(cmd)
    if time_exe:
        full = [time_exe, "-v"] + full
    if nice:
        full = ["nice", "-n", str(nice)] + full
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    p = subprocess.run(full, env=env, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t0
    rss: float | None = None
    cpu: float | None = None
    stderr = p.stderr
    if time_exe:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
        if m:
            rss = int(m.group(1)) / 1024.0
        u = re.search(r"User time \(seconds\): ([\d.]+)", stderr)
        s = re.search(r"System time \(seconds\): ([\d.]+)", stderr)
        if u and s:
            cpu = float(u.group(1)) + float(s.group(1))
        stderr = stderr.split("\tCommand being timed:")[0]
    else:
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rss = after / 1024.0 if after > before else None
    return Run(wall=wall, max_rss_mib=rss, cpu=cpu, stdout=p.stdout, stderr=stderr,
               returncode=p.returncode)


def best_of(cmd: list[str], *, repeat: int = 3, env: dict[str, str] | None = None,
            nice: int = 0, warmup: bool = True) -> tuple[Run, list[Run]]:
    """Run ``cmd`` ``repeat`` times; the fastest run and all runs. Raises on failure.

    With ``warmup``, one untimed run first fills the OS file cache, ``.pyc`` and
    numba caches, so that no timed run pays one-off costs.
    """
    runs = []
    if warmup:
        r = run_timed(cmd, env=env, nice=nice)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    for _ in range(repeat):
        r = run_timed(cmd, env=env, nice=nice)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
        runs.append(r)
    return min(runs, key=lambda r: r.wall), runs


def last_json(text: str) -> dict:
    """The last line of ``text`` that parses as a JSON object."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError(f"no JSON line in output:\n{text[-2000:]}")


def songlens_env() -> dict[str, str]:
    """Environment that makes ``python -m songlens`` use this worktree's src/."""
    env = dict(os.environ)
    src = str(ROOT / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def fmt(x: float | None, spec: str = ".2f", none: str = "n/a") -> str:
    return none if x is None else format(x, spec)


def table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def python_exe() -> str:
    return sys.executable
