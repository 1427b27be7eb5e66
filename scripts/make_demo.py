"""Regenerate the bundled demo track ``src/songlens/data/demo.mp3``.

The demo is composed in code (:func:`songlens.testing.render.compose_demo`),
rendered with FluidSynth and the MIT-licensed FluidR3 GM soundfont, and
encoded to MP3 (LAME) with PyAV. Run: ``python scripts/make_demo.py``.
Its ground truth goes to ``src/songlens/data/demo.truth.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np

from songlens.testing.render import compose_demo

OUT = Path(__file__).resolve().parents[1] / "src" / "songlens" / "data"


def write_mp3(path: Path, y: np.ndarray, sr: int, title: str, artist: str) -> None:
    with av.open(str(path), "w", format="mp3") as c:
        c.metadata["title"] = title
        c.metadata["artist"] = artist
        s = c.add_stream("libmp3lame", rate=sr, layout="stereo")
        s.bit_rate = 128000
        for i in range(0, y.shape[1], 4096):
            block = np.ascontiguousarray(y[:, i:i + 4096], dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="stereo")
            frame.sample_rate = sr
            for packet in s.encode(frame):
                c.mux(packet)
        for packet in s.encode(None):
            c.mux(packet)


def main() -> None:
    sr = 44100
    y, truth = compose_demo(sr=sr)
    OUT.mkdir(parents=True, exist_ok=True)
    write_mp3(OUT / "demo.mp3", y, sr, title="Farewell at the Harbour (demo)",
              artist="SongLens")
    (OUT / "demo.truth.json").write_text(json.dumps(truth.to_dict(), indent=1) + "\n")
    print(OUT / "demo.mp3", f"{y.shape[1] / sr:.1f} s")


if __name__ == "__main__":
    main()
