"""The `full` profile end to end on a synthetic melody: notes, figures, emotion, descriptors."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from songlens.pipeline import analyze_signal
from songlens.result import load_json, result_to_dict
from songlens.result.serialize import dump_json

SR = 22050
PITCHES = [60, 62, 64, 65, 67, 65, 64, 62] * 3 + [60]


def _tone(pitch: int, dur: float) -> np.ndarray:
    t = np.arange(int(dur * SR)) / SR
    f = 440.0 * 2 ** ((pitch - 69) / 12)
    env = np.minimum(1.0, t / 0.01) * np.exp(-t * 2.5)
    return env * sum(0.5 / k * np.sin(2 * np.pi * k * f * t) for k in range(1, 5))


@pytest.fixture(scope="module")
def melody_signal():
    ioi = 0.5
    y = np.zeros(int((len(PITCHES) * ioi + 2.0) * SR))
    ref = []
    for i, p in enumerate(PITCHES):
        s = int((0.5 + i * ioi) * SR)
        tone = _tone(p, 0.45)
        y[s:s + tone.size] += tone
        ref.append((0.5 + i * ioi, 0.5 + i * ioi + 0.45, p))
    return (0.5 * y / np.abs(y).max()).astype(np.float32), np.array(ref)


def test_full_profile_transcribes_the_melody(melody_signal, tmp_path):
    pytest.importorskip("onnxruntime")
    mir_eval = pytest.importorskip("mir_eval")
    y, ref = melody_signal
    r = analyze_signal(y, sr=SR, config={"profile": "full", "models": {"threads": 2}})
    est = np.array([(n.start, n.end, n.pitch) for n in r.melody.notes])

    def hz(p):
        return 440.0 * 2 ** ((np.asarray(p) - 69) / 12)

    _, _, f, _ = mir_eval.transcription.precision_recall_f1_overlap(
        ref[:, :2], hz(ref[:, 2]), est[:, :2], hz(est[:, 2]), onset_tolerance=0.05,
        offset_ratio=None)
    assert f >= 0.9
    fig = r.melody.figures
    assert fig["range_semitones"] == 7 and fig["intervals"]["leap_share"] == 0.0
    assert fig["contour"]["dominant_shape"] == "arch"
    assert r.emotion is not None and r.descriptors is not None
    assert r.emotion.cues["mode"]["value"] == "major"
    assert r.descriptors.key == 0 and r.descriptors.mode == 1
    assert r.settings["models"]["basic-pitch-nmp"]["licence"].startswith("Apache-2.0")
    # schema round trip keeps the new fields
    p = tmp_path / "r.json"
    dump_json(r, p)
    back = load_json(p)
    assert result_to_dict(back) == result_to_dict(r)
    assert back.melody.figures["simplicity"]["score"] == pytest.approx(
        fig["simplicity"]["score"], abs=1e-4)


def test_fast_profile_has_no_melody_but_emotion(melody_signal):
    y, _ = melody_signal
    r = analyze_signal(y, sr=SR, config={"profile": "fast"})
    assert r.melody is None and r.emotion is not None
    assert "mode" not in {k for k, v in r.emotion.cues.items() if v["score"] is not None}
    assert any("unavailable cues" in s for s in r.emotion.reasons)


def test_features_cli_full_profile(melody_signal, tmp_path):
    pytest.importorskip("onnxruntime")
    sf = pytest.importorskip("soundfile")
    from songlens.cli import main

    y, _ = melody_signal
    path = tmp_path / "m.wav"
    sf.write(path, y, SR)
    out, err = io.StringIO(), io.StringIO()
    assert main(["features", str(path), "--profile", "full"], stdout=out, stderr=err) == 0
    doc = json.loads(out.getvalue())
    assert doc["key"] == 0 and doc["mode"] == 1 and 0 <= doc["valence"] <= 1


def test_full_profile_without_onnxruntime_skips_only_the_melody(melody_signal, monkeypatch):
    from songlens import pipeline

    monkeypatch.setattr(pipeline, "_have_onnxruntime", lambda: False)
    y, _ = melody_signal
    r = analyze_signal(y, sr=SR)  # the default profile is full
    assert r.settings["profile"] == "full"
    assert r.melody is None
    assert any("pip install 'songlens[ml]'" in w for w in r.warnings)
    # the taggers need no extra: instruments, emotion and descriptors are still there
    assert r.instruments is not None and r.emotion is not None and r.descriptors is not None
