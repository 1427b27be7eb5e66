"""The CLI, run in-process (and once as a real process)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from audiofiles import write_audio
from songlens.cli import ExitStatus, main
from songlens.testing.signals import concat, sine


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def song(tmp_path) -> Path:
    sr = 44100
    y = concat(sine(440, 3, sr=sr, dbfs=-20), np.zeros((1, 2 * sr)), sine(440, 3, sr=sr, dbfs=-8))
    return write_audio(tmp_path / "song.flac", np.concatenate([y, y]), sr, title="T", artist="A")


def test_summary_on_stdout(song):
    code, out, err = run(["analyze", str(song), "--no-progress"])
    assert code == 0, err
    assert "LUFS" in out and "silence 0:03.0-0:05.0" in out


def test_json_file_is_strict_and_complete(song, tmp_path):
    target = tmp_path / "out" / "song.json"
    code, out, err = run(["analyze", str(song), "--json", str(target), "--no-progress",
                          "--profile", "fast"])
    assert code == 0, err
    text = target.read_text()
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON: {c}"))
    assert data["schema"] == "songlens.analysis/1"
    assert data["songlens"]["version"]
    assert data["songlens"]["settings"]["profile"] == "fast"
    assert data["songlens"]["settings"]["signal"]["sample_rate"] == 22050
    assert set(data["track"]) == {"path", "duration", "sample_rate", "channels", "title",
                                  "artist"}
    assert set(data["loudness"]) == {"integrated_lufs", "range_lu", "true_peak_dbtp", "curve"}
    for facet in ("buildups", "silences", "production", "tempo", "key", "chords", "sections",
                  "emotion", "descriptors"):
        assert facet in data
    # facets of the model-based profile are absent from a fast analysis, never faked
    for facet in ("melody", "instruments"):
        assert facet not in data
    assert not list(tmp_path.glob("out/.*.tmp"))  # atomic write left nothing behind


def test_several_files_into_a_directory(song, tmp_path):
    other = write_audio(tmp_path / "b.wav", sine(220, 2, sr=22050, dbfs=-12), 22050)
    outdir = tmp_path / "results"
    code, out, err = run(["analyze", str(song), str(other), "--json", str(outdir),
                          "--no-progress"])
    assert code == 0, err
    names = sorted(p.name for p in outdir.iterdir())
    assert names == ["b.wav.json", "song.flac.json"]


def test_partial_failure_exit_code(song, tmp_path):
    outdir = tmp_path / "results"
    code, out, err = run(["analyze", str(song), str(tmp_path / "missing.wav"), "--json",
                          str(outdir), "--no-progress"])
    assert code == ExitStatus.PARTIAL
    assert (outdir / "song.flac.json").exists()
    assert err.count("songlens: error:") == 1


def test_usage_errors():
    assert run([])[0] == ExitStatus.USAGE
    code, _, err = run(["analyze"])
    assert code == ExitStatus.USAGE and err.startswith("songlens: error:")
    code, _, err = run(["analyze", "x.wav", "--profile", "bogus"])
    assert code == ExitStatus.USAGE
    code, _, err = run(["frobnicate"])
    assert code == ExitStatus.USAGE


def test_json_dash_with_several_files_is_usage_error(song):
    code, _, err = run(["analyze", str(song), str(song), "--json", "-"])
    assert code == ExitStatus.USAGE


def test_unwritable_output(song, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(["analyze", str(song), "--json", str(blocker / "x.json"),
                        "--no-progress"])
    assert code == ExitStatus.OUTPUT_ERROR
    assert err.count("\n") == 1


def test_demo(tmp_path):
    code, out, err = run(["demo", "--out", str(tmp_path / "demo")])
    assert code == 0, err
    data = json.loads((tmp_path / "demo" / "demo.analysis.json").read_text())
    assert data["track"]["title"].startswith("Farewell")
    truth = json.loads((Path(__file__).parents[1] / "src/songlens/data/demo.truth.json")
                       .read_text())
    assert data["climax"]["time"] == pytest.approx(truth["climax"], abs=3.0)
    assert "analysis written to" in out
    report = tmp_path / "demo" / "demo.report.html"
    assert report.exists() and "report written to" in out
    html = report.read_text()
    assert "<svg" in html and "Farewell" in html


def test_python_dash_m_and_exit_code(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "songlens", "analyze", str(tmp_path / "x.wav")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == ExitStatus.NO_INPUT
    assert proc.stderr.startswith("songlens: error:") and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "songlens", "--version"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.startswith("songlens ")
