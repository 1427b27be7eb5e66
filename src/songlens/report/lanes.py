"""The pictures: one lane per facet on a shared time axis, as inline SVG.

Conventions
-----------
* Every lane is an SVG whose ``viewBox`` is ``0 0 D H`` with ``D`` the time span
  in seconds (the longest track in a comparison) and ``H`` = :data:`LANE_UNITS`,
  drawn with ``preserveAspectRatio="none"``: x coordinates *are* seconds, so all
  lanes share one axis and scale with the page width. Strokes use
  ``vector-effect: non-scaling-stroke``; text and markers are HTML overlays
  positioned in percent, so nothing is distorted.
* Curves are decimated to at most :data:`MAX_CURVE_POINTS` points (bucket means;
  gaps stay gaps) and the melody to at most :data:`MAX_NOTES` rectangles, so the
  page stays small for long tracks.
* A lane is built only from what the analysis carries. The harmonic tension lane
  draws the measured curve ``harmony.tension`` (0 = at rest, 1 = maximal; see
  :mod:`songlens.analysis.chords`) when the analysis has one; otherwise it shows
  the *functional* tension of the Roman numerals by the documented rule of
  :func:`functional_tension` and says so in its title. Cadences
  (``harmony.cadences``) are marked on the chord lane at their arrival time; the
  lead instrument per section (``lead_instruments``) has its own lane, coloured as
  that instrument's lane.
* Pure functions: :func:`build_lanes` maps results (and optional waveform
  envelopes) to :class:`Lane` objects; :mod:`songlens.report.html` lays them out.
"""

from __future__ import annotations

import html
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ParameterError
from ..result.model import AnalysisResult
from .trace import fmt_time, note_name

if TYPE_CHECKING:  # numpy is only needed when a waveform is drawn
    import numpy as np

__all__ = ["Lane", "build_lanes", "time_ticks", "functional_tension", "chord_symbol",
           "decimate_curve", "LANE_UNITS", "MAX_CURVE_POINTS", "MAX_NOTES"]

LANE_UNITS = 100.0
"""Height of every lane's SVG coordinate system."""

MAX_CURVE_POINTS = 1500
"""Most points drawn per curve."""

MAX_NOTES = 4000
"""Most melody rectangles drawn (short notes are merged beyond this)."""

_PALETTE = ("#5b8def", "#f2a541", "#4cb9a0", "#e0607e", "#9b7be0", "#6cc3e8", "#c9a227",
            "#7fb069", "#e08a5b", "#b07cc6")


@dataclass
class Lane:
    """One horizontal strip of the timeline.

    Attributes
    ----------
    key : str
        Facet key (``"loudness"``, ``"chords"``, ``"instrument"``, ...).
    title : str
        Label shown next to the lane.
    unit : str
        Small print under the title (unit or scale).
    height : int
        Height in CSS pixels.
    svg : str
        SVG body in lane coordinates (x = seconds, y in ``[0, LANE_UNITS]``).
    overlays : list of str
        HTML fragments absolutely positioned over the lane (percent units).
    song : int
        Index of the track the lane belongs to (0 = A, 1 = B).
    duration : float
        That track's duration (s).
    group : str
        Lanes of one group (e.g. instruments) are drawn together.
    """

    key: str
    title: str
    unit: str
    height: int
    svg: str
    overlays: list[str] = field(default_factory=list)
    song: int = 0
    duration: float = 0.0
    group: str = ""


# ------------------------------------------------------------------ small helpers
def _x(t: float) -> str:
    return f"{t:.2f}".rstrip("0").rstrip(".") if t else "0"


