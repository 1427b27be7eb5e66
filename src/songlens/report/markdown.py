"""The Markdown variant of the deep dive: the same narrative, a table of moments.

Conventions
-----------
* Plain CommonMark/GFM: headings, paragraphs, one table; no HTML, no images.
* The text is exactly the narrative of :mod:`songlens.report.narrative` (times as
  ``m:ss``), so every figure is traceable to the analysis JSON as in the HTML.
* Text from the analysis (titles, labels) is escaped for Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .._version import __version__
from ..errors import ParameterError
from ..result.model import AnalysisResult
from .narrative import Prepared, compare, narrate, prepare, timeline
from .trace import Chapter, fmt_time

__all__ = ["render_markdown"]

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _md(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def _title(r: AnalysisResult) -> str:
    if r.track.title:
        return r.track.title
    return r.track.path.replace("\\", "/").rsplit("/", 1)[-1] or "Untitled"


def _facts(r: AnalysisResult) -> str:
    bits = [fmt_time(r.track.duration)]
    if r.tempo is not None:
        bits.append(f"{r.tempo.bpm:.0f} BPM")
        if r.tempo.meter:
            bits.append(_md(r.tempo.meter))
    if r.key is not None:
        bits.append(r.key.label)
    if r.loudness is not None and r.loudness.integrated_lufs is not None:
        bits.append(f"{r.loudness.integrated_lufs:.1f} LUFS integrated".replace("-", "\u2212"))
    return " \u00b7 ".join(_md(b) for b in bits)


def _chapters(chapters: Sequence[Chapter], level: str = "##") -> list[str]:
    out: list[str] = []
    for ch in chapters:
        out += [f"{level} {_md(ch.title)}", ""]
        for para in ch.paragraphs:
            if para:
                out += [" ".join(_md(c.text) for c in para), ""]
    return out


def _moments(r: Prepared, level: str = "##") -> list[str]:
    ev = timeline(r)
    if not ev:
        return []
    out = [f"{level} Moments", "", "| Time | Moment |", "|---:|---|"]
    out += [f"| {fmt_time(t)} | {_md(text)} |" for t, text in ev]
    return out + [""]


def render_markdown(results: Sequence[AnalysisResult | Prepared]) -> str:
    """The Markdown report for one analysis, or the comparison of two.

    Parameters
    ----------
    results : sequence of AnalysisResult or Prepared
        One or two analyses.

    Returns
    -------
    text : str
    """
    preps = [prepare(r) for r in results]
    if len(preps) == 1:
        p = preps[0]
        r = p.result
        lines = [f"# {_md(_title(r))}", ""]
        if r.track.artist:
            lines += [f"*{_md(r.track.artist)}*", ""]
        lines += [_facts(r), "", *_chapters(narrate(p)), *_moments(p)]
    elif len(preps) == 2:
        pa, pb = preps
        a, b = pa.result, pb.result
        lines = [f"# {_md(_title(a))} vs {_md(_title(b))}", "",
                 f"**A**: {_facts(a)}  ", f"**B**: {_facts(b)}", "",
                 *_chapters(compare(pa, pb))]
        for tag, p in (("A", pa), ("B", pb)):
            lines += [f"## {tag}: {_md(_title(p.result))}", "", *_chapters(narrate(p), "###"),
                      *_moments(p, "###")]
    else:
        raise ParameterError("render_markdown takes one or two results")
    lines += ["---", "", f"*Written by SongLens {__version__} from its measurements alone "
              "(schema songlens.analysis/1); every figure comes from the analysis JSON.*", ""]
    return "\n".join(lines)
