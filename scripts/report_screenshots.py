#!/usr/bin/env python3
"""Screenshots of a report for the docs (laptop and phone widths).

Analyses the bundled demo track (or ``--audio FILE``), writes its report with
the audio embedded, moves the playhead to the climax and photographs the page
in headless Chromium (Debian ``chromium`` + ``chromium-driver``)::

    PYTHONPATH=src python scripts/report_screenshots.py --out docs
    PYTHONPATH=src python scripts/report_screenshots.py --out docs \
        --audio /usr/share/games/asc/music/machine_wars.mp3 --name report-real

Writes ``NAME-laptop.png`` (1280 px wide, whole page) and ``NAME-phone.png``
(390 px wide at 2x, the first screens), NAME defaulting to ``report``, plus
``NAME.html`` next to them only when ``--keep-html`` is given.
"""

from __future__ import annotations

import argparse
import base64
import io
import sys
import tempfile
from pathlib import Path

from songlens.demo import demo_track
from songlens.pipeline import analyze
from songlens.report.build import ReportInput, write_report
from songlens.testing.browser import Browser, find_chromium


def _optimise(png: bytes) -> bytes:
    try:
        from PIL import Image
    except ImportError:
        return png
    buf = io.BytesIO()
    Image.open(io.BytesIO(png)).save(buf, format="PNG", optimize=True)
    return buf.getvalue() if buf.tell() < len(png) else png


def _seek_to_climax(b: Browser, t: float | None) -> None:
    if t is not None:
        b.js(f"window.songlensSeek(0, {t}, false)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs", help="folder for the PNGs (default: docs)")
    ap.add_argument("--phone-height", type=int, default=1900,
                    help="CSS pixels of the phone page to capture (default 1900)")
    ap.add_argument("--keep-html", action="store_true", help="also keep NAME.html")
    ap.add_argument("--audio", default=None, help="audio file (default: the demo track)")
    ap.add_argument("--name", default="report", help="file name prefix (default: report)")
    args = ap.parse_args(argv)
    if find_chromium() is None:
        print("needs chromium + chromium-driver (apt-get install chromium chromium-driver)",
              file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    track = Path(args.audio) if args.audio else demo_track()
    result = analyze(track)
    climax = result.climax.time if result.climax is not None else None
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / f"{args.name}.html"
        write_report([ReportInput(result, track, analysed=True)], out=page, embed_audio=True)
        with Browser(width=1280, height=900) as b:
            b.open(page)
            _seek_to_climax(b, climax)
            (out / f"{args.name}-laptop.png").write_bytes(_optimise(b.screenshot()))
        with Browser(width=390, height=844, mobile=True) as b:
            b.open(page)
            _seek_to_climax(b, climax)
            h = min(args.phone_height, int(b.js("return document.documentElement.scrollHeight")))
            png = b.cdp("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": 390, "height": h, "scale": 1}})["data"]
            (out / f"{args.name}-phone.png").write_bytes(_optimise(base64.b64decode(png)))
        if args.keep_html:
            (out / f"{args.name}.html").write_bytes(page.read_bytes())
    for suffix in ("laptop", "phone"):
        print(out / f"{args.name}-{suffix}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
