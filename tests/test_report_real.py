"""The report of real, produced recordings in headless Chromium (issues 4 and 5).

Two real tracks that ``make setup`` installs from Debian (read from their
Debian paths, never copied into the repository):

* ``asc-music``: "Machine Wars" by Michael Kievernagel (2002, GPL-2+), mp3;
* ``drascula-music``: a track of the Drascula game soundtrack (Alcachofa Soft,
  Drascula licence), ogg.

Each is analysed whole with the default (full) profile, its report is written
with the audio linked, and Chromium checks that every lane of the timeline drew
something and that clicking a timed sentence of the text seeks the player. A
missing track fails the test (``make setup`` installs the packages); a missing
Chromium skips it, as in ``test_report_browser.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from songlens.report.build import load_input, write_report
from songlens.result.serialize import result_to_dict
from songlens.testing.browser import Browser, find_chromium
from test_report_browser import _check_plots, _current_time, _wait_audio

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_chromium() is None,
                       reason="needs Debian chromium + chromium-driver "
                              "(apt-get install chromium chromium-driver)"),
]

REAL_TRACKS = {
    "asc-machine-wars": ("asc-music", Path("/usr/share/games/asc/music/machine_wars.mp3")),
    "drascula-track6": ("drascula-music", Path("/usr/share/scummvm/drascula/audio/track6.ogg")),
}

# Lanes a full analysis of a real, tonal, rhythmic recording must draw.
CORE_LANES = {"k-loudness", "k-sections", "k-key", "k-chords", "k-tempo", "k-instrument",
              "k-melody", "k-emotion"}

# JS: mark the first timed sentence whose moment is > 2 s away from the playhead.
MARK_CLAIM_JS = """
var a = document.querySelector('audio.sl-audio');
var cs = Array.from(document.querySelectorAll('.claim[data-t]'));
for (var i = 0; i < cs.length; i++) {
  var t = parseFloat(cs[i].getAttribute('data-t'));
  if (Math.abs(t - a.currentTime) > 2.0 && t < a.duration - 1.0) {
    cs[i].id = 'sl-test-claim'; return [t, cs.length];
  }
}
return [null, cs.length];
"""


def _real_track(name: str) -> Path:
    package, path = REAL_TRACKS[name]
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make setup` (scripts/setup.sh installs the "
                    f"Debian package {package}, real recordings for these checks)",
                    pytrace=False)
    return path


@pytest.fixture(scope="module", params=sorted(REAL_TRACKS))
def real_page(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The report of one real track (full analysis, audio linked) and its analysis dict."""
    audio = _real_track(request.param)
    item = load_input(audio)
    out = tmp_path_factory.mktemp("real") / f"{request.param}.report.html"
    write_report([item], out=out)
    return out, result_to_dict(item.result)


def _non_finite(obj: object, where: str = "") -> list[str]:
    if isinstance(obj, float):
        return [] if math.isfinite(obj) else [where]
    if isinstance(obj, dict):
        return [w for k, v in obj.items() for w in _non_finite(v, f"{where}.{k}")]
    if isinstance(obj, list | tuple):
        return [w for i, v in enumerate(obj) for w in _non_finite(v, f"{where}[{i}]")]
    return []


def test_real_analysis_is_complete_and_finite(real_page):
    _, d = real_page
    assert _non_finite(d) == []
    dur = d["track"]["duration"]
    assert 40.0 <= d["tempo"]["bpm"] <= 250.0
    assert d["key"]["label"] and d["chords"] and d["sections"] and d["instruments"]
    assert d["melody"]["notes"], "no melody note on a melodic track"
    assert -1.0 <= d["emotion"]["valence"] <= 1.0 and -1.0 <= d["emotion"]["arousal"] <= 1.0
    assert d["sections"][0]["start"] == pytest.approx(0.0, abs=0.5)
    assert d["sections"][-1]["end"] == pytest.approx(dur, abs=1.0)


def test_real_report_draws_every_lane_and_seeks(real_page, tmp_path):
    page, d = real_page
    with Browser(width=1280, height=900) as b:
        b.open(page)
        png = b.screenshot()
        (tmp_path / "laptop.png").write_bytes(png)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
        plots = _check_plots(b, png)  # every plot drew something, not blank
        kinds = {p["lane"].split()[1] for p in plots}
        assert kinds >= CORE_LANES, f"lanes missing: {CORE_LANES - kinds}"
        assert b.js("return document.querySelectorAll('.plot .wave').length") == 1
        _wait_audio(b)  # the linked Debian file plays from the report
        duration = float(b.js("return document.querySelector('audio.sl-audio').duration"))
        assert duration == pytest.approx(d["track"]["duration"], abs=1.0)
        t_claim, n_claims = b.js(MARK_CLAIM_JS)
        assert n_claims >= 5, "the text cites almost no moment of a whole real track"
        assert t_claim is not None, "no timed sentence away from the playhead"
        b.click("#sl-test-claim")
        assert b.wait(f"return Math.abs(document.querySelector('audio.sl-audio').currentTime"
                      f" - {t_claim}) < 0.5"), (t_claim, _current_time(b))
