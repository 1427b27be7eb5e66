"""Whole-analysis speed, side by side: SongLens profiles against Essentia's extractors.

    PYTHONPATH=src python benchmarks/speed_profiles.py [FILE] [--rounds 3] [--peer-python PATH]

On one file (default: a 4-minute 44.1 kHz stereo FLAC rendered by
``songlens.testing.render`` and cached under ``benchmarks/.cache``), each round
runs, in fresh processes and in turn (so every system sees the same load):

* ``songlens analyze FILE --json OUT`` with ``--profile full`` (the default:
  DSP analysers + the musicnn taggers, the instrument timeline and Basic Pitch
  note transcription) and with ``--profile fast`` (DSP only);
* Essentia ``MusicExtractor`` (low-level, rhythm and tonal descriptors), the
  peer the issue names for the full profile (issue 4);
* Essentia ``RhythmExtractor2013`` + ``KeyExtractor`` + HPCP/``ChordsDetection``
  on one ``MonoLoader`` decode, the peer for tempo/beats/key/chords (issue 3).

Wall and CPU (user + system) seconds come from ``/usr/bin/time -v``; the table
gives the median of the rounds and the ratio SongLens / Essentia per round
pair. Essentia runs from a separate venv (AGPL, never a SongLens dependency):
``--peer-python`` or ``$PEER_PYTHON`` or ``benchmarks/.venv-peers``.
Writes the ``speed_profiles`` section of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    BENCH_DIR,
    CACHE,
    fmt,
    now,
    python_exe,
    run_timed,
    songlens_env,
    table,
    write_section,
)

MUSIC_EXTRACTOR = """
import sys, essentia.standard as es
pool, frames = es.MusicExtractor(lowlevelStats=['mean'], rhythmStats=['mean'],
                                 tonalStats=['mean'])(sys.argv[1])
print(pool['rhythm.bpm'], pool['tonal.key_edma.key'], pool['tonal.key_edma.scale'])
"""

RHYTHM_KEY_CHORDS = """
import sys, essentia.standard as es
audio = es.MonoLoader(filename=sys.argv[1], sampleRate=44100)()
bpm, beats, conf, _, _ = es.RhythmExtractor2013(method='multifeature')(audio)
key, scale, strength = es.KeyExtractor()(audio)
w, spec, peaks = es.Windowing(type='blackmanharris62'), es.Spectrum(), es.SpectralPeaks(
    orderBy='magnitude', magnitudeThreshold=1e-5, minFrequency=40, maxFrequency=5000,
    maxPeaks=100)
hpcp = es.HPCP(size=36)
chroma = []
for frame in es.FrameGenerator(audio, frameSize=8192, hopSize=2048):
    f, m = peaks(spec(w(frame)))
    chroma.append(hpcp(f, m))
import numpy as np
chords, strengths = es.ChordsDetection(hopSize=2048, windowSize=2)(np.array(chroma))
print(bpm, key, scale, len(beats), len(chords))
"""


def default_file() -> Path:
    """The 4-minute 44.1 kHz stereo FLAC of ``foundation.py``'s speed section (cached)."""
    import numpy as np

    from foundation import SPEED_PIECE, SPEED_SECONDS, SR, render_piece, write_audio

    path = CACHE / "speed_4min.flac"
    if not path.exists():
        y, _ = render_piece(SPEED_PIECE)
        n = int(SPEED_SECONDS * SR)
        y = np.pad(y, ((0, 0), (0, max(0, n - y.shape[1]))))[:, :n]
        write_audio(path, y, sr=SR)
    return path


