"""Peer estimators for benchmarks/mir.py, run with the peers' interpreter.

Run as ``/work/peers-venv/bin/python benchmarks/_peers_mir.py SYSTEM IN.json OUT.json``
where IN.json is a list of audio paths. Writes one estimate per path:
``{"bpm", "beats", "key", "chords", "sections", "seconds"}`` (missing facets
are absent). ``seconds`` is the wall time for that file including its decoding,
excluding interpreter start-up and imports.

* essentia: RhythmExtractor2013(method="multifeature") for tempo and beats;
  KeyExtractor() (defaults) for the key; HPCP + ChordsDetection for chords,
  as in Essentia's chord tutorial (frames 4096/2048, Blackman-Harris 62,
  SpectralPeaks up to 3.5 kHz, 36-bin HPCP, ChordsDetection window 2 s).
* librosa: beat.beat_track (defaults) on 22.05 kHz mono for tempo and beats;
  for sections, the documented agglomerative baseline: beat-synchronous
  stacked chroma_cqt + MFCC, librosa.segment.agglomerative with k = 8.

This file is never imported by SongLens (essentia is AGPL).
"""

from __future__ import annotations

import json
import sys
import time

VERSION = "1"


def _essentia(path: str) -> dict:
    import essentia.standard as es
    import numpy as np

    sr = 44100
    audio = es.MonoLoader(filename=path, sampleRate=sr)()
    bpm, ticks, _conf, _est, _ivs = es.RhythmExtractor2013(method="multifeature")(audio)
    key, scale, _strength = es.KeyExtractor()(audio)
    hop = 2048
    window = es.Windowing(type="blackmanharris62")
    spectrum = es.Spectrum()
    peaks = es.SpectralPeaks(orderBy="magnitude", magnitudeThreshold=1e-5, minFrequency=20,
                             maxFrequency=3500, maxPeaks=60)
    hpcp = es.HPCP(size=36, referenceFrequency=440, harmonics=8, bandPreset=True,
                   minFrequency=20, maxFrequency=3500, bandSplitFrequency=500,
                   weightType="cosine", nonLinear=True, windowSize=1.0)
    frames = []
    for frame in es.FrameGenerator(audio, frameSize=2 * hop, hopSize=hop, startFromZero=False):
        f, m = peaks(spectrum(window(frame)))
        frames.append(hpcp(f, m))
    labels, _s = es.ChordsDetection(hopSize=hop, sampleRate=sr, windowSize=2.0)(
        np.array(frames))
    chords = []
    dur = len(audio) / sr
    for k, lab in enumerate(labels):
        a, b = k * hop / sr, min(dur, (k + 1) * hop / sr)
        if b <= a:
            break
        harte = lab[:-1] + ":min" if lab.endswith("m") else lab + ":maj"
        if chords and chords[-1][2] == harte and abs(chords[-1][1] - a) < 1e-9:
            chords[-1][1] = b
        else:
            chords.append([a, b, harte])
    return {"bpm": float(bpm), "beats": [float(t) for t in ticks],
            "key": f"{key} {scale}", "chords": chords}


def _librosa(path: str) -> dict:
    import librosa
    import numpy as np

    y, sr = librosa.load(path, sr=22050, mono=True)
    hop = 512
    tempo, beats = librosa.beat.beat_track(y=y, sr=sr, hop_length=hop, units="frames")
    bpm = float(np.atleast_1d(tempo)[0])
    beat_times = librosa.frames_to_time(beats, sr=sr, hop_length=hop)
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr, hop_length=hop)
    mfcc = librosa.feature.mfcc(y=y, sr=sr, hop_length=hop, n_mfcc=13)
    feats = np.vstack([librosa.util.normalize(chroma), librosa.util.normalize(mfcc, axis=1)])
    n = chroma.shape[1]
    if len(beats) > 10:
        # sync pads the beat frames with 0 and n: column j covers [starts[j], starts[j + 1])
        sync = librosa.util.sync(feats, beats, aggregate=np.median)
        starts = np.concatenate([[0], beats])
        bounds = librosa.segment.agglomerative(sync, k=min(8, sync.shape[1] - 1))
        frames = librosa.util.fix_frames(starts[bounds], x_min=0, x_max=n)
        times = librosa.frames_to_time(frames, sr=sr, hop_length=hop)
        times = np.unique(np.clip(np.concatenate([times, [len(y) / sr]]), 0, len(y) / sr))
        sections = [[float(a), float(b), f"S{i}"]
                    for i, (a, b) in enumerate(zip(times[:-1], times[1:], strict=True))]
    else:
        sections = [[0.0, len(y) / sr, "S0"]]
    return {"bpm": bpm, "beats": [float(t) for t in beat_times], "sections": sections}


def _warm_up(fn) -> None:
    """Run once on 6 s of noise so lazy imports and JIT compiles are not timed."""
    import os
    import tempfile

    import numpy as np
    import soundfile as sf

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "warm.wav")
        rng = np.random.default_rng(0)
        sf.write(path, (0.1 * rng.standard_normal((6 * 44100, 2))).astype("float32"), 44100)
        try:
            fn(path)
        except Exception:  # noqa: BLE001 - warm-up only
            pass


def main(argv: list[str]) -> int:
    system, inp, out = argv
    paths = json.loads(open(inp).read())
    fn = {"essentia": _essentia, "librosa": _librosa}[system]
    _warm_up(fn)
    results = {}
    for p in paths:
        t0 = time.perf_counter()
        try:
            est = fn(p)
        except Exception as exc:  # report, keep going
            est = {"error": f"{type(exc).__name__}: {exc}"}
        est["seconds"] = time.perf_counter() - t0
        est["version"] = VERSION
        results[p] = est
        print(f"{system} {time.perf_counter() - t0:6.2f}s {p}", file=sys.stderr, flush=True)
    with open(out, "w") as f:
        json.dump(results, f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
