"""The NumPy musicnn port against golden outputs of the reference implementation.

The goldens (tests/data/musicnn/<clip>.npz) were recorded once with musicnn
0.1.0 on TensorFlow 2.15.1 and librosa 0.11.0 by
scripts/record_musicnn_goldens.py, from the committed 16 kHz clips
(scripts/make_musicnn_test_audio.py). This test needs neither.

Tolerances (absolute, rtol=0):
* log-mel front-end: at most one float16 rounding step of musicnn's
  representation (log10 step of 2**-10 relative: 4.3e-4) on at most 0.2 % of
  the bins (measured: 4.0e-4 on 0.05 %);
* tag probabilities (sigmoid outputs): 1e-4 (measured: 3e-6);
* penultimate features (values of order 1-10): 1e-3 (measured: 3e-5).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from songlens.analysis.tagging import tag_audio, tag_log_mel
from songlens.errors import ModelLoadingError, ParameterError
from songlens.models import musicnn
from songlens.models.registry import REGISTRY, load_musicnn, model_path

DATA = Path(__file__).parent / "data" / "musicnn"
CLIPS = ("piano_strings", "band", "voices_synth")
MODELS = {"musicnn_mtt": "MTT_musicnn", "musicnn_msd": "MSD_musicnn"}
ATOL_PROBS = 1e-4
ATOL_PENULTIMATE = 1e-3
FLOAT16_LOG_STEP = 4.3e-4


def _clip(name: str) -> tuple[np.ndarray, int, dict[str, np.ndarray]]:
    import soundfile as sf

    y, sr = sf.read(DATA / f"{name}.flac", dtype="float32")
    with np.load(DATA / f"{name}.npz", allow_pickle=False) as z:
        golden = {k: z[k] for k in z.files}
    return y, sr, golden


@pytest.mark.parametrize("clip", CLIPS)
def test_log_mel_matches_librosa_reference(clip):
    y, sr, golden = _clip(clip)
    S = musicnn.log_mel(y, sr=sr)
    ref = golden["log_mel"]
    assert S.shape == ref.shape
    diff = np.abs(S - ref)
    assert diff.max() <= FLOAT16_LOG_STEP
    assert (diff > 1e-6).mean() < 0.002


@pytest.mark.parametrize("clip", CLIPS)
@pytest.mark.parametrize("model", sorted(MODELS))
def test_forward_matches_reference(clip, model):
    _, _, golden = _clip(clip)
    w = load_musicnn(model)
    S = golden["log_mel"]
    probs, pen = musicnn.forward(musicnn.make_patches(S, musicnn.patch_starts(S.shape[0])), w)
    ref = MODELS[model]
    np.testing.assert_allclose(probs, golden[f"{ref}.taggram"], rtol=0, atol=ATOL_PROBS)
    np.testing.assert_allclose(pen, golden[f"{ref}.penultimate"], rtol=0, atol=ATOL_PENULTIMATE)


@pytest.mark.parametrize("clip", CLIPS)
def test_tag_audio_end_to_end_matches_reference(clip):
    y, sr, golden = _clip(clip)
    acts = tag_audio(y, sr=sr, model="musicnn_mtt", cover_end=False)
    assert acts.tags == tuple(load_musicnn("musicnn_mtt").tags)
    assert acts.resampled_from is None
    np.testing.assert_allclose(acts.probs, golden["MTT_musicnn.taggram"], rtol=0,
                               atol=ATOL_PROBS)
    np.testing.assert_allclose(acts.penultimate, golden["MTT_musicnn.penultimate"], rtol=0,
                               atol=ATOL_PENULTIMATE)
    # back-to-back patches of 187 frames (2.992 s)
    np.testing.assert_allclose(acts.times[:, 0], [0.0, 2.992, 5.984])


def test_golden_outputs_are_not_trivial():
    # a port that ignored its input would not pass: the clips' taggrams differ
    tops = set()
    for clip in CLIPS:
        _, _, g = _clip(clip)
        tg = g["MTT_musicnn.taggram"]
        assert tg.std(axis=0).max() > 0.05
        tops.add(int(np.argmax(tg.mean(axis=0))))
    assert len(tops) >= 2


def test_dft_timbral_equals_direct(rng):
    w = load_musicnn("musicnn_mtt")
    x = rng.uniform(0, 5, size=(2, musicnn.N_FRAMES, musicnn.N_MELS)).astype(np.float32)
    p_dft, f_dft = musicnn.forward(x, w, timbral="dft")
    p_dir, f_dir = musicnn.forward(x, w, timbral="direct")
    np.testing.assert_allclose(p_dft, p_dir, rtol=0, atol=1e-5)
    np.testing.assert_allclose(f_dft, f_dir, rtol=0, atol=1e-4)


def test_cover_end_and_short_audio(rng):
    sr = 16000
    y = (0.1 * rng.standard_normal(int(7.5 * sr))).astype(np.float32)
    acts = tag_audio(y, sr=sr, cover_end=True)
    assert acts.probs.shape == (3, 50)
    np.testing.assert_allclose(acts.times[-1], [7.5 - 2.992, 7.5], atol=0.02)
    short = tag_audio(y[: sr], sr=sr)
    assert short.probs.shape == (1, 50)
    np.testing.assert_allclose(short.times, [[0.0, 1.0]])
    assert np.all((short.probs >= 0) & (short.probs <= 1))


def test_resampling_is_explicit_and_close():
    y, sr, golden = _clip("band")
    import soxr

    y44 = soxr.resample(y, sr, 44100, quality="HQ")
    acts = tag_audio(y44, sr=44100, cover_end=False)
    assert acts.resampled_from == 44100
    assert acts.settings()["resampling"] == {"from_hz": 44100, "to_hz": 16000,
                                             "method": "soxr HQ"}
    # a round trip through 44.1 kHz changes the tags only slightly
    assert np.abs(acts.probs - golden["MTT_musicnn.taggram"]).max() < 0.05


def test_level_gate_and_msd_tags():
    acts = tag_audio(np.zeros(16000 * 4, np.float32), sr=16000, model="musicnn_msd")
    assert acts.tags[:3] == ("rock", "pop", "alternative")
    assert np.all(np.isneginf(acts.level_db))
    with pytest.raises(KeyError):
        acts["piano"]


@pytest.mark.parametrize("bad", [np.zeros((2, 16000)), np.zeros(0), np.array([np.nan] * 9)])
def test_bad_audio_raises(bad):
    with pytest.raises(ParameterError):
        tag_audio(bad, sr=16000)


def test_bad_rate_and_mel_raise():
    with pytest.raises(ParameterError):
        tag_audio(np.zeros(16000), sr=0)
    with pytest.raises(ParameterError):
        musicnn.log_mel(np.zeros(22050, np.float32), sr=22050)
    with pytest.raises(ParameterError):
        tag_log_mel(np.zeros((10, 80)))


def test_registry_checksum_is_verified(tmp_path):
    spec = REGISTRY["musicnn_mtt"]
    assert spec.licence == "ISC" and spec.version == "0.1.0"
    assert model_path("musicnn_mtt").is_file()
    bad = tmp_path / spec.file
    shutil.copy(model_path("musicnn_mtt"), bad)
    with open(bad, "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelLoadingError, match="sha256"):
        model_path("musicnn_mtt", data_dir=tmp_path)
    with pytest.raises(ModelLoadingError, match="missing"):
        model_path("musicnn_msd", data_dir=tmp_path)
    with pytest.raises(ModelLoadingError, match="unknown model"):
        model_path("vggish")
