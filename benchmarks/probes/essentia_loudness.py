"""Peer probe (run with the peer venv's python): Essentia AudioLoader + LoudnessEBUR128.

Usage: ``python essentia_loudness.py FILE``. Prints one JSON line with the
import, load and loudness times (s) and Essentia's integrated loudness and LRA.
"""

from __future__ import annotations

import json
import sys
import time

t0 = time.perf_counter()
import essentia.standard as es  # noqa: E402

t_import = time.perf_counter() - t0


def main() -> None:
    path = sys.argv[1]
    t = time.perf_counter()
    audio, sr, channels, _md5, _bitrate, _codec = es.AudioLoader(filename=path)()
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    _momentary, _short, integrated, lra = es.LoudnessEBUR128(sampleRate=sr)(audio)
    t_loud = time.perf_counter() - t
    print(json.dumps({"import": t_import, "load": t_load, "loudness": t_loud,
                      "sr": sr, "channels": channels, "n": int(audio.shape[0]),
                      "integrated_lufs": float(integrated), "lra": float(lra)}))


if __name__ == "__main__":
    main()