def _y(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") if v else "0"


def _pct(t: float, span: float) -> str:
    return f"{100.0 * max(0.0, min(t, span)) / span:.3f}%"


def _minus(v: float) -> str:
    return f"{v:.0f}".replace("-", "\u2212")


def _esc(s: Any) -> str:
    return html.escape(str(s), quote=True)


def time_ticks(span: float, *, max_ticks: int = 10) -> list[float]:
    """Round tick positions (s) for a time axis of ``span`` seconds."""
    if span <= 0:
        raise ParameterError("span must be positive")
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200):
        if span / step <= max_ticks:
            break
    n = int(span // step)
    return [float(i * step) for i in range(n + 1)]


def decimate_curve(points: Sequence[Sequence[Any]], *, max_points: int = MAX_CURVE_POINTS,
                   col: int = 1) -> list[tuple[float, float | None]]:
    """Bucket-mean decimation of ``(t, value, ...)`` points, keeping gaps (``None``).

    Parameters
    ----------
    points : sequence of (t, value, ...)
        Times in seconds, increasing.
    max_points : int > 0
        Most points returned.
    col : int
        Which column holds the value.

    Returns
    -------
    list of (t, value or None)
    """
    if max_points <= 0:
        raise ParameterError("max_points must be positive")
    pts = [(float(p[0]), None if p[col] is None else float(p[col])) for p in points]
    if len(pts) <= max_points:
        return pts
    out: list[tuple[float, float | None]] = []
    edges = [len(pts) * i // max_points for i in range(max_points + 1)]
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        if b <= a:
            continue
        chunk = pts[a:b]
        vals = [v for _, v in chunk if v is not None]
        t = sum(t for t, _ in chunk) / len(chunk)
        out.append((t, sum(vals) / len(vals) if vals else None))
    return out


def _polyline(points: Sequence[tuple[float, float | None]], ymap: Any) -> str:
    """SVG path data with a new sub-path after every gap."""
    d: list[str] = []
    pen = False
    for t, v in points:
        if v is None or not math.isfinite(v):
            pen = False
            continue
        d.append(("L" if pen else "M") + f"{_x(t)} {_y(ymap(v))}")
        pen = True
    return "".join(d)


def _area(points: Sequence[tuple[float, float | None]], ymap: Any, base: float) -> str:
    """Closed area under the curve down to ``base`` (one polygon per gap-free run)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for t, v in points:
        if v is None or not math.isfinite(v):
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((t, ymap(v)))
    d = []
    for run in runs:
        if len(run) < 2:
            continue
        d.append(f"M{_x(run[0][0])} {_y(base)}" + "".join(f"L{_x(t)} {_y(y)}" for t, y in run)
                 + f"L{_x(run[-1][0])} {_y(base)}Z")
    return "".join(d)


def _grid(span: float, ticks: list[float]) -> str:
    return "".join(f'<line class="grid" x1="{_x(t)}" x2="{_x(t)}" y1="0" y2="{LANE_UNITS:g}"/>'
                   for t in ticks if 0 < t < span)


def _label(t: float, span: float, text: str, cls: str = "", top: str | None = None,
           width: float | None = None, title: str | None = None) -> str:
    style = f"left:{_pct(t, span)}"
    if top is not None:
        style += f";top:{top}"
    if width is not None:
        style += f";width:{100.0 * width / span:.3f}%"
    tip = f' title="{_esc(title)}"' if title else ""
    return f'<span class="ov {cls}" style="{style}"{tip}>{_esc(text)}</span>'


# --------------------------------------------------------------------- chord text
_QUAL = {"maj": "", "min": "m", "7": "7", "maj7": "maj7", "min7": "m7", "dim": "\u00b0",
         "dim7": "\u00b07", "hdim7": "\u00f87", "aug": "+", "sus4": "sus4", "sus2": "sus2",
         "minmaj7": "m(maj7)", "maj6": "6", "min6": "m6", "9": "9", "maj9": "maj9",
         "min9": "m9", "1": "5", "5": "5"}


def chord_symbol(label: str) -> str:
    """Lead-sheet symbol of a Harte label (``"A:min7"`` -> ``"Am7"``, ``"N"`` -> ``""``)."""
    if label in ("N", "X", ""):
        return ""
    root, _, rest = label.partition(":")
    qual, _, bass = rest.partition("/")
    qual = qual.split("(")[0] or "maj"
    sym = root + _QUAL.get(qual, qual)
    return sym + (f"/{bass}" if bass else "")


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7}
_DEGREE_TENSION = {1: 0.0, 6: 0.2, 3: 0.35, 4: 0.4, 2: 0.5, 5: 0.75, 7: 0.85}
_ROMAN_RE = re.compile(r"^([b#\u266d\u266f]*)(vii|iii|vi|iv|ii|v|i)(.*)$", re.IGNORECASE)


def functional_tension(roman: str | None) -> float | None:
    """Rule-based functional tension of a Roman numeral, in [0, 1].

    The rule (Riemann's functions, as taught in common-practice harmony): tonic
    function I 0, vi 0.2, iii 0.35; subdominant IV 0.4, ii 0.5; dominant V 0.75,
    vii 0.85; +0.15 for a chromatic (flat/sharp) degree, +0.1 for a seventh, +0.1
    for a diminished/augmented triad, +0.05 for a suspension; clipped to 1. It is
    a reading of the chord labels, not an acoustic measurement.

    Parameters
    ----------
    roman : str or None
        E.g. ``"V7"``, ``"bVII"``, ``"vii°"``, ``"ii7"``; secondary dominants
        (``"V/V"``) are read by their first part.

    Returns
    -------
    float or None
        ``None`` when the numeral cannot be read.
    """
    if not roman:
        return None
    m = _ROMAN_RE.match(roman.split("/")[0].strip())
    if not m:
        return None
    acc, num, rest = m.groups()
    t = _DEGREE_TENSION[_ROMAN[num.lower()]]
    if acc:
        t += 0.15
    if "7" in rest or "9" in rest:
        t += 0.1
    if any(c in rest for c in ("\u00b0", "o", "+", "\u00f8", "dim", "aug")):
        t += 0.1
    if "sus" in rest:
        t += 0.05
    return min(t, 1.0)


# ------------------------------------------------------------------------- lanes
def _loudness_lane(r: AnalysisResult, span: float, ticks: list[float],
                   waveform: np.ndarray | None) -> Lane | None:
    lo = r.loudness
    has_curve = lo is not None and any(v is not None for _, v in lo.curve)
    if not has_curve and waveform is None and not r.buildups and not r.silences \
            and r.climax is None:
        return None
    H = LANE_UNITS
    parts = [_grid(span, ticks)]
    ov: list[str] = []
    for s in r.silences or []:
        parts.append(f'<rect class="silence" x="{_x(s.start)}" y="0" '
                     f'width="{_x(max(s.end - s.start, 0.01))}" height="{H:g}"/>')
        if s.end - s.start >= 0.05 * span:
            ov.append(_label(s.start, span, "silence", "sil", top="2px", width=s.end - s.start,
                             title=f"silence {fmt_time(s.start)}\u2013{fmt_time(s.end)}"))
    for b in r.buildups or []:
        parts.append(f'<path class="buildup" d="M{_x(b.start)} {H:g}L{_x(b.end)} {H:g}'
                     f'L{_x(b.end)} {_y(H * 0.08)}Z"/>')
        ov.append(_label(b.start, span, f"build-up +{b.rise_db:.0f} dB", "bu",
                         title=f"build-up {fmt_time(b.start)}\u2013{fmt_time(b.end)}, "
                               f"+{b.rise_db:.1f} dB"))
    if waveform is not None and waveform.size:
        peak = float(abs(waveform).max())
        wf = (waveform / peak if peak > 0 else waveform).tolist()
        n = len(wf)
        ts = [(i + 0.5) * r.track.duration / n for i in range(n)]
        top = "".join(f"L{_x(t)} {_y(H / 2 - w[1] * H * 0.46)}"
                      for t, w in zip(ts, wf, strict=True))
        bot = "".join(f"L{_x(t)} {_y(H / 2 - w[0] * H * 0.46)}"
                      for t, w in zip(ts[::-1], wf[::-1], strict=True))
        parts.append(f'<path class="wave" d="M{_x(ts[0])} {_y(H / 2)}{top}{bot}Z"/>')
    if has_curve:
        assert lo is not None
        pts = decimate_curve(lo.curve)
        vals = [v for _, v in pts if v is not None]
        vmax = 5.0 * math.ceil(max(vals) / 5.0 + 0.01)
        vmin = max(5.0 * math.floor(min(vals) / 5.0), vmax - 50.0)
        rng = max(vmax - vmin, 1.0)

        def ymap(v: float) -> float:
            return H - 3.0 - (min(max(v, vmin), vmax) - vmin) / rng * (H - 8.0)

        if waveform is None:
            parts.append(f'<path class="loud-area" d="{_area(pts, ymap, H)}"/>')
        parts.append(f'<path class="loud" d="{_polyline(pts, ymap)}"/>')
        ov.append(f'<span class="yax" style="top:2px">{_minus(vmax)}</span>'
                  f'<span class="yax" style="bottom:2px">{_minus(vmin)}</span>')
    c = r.climax
    if c is not None:
        parts.append(f'<line class="climax" x1="{_x(c.time)}" x2="{_x(c.time)}" y1="0" '
                     f'y2="{H:g}"/>')
        ov.append(_label(c.time, span, f"climax {fmt_time(c.time)}", "clx", top="2px",
                         title="climax: peak of the intensity arc"))
        ov.append(f'<span class="dot clx-dot" style="left:{_pct(c.time, span)};top:50%">'
                  '</span>')
    unit = "short-term LUFS" + (" over the waveform (peak-normalised)"
                                if waveform is not None else "")
    return Lane("loudness", "Loudness", unit, 120, "".join(parts), ov)


def _blocks_lane(key: str, title: str, unit: str, items: list[tuple[float, float, str, str]],
                 span: float, ticks: list[float], height: int = 34,
                 colors: dict[str, str] | None = None) -> Lane:
    """Coloured blocks with centred labels: items are (start, end, label, sublabel)."""
    colors = colors or {}
    order = list(dict.fromkeys(lab for _, _, lab, _ in items))
    parts = [_grid(span, ticks)]
    ov = []
    for a, b, lab, sub in items:
        if b <= a:
            continue
        col = colors.get(lab) or _PALETTE[order.index(lab) % len(_PALETTE)]
        cls = "blk nc" if lab == "" else "blk"
        parts.append(f'<rect class="{cls}" x="{_x(a)}" y="6" width="{_x(b - a)}" height="88" '
                     f'style="fill:{col}"/>')
        if lab:
            text = f"{_esc(lab)}<small>{_esc(sub)}</small>" if sub else _esc(lab)
            ov.append(f'<span class="ov blab" style="left:{_pct(a, span)};'
                      f'width:{100.0 * (b - a) / span:.3f}%" '
                      f'title="{_esc(lab)} {fmt_time(a)}\u2013{fmt_time(b)}">{text}</span>')
    return Lane(key, title, unit, height, "".join(parts), ov)


_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def _root_pc(label: str) -> int | None:
    if not label or label in ("N", "X"):
        return None
    root = label.split(":")[0].split("/")[0]
    if not root or root[0] not in _PC:
        return None
    pc = _PC[root[0]]
    for ch in root[1:]:
        pc += 1 if ch == "#" else -1 if ch == "b" else 0
    return pc % 12


def _chord_color(label: str) -> str:
    pc = _root_pc(label)
    if pc is None:
        return "var(--nc)"
    hue = (pc * 7 % 12) * 30  # circle of fifths around the colour wheel
    minor = ":min" in label or ":dim" in label or ":hdim" in label
    return f"hsl({hue} {'45%' if minor else '62%'} {'58%' if minor else '64%'})"


_CADENCE_ABBR = {"authentic": "auth.", "plagal": "plag.", "deceptive": "dec.", "half": "half"}


def _cadence_marks(r: AnalysisResult, span: float) -> tuple[str, list[str]] | None:
    """SVG ticks and overlay labels for ``harmony.cadences`` on the chord lane."""
    if r.harmony is None or not r.harmony.cadences:
        return None
    svg, ov = [], []
    for c in r.harmony.cadences:
        svg.append(f'<line class="cad" x1="{_x(c.time)}" x2="{_x(c.time)}" y1="0" y2="100"/>')
        nums = "\u2013".join(c.numerals)
        syms = " \u2192 ".join(chord_symbol(x) for x in c.labels)
        tip = f"{c.type} cadence {nums} ({syms}) in {c.key} at {fmt_time(c.time)}"
        ov.append(_label(c.time, span, "\u25bc" + _CADENCE_ABBR.get(c.type, c.type), "cad",
                         top="0", title=tip))
    return "".join(svg), ov


def _chords_lanes(r: AnalysisResult, span: float, ticks: list[float]) -> list[Lane]:
    chords = r.chords or []
    if not chords:
        return []
    items = [(c.start, c.end, chord_symbol(c.label), c.roman or "") for c in chords]
    colors = {chord_symbol(c.label): _chord_color(c.label) for c in chords}
    lanes = [_blocks_lane("chords", "Chords", "Roman numerals below", items, span, ticks,
                          height=44, colors=colors)]
    h = r.harmony
    H = LANE_UNITS
    cad = _cadence_marks(r, span)
    if cad:
        lanes[0].svg += cad[0]
        lanes[0].overlays += cad[1]
        lanes[0].unit = "Roman numerals below; \u25bc cadence"
    if h is not None and len(h.tension) >= 2:
        pts = decimate_curve(h.tension)

        def ymap(v: float) -> float:
            return H - 6.0 - max(0.0, min(1.0, v)) * (H - 14.0)

        path = _polyline(pts, ymap)
        title, unit = "Tension", "measured, 0\u20131"
    elif any(c.roman for c in chords):
        d, pen = [], False
        for c in chords:
            v = functional_tension(c.roman)
            if v is None:
                pen = False
                continue
            y = H - 6.0 - float(v) * (H - 14.0)
            d.append(("L" if pen else "M") + f"{_x(c.start)} {_y(y)}L{_x(c.end)} {_y(y)}")
            pen = True
        path = "".join(d)
        title, unit = "Tension", "function of the numerals (rule)"
    else:
        return lanes
    if path:
        svg = _grid(span, ticks) + f'<path class="tension" d="{path}"/>'
        ov = ['<span class="yax" style="top:2px">tense</span>',
              '<span class="yax" style="bottom:2px">rest</span>']
        lanes.append(Lane("tension", title, unit, 48, svg, ov))
    return lanes


def _tempo_lane(r: AnalysisResult, span: float, ticks: list[float]) -> Lane | None:
    tp = r.tempo
    if tp is None:
        return None
    H = LANE_UNITS
    pts: list[tuple[float, float | None]] = [(float(t), float(b)) for t, b in tp.curve]
    unit = "BPM"
    if len(pts) < 2 and len(tp.beats) >= 4:
        b = [float(x) for x in tp.beats]
        ibi = [y - x for x, y in zip(b[:-1], b[1:], strict=True)]
        pts = []
        for i in range(len(ibi)):
            win = [x for x in ibi[max(0, i - 4):i + 5] if x > 0]
            if win:
                pts.append(((b[i] + b[i + 1]) / 2, 60.0 / statistics.median(win)))
        unit = "BPM from beat intervals"
    parts = [_grid(span, ticks)]
    ov = []
    if len(pts) >= 2:
        pts = decimate_curve(pts)
        vals = [v for _, v in pts if v is not None]
        lo, hi = min(vals + [tp.bpm]), max(vals + [tp.bpm])
        pad = max(3.0, 0.1 * (hi - lo))
        lo, hi = lo - pad, hi + pad

        def ymap(v: float) -> float:
            return H - 6.0 - (v - lo) / (hi - lo) * (H - 12.0)

        parts.append(f'<path class="tempo" d="{_polyline(pts, ymap)}"/>')
        ov.append(f'<span class="yax" style="top:2px">{hi:.0f}</span>'
                  f'<span class="yax" style="bottom:2px">{lo:.0f}</span>')
    else:
        parts.append(f'<line class="tempo flat" x1="0" x2="{_x(r.track.duration)}" y1="50" '
                     'y2="50"/>')
        unit = "global BPM"
    ov.append(f'<span class="ov tlab" style="left:0;top:2px">{tp.bpm:.0f} BPM</span>')
    if tp.downbeats and len(tp.downbeats) <= 3000:
        parts.append('<path class="downbeat" d="' + "".join(
            f"M{_x(t)} {_y(H - 12)}V{H:g}" for t in tp.downbeats) + '"/>')
    return Lane("tempo", "Tempo", unit, 56, "".join(parts), ov)


def _instrument_lanes(r: AnalysisResult, span: float, ticks: list[float]) -> list[Lane]:
    out = []
    for i, inst in enumerate(r.instruments or []):
        col = _PALETTE[i % len(_PALETTE)]
        rects = "".join(f'<rect class="act" x="{_x(a)}" y="18" width="{_x(max(b - a, 0.01))}" '
                        f'height="64" style="fill:{col}"/>' for a, b in inst.active)
        out.append(Lane("instrument", inst.name, "", 20, _grid(span, ticks) + rects,
                        group="instruments"))
    return out


def _lead_lane(r: AnalysisResult, span: float, ticks: list[float]) -> Lane | None:
    """The lead instrument per section (``lead_instruments``), coloured as its own lane."""
    leads = [x for x in r.lead_instruments or [] if x.name]
    if not leads:
        return None
    names = [i.name for i in r.instruments or []]
    colors = {x.name: _PALETTE[names.index(x.name) % len(_PALETTE)]
              for x in leads if x.name in names}
    items = [(x.start, x.end, x.name or "", x.section or "") for x in leads]
    return _blocks_lane("lead", "Lead", "per section", items, span, ticks,
                        height=40, colors=colors)


def _melody_lane(r: AnalysisResult, span: float, ticks: list[float]) -> Lane | None:
    if r.melody is None or not r.melody.notes:
        return None
    notes = sorted(((n.start, n.end, n.pitch) for n in r.melody.notes), key=lambda x: x[0])
    if len(notes) > MAX_NOTES:
        # merge notes of the same semitone that touch on a coarser grid
        q = span / MAX_NOTES
        merged: dict[int, list[list[float]]] = {}
        for a, b, p in notes:
            runs = merged.setdefault(int(round(p)), [])
            a, b = math.floor(a / q) * q, math.ceil(b / q) * q
            if runs and a <= runs[-1][1]:
                runs[-1][1] = max(runs[-1][1], b)
            else:
                runs.append([a, b])
        notes = sorted((a, b, float(p)) for p, runs in merged.items() for a, b in runs)
    pitches = [p for _, _, p in notes]
    lo, hi = math.floor(min(pitches)) - 1, math.ceil(max(pitches)) + 1
    H = LANE_UNITS
    h = (H - 4.0) / (hi - lo + 1)

    def ymap(p: float) -> float:
        return H - 2.0 - (p - lo + 1) * h

    rects = "".join(f'<rect x="{_x(a)}" y="{_y(ymap(p))}" width="{_x(max(b - a, 0.02))}" '
                    f'height="{_y(max(h, 0.8))}"/>' for a, b, p in notes)
    ov = [f'<span class="yax" style="top:2px">{note_name(hi - 1)}</span>'
          f'<span class="yax" style="bottom:2px">{note_name(lo + 1)}</span>']
    return Lane("melody", "Melody", "piano roll", 84,
                _grid(span, ticks) + f'<g class="notes">{rects}</g>', ov)


def _emotion_lane(r: AnalysisResult, span: float, ticks: list[float]) -> Lane | None:
    e = r.emotion
    if e is None or len(e.curve) < 2:
        return None
    H = LANE_UNITS

    def ymap(v: float) -> float:
        return H / 2 - max(-1.0, min(1.0, v)) * (H / 2 - 5.0)

    val = decimate_curve(e.curve, col=1)
    aro = decimate_curve(e.curve, col=2)
    svg = (_grid(span, ticks) + f'<line class="zero" x1="0" x2="{_x(span)}" y1="50" y2="50"/>'
           + f'<path class="valence" d="{_polyline(val, ymap)}"/>'
           + f'<path class="arousal" d="{_polyline(aro, ymap)}"/>')
    ov = ['<span class="ov legend" style="left:0;top:2px"><i class="valence"></i>valence '
          '<i class="arousal"></i>arousal</span>',
          '<span class="yax" style="top:2px">+1</span>',
          '<span class="yax" style="bottom:2px">\u22121</span>']
    return Lane("emotion", "Emotion", "valence / arousal, \u22121\u2026+1", 72, svg, ov)


def build_lanes(results: Sequence[AnalysisResult], *,
                waveforms: Sequence[np.ndarray | None] | None = None) -> tuple[list[Lane], float]:
    """All lanes for one track, or interleaved A/B lanes for two.

    Parameters
    ----------
    results : sequence of AnalysisResult
        One or two analyses.
    waveforms : sequence of (np.ndarray [shape=(n_bins, 2)] or None), optional
        Per track, min/max sample values per equal time bin over the track
        (full scale = 1), or ``None``.

    Returns
    -------
    lanes : list of Lane
        In display order.
    span : float
        The shared time axis length (s).
    """
    if not 1 <= len(results) <= 2:
        raise ParameterError("build_lanes takes one or two results")
    waveforms = list(waveforms) if waveforms is not None else [None] * len(results)
    if len(waveforms) != len(results):
        raise ParameterError("one waveform (or None) per result")
    span = max(max(r.track.duration for r in results), 0.1)
    ticks = time_ticks(span)
    per_song: list[list[Lane]] = []
    for k, (r, w) in enumerate(zip(results, waveforms, strict=True)):
        lanes: list[Lane] = []
        lane = _loudness_lane(r, span, ticks, w)
        if lane:
            lanes.append(lane)
        if r.sections:
            lanes.append(_blocks_lane("sections", "Sections", "",
                                      [(s.start, s.end, s.label, "") for s in r.sections],
                                      span, ticks))
        if r.key is not None and r.key.segments:
            lanes.append(_blocks_lane("key", "Key", f"global: {r.key.label}",
                                      [(s.start, s.end, s.label, "") for s in r.key.segments],
                                      span, ticks, height=28))
        lanes += _chords_lanes(r, span, ticks)
        lane = _tempo_lane(r, span, ticks)
        if lane:
            lanes.append(lane)
        lanes += _instrument_lanes(r, span, ticks)
        lane = _lead_lane(r, span, ticks)
        if lane:
            lanes.append(lane)
        lane = _melody_lane(r, span, ticks)
        if lane:
            lanes.append(lane)
        lane = _emotion_lane(r, span, ticks)
        if lane:
            lanes.append(lane)
        if len(lanes) <= 2 and lanes and lanes[0].key == "loudness":
            lanes[0].height = 160  # the only picture: give it room
        for ln in lanes:
            ln.song = k
            ln.duration = r.track.duration
            if r.track.duration < span:
                ln.overlays.append(f'<span class="beyond" style="left:'
                                   f'{_pct(r.track.duration, span)}"></span>')
        per_song.append(lanes)
    if len(results) == 1:
        return per_song[0], span
    # interleave by lane key so that A and B of the same kind sit together
    order: list[str] = []
    for lanes in per_song:
        for ln in lanes:
            tag = ln.key if ln.key != "instrument" else f"instrument:{ln.title}"
            if tag not in order:
                order.append(tag)
    out: list[Lane] = []
    for tag in order:
        for lanes in per_song:
            out += [ln for ln in lanes
                    if (ln.key if ln.key != "instrument" else f"instrument:{ln.title}") == tag]
    return out, span
