"""Basic Pitch port: golden comparison with basic-pitch's own predict, decoder, windowing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from songlens.analysis import transcription as tr
from songlens.errors import ModelLoadingError, ParameterError

DATA = Path(__file__).parent / "data" / "basic_pitch"


def _naive_walk(seq, thresh, tol):
    k = 0
    i = 0
    while i < len(seq) and k < tol:
        k = k + 1 if seq[i] < thresh else 0
        i += 1
    return i, k


def test_walk_matches_the_reference_loop(rng):
    for _ in range(300):
        n = int(rng.integers(0, 400))
        seq = (rng.random(n) < rng.random()).astype(float) * 0.6
        tol = int(rng.integers(1, 15))
        assert tr._walk(seq, thresh=0.3, tol=tol) == _naive_walk(seq, 0.3, tol)


def _block(n_frames=120):
    note = np.full((n_frames, 88), 0.05, np.float32)
    onset = np.full((n_frames, 88), 0.05, np.float32)
    return note, onset


def test_decoder_single_note():
    note, onset = _block()
    note[10:40, 39] = 0.8  # MIDI 60
    onset[10, 39] = 0.9
    ev = tr.activations_to_notes(note, onset)
    assert ev.shape == (1, 4)
    assert ev[0, :3].tolist() == [10, 40, 60]
    assert ev[0, 3] == pytest.approx(0.8)


def test_decoder_drops_short_notes_and_uses_melodia_for_onsetless_notes():
    note, onset = _block()
    note[10:20, 50] = 0.8  # 10 frames: too short (<= 11)
    onset[10, 50] = 0.9
    note[60:100, 30] = 0.7  # no onset: found by the Melodia trick
    ev = tr.activations_to_notes(note, onset, infer_onsets=False)
    assert ev[:, 2].tolist() == [51]
    # basic-pitch's Melodia notes end on the last frame above threshold (onset
    # notes end on the first frame below it)
    assert ev[0, 0] == 60 and ev[0, 1] == 99
    assert tr.activations_to_notes(note, onset, infer_onsets=False,
                                   melodia_trick=False).shape == (0, 4)


def test_decoder_silence_gives_no_notes_and_no_nan():
    z = np.zeros((200, 88), np.float32)
    assert tr.activations_to_notes(z, z).shape == (0, 4)


def test_decoder_validates():
    z = np.zeros((10, 88))
    with pytest.raises(ParameterError):
        tr.activations_to_notes(z, np.zeros((10, 87)))
    with pytest.raises(ParameterError):
        tr.activations_to_notes(z, z, frame_threshold=1.5)


def test_frame_times_follow_basic_pitch_mapping():
    t = tr.frame_times(400)
    offset = (256 / 22050) * (172 - 43844 / 256) + 0.0018
    assert t[171] == pytest.approx(171 * 256 / 22050)
    assert t[172] == pytest.approx(172 * 256 / 22050 - offset)
    assert t[399] == pytest.approx(399 * 256 / 22050 - 2 * offset)


def test_windows_cover_the_signal():
    y = np.arange(100000, dtype=np.float32)
    w = tr.window_audio(y)
    assert w.shape[1] == tr.WINDOW_SAMPLES
    assert np.all(w[0, :3840] == 0) and w[0, 3840] == 0 and w[0, 3841] == 1
    hop = tr.WINDOW_SAMPLES - 30 * 256
    assert w[1, 0] == hop - 3840
    assert w.shape[0] * 142 >= tr.n_output_frames(y.size)


def test_rate_and_shape_are_checked():
    with pytest.raises(ParameterError, match="22050"):
        tr.run_network(np.zeros(1000), sr=44100)
    with pytest.raises(ParameterError):
        tr.validate_audio(np.zeros((2, 10)), sr=22050)


def test_registry_checksum(monkeypatch):
    from songlens.models import registry

    p = registry.model_path("basic-pitch-nmp")
    assert p.is_file() and p.stat().st_size == 230444
    bad = registry.ModelSpec(**{**registry.REGISTRY["basic-pitch-nmp"].__dict__,
                                "sha256": "0" * 64})
    monkeypatch.setitem(registry.REGISTRY, "broken", bad)
    with pytest.raises(ModelLoadingError, match="sha256"):
        registry.model_path("broken")
    with pytest.raises(ModelLoadingError, match="unknown model"):
        registry.model_path("nope")


def test_golden_against_basic_pitch_predict():
    """Activations and notes equal basic_pitch.inference.predict's (recorded by
    scripts/record_basic_pitch_golden.py with basic-pitch 0.4.0 + onnxruntime)."""
    pytest.importorskip("onnxruntime")
    sf = pytest.importorskip("soundfile")
    y, sr = sf.read(DATA / "clip.flac", dtype="float32")
    gold = np.load(DATA / "golden.npz")
    meta = json.loads((DATA / "golden.json").read_text())
    act = tr.run_network(y, sr=sr, outputs=("note", "onset", "contour"), workers=2, batch=2)
    assert act["note"].shape == gold["note"].shape == (meta["n_frames"], 88)
    # golden activations are stored as float16 (error <= 2.5e-4); allow 1e-3 in all
    np.testing.assert_allclose(act["note"], gold["note"].astype(np.float32), atol=1e-3, rtol=0)
    np.testing.assert_allclose(act["onset"], gold["onset"].astype(np.float32), atol=1e-3, rtol=0)
    np.testing.assert_allclose(act["contour"].max(axis=1), gold["contour_max"], atol=1e-3, rtol=0)
    assert np.mean(act["contour"].argmax(axis=1) == gold["contour_argmax"]) >= 0.99
    notes = tr.transcribe(y, sr=sr)
    ref = sorted(meta["notes"], key=lambda n: (n[0], n[2]))
    assert len(notes) == len(ref) > 20
    for n, (s, e, p, a) in zip(notes, ref, strict=True):
        assert n.pitch == p
        assert n.start == pytest.approx(s, abs=1e-6) and n.end == pytest.approx(e, abs=1e-6)
        assert n.amplitude == pytest.approx(a, abs=1e-3)


def test_threading_does_not_change_results():
    pytest.importorskip("onnxruntime")
    sf = pytest.importorskip("soundfile")
    y, sr = sf.read(DATA / "clip.flac", dtype="float32")
    a = tr.run_network(y, sr=sr, workers=1, batch=8)
    b = tr.run_network(y, sr=sr, workers=2, batch=1)
    np.testing.assert_allclose(a["note"], b["note"], atol=1e-5, rtol=0)


def test_streaming_equals_whole_signal(rng):
    pytest.importorskip("onnxruntime")
    sf = pytest.importorskip("soundfile")
    y, sr = sf.read(DATA / "clip.flac", dtype="float32")
    whole = tr.run_network(y, sr=sr)
    st = tr.StreamingTranscriber(sr=sr, workers=2, batch=2)
    i = 0
    while i < y.size:
        n = int(rng.integers(1, 30000))
        st.push(y[i:i + n])
        i += n
    got = st.finish()
    for k in ("note", "onset"):
        assert got[k].shape == whole[k].shape
        np.testing.assert_allclose(got[k], whole[k], atol=1e-5, rtol=0)
    empty = tr.StreamingTranscriber(sr=sr)
    assert empty.finish()["note"].shape == (0, 88)
