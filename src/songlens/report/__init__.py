"""The deep-dive report: a narrative written from the measurements, pictures, a player.

``write_report(["song.json"], out="song.report.html")`` writes one self-contained
page; :func:`narrate` gives the traceable sentences alone. The report consumes
analysis results only (dsp -> analysis -> pipeline -> report).
"""

from .build import ReportInput, demo_report, load_input, write_report
from .html import AudioSource, render_html
from .markdown import render_markdown
from .narrative import claims_of, compare, narrate, timeline
from .trace import Chapter, Claim, Q, Shown, evaluate

__all__ = [
    "AudioSource",
    "Chapter",
    "Claim",
    "Q",
    "ReportInput",
    "Shown",
    "claims_of",
    "compare",
    "demo_report",
    "evaluate",
    "load_input",
    "narrate",
    "render_html",
    "render_markdown",
    "timeline",
    "write_report",
]
