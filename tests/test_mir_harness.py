"""benchmarks/mir.py scores a perfect estimate 100 % and known errors as documented."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mir_eval")
pytest.importorskip("pretty_midi")

from songlens.testing.dataset import compose_piece, synthetic_specs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mir():
    spec = importlib.util.spec_from_file_location("bench_mir", ROOT / "benchmarks" / "mir.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def truth():
    spec = [s for s in synthetic_specs() if s.name == "syn17_jazz_4-4_major"][0]
    return compose_piece(dataclasses.replace(spec, phrase_bars=2)).truth


def _as_estimate(t):
    return {"bpm": t.tempo_bpm, "beats": t.beats, "downbeats": t.downbeats, "key": t.key,
            "chords": [list(c) for c in t.chords], "sections": [list(s) for s in t.sections],
            "key_segments": [list(k) for k in t.key_segments],
            "romans": [list(r) for r in t.romans], "meter": t.time_signature,
            "tuning_cents": t.tuning_cents, "seconds": 1.0}


def test_perfect_estimate_scores_one(mir, truth):
    s = mir.score_piece(truth, _as_estimate(truth))
    for m in ("acc1", "acc2", "beat_f", "downbeat_f", "key_mirex", "chord_majmin",
              "chord_sevenths", "section_f", "meter_acc", "local_key", "roman_acc"):
        assert s[m] == pytest.approx(1.0), m
    assert s["tuning_err"] == 0.0


def test_known_errors(mir, truth):
    est = _as_estimate(truth)
    est["bpm"] = truth.tempo_bpm * 2.0
    est["beats"] = list(np.array(truth.beats) + 0.1)  # outside the ±70 ms window
    est["key"] = "E major" if truth.key == "A major" else "A major"  # a fifth away
    est["chords"] = [[0.0, truth.duration, "N"]]
    est.pop("sections")
    s = mir.score_piece(truth, est)
    assert (s["acc1"], s["acc2"]) == (0.0, 1.0)
    assert s["beat_f"] == 0.0
    assert s["key_mirex"] == pytest.approx(0.5)
    # all-N is right only where the truth is N (lead-in and tail), as mir_eval counts N
    n_time = sum(b - a for a, b, lab in truth.chords if lab == "N")
    assert s["chord_majmin"] == pytest.approx(n_time / truth.duration, abs=1e-6)
    assert "section_f" not in s
    assert mir.tempo_scores(100.0, 103.9) == (1.0, 1.0)
    assert mir.tempo_scores(100.0, 33.4) == (0.0, 1.0)
    assert mir.tempo_scores(100.0, 150.0) == (0.0, 0.0)


def test_results_section_replaces_only_its_own_heading(mir, tmp_path):
    p = tmp_path / "RESULTS.md"
    p.write_text("# Benchmark results\n\n## Other (issue 9)\n\nkeep me\n")
    mir.write_results_md(p, mir.HEADING + "\n\nfirst\n")
    mir.write_results_md(p, mir.HEADING + "\n\nsecond\n")
    text = p.read_text()
    assert "keep me" in text and "second" in text and "first" not in text
    assert text.count(mir.HEADING) == 1
    mir.write_results_md(p, mir.HEADING + "\n\nthird\n")  # idempotent: nothing duplicated
    text = p.read_text()
    assert text.count("keep me") == 1 and "third" in text and "second" not in text


def test_roman_spellings_of_analysers_and_truth_agree(mir):
    same = [("vii°", "viio"), ("vii°6", "viio6"), ("I64", "I6/4"), ("V65", "V6/5"),
            ("V43", "V4/3"), ("V42", "V2"), ("iiø65", "iiø6/5"), ("V65/V", "V6/5/V"),
            ("V7", "V7"), ("I6", "I6")]
    for est, ref in same:
        assert mir._norm_roman(est) == mir._norm_roman(ref), (est, ref)
    for est, ref in [("V6", "V"), ("I64", "I6"), ("V7", "V42"), ("ii", "II")]:
        assert mir._norm_roman(est) != mir._norm_roman(ref), (est, ref)
