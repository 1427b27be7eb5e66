"""The deep-dive report: traceable narrative, HTML/Markdown output, CLI, limits."""

from __future__ import annotations

import copy
import io
import json
import re
import time
from pathlib import Path

import pytest

from report_data import full_result, minimal_result
from songlens.cli import ExitStatus, main
from songlens.errors import ParameterError
from songlens.report import compare, narrate, render_html, render_markdown, write_report
from songlens.report.build import ReportInput, find_audio
from songlens.report.lanes import build_lanes, chord_symbol, functional_tension, time_ticks
from songlens.report.narrative import STATIC_TOKENS, claims_of
from songlens.report.trace import (
    FORMATS,
    Q,
    collapse_labels,
    count_seq,
    evaluate,
    fmt_duration,
    fmt_time,
    note_name,
    step_share,
)
from songlens.result.serialize import dump_json, result_to_dict

DEMO = Path(__file__).resolve().parents[1] / "src" / "songlens" / "data" / "demo.mp3"
MAX_HTML_BYTES = 2 * 1024 * 1024
MAX_SECONDS = 1.0


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def demo_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo track analysed once per session (real measurements)."""
    from songlens.pipeline import analyze

    path = tmp_path_factory.mktemp("demo") / "demo.json"
    dump_json(analyze(DEMO), path)
    return path


# ----------------------------------------------------------------- trace checks
def check_traceable(chapters, data) -> int:
    """Every shown value re-derives from ``data``; no other digits in the text."""
    n = 0
    for claim in claims_of(chapters):
        text = claim.text
        rest = text
        for v in claim.values:
            recomputed = evaluate(v.q.expr, data)
            assert FORMATS[v.fmt](recomputed) == v.text, (v.q.expr, recomputed, v.text, text)
            assert v.text in rest, (v.text, text)
            rest = rest.replace(v.text, " ", 1)
            n += 1
        for tok in STATIC_TOKENS:
            rest = rest.replace(tok, " ")
        assert not re.search(r"\d", rest), f"untraced digits in: {text!r} (left: {rest!r})"
    return n


def test_demo_narrative_numbers_come_from_the_json(demo_json):
    data = json.loads(demo_json.read_text())
    from songlens.result.serialize import load_json

    chapters = narrate(load_json(demo_json))
    assert check_traceable(chapters, data) >= 20


def test_demo_sample_sentences_match_the_json_by_hand(demo_json):
    """Independent of the trace machinery: parse sentences, recompute from the JSON."""
    from songlens.result.serialize import load_json

    d = json.loads(demo_json.read_text())
    text = " ".join(c.text for c in claims_of(narrate(load_json(demo_json))))
    if d.get("climax") and d.get("buildups"):
        m = re.search(r"From (\d+):(\d\d) the loudness climbs ([\d.]+) dB over ([\d.]+) s into "
                      r"the climax at (\d+):(\d\d), (\d+)% of the way", text)
        assert m, text
        b = min(d["buildups"], key=lambda b: abs(b["end"] - d["climax"]["time"]))
        assert int(m[1]) * 60 + int(m[2]) == pytest.approx(b["start"], abs=0.5)
        assert float(m[3]) == pytest.approx(b["rise_db"], abs=0.5)
        assert float(m[4]) == pytest.approx(b["end"] - b["start"], abs=0.5)
        assert int(m[5]) * 60 + int(m[6]) == pytest.approx(d["climax"]["time"], abs=0.5)
        assert int(m[7]) == pytest.approx(100 * d["climax"]["time"] / d["track"]["duration"],
                                          abs=0.5)
    lo = d["loudness"]
    m = re.search(r"integrated loudness of \u2212([\d.]+) LUFS, a loudness range of ([\d.]+) LU "
                  r"and a true peak of \u2212([\d.]+) dBTP", text)
    assert m, text
    assert -float(m[1]) == pytest.approx(lo["integrated_lufs"], abs=0.05)
    assert float(m[2]) == pytest.approx(lo["range_lu"], abs=0.05)
    assert -float(m[3]) == pytest.approx(lo["true_peak_dbtp"], abs=0.05)
    interior = [s for s in d["silences"]
                if s["start"] > 0.05 and s["end"] < d["track"]["duration"] - 0.05]
    for s in interior:
        m = re.search(rf"At {fmt_time(s['start'])} the music stops for ([\d.]+) s", text)
        assert m, (s, text)
        assert float(m[1]) == pytest.approx(s["end"] - s["start"], abs=0.05)
    sb = d["production"]["spectral_balance"]
    m = re.search(r"(\d+)% of the spectral energy lies between 250 Hz and 4 kHz, (\d+)% below "
                  r"and (\d+)% above", text)
    assert m
    assert [int(m[1]), int(m[2]), int(m[3])] == [round(100 * sb[k]) for k in ("mid", "low", "high")]


def test_full_result_narrative_is_traceable():
    r = full_result()
    data = result_to_dict(r)
    chapters = narrate(r)
    keys = [c.key for c in chapters]
    assert keys == ["overview", "emotion", "composition", "arrangement", "silence", "production",
                    "features"]
    assert check_traceable(chapters, data) >= 60


def test_full_result_sentences_state_the_designed_facts():
    text = " ".join(c.text for c in claims_of(narrate(full_result())))
    assert "It modulates to B minor at 0:56 and back to A minor at 1:19." in text
    assert ("The recurring progression i\u2013VI\u2013III\u2013VII comes round 8 times, first at "
            "0:01, and covers 89% of the chords.") in text
    assert "It moves at about 96 BPM in 4/4 time, in A minor," in text
    assert ("SongLens finds 3 cadences at phrase endings \u2014 1 half (a pause on the dominant): "
            "iv\u2013V at 0:56; 2 authentic (dominant to tonic): V\u2013i at 1:14 and "
            "V7\u2013i at 1:32.") in text
    assert ("The piano leads the intro (from 0:01); the strings lead the verse and the chorus "
            "(from 0:24); the piano returns to lead the verse and the outro (from 1:19).") in text
    assert ("The melancholic reading rests on minor mode, from the key analysis and legato "
            "(5 dB dips).") in text
    assert ("The cues behind the arousal reading, strongest first: soft (-21 LUFS), legato "
            "(5 dB dips).") in text
    assert "danceability 0.41 (" in text and "instrumentalness 0.70 (" in text
    assert "liveness" not in text and "speechiness" not in text  # not measured
    assert "Piano opens at 0:01 and is the only instrument detected for 23 s." in text
    assert "strings at 0:24, bass at 0:32 and drums at 0:40" in text
    assert ("At 1:16 the music stops for 2.5 s, 20 s after the climax, and comes back with "
            "the verse at 1:19.") in text
    assert "The verse comes twice, at 0:24 and 1:19." in text
    assert "melancholic (0.71), longing (0.64) and reflective (0.52)" in text


FACETS = ["tempo", "key", "chords", "harmony", "melody", "instruments", "lead_instruments",
          "loudness", "buildups", "climax", "silences", "sections", "emotion", "production",
          "descriptors"]


@pytest.mark.parametrize("facet", FACETS)
def test_absent_facet_is_never_mentioned(facet):
    r = full_result()
    setattr(r, facet, None)
    data = result_to_dict(r)
    assert facet not in data
    chapters = narrate(r)
    check_traceable(chapters, data)  # would raise on any path into the absent facet
    for c in claims_of(chapters):
        for v in c.values:
            assert not re.search(rf"(^|[^\w.]){facet}\b", v.q.expr), (facet, c.text)


def test_bare_result_says_only_the_duration():
    chapters = narrate(minimal_result(30.0))
    assert [c.key for c in chapters] == ["overview"]
    assert [c.text for c in claims_of(chapters)] == ["The track runs 30 s."]
    html = render_html([minimal_result(30.0)])
    assert 'class="lane k-' not in html


def test_compare_is_traceable_and_names_differences():
    a = full_result(1)
    b = full_result(2, duration=90.0, title="Other")
    b.loudness.integrated_lufs = -15.0
    b.tempo.bpm = 120.0
    b.instruments = [i for i in b.instruments if i.name != "drums"]
    chapters = compare(a, b)
    data = {"A": result_to_dict(a), "B": result_to_dict(b)}
    check_traceable(chapters, data)
    text = " ".join(c.text for c in claims_of(chapters))
    assert "B is louder by 6.3 LU" in text
    assert "B is faster by 24 BPM" in text
    assert "Only A has drums." in text
    assert re.search(r"Melody indices on a 0\u20131 scale \(A vs B\): simplicity (\d\.\d\d) vs "
                     r"(\d\.\d\d)", text)
    assert "danceability 0.41 vs 0.41" in text


def test_compare_names_meter_differences_only():
    a, b = full_result(1), full_result(2, title="Other")
    b.tempo.meter = "3/4"
    text = " ".join(c.text for c in claims_of(compare(a, b)))
    assert "A is in 4/4 time, B in 3/4." in text
    text = " ".join(c.text for c in claims_of(compare(full_result(1), full_result(2))))
    assert "4/4" not in text


def test_compare_says_both_when_equal():
    text = " ".join(c.text for c in claims_of(compare(full_result(1), full_result(1))))
    assert "Both move at about 96 BPM." in text
    assert "Both have an integrated loudness of \u221221.3 LUFS." in text
    assert "louder by" not in text


# ------------------------------------------------------------------- trace unit
def test_evaluate_paths_maps_and_functions():
    d = {"a": [{"x": 1.0, "l": "N"}, {"x": 2.5, "l": "C"}, {"x": 4.0, "l": "C"}],
         "c": [[0.0, 3.0], [1.0, None]], "n": {"m": 2}}
    assert evaluate("a[1].x", d) == 2.5
    assert evaluate("a[-1].x - a[0].x", d) == 3.0
    assert evaluate("a[:].x", d) == [1.0, 2.5, 4.0]
    assert evaluate("sum(a[:].x) / len(a)", d) == pytest.approx(2.5)
    assert evaluate("max(c[:][1])", d) == 3.0
    assert evaluate("distinct(a[:].l)", d) == 1
    assert evaluate("changes(a[:].l)", d) == 1
    assert evaluate("count(a[:].l, 'C')", d) == 2
    assert evaluate("-n.m * 100", d) == -200
    for bad in ("__import__('os')", "a.x.y", "n.missing", "a[0:2]", "lambda: 1", "n.m ** 2"):
        with pytest.raises(ParameterError):
            evaluate(bad, d)


def test_q_arithmetic_builds_matching_expression():
    d = {"s": {"a": 10.0, "b": 41.5}, "t": {"d": 83.0}}
    q = (Q("s.b", 41.5) - Q("s.a", 10.0)) / Q("t.d", 83.0) * 100
    assert evaluate(q.expr, d) == pytest.approx(q.value)
    assert (1 - Q("s.a", 10.0)).value == evaluate((1 - Q("s.a", 10.0)).expr, d)


def test_formatters():
    assert fmt_time(41.45) == "0:41"
    assert fmt_time(41.5) == "0:42"
    assert fmt_time(59.6) == "1:00"
    assert fmt_time(3725.0) == "1:02:05"
    assert fmt_duration(2.5) == "2.5 s"
    assert fmt_duration(31.04) == "31 s"
    assert FORMATS["db"](28.98) == "29 dB"
    assert FORMATS["db"](6.31) == "6.3 dB"
    assert FORMATS["lufs"](-22.0204) == "\u221222.0 LUFS"
    assert FORMATS["signed2"](0.3633) == "+0.36"
    assert FORMATS["signed2"](-0.001) == "0.00"
    assert FORMATS["times"](2) == "twice"
    assert note_name(69) == "A4" and note_name(60.4) == "C4" and note_name(61) == "C#4"


def test_sequence_helpers():
    seq = ["i", "i", "VI", None, "III", "VII", "N", "i", "VI", "III", "VII", "i"]
    assert collapse_labels(seq) == ["i", "VI", "III", "VII", "i", "VI", "III", "VII", "i"]
    assert count_seq(seq, ["i", "VI", "III", "VII"]) == 2
    assert count_seq(["a", "b", "a", "b", "a"], ["a", "b", "a"]) == 1  # non-overlapping
    assert step_share([60, 62, 62, 67, 65]) == pytest.approx(3 / 4)


def test_lane_helpers():
    assert chord_symbol("A:min7") == "Am7"
    assert chord_symbol("F#:maj/3") == "F#/3"
    assert chord_symbol("N") == ""
    assert functional_tension("I") == 0.0
    assert functional_tension("V7") == pytest.approx(0.85)
    assert functional_tension("bVII") == pytest.approx(1.0)
    assert functional_tension("xyz") is None
    assert time_ticks(68.4) == [0, 10, 20, 30, 40, 50, 60]
    assert time_ticks(10800.0)[:2] == [0, 1800]


# ------------------------------------------------------------------------- HTML
def test_html_has_every_lane_and_no_external_resources():
    html = render_html([full_result()])
    for key in ("loudness", "sections", "key", "chords", "tension", "tempo", "instrument",
                "lead", "melody", "emotion"):
        assert f'class="lane k-{key}' in html, key
    assert html.count('class="lane k-instrument') == 4
    assert '<figure class="va">' in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(http" not in html
    # every moment in the text is a seek button
    assert html.count('class="ts"') >= 30


def test_html_escapes_analysis_text():
    r = full_result(title="<script>alert(1)</script>", artist='"quote" & <b>')
    r.sections[0].label = "<img src=x onerror=alert(1)>"
    html = render_html([r])
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_html_size_and_time_for_a_four_minute_track():
    r = full_result(duration=240.0)
    data = result_to_dict(r)
    t0 = time.perf_counter()
    html = render_html([r])
    elapsed = time.perf_counter() - t0
    assert len(html.encode()) < MAX_HTML_BYTES
    assert elapsed < MAX_SECONDS, elapsed
    assert len(data["loudness"]["curve"]) == 2400


@pytest.mark.slow
def test_html_stays_small_for_three_hours():
    r = full_result(duration=3 * 3600.0)
    assert len(r.melody.notes) > 10000
    html = render_html([r])
    assert len(html.encode()) < MAX_HTML_BYTES


def test_demo_report_from_json_is_fast_and_small(demo_json, tmp_path):
    t0 = time.perf_counter()
    text, path = write_report([demo_json], out=tmp_path / "r.html")
    elapsed = time.perf_counter() - t0
    assert elapsed < MAX_SECONDS, elapsed
    assert path is not None and path.stat().st_size < MAX_HTML_BYTES
    assert text.startswith("<!DOCTYPE html>")


def test_lanes_for_comparison_share_one_axis():
    a, b = full_result(1, duration=96.0), full_result(2, duration=120.0)
    lanes, span = build_lanes([a, b])
    assert span == 120.0
    assert {ln.song for ln in lanes} == {0, 1}
    assert [ln.key for ln in lanes[:2]] == ["loudness", "loudness"]
    html = render_html([a, b])
    assert html.count('class="sl-audio"') == 0 and "No audio attached" in html
    assert 'class="beyond"' in html  # the shorter track's lanes end early


# --------------------------------------------------------------------- Markdown
def test_markdown_variant():
    r = full_result()
    md = render_markdown([r])
    assert md.startswith("# Test Piece\n")
    for title in ("## Emotional resonance", "## Composition", "## Arrangement",
                  "## The use of silence", "## Production", "## Moments"):
        assert title in md
    assert "<" not in md.replace("\\<", "")
    plain = re.sub(r"\\(.)", r"\1", md)
    for c in claims_of(narrate(r)):
        assert c.text in plain
    md2 = render_markdown([r, full_result(2, title="Other")])
    assert "## Side by side" in md2 and "## A: Test Piece" in md2 and "## B: Other" in md2


# -------------------------------------------------------------------------- CLI
def test_cli_report_from_json(demo_json, tmp_path):
    out = tmp_path / "x" / "demo.html"
    code, stdout, stderr = run(["report", str(demo_json), "-o", str(out)])
    assert code == ExitStatus.OK, stderr
    assert out.is_file() and f"report written to {out.resolve()}" in stdout
    html = out.read_text()
    assert "<svg" in html and 'class="chapter"' in html


def test_cli_report_markdown_to_stdout(demo_json):
    code, stdout, _ = run(["report", str(demo_json), "--format", "md", "-o", "-"])
    assert code == ExitStatus.OK
    assert stdout.startswith("# ") and "## Production" in stdout


def test_cli_report_format_from_suffix(demo_json, tmp_path):
    code, _, _ = run(["report", str(demo_json), "-o", str(tmp_path / "r.md")])
    assert code == ExitStatus.OK
    assert (tmp_path / "r.md").read_text().startswith("# ")


def test_cli_report_default_name_in_cwd(demo_json, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, _ = run(["report", str(demo_json)])
    assert code == ExitStatus.OK
    assert (tmp_path / "demo.report.html").is_file()


def test_cli_report_compare(demo_json, tmp_path):
    other = tmp_path / "other.json"
    dump_json(full_result(), other)
    out = tmp_path / "cmp.html"
    code, _, stderr = run(["report", str(demo_json), str(other), "-o", str(out)])
    assert code == ExitStatus.OK, stderr
    html = out.read_text()
    assert "Side by side" in html and "tag t1" in html


@pytest.mark.parametrize("argv_tail, status", [
    (["/no/such/file.json"], ExitStatus.NO_INPUT),
    (["a.json", "b.json", "c.json"], ExitStatus.USAGE),
])
def test_cli_report_errors(argv_tail, status):
    code, _, stderr = run(["report", *argv_tail])
    assert code == status
    assert stderr.startswith("songlens: error: ") and stderr.count("\n") == 1


def test_cli_report_bad_json(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "songlens.analysis/1"')
    code, _, stderr = run(["report", str(bad)])
    assert code == ExitStatus.BAD_PARAMETER
    assert stderr.count("\n") == 1
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"hello": 1}')
    code, _, _ = run(["report", str(wrong)])
    assert code == ExitStatus.BAD_PARAMETER


def test_cli_report_unwritable_output(demo_json, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, stderr = run(["report", str(demo_json), "-o", str(blocker / "r.html")])
    assert code == ExitStatus.OUTPUT_ERROR
    assert stderr.count("\n") == 1


def test_audio_is_found_and_linked_relative_to_the_report(tmp_path):
    audio = tmp_path / "music" / "song.mp3"
    audio.parent.mkdir()
    audio.write_bytes(DEMO.read_bytes())
    r = full_result()
    r.track.path = "/elsewhere/song.mp3"  # moved since the analysis: found by name
    js = tmp_path / "music" / "song.json"
    dump_json(r, js)
    from songlens.result.serialize import load_json

    assert find_audio(load_json(js), js) == audio
    text, _ = write_report([js], out=tmp_path / "out" / "song.html")
    assert '<source src="../music/song.mp3" type="audio/mpeg">' in text


def test_embed_audio_as_data_uri(tmp_path):
    audio = tmp_path / "song.mp3"
    audio.write_bytes(DEMO.read_bytes())
    text, _ = write_report([ReportInput(full_result(), audio, analysed=False)],
                           out=tmp_path / "r.html", embed_audio=True)
    assert 'src="data:audio/mpeg;base64,' in text


@pytest.mark.slow
def test_cli_report_from_audio_embeds_audio_and_waveform(tmp_path):
    out = tmp_path / "demo.html"
    code, _, stderr = run(["report", str(DEMO), "-o", str(out), "--embed-audio",
                           "--no-progress"])
    assert code == ExitStatus.OK, stderr
    html = out.read_text()
    assert 'src="data:audio/mpeg;base64,' in html
    assert 'class="wave"' in html
    assert len(html.encode()) < MAX_HTML_BYTES + 1.4 * DEMO.stat().st_size


@pytest.mark.slow
def test_demo_report_function(tmp_path):
    from songlens.report import demo_report

    path = demo_report(tmp_path)
    assert path == tmp_path / "demo.report.html" and path.is_file()
    assert "Farewell at the Harbour" in path.read_text()


def test_report_does_not_mutate_the_result():
    r = full_result()
    before = copy.deepcopy(result_to_dict(r))
    render_html([r])
    render_markdown([r])
    assert result_to_dict(r) == before


def test_trace_check_catches_wrong_or_untraced_numbers():
    r = full_result()
    chapters = narrate(r)
    data = result_to_dict(r)
    wrong = copy.deepcopy(data)
    wrong["climax"]["time"] += 3.0
    with pytest.raises(AssertionError):
        check_traceable(chapters, wrong)
    from songlens.report.trace import Chapter, cl

    bad = [Chapter("x", "X", ((cl("The loudness rises 12 dB."),),))]
    with pytest.raises(AssertionError, match="untraced digits"):
        check_traceable(bad, data)


def _signal_cases():
    import numpy as np

    sr = 22050
    rng = np.random.default_rng(20261126)
    noise = (0.2 * rng.standard_normal((2, 5 * sr))).astype(np.float32)
    return sr, {
        "digital_silence": np.zeros((2, 10 * sr), np.float32),
        "short_clip": (0.1 * rng.standard_normal((1, int(0.3 * sr)))).astype(np.float32),
        "mono_sine": (0.3 * np.sin(2 * np.pi * 440 * np.arange(8 * sr) / sr))[None].astype(
            np.float32),
        "noise_gap_noise": np.concatenate([noise, np.zeros((2, 3 * sr), np.float32), noise], 1),
    }


@pytest.mark.parametrize("case", ["digital_silence", "short_clip", "mono_sine",
                                  "noise_gap_noise"])
def test_odd_analyses_give_traceable_honest_reports(case):
    from songlens.pipeline import analyze_signal

    sr, cases = _signal_cases()
    r = analyze_signal(cases[case], sr=sr)
    chapters = narrate(r)
    check_traceable(chapters, result_to_dict(r))
    text = " ".join(c.text for c in claims_of(chapters))
    html = render_html([r])
    assert html.endswith("</html>")
    if case == "digital_silence":
        assert "silent from start to end (10 s)" in text
        assert "first sound" not in text and "spectral energy" not in text
    if case == "short_clip":
        assert text.startswith("The track runs 0.3 s.")
    if case == "noise_gap_noise":
        assert re.search(r"At 0:05 the music stops for 3\.0 s", text)
        assert "turning it down by" in text


# ------------------------------------------------------- harmony, leads, figures
def _runs(names: list[str | None]) -> list[str]:
    out: list[str] = []
    for n in names:
        if n and (not out or out[-1] != n):
            out.append(n)
    return out


def test_demo_new_facet_sentences_match_the_json_by_hand(demo_json):
    """Meter, progression, cadences, leads, melody figures, emotion reasons, descriptors."""
    from songlens.result.serialize import load_json

    d = json.loads(demo_json.read_text())
    chapters = narrate(load_json(demo_json))
    check_traceable(chapters, d)
    text = " ".join(c.text for c in claims_of(chapters))
    checked = 0
    meter = (d.get("tempo") or {}).get("meter")
    if meter:
        assert f"BPM in {meter} time" in text
        checked += 1
    h = d.get("harmony")
    if h is not None:
        if h.get("progression"):
            p = h["progression"]
            m = re.search(r"The recurring progression (\S+) comes round (\w+)", text)
            assert m and m[1] == p["pattern"], text
            assert m[2] == {1: "once", 2: "twice"}.get(p["count"], f"{p['count']}")
            m = re.search(r"covers (\d+)% of the chords", text)
            assert m and int(m[1]) == round(100 * p["coverage"])
        if h["cadences"]:
            m = re.search(r"SongLens finds (\d+) cadences? at phrase endings", text)
            assert m and int(m[1]) == len(h["cadences"])
        elif d.get("chords"):
            assert "finds no cadence" in text
        if len(h["tension"]) >= 2 and max(v for _, v in h["tension"]) > 0:
            m = re.search(r"harmonic tension .*? peaks at ([\d.]+) at (\d+):(\d\d)", text)
            peak = max(h["tension"], key=lambda p: p[1])
            assert m and float(m[1]) == pytest.approx(peak[1], abs=0.005)
            assert int(m[2]) * 60 + int(m[3]) == pytest.approx(peak[0], abs=0.5)
        checked += 1
    leads = d.get("lead_instruments")
    if leads and len(_runs([x["name"] for x in leads])) >= 2:
        sent = next(c.text for c in claims_of(chapters) if c.facet == "lead_instruments")
        said = re.findall(r"the (\w[\w ]*?) (?:leads|lead|returns to lead|return to lead) ",
                          sent, flags=re.IGNORECASE)
        assert said == _runs([x["name"] for x in leads])[:len(said)], (said, sent)
        checked += 1
    f = (d.get("melody") or {}).get("figures") or {}
    if f.get("simplicity"):
        for key in ("simplicity", "memorability"):
            m = re.search(rf"Its {key} index is (\d\.\d\d) on a 0\u20131 scale", text)
            assert m and float(m[1]) == pytest.approx(f[key]["score"], abs=0.005)
            for reason in f[key]["reasons"][:4]:
                assert reason in text
        iv = f["intervals"]
        m = re.search(r"(\d+)% repeat a note, (\d+)% are steps of one or two semitones, "
                      r"(\d+)% skips of three or four and (\d+)% leaps", text)
        assert m and [int(m[i]) for i in range(1, 5)] == [
            round(100 * iv[k]) for k in ("repeat_share", "step_share", "skip_share",
                                         "leap_share")]
        checked += 1
    e = d.get("emotion")
    if e is not None and e["moods"]:
        top = max(e["moods"], key=lambda x: x["score"])
        for reason in top["reasons"]:
            if reason != "no cue points this way":
                assert reason in text
        for r in e["reasons"]:
            if r.startswith(("valence ", "arousal ")):
                assert r.split(": ", 1)[1] in text
        assert "unavailable cues" not in text
        checked += 1
    desc = d.get("descriptors")
    if desc is not None:
        for key in ("danceability", "energy", "acousticness", "instrumentalness",
                    "speechiness", "liveness", "valence"):
            m = re.search(rf"\b{key} (\d\.\d\d) \(", text)
            if desc[key] is None:
                assert m is None, key
            else:
                assert m and float(m[1]) == pytest.approx(desc[key], abs=0.005), key
        checked += 1
    assert checked >= 5, checked  # the full profile measures (nearly) all of these


def _path_points(d: str) -> list[tuple[float, float]]:
    return [(float(a), float(b)) for a, b in re.findall(r"[ML]([\d.]+) ([\d.]+)", d)]


def _tension_lane(r):
    lanes, _ = build_lanes([r])
    return next(ln for ln in lanes if ln.key == "tension")


def test_tension_lane_follows_harmony_tension():
    r = full_result()
    curve = r.harmony.tension
    lane = _tension_lane(r)
    assert "measured" in lane.unit and "rule" not in lane.unit
    pts = _path_points(re.search(r'class="tension" d="([^"]+)"', lane.svg)[1])
    assert len(pts) == len(curve)
    for (t, y), (t0, v) in zip(pts, curve, strict=True):
        assert t == pytest.approx(t0, abs=0.006)
        assert y == pytest.approx(100.0 - 6.0 - v * 86.0, abs=0.06)  # higher = more tense
    # the drawing moves with the data, not with the numerals
    r2 = full_result()
    r2.harmony.tension = [(t, 1.0 - v) for t, v in curve]
    ys2 = [y for _, y in _path_points(
        re.search(r'class="tension" d="([^"]+)"', _tension_lane(r2).svg)[1])]
    assert [round(a + b, 1) for (_, a), b in zip(pts, ys2, strict=True)] == \
        [round(2 * 94.0 - 86.0, 1)] * len(pts)
    # without harmony.tension the Roman-numeral rule is the fallback, and says so
    r3 = full_result()
    r3.harmony = None
    assert "rule" in _tension_lane(r3).unit


def test_cadences_are_marked_on_the_chord_lane():
    r = full_result()
    lanes, span = build_lanes([r])
    chords = next(ln for ln in lanes if ln.key == "chords")
    xs = [float(x) for x in re.findall(r'<line class="cad" x1="([\d.]+)"', chords.svg)]
    assert xs == [c.time for c in r.harmony.cadences]
    labels = [ov for ov in chords.overlays if 'class="ov cad"' in ov]
    assert len(labels) == 3 and "half" in labels[0] and "auth." in labels[1]
    assert "iv\u2013V" in labels[0] and "in A minor at 0:56" in labels[0]
    r.harmony.cadences = []
    chords = next(ln for ln in build_lanes([r])[0] if ln.key == "chords")
    assert 'class="cad"' not in chords.svg and "cadence" not in chords.unit


def test_without_the_full_profile_facets_the_report_says_nothing_of_them():
    """What a fast-profile analysis lacks (leads, figures, reasons, some descriptors)."""
    r = full_result()
    r.lead_instruments = None
    r.melody.figures = {}
    r.emotion.reasons = []
    for m in r.emotion.moods:
        m.reasons = []
    r.descriptors.instrumentalness = None
    r.harmony.progression = None
    data = result_to_dict(r)
    chapters = narrate(r)
    check_traceable(chapters, data)
    text = " ".join(c.text for c in claims_of(chapters))
    for absent in ("leads", "index is", "rests on", "cues behind", "instrumentalness",
                   "recurring progression"):
        assert absent not in text, absent
    # the chords' own loop is described instead of harmony.progression
    assert "The progression i\u2013VI\u2013III\u2013VII comes round 8 times" in text
    assert "danceability 0.41" in text
    html = render_html([r])
    assert 'class="lane k-tension' in html


@pytest.mark.slow
def test_fast_profile_analysis_renders(tmp_path):
    js, out = tmp_path / "fast.json", tmp_path / "fast.html"
    code, _, err = run(["analyze", str(DEMO), "--profile", "fast", "--json", str(js),
                        "--no-progress"])
    assert code == ExitStatus.OK, err
    data = json.loads(js.read_text())
    assert "lead_instruments" not in data and "melody" not in data
    from songlens.result.serialize import load_json

    chapters = narrate(load_json(js))
    check_traceable(chapters, data)
    text = " ".join(c.text for c in claims_of(chapters))
    assert "leads" not in text and "index is" not in text
    t0 = time.perf_counter()
    code, _, err = run(["report", str(js), "-o", str(out)])
    assert code == ExitStatus.OK, err
    assert time.perf_counter() - t0 < MAX_SECONDS
    assert out.stat().st_size < MAX_HTML_BYTES


def test_degenerate_new_facets_say_nothing():
    """Empty curves, too few lead notes, no lead named, no descriptor measured."""
    from songlens.result.model import LeadInstrument, Mood

    r = full_result()
    r.harmony.tension = []
    r.harmony.progression = None
    r.melody.figures = {"n_notes": 3, "note": "fewer than 8 lead notes: no figures"}
    r.lead_instruments = [LeadInstrument(1.0, 24.0, None, "intro")]
    for k in ("acousticness", "danceability", "energy", "instrumentalness", "liveness",
              "speechiness", "valence"):
        setattr(r.descriptors, k, None)
    r.emotion.moods = [Mood("calm", 0.4, ["no cue points this way"])]
    r.emotion.reasons = ["unavailable cues: register, dissonance"]
    chapters = narrate(r)
    check_traceable(chapters, result_to_dict(r))
    text = " ".join(c.text for c in claims_of(chapters))
    for absent in ("harmonic tension", "index is", "leads", "Spotify", "rests on",
                   "cues behind", "unavailable", "fewer than"):
        assert absent not in text, absent
    assert "features" not in [c.key for c in chapters]
    lanes, _ = build_lanes([r])
    assert "rule" in next(ln for ln in lanes if ln.key == "tension").unit
