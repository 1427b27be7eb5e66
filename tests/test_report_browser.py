"""The report in headless Chromium: every plot draws, clicks seek the player, phones fit.

Needs Debian's ``chromium`` and ``chromium-driver`` (driven over WebDriver by
:mod:`songlens.testing.browser`, nothing downloaded). Skipped without them.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from report_data import full_result
from songlens.report.build import ReportInput, write_report
from songlens.testing.browser import Browser, find_chromium

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_chromium() is None,
                       reason="needs Debian chromium + chromium-driver "
                              "(apt-get install chromium chromium-driver)"),
]

DEMO = Path(__file__).resolve().parents[1] / "src" / "songlens" / "data" / "demo.mp3"

PLOTS_JS = """
return Array.from(document.querySelectorAll('.plot')).map(function (p) {
  var els = Array.from(p.querySelectorAll('svg *')).filter(function (e) {
    return !e.classList.contains('grid') && ['g', 'title'].indexOf(e.tagName) < 0;
  });
  var drawn = els.filter(function (e) {
    var b = e.getBBox(); return b.width > 0 || b.height > 0;
  }).length;
  var r = p.getBoundingClientRect();
  return {lane: p.parentElement.className, drawn: drawn,
          x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height};
});
"""


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo report with the audio embedded (real analysis of the demo track)."""
    out = tmp_path_factory.mktemp("browser") / "demo.report.html"
    write_report([DEMO], out=out, embed_audio=True)
    return out


