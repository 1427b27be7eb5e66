"""A 3-hour file must analyse within 1.5 GB peak RSS (streamed decoding)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

LIMIT_BYTES = 1.5 * 1024**3


@pytest.mark.slow
def test_three_hour_file_peak_rss(tmp_path):
    sf = pytest.importorskip("soundfile")
    sr, hours = 44100, 3.0
    path = tmp_path / "three_hours.wav"
    rng = np.random.default_rng(3)
    block = 60 * sr
    t = np.arange(block) / sr
    noise = (0.01 * rng.standard_normal(block)).astype(np.float32)
    tones = [np.sin(2 * np.pi * (110 + 20 * k) * t).astype(np.float32) for k in range(5)]
    with sf.SoundFile(str(path), "w", samplerate=sr, channels=2, format="WAV",
                      subtype="PCM_16") as f:
        for minute in range(int(hours * 60)):
            level = np.float32(0.05 + 0.2 * (minute % 7) / 7)
            x = level * tones[minute % 5] + noise
            if minute % 10 == 9:
                x[: 5 * sr] = 0.0  # a silence every 10 minutes
            f.write(np.stack([x, np.float32(0.9) * x], axis=1))
    code = (
        "import resource, sys, json\n"
        "from songlens.cli import main\n"
        f"rc = main(['analyze', {str(path)!r}, '--json', {str(tmp_path / 'o.json')!r},"
        " '--no-progress'])\n"
        "print(json.dumps({'rc': rc, 'rss': resource.getrusage(resource.RUSAGE_SELF)"
        ".ru_maxrss * 1024}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=1800)
    assert proc.returncode == 0, proc.stderr
    import json

    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["rc"] == 0
    assert info["rss"] < LIMIT_BYTES, f"peak RSS {info['rss'] / 2**20:.0f} MiB"
    data = json.loads((tmp_path / "o.json").read_text())
    assert data["track"]["duration"] == pytest.approx(hours * 3600, abs=1.0)
    assert len(data["silences"]) == int(hours * 6)
