"""The self-contained HTML deep dive: lanes, player, narrative.

Conventions
-----------
* One file, no network: CSS and the small player script (``static/report.css``,
  ``static/report.js``, shipped with the package) are inlined; pictures are inline
  SVG (see :mod:`songlens.report.lanes`); the audio is a relative link or a
  ``data:`` URI (:class:`AudioSource`).
* Every measured value in the text is a ``<span class="v">`` whose tooltip gives
  its source expression in the analysis JSON; every moment is a
  ``<button class="ts" data-t=... data-song=...>`` that seeks the player; every
  sentence is a ``<span class="claim" data-t=...>`` that seeks to its moment.
* All text from the analysis (titles, labels) is HTML-escaped; the embedded JSON
  escapes ``</``.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..errors import ParameterError
from ..result.model import AnalysisResult
from .lanes import Lane, build_lanes, decimate_curve, time_ticks
from .narrative import Prepared, compare, narrate, prepare, timeline
from .trace import Chapter, Claim, fmt_time

if TYPE_CHECKING:
    import numpy as np

__all__ = ["AudioSource", "render_html"]

_VA_POINTS = 240
_LABEL_FORMATS = frozenset({"label", "Label", "form", "progression"})


@dataclass(frozen=True)
class AudioSource:
    """Where the page gets a track's audio.

    Attributes
    ----------
    src : str
        A URL relative to the HTML file, or a ``data:`` URI.
    mime : str
        MIME type (``audio/mpeg``, ...).
    embedded : bool
        Whether ``src`` is a ``data:`` URI.
    """

    src: str
    mime: str
    embedded: bool = False


def _esc(s: Any) -> str:
    return html.escape(str(s), quote=True)


def _minus(v: float, spec: str) -> str:
    return format(v, spec).replace("-", "\u2212")


def _asset(name: str) -> str:
    return (resources.files("songlens.report") / "static" / name).read_text(encoding="utf-8")


def _song_of(expr: str) -> int:
    return 1 if expr.startswith("B.") else 0


def _raw(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _claim_html(c: Claim) -> str:
    out = []
    for p in c.parts:
        if isinstance(p, str):
            out.append(_esc(p))
        elif p.is_time:
            out.append(f'<button class="ts" type="button" data-t="{float(p.q.value):.3f}" '
                       f'data-song="{_song_of(p.q.expr)}" title="{_esc(p.q.expr)} = '
                       f'{_esc(_raw(p.q.value))} s">{_esc(p.text)}</button>')
        else:
            cls = "v l" if p.fmt in _LABEL_FORMATS else "v"
            out.append(f'<span class="{cls}" title="{_esc(p.q.expr)} = {_esc(_raw(p.q.value))}">'
                       f'{_esc(p.text)}</span>')
    attrs = ' class="claim"'
    if c.time is not None:
        song = next((_song_of(p.q.expr) for p in c.values if p.is_time), 0)
        attrs += f' data-t="{c.time:.3f}" data-song="{song}"'
    if c.facet:
        attrs += f' data-facet="{_esc(c.facet)}"'
    return f"<span{attrs}>{''.join(out)}</span>"


def _chapters_html(chapters: Sequence[Chapter]) -> str:
    out = []
    for ch in chapters:
        paras = "".join("<p>" + " ".join(_claim_html(c) for c in para) + "</p>"
                        for para in ch.paragraphs if para)
        out.append(f'<section class="chapter" id="ch-{_esc(ch.key)}"><h2>{_esc(ch.title)}</h2>'
                   f"{paras}</section>")
    return "".join(out)


def _lane_html(ln: Lane, span: float, tag: str) -> str:
    label = _esc(ln.title) + (f" <b class='tag t{ln.song}'>{tag}</b>" if tag else "")
    unit = f"<small>{_esc(ln.unit)}</small>" if ln.unit else ""
    svg = (f'<svg viewBox="0 0 {span:.2f} 100" preserveAspectRatio="none" aria-hidden="true">'
           f"{ln.svg}</svg>")
    cls = f"lane k-{_esc(ln.key)}" + (" grp" if ln.group else "")
    return (f'<div class="{cls}" style="--h:{ln.height}px">'
            f'<div class="lab"><span>{label}</span>{unit}</div>'
            f'<div class="plot" data-song="{ln.song}" '
            f'title="{_esc(ln.title)}: click to listen from there">'
            f'{svg}{"".join(ln.overlays)}<span class="ph" data-song="{ln.song}"></span>'
            f"</div></div>")


def _zoom_html() -> str:
    buttons = "".join(f'<button type="button" class="zoom{" on" if z == 1 else ""}" '
                      f'data-z="{z}">{z}\u00d7</button>' for z in (1, 2, 4, 8))
    return f'<div class="tl-head"><span>Zoom</span>{buttons}</div>'


def _axis_html(span: float) -> str:
    ticks = "".join(f'<span style="left:{100.0 * t / span:.3f}%">{fmt_time(t)}</span>'
                    for t in time_ticks(span) if t <= 0.97 * span)
    return f'<div class="lane axis"><div class="lab"></div><div class="ticks">{ticks}</div></div>'


def _va_svg(r: AnalysisResult, k: int) -> str:
    e = r.emotion
    if e is None:
        return ""
    pts = [(t, v, a) for t, v, a in e.curve if v is not None and a is not None]
    if len(pts) > _VA_POINTS:
        vs = decimate_curve(pts, max_points=_VA_POINTS, col=1)
        as_ = decimate_curve(pts, max_points=_VA_POINTS, col=2)
        pts = [(t, v, a) for (t, v), (_, a) in zip(vs, as_, strict=True)
               if v is not None and a is not None]
    segs = []
    n = len(pts)
    for i in range(n - 1):
        (t0, v0, a0), (_, v1, a1) = pts[i], pts[i + 1]
        hue = 220 - 200 * i / max(n - 2, 1)
        segs.append(f'<line x1="{v0:.3f}" y1="{-a0:.3f}" x2="{v1:.3f}" y2="{-a1:.3f}" '
                    f'style="stroke:hsl({hue:.0f} 70% 55%)" data-t="{t0:.2f}" '
                    f'data-song="{k}"><title>{fmt_time(t0)}</title></line>')
    quad = ('<text x="0.95" y="-0.93" text-anchor="end">excited</text>'
            '<text x="0.95" y="1.0" text-anchor="end">calm</text>'
            '<text x="-0.95" y="1.0">sad</text>'
            '<text x="-0.95" y="-0.93">tense</text>')
    return (f'<figure class="va"><svg viewBox="-1.12 -1.12 2.24 2.24" role="img" '
            f'aria-label="valence/arousal path">'
            '<rect x="-1" y="-1" width="2" height="2" class="va-bg"/>'
            '<line x1="-1" x2="1" y1="0" y2="0" class="va-ax"/>'
            '<line x1="0" x2="0" y1="-1" y2="1" class="va-ax"/>'
            f'<g class="va-q">{quad}</g>'
            '<text class="va-axl" x="1.0" y="-0.03" text-anchor="end">valence \u2192</text>'
            '<text class="va-axl" x="0.03" y="-0.9" transform="rotate(-90 0.03 -0.9)" '
            'text-anchor="end" dy="0.07">arousal \u2192</text>'
            f'<g class="va-path">{"".join(segs)}</g>'
            f'<circle class="va-mean" cx="{e.valence:.3f}" cy="{-e.arousal:.3f}" r="0.045">'
            f"<title>overall: valence {e.valence:+.2f}, arousal {e.arousal:+.2f}</title></circle>"
            f'<circle class="va-dot" data-song="{k}" cx="{pts[0][1] if pts else 0:.3f}" '
            f'cy="{-pts[0][2] if pts else 0:.3f}" r="0.035"/>'
            "</svg><figcaption>Valence (left\u2013right, negative\u2013positive) against arousal "
            "(bottom\u2013top, calm\u2013energetic); the line runs from blue (start) to orange "
            "(end), the ring marks the whole-track reading.</figcaption></figure>")


def _chips(r: AnalysisResult, k: int) -> str:
    chips = [f"<li><b>{fmt_time(r.track.duration)}</b> long</li>"]
    if r.tempo is not None:
        chips.append(f"<li><b>{r.tempo.bpm:.0f}</b> BPM</li>")
        if r.tempo.meter:
            chips.append(f"<li><b>{_esc(r.tempo.meter)}</b></li>")
    if r.key is not None:
        chips.append(f"<li><b>{_esc(r.key.label)}</b></li>")
    lo = r.loudness
    if lo is not None and lo.integrated_lufs is not None:
        chips.append(f"<li><b>{_minus(lo.integrated_lufs, '.1f')}</b> LUFS</li>")
    if lo is not None and lo.range_lu is not None:
        chips.append(f"<li><b>{lo.range_lu:.1f}</b> LU range</li>")
    if r.climax is not None:
        chips.append(f'<li>climax <button class="ts" type="button" data-t="{r.climax.time:.3f}" '
                     f'data-song="{k}">{fmt_time(r.climax.time)}</button></li>')
    return f'<ul class="chips">{"".join(chips)}</ul>'


def _title(r: AnalysisResult) -> str:
    if r.track.title:
        return r.track.title
    name = r.track.path.replace("\\", "/").rsplit("/", 1)[-1]
    return name or "Untitled"


def _moments_html(r: Prepared, k: int) -> str:
    ev = timeline(r)
    if not ev:
        return ""
    rows = "".join(f'<li><button class="ts" type="button" data-t="{t:.3f}" data-song="{k}">'
                   f"{fmt_time(t)}</button> {_esc(text)}</li>" for t, text in ev[:60])
    return f'<section class="moments"><h3>Moments</h3><ol>{rows}</ol></section>'


def _player_html(audio: Sequence[AudioSource | None], results: Sequence[AnalysisResult]) -> str:
    rows = []
    tags = ["A", "B"] if len(results) == 2 else [""]
    for k, (a, r) in enumerate(zip(audio, results, strict=True)):
        tag = f"<b class='tag t{k}'>{tags[k]}</b>" if tags[k] else ""
        readout = (f'<span class="readout" data-song="{k}">0:00 / '
                   f"{fmt_time(r.track.duration)}</span>")
        if a is not None and len(results) == 1:
            readout = ""
        if a is None:
            rows.append(f'<div class="prow">{tag}<span class="noaudio">No audio attached '
                        "(keep the audio file next to the report, or use "
                        "<code>--embed-audio</code>); clicks still move the cursor.</span>"
                        f"{readout}</div>")
        else:
            rows.append(f'<div class="prow">{tag}<audio class="sl-audio" data-song="{k}" '
                        f'controls preload="metadata"><source src="{_esc(a.src)}" '
                        f'type="{_esc(a.mime)}"></audio>{readout}</div>')
    return f'<div class="player" id="player">{"".join(rows)}</div>'


def _page_data(results: Sequence[AnalysisResult], span: float) -> str:
    songs = []
    for r in results:
        va: list[list[float]] = []
        if r.emotion is not None and r.emotion.curve:
            pts = list(r.emotion.curve)
            step = max(1, math.ceil(len(pts) / 600))
            va = [[round(float(t), 2), round(float(v), 3), round(float(a), 3)]
                  for t, v, a in pts[::step] if v is not None and a is not None]
        songs.append({"duration": r.track.duration, "va": va})
    text = json.dumps({"span": span, "songs": songs}, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/")


def render_html(results: Sequence[AnalysisResult | Prepared], *,
                audio: Sequence[AudioSource | None] | None = None,
                waveforms: Sequence[np.ndarray | None] | None = None) -> str:
    """The complete HTML page for one analysis, or a side-by-side page for two.

    Parameters
    ----------
    results : sequence of AnalysisResult or Prepared
        One or two analyses.
    audio : sequence of (AudioSource or None), optional
        Per track; ``None`` leaves the player out (clicks still move the cursor).
    waveforms : sequence of (np.ndarray [shape=(n_bins, 2)] or None), optional
        Per track min/max sample envelope over equal time bins (full scale 1).

    Returns
    -------
    html : str
    """
    if not 1 <= len(results) <= 2:
        raise ParameterError("render_html takes one or two results")
    preps = [prepare(r) for r in results]
    res = [p.result for p in preps]
    audio = list(audio) if audio is not None else [None] * len(res)
    if len(audio) != len(res):
        raise ParameterError("one audio source (or None) per result")
    lanes, span = build_lanes(res, waveforms=waveforms)
    pair = len(res) == 2
    tags = ["A", "B"] if pair else [""]
    lanes_html = _axis_html(span) + "".join(_lane_html(ln, span, tags[ln.song]) for ln in lanes)
    if len(lanes) >= 5:
        lanes_html += _axis_html(span)
    if pair:
        a, b = res
        title = f"{_title(a)} vs {_title(b)}"
        heads = "".join(
            f'<div class="head"><b class="tag t{k}">{tags[k]}</b> <span class="ht">'
            f'{_esc(_title(r))}</span>{" <span class=by>" + _esc(r.track.artist) + "</span>" if r.track.artist else ""}'  # noqa: E501
            f"{_chips(r, k)}</div>" for k, r in enumerate(res))
        hero = f'<header class="hero"><p class="kicker">SongLens comparison</p>{heads}</header>'
        story_main = _chapters_html(compare(preps[0], preps[1]))
        cols = "".join(f'<div class="col"><h2 class="colh"><b class="tag t{k}">{tags[k]}</b> '
                       f"{_esc(_title(p.result))}</h2>{_chapters_html(narrate(p))}</div>"
                       for k, p in enumerate(preps))
        story = (f'<main class="story pair"><article class="diff">{story_main}</article>'
                 f'<div class="cols">{cols}</div>'
                 f'<aside>{"".join(_va_svg(r, k) for k, r in enumerate(res))}</aside></main>')
    else:
        r = res[0]
        title = _title(r)
        by = f'<p class="by">{_esc(r.track.artist)}</p>' if r.track.artist else ""
        hero = (f'<header class="hero"><p class="kicker">SongLens deep dive</p>'
                f"<h1>{_esc(title)}</h1>{by}{_chips(r, 0)}</header>")
        va = _va_svg(r, 0)
        story = (f'<main class="story"><article>{_chapters_html(narrate(preps[0]))}</article>'
                 f"<aside>{va}{_moments_html(preps[0], 0)}</aside></main>")
    foot = (f'<footer><p>Written by SongLens {_esc(__version__)} from its measurements alone '
            f"(schema songlens.analysis/1). Hover a figure to see where it comes from in the "
            f"analysis JSON; click a time, a sentence or a lane to listen from there.</p>"
            f"</footer>")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="generator" content="songlens {_esc(__version__)}">'
            f"<title>{_esc(title)} \u2014 SongLens</title>"
            f"<style>{_asset('report.css')}</style></head><body>"
            f'<div class="wrap">{hero}{_player_html(audio, res)}'
            f'<section class="timeline" aria-label="timeline">{_zoom_html()}'
            f'<div class="tl-scroll"><div class="tl-inner">{lanes_html}</div></div></section>'
            f"{story}{foot}</div>"
            f'<script type="application/json" id="sl-data">{_page_data(res, span)}</script>'
            f"<script>{_asset('report.js')}</script></body></html>")
