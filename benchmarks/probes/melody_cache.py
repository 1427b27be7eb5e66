"""Cache Basic Pitch activations + truth of quadrant renders for melody probes.

    PYTHONPATH=src python benchmarks/probes/melody_cache.py OUTDIR QUADRANT SEED [SEED ...]

QUADRANT ``arc`` caches the ``compose_arc_piece`` fixtures of tests/conftest.py
(SEED = index 0-2 into ``PIECES``).

Activations are computed exactly as ``analyze_signal(profile="full")`` does
(the feature extractor's 22050 Hz mono analysis signal fed to a
StreamingTranscriber). Writes ``OUTDIR/{quadrant}_{seed}.npz`` with ``note``,
``onset``, ``y`` (22050 Hz mono) and ``melody`` (truth notes).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np


def main() -> None:
    from songlens.analysis.transcription import MODEL_SR, StreamingTranscriber
    from songlens.config import AnalysisConfig
    from songlens.features import FeatureExtractor
    from songlens.io.audio import channel_weights
    from songlens.pipeline import _blocks
    from songlens.testing.expressive import compose_quadrant_piece

    out, quadrant, seeds = Path(sys.argv[1]), sys.argv[2], [int(s) for s in sys.argv[3:]]
    out.mkdir(parents=True, exist_ok=True)
    cfg = AnalysisConfig.from_dict({"profile": "full"}) if hasattr(AnalysisConfig, "from_dict") \
        else AnalysisConfig(profile="full")
    for seed in seeds:
        path = out / f"{quadrant}_{seed}.npz"
        if path.exists():
            continue
        if quadrant == "arc":
            sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
            from conftest import PIECES
            from songlens.testing.render import compose_arc_piece

            name = list(PIECES)[seed]
            kw = dict(PIECES[name])
            y, truth = compose_arc_piece(kw.pop("seed"), sr=44100, **kw)
            truth.lead_program, truth.tempo_bpm = -1, kw["bpm"]
        else:
            y, truth = compose_quadrant_piece(seed, quadrant)
        stream = StreamingTranscriber(sr=MODEL_SR, workers=1)
        chunks: list[np.ndarray] = []

        def push(c: np.ndarray, chunks: list[np.ndarray] = chunks,
                 stream: StreamingTranscriber = stream) -> None:
            chunks.append(np.asarray(c, dtype=np.float32).copy())
            stream.push(c)

        FeatureExtractor.from_blocks(_blocks(y, 44100), sr=44100,
                                     channel_weights=channel_weights((), y.shape[0]),
                                     signal=cfg.signal, on_analysis=push)
        act = stream.finish()
        np.savez_compressed(path, note=act["note"], onset=act["onset"],
                            y=np.concatenate(chunks), melody=np.array(truth.melody),
                            program=truth.lead_program, bpm=truth.tempo_bpm)
        print(quadrant, seed, truth.lead_program, flush=True)


if __name__ == "__main__":
    main()