def peer_python(arg: str | None) -> str | None:
    for cand in (arg, os.environ.get("PEER_PYTHON"), str(BENCH_DIR / ".venv-peers/bin/python")):
        if cand and Path(cand).exists():
            return cand
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", default=None)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--peer-python", default=None)
    ap.add_argument("--no-write", action="store_true")
    a, unknown = ap.parse_known_args(argv)  # run.py passes its extra options to all
    if unknown:
        print(f"note: ignoring options {unknown}", flush=True)
    path = Path(a.file) if a.file else default_file()
    peer = peer_python(a.peer_python)
    env = songlens_env()
    # bytecode cached after the warm-up, as for installed packages (whose .pyc
    # files pip writes): otherwise every run recompiles SongLens' sources
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = Path(tempfile.mkdtemp()) / "a.json"
    systems: dict[str, list[str]] = {
        "SongLens `analyze` (profile full, default)":
            [python_exe(), "-m", "songlens", "analyze", str(path), "--json", str(out),
             "--no-progress"],
        "SongLens `analyze --profile fast`":
            [python_exe(), "-m", "songlens", "analyze", str(path), "--json", str(out),
             "--no-progress", "--profile", "fast"],
    }
    if peer:
        systems["Essentia MusicExtractor"] = [peer, "-c", MUSIC_EXTRACTOR, str(path)]
        systems["Essentia RhythmExtractor2013 + KeyExtractor + HPCP/ChordsDetection"] = [
            peer, "-c", RHYTHM_KEY_CHORDS, str(path)]
    else:
        print("note: no peer python (Essentia): peers skipped", flush=True)
    for cmd in systems.values():  # warm-up: file cache, .pyc
        r = run_timed(cmd, env=env)
        if r.returncode != 0:
            raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{r.stderr[-1500:]}")
    runs: dict[str, list] = {k: [] for k in systems}
    loads = []
    for i in range(a.rounds):
        for name, cmd in systems.items():
            runs[name].append(run_timed(cmd, env=env))
            print(f"round {i + 1} {name}: wall {runs[name][-1].wall:.2f} s "
                  f"cpu {fmt(runs[name][-1].cpu)} s", flush=True)
        loads.append(os.getloadavg()[0])
    rows = []
    for name, rs in runs.items():
        rows.append([name, fmt(statistics.median(r.wall for r in rs)),
                     fmt(statistics.median(r.cpu for r in rs if r.cpu is not None)),
                     fmt(statistics.median(r.max_rss_mib for r in rs if r.max_rss_mib), ".0f")])
    ratios = []
    pairs = [("SongLens `analyze` (profile full, default)", "Essentia MusicExtractor"),
             ("SongLens `analyze --profile fast`",
              "Essentia RhythmExtractor2013 + KeyExtractor + HPCP/ChordsDetection"),
             ("SongLens `analyze` (profile full, default)",
              "Essentia RhythmExtractor2013 + KeyExtractor + HPCP/ChordsDetection")]
    for s, e in pairs:
        if e in runs:
            w = [x.wall / y.wall for x, y in zip(runs[s], runs[e], strict=True)]
            c = [x.cpu / y.cpu for x, y in zip(runs[s], runs[e], strict=True)
                 if x.cpu and y.cpu]
            ratios.append([f"{s} / {e}", fmt(statistics.median(w)),
                           fmt(statistics.median(c)) if c else "n/a"])
    import soundfile as sf

    info = sf.info(str(path))
    body = "\n".join([
        "## Speed of whole analyses, side by side with Essentia (issues 3 and 4)", "",
        f"Script: `PYTHONPATH=src python benchmarks/speed_profiles.py"
        f"{' ' + a.file if a.file else ''} --rounds {a.rounds}`; {now()}.",
        f"File: {path.name}, {info.duration:.1f} s, {info.samplerate} Hz, "
        f"{info.channels} channels. Each system runs in a fresh process (imports and "
        "decoding included; bytecode cached by the warm-up as for installed packages), "
        "in turn within each round, after one warm-up run each; "
        f"medians of {a.rounds} rounds. Load average after each round: "
        + ", ".join(f"{x:.1f}" for x in loads) + " (2 cores; wall times grow with load).",
        "",
        table(["system", "wall (s)", "CPU (s)", "peak RSS (MiB)"], rows), "",
        "Ratios (median over rounds of the per-round ratio; < 1 = SongLens faster):", "",
        table(["pair", "wall ratio", "CPU ratio"], ratios), "",
    ])
    print(body)
    if not a.no_write:
        write_section("speed_profiles", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