@pytest.fixture(scope="module")
def full_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """TEST DATA: the all-facets fixture, linked to a quiet 96 s tone so the player works."""
    from audiofiles import write_audio

    d = tmp_path_factory.mktemp("browser-full")
    sr = 22050
    t = np.arange(int(96.0 * sr)) / sr
    y = (0.05 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
    write_audio(d / "tone.wav", np.stack([y, y]), sr)
    out = d / "full.report.html"
    write_report([ReportInput(full_result(), d / "tone.wav", analysed=False)], out=out)
    return out


def _distinct_colours(png: bytes, box: dict[str, float], page_width: float) -> int | None:
    """Distinct colours inside a CSS-pixel box of a full-page screenshot (Pillow optional)."""
    try:
        from PIL import Image
    except ImportError:
        return None
    img = Image.open(io.BytesIO(png)).convert("RGB")
    k = img.width / page_width  # device pixels per CSS pixel
    crop = img.crop((int(box["x"] * k), int(box["y"] * k), int((box["x"] + box["w"]) * k),
                     int((box["y"] + box["h"]) * k)))
    colours = crop.getcolors(maxcolors=crop.width * crop.height)
    return len(colours) if colours else 0


def _wait_audio(b: Browser) -> None:
    ok = b.wait("var a = document.querySelector('audio.sl-audio');"
                "return a && a.readyState >= 1 && a.duration > 0;", timeout=20)
    assert ok, "audio did not load"


def _current_time(b: Browser) -> float:
    return float(b.js("return document.querySelector('audio.sl-audio').currentTime"))


def _check_plots(b: Browser, png: bytes) -> list[dict]:
    plots = b.js(PLOTS_JS)
    assert plots, "no plots on the page"
    page_width = float(b.js("return document.documentElement.scrollWidth"))
    for p in plots:
        assert p["drawn"] >= 1, f"plot drew nothing: {p}"
        assert p["w"] > 200 and p["h"] >= 10, p
        colours = _distinct_colours(png, p, page_width)
        if colours is not None:
            assert colours >= 3, f"plot looks blank in the screenshot: {p}"
    return plots


def test_demo_report_laptop(demo_page, tmp_path):
    with Browser(width=1280, height=900) as b:
        b.open(demo_page)
        png = b.screenshot()
        (tmp_path / "laptop.png").write_bytes(png)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
        plots = _check_plots(b, png)
        assert any("k-loudness" in p["lane"] for p in plots)
        assert b.js("return document.querySelectorAll('.plot .wave').length") == 1
        # the player script ran to its end (it makes every timed sentence focusable)
        assert b.js("return document.querySelectorAll('.claim[data-t]:not([tabindex])').length") \
            == 0
        _wait_audio(b)
        assert _current_time(b) == 0.0
        # a sentence seeks to its moment
        t_claim = float(b.js("return document.querySelector('#ch-emotion .claim[data-t]')"
                             ".getAttribute('data-t')"))
        assert t_claim > 2.0
        b.click("#ch-emotion .claim[data-t]")
        assert b.wait(f"return Math.abs(document.querySelector('audio.sl-audio').currentTime"
                      f" - {t_claim}) < 0.5"), _current_time(b)
        # a timestamp inside another chapter seeks to its own moment
        t_ts = float(b.js("return document.querySelector('#ch-silence button.ts')"
                          ".getAttribute('data-t')"))
        b.click("#ch-silence button.ts")
        assert b.wait(f"return Math.abs(document.querySelector('audio.sl-audio').currentTime"
                      f" - {t_ts}) < 0.5"), _current_time(b)
        # clicking the middle of a lane seeks to the middle of the axis
        b.js("document.querySelector('audio.sl-audio').pause()")
        span = float(b.js("return JSON.parse(document.getElementById('sl-data').textContent)"
                          ".span"))
        b.click(".k-loudness .plot")
        assert b.wait(f"return Math.abs(document.querySelector('audio.sl-audio').currentTime"
                      f" - {span / 2}) < 1.0"), _current_time(b)
        left = b.js("var p = document.querySelector('.k-loudness .plot'),"
                    " h = p.querySelector('.ph');"
                    "return (h.getBoundingClientRect().left - p.getBoundingClientRect().left)"
                    " / p.getBoundingClientRect().width;")
        t_now = _current_time(b)
        assert left == pytest.approx(t_now / span, abs=0.02)


def test_demo_report_phone_fits_the_screen(demo_page, tmp_path):
    with Browser(width=390, height=844, mobile=True) as b:
        b.open(demo_page)
        png = b.screenshot()
        (tmp_path / "phone.png").write_bytes(png)
        assert b.js("return document.documentElement.scrollWidth") <= 391
        _check_plots(b, png)
        size = b.js("return parseFloat(getComputedStyle(document.querySelector('article'))"
                    ".fontSize)")
        assert size >= 15


def test_all_lanes_draw_and_follow_the_player(full_page):
    with Browser(width=1280, height=900) as b:
        b.open(full_page)
        png = b.screenshot()
        plots = _check_plots(b, png)
        kinds = {p["lane"].split()[1] for p in plots}
        assert kinds >= {"k-loudness", "k-sections", "k-key", "k-chords", "k-tension",
                         "k-tempo", "k-instrument", "k-lead", "k-melody", "k-emotion"}
        _wait_audio(b)
        before = b.js("var d = document.querySelector('.va-dot');"
                      "return [d.getAttribute('cx'), d.getAttribute('cy')]")
        b.click("#ch-emotion .claim[data-t]")
        t = float(b.js("return document.querySelector('#ch-emotion .claim[data-t]')"
                       ".getAttribute('data-t')"))
        assert b.wait(f"return Math.abs(document.querySelector('audio.sl-audio').currentTime"
                      f" - {t}) < 0.5")
        after = b.js("var d = document.querySelector('.va-dot');"
                     "return [d.getAttribute('cx'), d.getAttribute('cy')]")
        assert after != before  # the valence/arousal marker follows the playhead


def test_zoom_keeps_labels_and_seeking(full_page):
    with Browser(width=390, height=844, mobile=True) as b:
        b.open(full_page)
        _wait_audio(b)
        b.click('button.zoom[data-z="4"]')
        widths = b.js("var s = document.querySelector('.tl-scroll');"
                      "return [s.scrollWidth, s.clientWidth]")
        assert widths[0] >= 3.5 * widths[1]
        assert b.js("return document.documentElement.scrollWidth") <= 391  # page itself fits
        b.click("#ch-silence button.ts")
        t = float(b.js("return document.querySelector('#ch-silence button.ts')"
                       ".getAttribute('data-t')"))
        assert b.wait(f"return Math.abs(document.querySelector('audio.sl-audio').currentTime"
                      f" - {t}) < 0.5")
        # the timeline scrolled so that the playhead is in view
        inview = b.js("var s = document.querySelector('.tl-scroll').getBoundingClientRect(),"
                      " p = document.querySelector('.k-loudness .ph').getBoundingClientRect();"
                      "return p.left >= s.left && p.left <= s.right;")
        assert inview
