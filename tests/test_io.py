"""Decoding every supported format, and every kind of bad input, through the CLI."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from audiofiles import FORMATS, write_audio, write_float_wav
from songlens.cli import ExitStatus, main
from songlens.pipeline import analyze_signal
from songlens.testing.signals import concat, silence, sine, square, stereo, white_noise


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def analyze_json(path: Path) -> tuple[int, dict | None, str]:
    code, out, err = run(["analyze", str(path), "--json", "-", "--no-progress"])
    return code, (json.loads(out) if code == 0 else None), err


def assert_one_line_error(err: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("songlens: error: ")
    assert "Traceback" not in err


def music_like(sr: int, dur: float = 4.0) -> np.ndarray:
    y = concat(sine(440.0, dur / 2, sr=sr, dbfs=-10), sine(660.0, dur / 2, sr=sr, dbfs=-16))
    return np.concatenate([y, 0.8 * y])


@pytest.mark.parametrize("ext", sorted(set(FORMATS) | {".ogg"}))
def test_every_format_decodes_with_tags(tmp_path, ext):
    sr = 48000
    y = music_like(sr)
    path = write_audio(tmp_path / f"song{ext}", y, sr, title="Goodbye Song", artist="Nobody")
    code, data, err = analyze_json(path)
    assert code == 0, err
    t = data["track"]
    assert t["channels"] == 2
    assert t["sample_rate"] == sr
    assert t["duration"] == pytest.approx(4.0, abs=0.05)
    assert t["title"] == "Goodbye Song"
    if ext != ".aiff":  # FFmpeg's AIFF muxer writes no artist tag
        assert t["artist"] == "Nobody"
    # the loudness of the file agrees with that of the signal written into it
    ref = analyze_signal(y, sr=sr).loudness.integrated_lufs
    lossless = ext in {".wav", ".flac", ".aiff", ".mkv"}
    tol = 0.05 if lossless else 0.6
    assert data["loudness"]["integrated_lufs"] == pytest.approx(ref, abs=tol)


# ---------------------------------------------------------------- bad input

def test_missing_path(tmp_path):
    code, _, err = run(["analyze", str(tmp_path / "nope.wav")])
    assert code == ExitStatus.NO_INPUT
    assert_one_line_error(err)
    assert "no such file" in err


def test_directory(tmp_path):
    code, _, err = run(["analyze", str(tmp_path)])
    assert code == ExitStatus.NO_INPUT
    assert_one_line_error(err)


def test_zero_byte_file(tmp_path):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    code, _, err = run(["analyze", str(p)])
    assert code == ExitStatus.BAD_AUDIO
    assert_one_line_error(err)
    assert "empty" in err


def test_text_with_audio_extension(tmp_path):
    p = tmp_path / "notes.mp3"
    p.write_text("These are my lyrics, not audio.\n" * 200)
    code, _, err = run(["analyze", str(p)])
    assert code == ExitStatus.BAD_AUDIO
    assert_one_line_error(err)


def _png_bytes() -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 16 for _ in range(16))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_image_with_audio_extension(tmp_path):
    p = tmp_path / "cover.wav"
    p.write_bytes(_png_bytes())
    code, _, err = run(["analyze", str(p)])
    assert code == ExitStatus.BAD_AUDIO
    assert_one_line_error(err)


@pytest.mark.parametrize("ext", [".wav", ".mp3", ".flac"])
def test_truncated_file_gives_result_with_warning(tmp_path, ext):
    sr = 44100
    p = write_audio(tmp_path / f"t{ext}", music_like(sr, dur=8.0), sr)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    code, res, err = analyze_json(p)
    assert code == 0, err
    assert 2.0 < res["track"]["duration"] < 6.0
    if ext == ".wav":
        assert any("truncated" in w for w in res["warnings"])


def test_truncated_to_header_only(tmp_path):
    sr = 44100
    p = write_audio(tmp_path / "h.wav", music_like(sr), sr)
    p.write_bytes(p.read_bytes()[:44])
    code, _, err = run(["analyze", str(p)])
    assert code == ExitStatus.BAD_AUDIO
    assert_one_line_error(err)


def test_nan_and_inf_samples_are_replaced_with_warning(tmp_path):
    sr = 22050
    y = music_like(sr).astype(np.float32)
    y[0, 1000:1100] = np.nan
    y[1, 5000] = np.inf
    p = write_float_wav(tmp_path / "nan.wav", y, sr)
    code, res, err = analyze_json(p)
    assert code == 0, err
    assert any("non-finite" in w for w in res["warnings"])
    assert np.isfinite(res["loudness"]["integrated_lufs"])


def test_all_nan_file_is_an_error(tmp_path):
    p = write_float_wav(tmp_path / "allnan.wav", np.full((1, 22050), np.nan, np.float32), 22050)
    code, _, err = run(["analyze", str(p)])
    assert code == ExitStatus.BAD_AUDIO
    assert_one_line_error(err)


def test_header_claiming_billions_of_frames(tmp_path):
    sr = 44100
    pcm = (music_like(sr, 3.0)[0] * 32767).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, sr, sr * 2, 2, 16)
    header = (b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + b"fmt "
              + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", 0xFFFFFFF0))
    p = tmp_path / "liar.wav"
    p.write_bytes(header + pcm)
    code, res, err = analyze_json(p)
    assert code == 0, err
    assert res["track"]["duration"] == pytest.approx(3.0, abs=0.01)


def test_clip_shorter_than_100ms(tmp_path):
    p = write_audio(tmp_path / "blip.wav", sine(440, 0.05, sr=44100, dbfs=-6), 44100)
    code, _, err = run(["analyze", str(p)])
    assert code == ExitStatus.BAD_AUDIO
    assert_one_line_error(err)
    assert "0.1 s" in err


def test_clip_just_long_enough(tmp_path):
    p = write_audio(tmp_path / "short.wav", sine(440, 0.25, sr=44100, dbfs=-6), 44100)
    code, res, err = analyze_json(p)
    assert code == 0, err
    assert res["loudness"]["integrated_lufs"] is None
    assert res["warnings"]


@pytest.mark.slow
def test_ten_minutes_of_digital_silence(tmp_path):
    p = write_audio(tmp_path / "silence.flac", silence(600.0, sr=44100, channels=2), 44100)
    code, res, err = analyze_json(p)
    assert code == 0, err
    assert res["silences"] == [{"start": 0.0, "end": pytest.approx(600.0, abs=0.01)}]
    assert res["loudness"]["integrated_lufs"] is None
    assert "climax" not in res and res["buildups"] == []
    assert any("digital silence" in w for w in res["warnings"])


def test_8khz_mono(tmp_path):
    p = write_audio(tmp_path / "phone.wav", music_like(8000)[:1], 8000)
    code, res, err = analyze_json(p)
    assert code == 0, err
    assert res["track"]["sample_rate"] == 8000 and res["track"]["channels"] == 1
    assert res["production"]["stereo_correlation"] is None
    assert any("below the analysis rate" in w for w in res["warnings"])


def test_96khz_six_channels(tmp_path):
    sr = 96000
    base = sine(1000.0, 3.0, sr=sr, dbfs=-23.0)[0]
    y = np.stack([base, base, base * 0, base, base * 0, base * 0])  # FL FR FC LFE BL BR
    p = write_audio(tmp_path / "surround.flac", y, sr)
    code, res, err = analyze_json(p)
    assert code == 0, err
    assert res["track"]["channels"] == 6 and res["track"]["sample_rate"] == sr
    # the LFE copy does not count: same as the stereo pair alone
    assert res["loudness"]["integrated_lufs"] == pytest.approx(-23.0, abs=0.2)


def test_clipped_square_wave(tmp_path):
    p = write_audio(tmp_path / "square.wav", stereo(square(110.0, 3.0, sr=44100, gain=3.0)),
                    44100)
    code, res, err = analyze_json(p)
    assert code == 0, err
    assert res["production"]["clipped_samples"] > 100000
    assert any("clipped" in w for w in res["warnings"])


def test_dc_offset_file(tmp_path):
    y = np.clip(sine(220.0, 3.0, sr=44100, dbfs=-12.0) + 0.2, -1, 1)
    p = write_audio(tmp_path / "dc.flac", y, 44100)
    code, res, err = analyze_json(p)
    assert code == 0, err
    assert res["production"]["dc_offset"][0] == pytest.approx(0.2, abs=0.01)


def test_white_noise_file(tmp_path, rng):
    p = write_audio(tmp_path / "noise.wav",
                    white_noise(5.0, sr=44100, dbfs_rms=-18, rng=rng, channels=2), 44100)
    code, res, err = analyze_json(p)
    assert code == 0, err
    assert res["loudness"]["integrated_lufs"] < -10


@pytest.mark.parametrize("name", ["with space.wav", "it's \"quoted\".flac", "chanson_é_ü_日本.mp3",
                                  "-starts-with-dash.wav"])
def test_awkward_paths(tmp_path, name):
    sr = 44100
    p = write_audio(tmp_path / name, music_like(sr), sr)
    code, res, err = analyze_json(p) if not name.startswith("-") else (None, None, None)
    if name.startswith("-"):
        code, out, err = run(["analyze", "--json", "-", "--no-progress", "--", str(p)])
        res = json.loads(out)
    assert code == 0, err
    assert res["track"]["path"] == str(p)
