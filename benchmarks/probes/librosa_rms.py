"""Peer probe (run with the peer venv's python): ``librosa.load`` + ``librosa.feature.rms``.

Usage: ``python librosa_rms.py FILE``. ``librosa.load`` with its defaults
(22050 Hz mono, soxr_hq resampling), as most users call it. Prints one JSON
line with the import, load and RMS times (s).
"""

from __future__ import annotations

import json
import sys
import time

t0 = time.perf_counter()
import librosa  # noqa: E402

# librosa imports its submodules lazily: touch what we use so that their import
# (numba, scipy, ...) is counted as import, not as load
_ = (librosa.load, librosa.feature.rms, librosa.resample)
t_import = time.perf_counter() - t0


def main() -> None:
    path = sys.argv[1]
    t = time.perf_counter()
    y, sr = librosa.load(path)
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    rms = librosa.feature.rms(y=y)
    t_rms = time.perf_counter() - t
    print(json.dumps({"import": t_import, "load": t_load, "rms": t_rms, "sr": sr,
                      "n": int(y.shape[-1]), "frames": int(rms.shape[-1]),
                      "version": librosa.__version__}))


if __name__ == "__main__":
    main()
