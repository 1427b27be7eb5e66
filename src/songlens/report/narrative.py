"""The deep-dive text: rules that turn measurements into sentences.

Conventions
-----------
* :func:`narrate` maps one :class:`~songlens.result.model.AnalysisResult` to a list
  of :class:`~songlens.report.trace.Chapter`: *At a glance*, *Emotional
  resonance*, *Composition*, *Arrangement*, *The use of silence*, *Production*.
  :func:`compare` maps two results to the chapters of a side-by-side report.
* Every number, time and label in a sentence is a
  :class:`~songlens.report.trace.Shown` that carries the JSON expression it comes
  from (see :mod:`songlens.report.trace`); literal template text contains no
  digits except the names of standards and fixed band edges listed in
  :data:`STATIC_TOKENS`.
* A chapter or sentence whose facet is absent is left out; nothing is said about
  what was not measured. Words that interpret a number (``"positive"``,
  ``"alone"``) follow documented rules in this module and always appear with the
  number itself.
* The narrative is computed from the result *as serialised* (values rounded as in
  the JSON), so the text matches the JSON file digit for digit.
* Times in seconds; loudness in LUFS/LU; levels in dB.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..result.model import AnalysisResult
from ..result.serialize import result_from_dict, result_to_dict
from .trace import (
    Chapter,
    Claim,
    Q,
    Shown,
    after,
    cl,
    collapse_labels,
    count_seq,
    evaluate,
    fmt_duration,
    fmt_time,
    qsum,
    step_share,
)
from .trace import shown as sh

__all__ = ["narrate", "compare", "claims_of", "timeline", "prepare", "Prepared",
           "STATIC_TOKENS", "AT_CLIMAX_S", "NEUTRAL_VA"]

STATIC_TOKENS = ("250 Hz", "4 kHz", "R128", "A/85", "0\u20131 scale")
"""Literal tokens with digits allowed in template text (band edges, standard names)."""

AT_CLIMAX_S = 1.5
"""Two moments closer than this (s) are described as "at the same moment"."""

NEUTRAL_VA = 0.1
"""|valence| or |arousal| below this is called neutral/moderate."""

SCORE_HIGH = 0.6
"""A melody simplicity/memorability index (0-1) from this up is called "fairly ..."."""

SCORE_LOW = 0.4
"""...and up to this "rather complex" / "hard to remember"; between, "moderately ..."."""

# a build-up ending this close before (or up to 3 s after) the climax leads into it
_BUILDUP_INTO_CLIMAX_S = 6.0
_MAX_LISTED = 6
_ST_HALF_S = 1.5  # half the short-term loudness window (the curve is centred)


class _Src:
    """Traced access to one serialised result (``prefix`` = ``"A."`` in comparisons)."""

    def __init__(self, data: dict[str, Any], prefix: str = ""):
        self.data = data
        self.prefix = prefix

    def q(self, path: str) -> Q:
        return Q(self.prefix + path, evaluate(path, self.data))

    def has(self, path: str) -> bool:
        try:
            v = evaluate(path, self.data)
        except Exception:  # noqa: BLE001 - a missing path is simply absent
            return False
        return v is not None

    def fn(self, template: str, value: Any) -> Q:
        """A function of this source: ``template`` with ``{p}`` for the path prefix."""
        return Q(template.format(p=self.prefix), value)


@dataclass(frozen=True)
class Prepared:
    """A result together with its JSON form, so the text cites the JSON exactly.

    Attributes
    ----------
    result : AnalysisResult
        Rebuilt from ``data`` (values rounded as in the JSON).
    data : dict
        The JSON document (schema ``songlens.analysis/1``).
    """

    result: AnalysisResult
    data: dict[str, Any]


def prepare(result: AnalysisResult | Prepared, data: dict[str, Any] | None = None) -> Prepared:
    """Pair a result with its JSON form (serialise it unless ``data`` is given).

    Parameters
    ----------
    result : AnalysisResult or Prepared
        Returned unchanged if already prepared.
    data : dict, optional
        The parsed JSON the result was loaded from (skips re-serialising).

    Returns
    -------
    Prepared
    """
    if isinstance(result, Prepared):
        return result
    if data is None:
        data = result_to_dict(result)
    return Prepared(result_from_dict(data), data)


def _normalise(result: AnalysisResult | Prepared) -> tuple[AnalysisResult, dict[str, Any]]:
    p = prepare(result)
    return p.result, p.data


def _t(q: Q) -> Shown:
    return sh(q, "time")


def _vs_climax(s: _Src, r: AnalysisResult, when: Q, name: str) -> list[str | Shown]:
    """", with the {name}" or ", 12 s after the {name}" for a time ``when`` (empty without
    a climax)."""
    if r.climax is None:
        return []
    dt = when - s.q("climax.time")
    if abs(dt.value) < AT_CLIMAX_S:
        return [f", with the {name}"]
    side = "after" if dt.value > 0 else "before"
    return [", ", sh(dt if dt.value > 0 else -dt, "duration"), f" {side} the {name}"]


def _and(items: Sequence[Sequence[str | Shown]]) -> list[str | Shown]:
    """Join phrase fragments as "a, b and c"."""
    out: list[str | Shown] = []
    for i, item in enumerate(items):
        if i:
            out.append(" and " if i == len(items) - 1 else ", ")
        out.extend(item)
    return out


def _title_parts(r: AnalysisResult, s: _Src) -> list[str | Shown]:
    parts: list[str | Shown] = []
    if r.track.title:
        parts += ["\u201c", sh(s.q("track.title"), "label"), "\u201d"]
        if r.track.artist:
            parts += [" by ", sh(s.q("track.artist"), "label")]
    return parts


# ---------------------------------------------------------------------- chapters
def _overview(r: AnalysisResult, s: _Src) -> Chapter:
    claims: list[Claim] = []
    title = _title_parts(r, s)
    dur = sh(s.q("track.duration"), "length")
    if title:
        claims.append(cl(*title, " runs ", dur, ".", facet="track"))
    else:
        claims.append(cl("The track runs ", dur, ".", facet="track"))
    frag: list[str | Shown] = []
    if r.tempo is not None:
        frag += ["It moves at about ", sh(s.q("tempo.bpm"), "bpm")]
        if r.tempo.meter:
            frag += [" in ", sh(s.q("tempo.meter"), "label"), " time"]
        if r.key is not None:
            frag += [", in " if r.tempo.meter else " in ", sh(s.q("key.label"), "label")]
    elif r.key is not None:
        frag += ["It is in ", sh(s.q("key.label"), "label")]
    if r.loudness is not None and r.loudness.integrated_lufs is not None:
        lufs = sh(s.q("loudness.integrated_lufs"), "lufs")
        frag += ([", with an integrated loudness of ", lufs] if frag
                 else ["Its integrated loudness is ", lufs])
    if frag:
        claims.append(cl(*frag, ".", facet="track"))
    moments: list[list[str | Shown]] = []
    main = _main_buildup(r)
    if main is not None:
        moments.append(["the build-up from ", _t(s.q(f"buildups[{main}].start"))])
    if r.climax is not None:
        moments.append(["the climax at ", _t(s.q("climax.time"))])
    for i, si in enumerate(r.silences or []):
        if si.start > 0.05 and si.end < r.track.duration - 0.05:
            moments.append(["the pause at ", _t(s.q(f"silences[{i}].start"))])
            break
    if r.key is not None:
        for i, seg in enumerate(r.key.segments[1:], start=1):
            if seg.label != r.key.segments[i - 1].label:
                moments.append(["the move to ", sh(s.q(f"key.segments[{i}].label"), "label"),
                                " at ", _t(s.q(f"key.segments[{i}].start"))])
                break
    if len(moments) >= 2:
        moments.sort(key=lambda m: next(p.q.value for p in m if isinstance(p, Shown)
                                        and p.is_time))
        claims.append(cl("Moments to listen for: ", *_and(moments), ".", facet="moments"))
    return Chapter("overview", "At a glance", (tuple(claims),))


def _main_buildup(r: AnalysisResult) -> int | None:
    """Index of the build-up that leads into the climax, else of the largest rise."""
    b = r.buildups or []
    if not b:
        return None
    if r.climax is not None:
        c = r.climax.time
        into = [i for i, x in enumerate(b)
                if c - _BUILDUP_INTO_CLIMAX_S <= x.end <= c + 3.0]
        if into:
            return max(into, key=lambda i: b[i].rise_db)
    return max(range(len(b)), key=lambda i: b[i].rise_db)


def _leads_into_climax(r: AnalysisResult, i: int) -> bool:
    if r.climax is None or not r.buildups:
        return False
    c, e = r.climax.time, r.buildups[i].end
    return c - _BUILDUP_INTO_CLIMAX_S <= e <= c + 3.0


def _va_words(v: float, a: float) -> tuple[str, str, str | None]:
    vw = "positive" if v > NEUTRAL_VA else "negative" if v < -NEUTRAL_VA else "neutral"
    aw = "high" if a > NEUTRAL_VA else "low" if a < -NEUTRAL_VA else "moderate"
    quadrant = None
    if vw != "neutral" and aw != "moderate":
        quadrant = {("positive", "high"): "bright and energetic",
                    ("positive", "low"): "calm and warm",
                    ("negative", "low"): "sad and subdued",
                    ("negative", "high"): "tense and agitated"}[(vw, aw)]
    return vw, aw, quadrant


def _emotion(r: AnalysisResult, s: _Src) -> Chapter:
    paras: list[tuple[Claim, ...]] = []
    e = r.emotion
    if e is not None:
        claims: list[Claim] = []
        vw, aw, quad = _va_words(e.valence, e.arousal)
        v, a = sh(s.q("emotion.valence"), "signed2"), sh(s.q("emotion.arousal"), "signed2")
        lead = (["Overall the track reads as ", quad, ": "] if quad
                else ["Overall the emotion model reads "])
        claims.append(cl(*lead, vw, " valence (", v, ") and ", aw, " arousal (", a,
                         ") on the valence/arousal plane.", facet="emotion"))
        moods = sorted(range(len(e.moods)), key=lambda i: -e.moods[i].score)[:3]
        if moods:
            items: list[list[str | Shown]] = [[sh(s.q(f"emotion.moods[{i}].label"), "label"), " (",
                      sh(s.q(f"emotion.moods[{i}].score"), "num2"), ")"] for i in moods]
            word = "reading is" if len(items) == 1 else "readings are"
            claims.append(cl(f"The strongest mood {word} ", *_and(items), ".", facet="emotion"))
            top = moods[0]
            why = [k for k, x in enumerate(e.moods[top].reasons)
                   if x and x != "no cue points this way"]
            if why:
                mood = f"emotion.moods[{top}]"
                claims.append(cl("The ", sh(s.q(f"{mood}.label"), "label"), " reading rests on ",
                                 *_and([[sh(s.q(f"{mood}.reasons[{k}]"), "label")]
                                        for k in why]), ".", facet="emotion"))
        paras.append(tuple(claims))
        claims = []
        for axis in ("valence", "arousal"):
            k = next((i for i, x in enumerate(e.reasons) if x.startswith(axis + " ")
                      and ": " in x), None)
            if k is not None and after(e.reasons[k], ": ").strip():
                claims.append(cl(f"The cues behind the {axis} reading, strongest first: ",
                                 sh(s.fn(f"after({{p}}emotion.reasons[{k}], ': ')",
                                         after(e.reasons[k], ": ")), "label"), ".",
                                 facet="emotion"))
        if claims:
            paras.append(tuple(claims))
        claims = []
        curve = e.curve
        # points without a reading (silent stretches) carry None
        idx = [i for i, p in enumerate(curve) if p[1] is not None and p[2] is not None]
        if len(idx) >= 3:
            ia = max(idx, key=lambda i: curve[i][2])
            parts: list[str | Shown] = ["Arousal peaks at ", _t(s.q(f"emotion.curve[{ia}][0]")),
                                        " (", sh(s.q(f"emotion.curve[{ia}][2]"), "signed2"), ")"]
            parts += _vs_climax(s, r, s.q(f"emotion.curve[{ia}][0]"), "loudness climax")
            claims.append(cl(*parts, ".", facet="emotion"))
            i0, i1 = idx[0], idx[-1]
            v0, v1 = s.q(f"emotion.curve[{i0}][1]"), s.q(f"emotion.curve[{i1}][1]")
            if abs(v1.value - v0.value) >= NEUTRAL_VA:
                claims.append(cl("Valence moves from ", sh(v0, "signed2"), " at ",
                                 _t(s.q(f"emotion.curve[{i0}][0]")), " to ", sh(v1, "signed2"),
                                 " at ", _t(s.q(f"emotion.curve[{i1}][0]")), ".",
                                 facet="emotion"))
            else:
                lo_v = sh(s.fn("min({p}emotion.curve[:][1])",
                               min(curve[i][1] for i in idx)), "signed2")
                hi_v = sh(s.fn("max({p}emotion.curve[:][1])",
                               max(curve[i][1] for i in idx)), "signed2")
                if lo_v.text == hi_v.text:
                    claims.append(cl("Valence stays at ", lo_v, " throughout.",
                                     facet="emotion"))
                else:
                    claims.append(cl("Valence stays between ", lo_v, " and ", hi_v,
                                     " throughout.", facet="emotion"))
        if claims:
            paras.append(tuple(claims))
    arc = _arc(r, s)
    if arc:
        paras.append(tuple(arc))
    return Chapter("emotion", "Emotional resonance", tuple(paras))


def _curve_index(curve: list[tuple[float, Any]], t: float) -> int | None:
    if not curve:
        return None
    return min(range(len(curve)), key=lambda i: abs(curve[i][0] - t))


def _arc(r: AnalysisResult, s: _Src) -> list[Claim]:
    claims: list[Claim] = []
    main = _main_buildup(r)
    climax_said = False
    c = r.climax
    if main is not None:
        b = f"buildups[{main}]"
        rise = sh(s.q(f"{b}.rise_db"), "db")
        span = sh(s.q(f"{b}.end") - s.q(f"{b}.start"), "duration")
        if c is not None and _leads_into_climax(r, main):
            pct = sh(s.q("climax.time") / s.q("track.duration") * 100, "pct")
            claims.append(cl("From ", _t(s.q(f"{b}.start")), " the loudness climbs ", rise,
                             " over ", span, " into the climax at ", _t(s.q("climax.time")),
                             ", ", pct, " of the way through the track.", facet="buildups"))
            climax_said = True
        else:
            claims.append(cl("The biggest build-up runs from ", _t(s.q(f"{b}.start")), " to ",
                             _t(s.q(f"{b}.end")), ", the loudness rising ", rise, " over ",
                             span, ".", facet="buildups"))
        others = [i for i in range(len(r.buildups or [])) if i != main][:_MAX_LISTED]
        for i in others:
            claims.append(cl("Another build-up, from ", _t(s.q(f"buildups[{i}].start")), " to ",
                             _t(s.q(f"buildups[{i}].end")), ", adds ",
                             sh(s.q(f"buildups[{i}].rise_db"), "db"), ".", facet="buildups"))
    elif r.buildups is not None and c is not None:
        st = r.settings.get("dynamics", {})
        if "min_rise_db" in st and "min_buildup_seconds" in st:
            claims.append(cl("SongLens finds no steady build-up (a rise of at least ",
                             sh(s.q("songlens.settings.dynamics.min_rise_db"), "db"),
                             " over at least ",
                             sh(s.q("songlens.settings.dynamics.min_buildup_seconds"),
                                "duration"), ").", facet="buildups"))
    if c is not None:
        if not climax_said:
            pct = sh(s.q("climax.time") / s.q("track.duration") * 100, "pct")
            claims.append(cl("The climax comes at ", _t(s.q("climax.time")), ", ", pct,
                             " of the way through the track.", facet="climax"))
        parts: list[str | Shown] = []
        if c.loudness_lufs is not None:
            parts += ["There the momentary loudness reaches ",
                      sh(s.q("climax.loudness_lufs"), "lufs")]
        if c.prominence_db is not None:
            parts += [", and" if parts else "There", " the intensity arc peaks ",
                      sh(s.q("climax.prominence_db"), "db"), " above its median level"]
        if parts:
            claims.append(cl(*parts, ".", facet="climax"))
        lo = r.loudness
        if lo is not None and lo.curve:
            ic = _curve_index(lo.curve, c.time)
            assert ic is not None
            # points after the climax, before the next silence, whose centred
            # short-term window (±1.5 s) does not touch a silence
            sil = [(x.start, x.end) for x in (r.silences or [])]
            stop = min([a for a, _ in sil if a > c.time], default=r.track.duration)
            after = [(i, p[1]) for i, p in enumerate(lo.curve)
                     if c.time < p[0] <= stop and p[1] is not None
                     and all(p[0] < a - _ST_HALF_S or p[0] > b + _ST_HALF_S for a, b in sil)]
            if after and lo.curve[ic][1] is not None:
                j = min(after, key=lambda x: x[1])[0]
                drop = s.q(f"loudness.curve[{ic}][1]") - s.q(f"loudness.curve[{j}][1]")
                if drop.value >= 3.0:
                    claims.append(cl("After the climax the short-term loudness falls ",
                                     sh(drop, "db"), ", to ",
                                     sh(s.q(f"loudness.curve[{j}][1]"), "lufs"), " at ",
                                     _t(s.q(f"loudness.curve[{j}][0]")), ".", facet="loudness"))
    return claims


def _composition(r: AnalysisResult, s: _Src) -> Chapter:
    paras: list[tuple[Claim, ...]] = []
    harmony: list[Claim] = []
    if r.key is not None:
        harmony.append(cl("The key is ", sh(s.q("key.label"), "label"), " (confidence ",
                          sh(s.q("key.confidence"), "num2"), ").", facet="key"))
        segs = r.key.segments
        moves: list[list[str | Shown]] = []
        for i in range(1, len(segs)):
            if segs[i].label != segs[i - 1].label:
                verb = "back to " if segs[i].label == r.key.label else "to "
                moves.append([verb, sh(s.q(f"key.segments[{i}].label"), "label"), " at ",
                              _t(s.q(f"key.segments[{i}].start"))])
        if moves:
            harmony.append(cl("It modulates ", *_and(moves[:_MAX_LISTED]), ".", facet="key"))
    if r.chords:
        labels = [ch.label for ch in r.chords]
        n_changes = len(collapse_labels(labels))
        if n_changes:
            distinct = len({x for x in labels if x not in ("N", "X")})
            harmony.append(cl("The harmony moves through ",
                              sh(s.fn("changes({p}chords[:].label)", n_changes), "int"),
                              " chords, ",
                              sh(s.fn("distinct({p}chords[:].label)", distinct), "int"),
                              " of them different.", facet="chords"))
            prog = _measured_progression(r, s)
            if prog is None and (r.harmony is None or r.harmony.progression is None):
                prog = _progression(r, s)
            if prog is not None:
                harmony.append(prog)
    harmony += _cadences(r, s)
    harmony += _tension(r, s)
    if harmony:
        paras.append(tuple(harmony))
    rhythm: list[Claim] = []
    if r.tempo is not None:
        curve = r.tempo.curve
        if len(curve) >= 2:
            lo_i = min(range(len(curve)), key=lambda i: curve[i][1])
            hi_i = max(range(len(curve)), key=lambda i: curve[i][1])
            lo, hi = curve[lo_i][1], curve[hi_i][1]
            if hi - lo >= max(2.0, 0.03 * r.tempo.bpm):
                rhythm.append(cl("The tempo moves between ",
                                 sh(s.q(f"tempo.curve[{lo_i}][1]"), "bpm"), " (at ",
                                 _t(s.q(f"tempo.curve[{lo_i}][0]")), ") and ",
                                 sh(s.q(f"tempo.curve[{hi_i}][1]"), "bpm"), " (at ",
                                 _t(s.q(f"tempo.curve[{hi_i}][0]")), ").", facet="tempo"))
            else:
                rhythm.append(cl("The tempo holds steady around ", sh(s.q("tempo.bpm"), "bpm"),
                                 ", between ", sh(s.q(f"tempo.curve[{lo_i}][1]"), "bpm"),
                                 " and ", sh(s.q(f"tempo.curve[{hi_i}][1]"), "bpm"), ".",
                                 facet="tempo"))
        else:
            rhythm.append(cl("The tempo is about ", sh(s.q("tempo.bpm"), "bpm"), ".",
                             facet="tempo"))
    if rhythm:
        paras.append(tuple(rhythm))
    form = _form(r, s)
    if form:
        paras.append(tuple(form))
    figures = _melody_figures(r, s)
    for part in (_melody(r, s, step_share_too=not figures), figures):
        if part:
            paras.append(tuple(part))
    return Chapter("composition", "Composition", tuple(paras))


_CADENCE_WORDS = {"authentic": "authentic (dominant to tonic)",
                  "plagal": "plagal (subdominant to tonic)",
                  "deceptive": "deceptive (dominant to the sixth degree)",
                  "half": "half (a pause on the dominant)"}


def _measured_progression(r: AnalysisResult, s: _Src) -> Claim | None:
    """``harmony.progression``: the loop the harmony analysis found, where it first starts."""
    h = r.harmony
    if h is None or h.progression is None or h.progression.count < 2:
        return None
    pat = [x for x in h.progression.pattern.split("\u2013") if x]
    parts: list[str | Shown] = ["The recurring progression ",
                                sh(s.q("harmony.progression.pattern"), "label"), " comes round ",
                                sh(s.q("harmony.progression.count"), "times")]
    # first occurrence in the chord sequence (repeats merged, "N" dropped)
    seq = [(ch.roman, i) for i, ch in enumerate(r.chords or [])
           if ch.roman and ch.label not in ("N", "X")]
    merged: list[tuple[str, int]] = []
    for lab, i in seq:
        if not merged or merged[-1][0] != lab:
            merged.append((lab, i))
    labs = [x for x, _ in merged]
    n = len(pat)
    first = next((merged[k][1] for k in range(len(labs) - n + 1) if labs[k:k + n] == pat), None)
    if first is not None and n:
        parts += [", first at ", _t(s.q(f"chords[{first}].start"))]
    parts += [", and covers ", sh(s.q("harmony.progression.coverage") * 100, "pct"),
              " of the chords."]
    return cl(*parts, facet="harmony")


def _cadences(r: AnalysisResult, s: _Src) -> list[Claim]:
    """Cadences at phrase endings (``harmony.cadences``), grouped by kind."""
    h = r.harmony
    if h is None or not r.chords:
        return []
    if not h.cadences:
        return [cl("SongLens finds no cadence at a phrase ending (dominant or subdominant to "
                   "tonic, dominant to the sixth degree, or a pause on the dominant).",
                   facet="harmony")]
    kinds = list(dict.fromkeys(c.type for c in h.cadences))
    items: list[list[str | Shown]] = []
    for kind in kinds:
        idx = [i for i, c in enumerate(h.cadences) if c.type == kind]
        word = _CADENCE_WORDS.get(kind, kind)
        each: list[list[str | Shown]] = [
                [sh(s.q(f"harmony.cadences[{i}].numerals"), "progression"), " at ",
                 _t(s.q(f"harmony.cadences[{i}].time"))] for i in idx[:_MAX_LISTED]]
        more = ", among others" if len(idx) > _MAX_LISTED else ""
        items.append([sh(s.fn(f"count({{p}}harmony.cadences[:].type, {kind!r})", len(idx)),
                         "int"), f" {word}: ", *_and(each), more])
    n = len(h.cadences)
    noun = "cadence" if n == 1 else "cadences"
    claims = [cl("SongLens finds ", sh(s.fn("len({p}harmony.cadences)", n), "int"),
                 f" {noun} at phrase endings \u2014 ", *_join_semicolon(items), ".",
                 facet="harmony")]
    return claims


def _join_semicolon(items: Sequence[Sequence[str | Shown]]) -> list[str | Shown]:
    out: list[str | Shown] = []
    for i, item in enumerate(items):
        if i:
            out.append("; ")
        out.extend(item)
    return out


def _tension(r: AnalysisResult, s: _Src) -> list[Claim]:
    """The peak and mean of the measured harmonic tension curve."""
    h = r.harmony
    if h is None or len(h.tension) < 2:
        return []
    vals = [v for _, v in h.tension]
    k = max(range(len(vals)), key=lambda i: vals[i])
    if vals[k] <= 0:
        return []
    parts: list[str | Shown] = [
        "The measured harmonic tension (on a 0\u20131 scale, from rest on the tonic to "
        "maximal) peaks at ",
        sh(s.q(f"harmony.tension[{k}][1]"), "num2"), " at ",
        _t(s.q(f"harmony.tension[{k}][0]"))]
    parts += _vs_climax(s, r, s.q(f"harmony.tension[{k}][0]"), "loudness climax")
    parts += ["; its average is ",
              sh(s.fn("mean({p}harmony.tension[:][1])", sum(vals) / len(vals)), "num2"), "."]
    return [cl(*parts, facet="harmony")]


def _progression(r: AnalysisResult, s: _Src) -> Claim | None:
    """The most repeated 4- (else 3-) chord progression, when it comes round twice or more."""
    assert r.chords is not None
    use_roman = all(ch.roman for ch in r.chords if ch.label not in ("N", "X"))
    field = "roman" if use_roman else "label"
    raw = [getattr(ch, field) if ch.label not in ("N", "X") else None for ch in r.chords]
    # collapsed sequence with the index of the first chord of each run
    seq: list[tuple[str, int]] = []
    for i, lab in enumerate(raw):
        if lab is None or lab in ("N", "X", ""):
            continue
        if not seq or seq[-1][0] != lab:
            seq.append((lab, i))
    labels = [x for x, _ in seq]
    for n in (4, 3):
        if len(labels) < 2 * n:
            continue
        grams = Counter(tuple(labels[i:i + n]) for i in range(len(labels) - n + 1))
        best, best_count = None, 1
        for g in dict.fromkeys(tuple(labels[i:i + n]) for i in range(len(labels) - n + 1)):
            if len(set(g)) < 2 or grams[g] < 2:
                continue
            c = count_seq(raw, g)
            if c > best_count:
                best, best_count = g, c
        if best is None:
            continue
        start = next(i for i in range(len(labels) - n + 1) if tuple(labels[i:i + n]) == best)
        idx = [seq[start + k][1] for k in range(n)]
        prog = Q("[" + ", ".join(f"{s.prefix}chords[{i}].{field}" for i in idx) + "]",
                 list(best))
        pat = ", ".join(repr(x) for x in best)
        count = s.fn(f"count_seq({{p}}chords[:].{field}, [{pat}])", best_count)
        return cl("The progression ", sh(prog, "progression"), " comes round ",
                  sh(count, "times"), ", first at ", _t(s.q(f"chords[{idx[0]}].start")),
                  ".", facet="chords")
    return None


def _form(r: AnalysisResult, s: _Src) -> list[Claim]:
    sec = r.sections
    if not sec:
        return []
    claims = [cl("The form runs ",
                 sh(s.fn("{p}sections[:].label", [x.label for x in sec]), "form"), ".",
                 facet="sections")]
    counts = Counter(x.label for x in sec)
    label, n = counts.most_common(1)[0]
    if n >= 2:
        first = next(i for i, x in enumerate(sec) if x.label == label)
        times = [[_t(s.q(f"sections[{i}].start"))] for i, x in enumerate(sec) if x.label == label]
        claims.append(cl("The ", sh(s.q(f"sections[{first}].label"), "label"), " comes ",
                         sh(s.fn(f"count({{p}}sections[:].label, {label!r})", n), "times"),
                         ", at ", *_and(times[:_MAX_LISTED]), ".", facet="sections"))
    if r.climax is not None:
        for i, x in enumerate(sec):
            if x.start <= r.climax.time < x.end:
                claims.append(cl("The climax at ", _t(s.q("climax.time")), " falls in the ",
                                 sh(s.q(f"sections[{i}].label"), "label"),
                                 " that starts at ", _t(s.q(f"sections[{i}].start")), ".",
                                 facet="sections"))
                break
    return claims


def _melody(r: AnalysisResult, s: _Src, *, step_share_too: bool = True) -> list[Claim]:
    """Range, highest note and (unless the figures say it better) the share of steps."""
    if r.melody is None or len(r.melody.notes) < 2:
        return []
    notes = r.melody.notes
    pitches = [n.pitch for n in notes]
    lo, hi = min(pitches), max(pitches)
    lo_q = s.fn("min({p}melody.notes[:].pitch)", lo)
    hi_q = s.fn("max({p}melody.notes[:].pitch)", hi)
    claims = [cl("The melody (", sh(s.fn("len({p}melody.notes)", len(notes)), "int"),
                 " notes) spans ", sh(hi_q - lo_q, "semitones"), ", from ", sh(lo_q, "note"),
                 " to ", sh(hi_q, "note"), ".", facet="melody")]
    k = next(i for i, n in enumerate(notes) if n.pitch == hi)
    parts: list[str | Shown] = ["Its highest note arrives at ",
                                _t(s.q(f"melody.notes[{k}].start"))]
    parts += _vs_climax(s, r, s.q(f"melody.notes[{k}].start"), "climax")
    claims.append(cl(*parts, ".", facet="melody"))
    if not step_share_too:
        return claims
    share = step_share(pitches)
    if math.isfinite(share):
        claims.append(cl(sh(s.fn("step_share({p}melody.notes[:].pitch)", share) * 100, "pct"),
                         " of its moves from note to note are a whole tone or less "
                         "(repeated notes included).", facet="melody"))
    return claims


def _score_word(v: float, low: str, high: str) -> str:
    """``high`` from :data:`SCORE_HIGH` up, ``low`` up to :data:`SCORE_LOW`, else "moderately"."""
    if v >= SCORE_HIGH:
        return high
    if v <= SCORE_LOW:
        return low
    return "moderately " + high.split()[-1]


def _melody_figures(r: AnalysisResult, s: _Src) -> list[Claim]:
    """Claims from ``melody.figures`` (range, intervals, contour, repetition, scores)."""
    f = r.melody.figures if r.melody is not None and len(r.melody.notes) >= 2 else {}
    if not f:
        return []
    m = "melody.figures"
    claims: list[Claim] = []
    if s.has(f"{m}.range_p5_p95"):
        parts: list[str | Shown] = [
            "Leaving out the lowest and highest twentieth of its notes, it moves within ",
            sh(s.q(f"{m}.range_p5_p95"), "semitones")]
        if s.has(f"{m}.tessitura.mean_note"):
            parts += [", centred on ", sh(s.q(f"{m}.tessitura.mean_note"), "label")]
        claims.append(cl(*parts, ".", facet="melody"))
    iv = f.get("intervals") or {}
    keys = ("repeat_share", "step_share", "skip_share", "leap_share")
    if all(iv.get(k) is not None for k in keys):
        claims.append(cl(
            "Of its moves from note to note, ", sh(s.q(f"{m}.intervals.repeat_share") * 100,
                                                   "pct"),
            " repeat a note, ", sh(s.q(f"{m}.intervals.step_share") * 100, "pct"),
            " are steps of one or two semitones, ",
            sh(s.q(f"{m}.intervals.skip_share") * 100, "pct"), " skips of three or four and ",
            sh(s.q(f"{m}.intervals.leap_share") * 100, "pct"), " leaps of a fourth or more.",
            facet="melody"))
    ct = f.get("contour") or {}
    if ct.get("up") is not None and ct.get("down") is not None:
        parts = ["It goes up on ", sh(s.q(f"{m}.contour.up") * 100, "pct"),
                 " of its moves and down on ", sh(s.q(f"{m}.contour.down") * 100, "pct")]
        ph = f.get("phrases") or {}
        shapes = ct.get("phrase_shapes") or {}
        dom = ct.get("dominant_shape")
        if dom and ph.get("count") and shapes.get(dom) is not None:
            tied = [k for k, v in shapes.items() if v is not None and k != dom
                    and abs(v - shapes[dom]) < 1e-9]
            parts += ["; of its ", sh(s.q(f"{m}.phrases.count"), "int"), " phrases, ",
                      sh(s.q(f"{m}.contour.phrase_shapes.{dom}") * 100, "pct")]
            if tied:  # shape names are the keys of phrase_shapes
                parts += [" each are ", *_and(
                    [[sh(s.q(f"{m}.contour.dominant_shape"), "label")]]
                    + [[k] for k in tied]), " in shape"]
            else:
                parts += [" are ", sh(s.q(f"{m}.contour.dominant_shape"), "label"),
                          ", the most common shape"]
        claims.append(cl(*parts, ".", facet="melody"))
    rep = f.get("repetition") or {}
    if rep.get("ngram_share") is not None and rep.get("ngram_length"):
        share = sh(s.q(f"{m}.repetition.ngram_share") * 100, "pct")
        lead = ["None (", share, ")"] if rep["ngram_share"] == 0 else [share]
        claims.append(cl(*lead, " of its ", sh(s.q(f"{m}.repetition.ngram_length"), "int"),
                         "-note figures come back later in the melody.", facet="melody"))
    for key, low, high, meaning in (
            ("simplicity", "rather complex", "fairly simple",
             "narrow range, steps and repeated notes, few interval types, even rhythm and "
             "repeated figures score high"),
            ("memorability", "hard to remember", "fairly memorable",
             "repetition weighs most, then singability, a common contour and a few "
             "distinctive leaps")):
        sc = f.get(key) or {}
        if sc.get("score") is None:
            continue
        parts = ["Its ", key, " index is ", sh(s.q(f"{m}.{key}.score"), "num2"),
                 " on a 0\u20131 scale: ", _score_word(sc["score"], low, high), " (", meaning,
                 ")"]
        n_r = min(len(sc.get("reasons") or []), 4)
        if n_r:
            parts += ["; what drives it: "]
            for i in range(n_r):
                parts += ["; " if i else "", sh(s.q(f"{m}.{key}.reasons[{i}]"), "label")]
        claims.append(cl(*parts, ".", facet="melody"))
    return claims


def _entries(r: AnalysisResult) -> list[tuple[float, int]]:
    out = []
    for i, inst in enumerate(r.instruments or []):
        if inst.active:
            out.append((min(a for a, _ in inst.active), i))
    return sorted(out)


def _section_phrase(s: _Src, i: int, label: str) -> list[str | Shown]:
    """``the chorus`` / ``section B`` for ``lead_instruments[i].section``."""
    lab = sh(s.q(f"lead_instruments[{i}].section"), "label")
    return ["section ", lab] if len(label) <= 2 else ["the ", lab]


def _leads(r: AnalysisResult, s: _Src) -> list[Claim]:
    """Which instrument leads each section (``lead_instruments``), runs merged."""
    li = r.lead_instruments or []
    runs: list[list[int]] = []
    for i, x in enumerate(li):
        if not x.name:
            runs.append([])
            continue
        if runs and runs[-1] and li[runs[-1][-1]].name == x.name:
            runs[-1].append(i)
        else:
            runs.append([i])
    runs = [run for run in runs if run]
    if not runs:
        return []
    if len(runs) == 1:
        run = runs[0]
        return [cl("The ", sh(s.q(f"lead_instruments[{run[0]}].name"), "label"),
                   " leads throughout, from ", _t(s.q(f"lead_instruments[{run[0]}].start")),
                   " to ", _t(s.q(f"lead_instruments[{run[-1]}].end")), ".",
                   facet="lead_instruments")]
    items: list[list[str | Shown]] = []
    for k, run in enumerate(runs[:_MAX_LISTED]):
        name = li[run[0]].name or ""
        verb = "lead" if name.endswith("s") else "leads"
        if k and any(li[j].name == name for r0 in runs[:k] for j in r0):
            verb = "returns to lead" if verb == "leads" else "return to lead"
        item: list[str | Shown] = ["the ", sh(s.q(f"lead_instruments[{run[0]}].name"), "label"),
                                   f" {verb} "]
        secs: list[tuple[int, str]] = []
        for j in run:
            lab = li[j].section
            if lab and lab not in [x for _, x in secs]:
                secs.append((j, lab))
        if secs:
            item += [*_and([_section_phrase(s, j, lab) for j, lab in secs]), " (from ",
                     _t(s.q(f"lead_instruments[{run[0]}].start")), ")"]
        else:
            item += ["from ", _t(s.q(f"lead_instruments[{run[0]}].start")), " to ",
                     _t(s.q(f"lead_instruments[{run[-1]}].end"))]
        items.append(item)
    first = items[0]
    first[0] = "The "
    return [cl(*_join_semicolon(items), ".", facet="lead_instruments")]


def _arrangement(r: AnalysisResult, s: _Src) -> Chapter:
    leads = _leads(r, s)
    if not r.instruments:
        return Chapter("arrangement", "Arrangement", (tuple(leads),) if leads else ())
    claims: list[Claim] = []
    entries = _entries(r)
    if not entries:
        return Chapter("arrangement", "Arrangement", (tuple(leads),) if leads else ())
    insts = r.instruments

    def first(i: int) -> Q:
        j = min(range(len(insts[i].active)), key=lambda k: insts[i].active[k][0])
        return s.q(f"instruments[{i}].active[{j}][0]")

    def name(i: int, cap: bool = False) -> Shown:
        return sh(s.q(f"instruments[{i}].name"), "Label" if cap else "label")

    t0, i0 = entries[0]
    rest = entries[1:]
    if rest and rest[0][0] - t0 >= 5.0 and (len(entries) < 2 or entries[1][0] > t0 + 1.0):
        claims.append(cl(name(i0, cap=True), " opens at ", _t(first(i0)),
                         " and is the only instrument detected for ",
                         sh(first(rest[0][1]) - first(i0), "duration"), ".",
                         facet="instruments"))
    else:
        claims.append(cl(name(i0, cap=True), " is heard first, at ", _t(first(i0)), ".",
                         facet="instruments"))
    if rest:
        items: list[list[str | Shown]] = [[name(i), " at ", _t(first(i))]
                                          for _, i in rest[:_MAX_LISTED]]
        verb = "enters" if len(items) == 1 else "enter"
        if len(items) == 1:
            claims.append(cl("After it, ", *_and(items), f" {verb}.", facet="instruments"))
        else:
            claims.append(cl("Entries follow: ", *_and(items), ".", facet="instruments"))
    # fullest texture
    bounds = sorted({a for inst in insts for a, _ in inst.active})
    best_t, best_n = None, 0
    for t in bounds:
        n = sum(1 for inst in insts if any(a <= t < b for a, b in inst.active))
        if n > best_n:
            best_t, best_n = t, n
    if best_t is not None and best_n >= 2:
        who = [i for i, inst in enumerate(insts) if any(a <= best_t < b for a, b in inst.active)]
        # cite the moment as the start of an interval that begins there
        src = next((i, k) for i in who for k, (a, _) in enumerate(insts[i].active) if a == best_t)
        tq = s.q(f"instruments[{src[0]}].active[{src[1]}][0]")
        claims.append(cl("The texture is fullest from ", _t(tq), ", with ",
                         sh(s.fn(f"active_at({{p}}instruments, {best_t!r})", best_n), "int"),
                         " instruments at once: ", *_and([[name(i)] for i in who]), ".",
                         facet="instruments"))
    # exits for good, well before the end
    exits = []
    for i, inst in enumerate(insts):
        if not inst.active:
            continue
        k = max(range(len(inst.active)), key=lambda k: inst.active[k][1])
        if inst.active[k][1] < r.track.duration - 10.0:
            exits.append((inst.active[k][1], i, k))
    if exits:
        exits.sort()
        out_items: list[list[str | Shown]] = [
            [name(i), " at ", _t(s.q(f"instruments[{i}].active[{k}][1]"))]
            for _, i, k in exits[:_MAX_LISTED]]
        claims.append(cl("Dropping out for good: ", *_and(out_items), ".", facet="instruments"))
    paras = [tuple(claims)] + ([tuple(leads)] if leads else [])
    return Chapter("arrangement", "Arrangement", tuple(paras))


def _silence(r: AnalysisResult, s: _Src) -> Chapter:
    if r.silences is None:
        return Chapter("silence", "The use of silence")
    claims: list[Claim] = []
    dur = r.track.duration
    if not r.silences:
        if s.has("songlens.settings.silence.min_duration"):
            claims.append(cl("SongLens finds no silence of ",
                             sh(s.q("songlens.settings.silence.min_duration"), "duration"),
                             " or longer: the music never stops.", facet="silences"))
        return Chapter("silence", "The use of silence", (tuple(claims),))
    lengths = [s.q(f"silences[{i}].end") - s.q(f"silences[{i}].start")
               for i in range(len(r.silences))]
    interior = 0
    for i, si in enumerate(r.silences):
        d = sh(lengths[i], "duration")
        if si.start <= 0.05 and si.end >= dur - 0.05:
            claims.append(cl("The track is silent from start to end (", d, ").",
                             facet="silences"))
            return Chapter("silence", "The use of silence", (tuple(claims),))
        if si.start <= 0.05:
            claims.append(cl("The track opens with ", d, " of silence before the first sound.",
                             facet="silences"))
        elif si.end >= dur - 0.05:
            claims.append(cl("It ends with ", d, " of silence, from ",
                             _t(s.q(f"silences[{i}].start")), ".", facet="silences"))
        else:
            interior += 1
            if interior > _MAX_LISTED:
                continue
            parts: list[str | Shown] = ["At ", _t(s.q(f"silences[{i}].start")),
                                        " the music stops for ", d]
            c = r.climax
            if c is not None and si.start > c.time:
                parts += [", ", sh(s.q(f"silences[{i}].start") - s.q("climax.time"),
                                   "duration"), " after the climax"]
            nxt = next((k for k, x in enumerate(r.sections or [])
                        if si.start - 1.0 <= x.start <= si.end + 2.0), None)
            if nxt is not None:
                parts += [", and comes back with the ",
                          sh(s.q(f"sections[{nxt}].label"), "label"), " at ",
                          _t(s.q(f"sections[{nxt}].start"))]
            else:
                parts += [", and comes back at ", _t(s.q(f"silences[{i}].end"))]
            claims.append(cl(*parts, ".", facet="silences"))
    if len(r.silences) >= 2:
        total = qsum(lengths)
        claims.append(cl("In all, silence fills ", sh(total, "duration"), ", ",
                         sh(total / s.q("track.duration") * 100, "pct"),
                         " of the running time.", facet="silences"))
    return Chapter("silence", "The use of silence", (tuple(claims),))


def _production(r: AnalysisResult, s: _Src) -> Chapter:
    paras: list[tuple[Claim, ...]] = []
    lo, p = r.loudness, r.production
    level: list[Claim] = []
    if lo is not None:
        items: list[list[str | Shown]] = []
        if lo.integrated_lufs is not None:
            items.append(["an integrated loudness of ",
                          sh(s.q("loudness.integrated_lufs"), "lufs")])
        if lo.range_lu is not None:
            items.append(["a loudness range of ", sh(s.q("loudness.range_lu"), "lu")])
        if lo.true_peak_dbtp is not None:
            items.append(["a true peak of ", sh(s.q("loudness.true_peak_dbtp"), "dbtp")])
        if items:
            level.append(cl("The master has ", *_and(items), ".", facet="loudness"))
    if p is not None:
        items = []
        if p.plr_db is not None:
            items.append(["a peak-to-loudness ratio of ", sh(s.q("production.plr_db"), "db1")])
        if p.crest_factor_db is not None:
            items.append(["a crest factor of ", sh(s.q("production.crest_factor_db"), "db1")])
        if items:
            level.append(cl("It has ", *_and(items), ".", facet="production"))
        st = p.targets.get("streaming")
        if st and st.get("gain_to_target_db") is not None:
            gain = s.q("production.targets.streaming.gain_to_target_db")
            parts: list[str | Shown] = [
                "Reaching the streaming target of ",
                sh(s.q("production.targets.streaming.target_lufs"), "lufs")]
            if gain.value >= 0:
                parts += [" takes ", sh(gain, "db_signed"), " of gain"]
            else:
                parts += [" means turning it down by ", sh(-gain, "db1")]
            if "true_peak_after_gain_dbtp" in st and st["true_peak_after_gain_dbtp"] is not None:
                parts += [", which would put the true peak at ",
                          sh(s.q("production.targets.streaming.true_peak_after_gain_dbtp"),
                             "dbtp_signed")]
                if (st.get("max_true_peak_dbtp") is not None
                        and st["true_peak_after_gain_dbtp"] > st["max_true_peak_dbtp"]):
                    parts += [", above the ",
                              sh(s.q("production.targets.streaming.max_true_peak_dbtp"),
                                 "dbtp_signed"), " ceiling"]
            level.append(cl(*parts, ".", facet="production"))
        eb = p.targets.get("broadcast_ebu_r128")
        if eb and eb.get("offset_lu") is not None and eb.get("loudness_ok") is not None:
            ok = "within" if eb["loudness_ok"] else "outside"
            off = s.q("production.targets.broadcast_ebu_r128.offset_lu")
            side = "above" if off.value > 0 else "below"
            level.append(cl("For EBU R128 broadcast (", sh(
                s.q("production.targets.broadcast_ebu_r128.target_lufs"), "lufs"),
                ") it sits ", sh(off if off.value > 0 else -off, "lu"), f" {side} the target, ",
                ok, " the ", sh(s.q("production.targets.broadcast_ebu_r128.tolerance_lu"), "lu"),
                " tolerance.", facet="production"))
    if level:
        paras.append(tuple(level))
    if p is not None:
        mix: list[Claim] = []
        if p.clipped_samples == 0:
            mix.append(cl("There are ", sh(s.q("production.clipped_samples"), "count"),
                          " clipped samples.", facet="production"))
        else:
            mix.append(cl(sh(s.q("production.clipped_samples"), "int"),
                          " samples look clipped (runs of three or more at full scale).",
                          facet="production"))
        if p.stereo_correlation is not None and p.stereo_width is not None:
            mix.append(cl("The stereo correlation is ",
                          sh(s.q("production.stereo_correlation"), "signed2"), " and ",
                          sh(s.q("production.stereo_width") * 100, "pct"),
                          " of the energy sits in the side (left minus right) signal.",
                          facet="production"))
        elif r.track.channels == 1:
            mix.append(cl("The file is mono, so there is no stereo image to measure.",
                          facet="production"))
        sb = p.spectral_balance
        if {"low", "mid", "high"} <= set(sb) and sum(sb[k] or 0.0 for k in sb) > 0.5:
            mix.append(cl(sh(s.q("production.spectral_balance.mid") * 100, "pct"),
                          " of the spectral energy lies between 250 Hz and 4 kHz, ",
                          sh(s.q("production.spectral_balance.low") * 100, "pct"),
                          " below and ", sh(s.q("production.spectral_balance.high") * 100, "pct"),
                          " above.", facet="production"))
        if p.dc_offset and max(abs(x) for x in p.dc_offset) >= 0.001:
            k = max(range(len(p.dc_offset)), key=lambda i: abs(p.dc_offset[i]))
            mix.append(cl("The largest DC offset is ",
                          sh(s.q(f"production.dc_offset[{k}]"), "num3"), " of full scale.",
                          facet="production"))
        if mix:
            paras.append(tuple(mix))
    return Chapter("production", "Production", tuple(paras))


_DESCRIPTOR_WORDS = (
    ("danceability", "danceability", "how clear and regular the pulse is, near a preferred tempo"),
    ("energy", "energy", "loudness, event density, brightness and a narrow dynamic range"),
    ("acousticness", "acousticness", "how acoustic rather than electronic it sounds"),
    ("instrumentalness", "instrumentalness", "the likelihood that there are no vocals"),
    ("speechiness", "speechiness", "the presence of spoken words"),
    ("liveness", "liveness", "the likelihood of a live audience"),
    ("valence", "valence", "musical positiveness, the emotion valence rescaled"),
)


def _audio_features(r: AnalysisResult, s: _Src) -> Chapter:
    """Spotify-style descriptors on 0-1 scales (only those measured)."""
    d = r.descriptors
    if d is None:
        return Chapter("features", "Audio features")
    items: list[list[str | Shown]] = []
    for key, word, meaning in _DESCRIPTOR_WORDS:
        if getattr(d, key) is None:
            continue
        items.append([word, " ", sh(s.q(f"descriptors.{key}"), "num2"), " (", meaning, ")"])
    if not items:
        return Chapter("features", "Audio features")
    claims = [cl("On the 0\u20131 scales of Spotify's audio features, as SongLens measures "
                 "them: ", *_and(items), ".", facet="descriptors")]
    return Chapter("features", "Audio features", (tuple(claims),))


def narrate(result: AnalysisResult | Prepared) -> list[Chapter]:
    """The deep-dive chapters for one analysis.

    Parameters
    ----------
    result : AnalysisResult or Prepared
        Any analysis; absent facets are skipped.

    Returns
    -------
    chapters : list of Chapter
        Non-empty chapters in reading order.
    """
    r, d = _normalise(result)
    s = _Src(d)
    chapters = [_overview(r, s), _emotion(r, s), _composition(r, s), _arrangement(r, s),
                _silence(r, s), _production(r, s), _audio_features(r, s)]
    return [c for c in chapters if c.claims]


# ---------------------------------------------------------------------- comparison
def _name(r: AnalysisResult, s: _Src, tag: str) -> list[str | Shown]:
    if r.track.title:
        return [tag, " (\u201c", sh(s.q("track.title"), "label"), "\u201d)"]
    return [tag]


def compare(a: AnalysisResult | Prepared, b: AnalysisResult | Prepared) -> list[Chapter]:
    """The differences between two analyses, in words.

    Expressions are rooted at ``A.`` and ``B.`` (evaluate them against
    ``{"A": json_a, "B": json_b}``).

    Parameters
    ----------
    a, b : AnalysisResult or Prepared

    Returns
    -------
    chapters : list of Chapter
    """
    ra, da = _normalise(a)
    rb, db = _normalise(b)
    sa, sb = _Src(da, "A."), _Src(db, "B.")
    out: list[Claim] = []
    out.append(cl(*_name(ra, sa, "A"), " runs ", sh(sa.q("track.duration"), "length"), "; ",
                  *_name(rb, sb, "B"), " runs ", sh(sb.q("track.duration"), "length"), ".",
                  facet="track"))
    if ra.tempo is not None and rb.tempo is not None:
        ba, bb = sh(sa.q("tempo.bpm"), "bpm"), sh(sb.q("tempo.bpm"), "bpm")
        if ba.text == bb.text:
            out.append(cl("Both move at about ", ba, ".", facet="tempo"))
        else:
            diff = sb.q("tempo.bpm") - sa.q("tempo.bpm")
            faster = "B" if diff.value > 0 else "A"
            out.append(cl("A moves at ", ba, ", B at ", bb, f": {faster} is faster by ",
                          sh(diff if diff.value > 0 else -diff, "bpm"), ".", facet="tempo"))
    ma = ra.tempo.meter if ra.tempo is not None else None
    mb = rb.tempo.meter if rb.tempo is not None else None
    if ma and mb and ma != mb:
        out.append(cl("A is in ", sh(sa.q("tempo.meter"), "label"), " time, B in ",
                      sh(sb.q("tempo.meter"), "label"), ".", facet="tempo"))
    if ra.key is not None and rb.key is not None:
        out.append(cl("Both are in ", sh(sa.q("key.label"), "label"), ".", facet="key")
                   if ra.key.label == rb.key.label else
                   cl("A is in ", sh(sa.q("key.label"), "label"), ", B in ",
                      sh(sb.q("key.label"), "label"), ".", facet="key"))
    la, lb = ra.loudness, rb.loudness
    if la and lb and la.integrated_lufs is not None and lb.integrated_lufs is not None:
        ia_, ib_ = (sh(sa.q("loudness.integrated_lufs"), "lufs"),
                    sh(sb.q("loudness.integrated_lufs"), "lufs"))
        if ia_.text == ib_.text:
            out.append(cl("Both have an integrated loudness of ", ia_, ".", facet="loudness"))
        else:
            diff = sb.q("loudness.integrated_lufs") - sa.q("loudness.integrated_lufs")
            louder = "B" if diff.value > 0 else "A"
            out.append(cl(f"{louder} is louder by ", sh(diff if diff.value > 0 else -diff, "lu"),
                          " (integrated ", ia_, " for A, ", ib_, " for B).", facet="loudness"))
    if la and lb and la.range_lu is not None and lb.range_lu is not None:
        ra_, rb_ = sh(sa.q("loudness.range_lu"), "lu"), sh(sb.q("loudness.range_lu"), "lu")
        if ra_.text == rb_.text:
            out.append(cl("Both have a loudness range of ", ra_, ".", facet="loudness"))
        else:
            wider = "A" if la.range_lu > lb.range_lu else "B"
            out.append(cl("Loudness range: ", ra_, " for A, ", rb_, f" for B; {wider} swings "
                          "wider between quiet and loud.", facet="loudness"))
    if ra.climax is not None and rb.climax is not None:
        pa = sa.q("climax.time") / sa.q("track.duration") * 100
        pb = sb.q("climax.time") / sb.q("track.duration") * 100
        out.append(cl("A peaks at ", _t(sa.q("climax.time")), " (", sh(pa, "pct"),
                      " of the way through), B at ", _t(sb.q("climax.time")), " (",
                      sh(pb, "pct"), ").", facet="climax"))
    ia, ib = _main_buildup(ra), _main_buildup(rb)
    if ia is not None and ib is not None:
        out.append(cl("The biggest build-up rises ", sh(sa.q(f"buildups[{ia}].rise_db"), "db"),
                      " in A (from ", _t(sa.q(f"buildups[{ia}].start")), ") and ",
                      sh(sb.q(f"buildups[{ib}].rise_db"), "db"), " in B (from ",
                      _t(sb.q(f"buildups[{ib}].start")), ").", facet="buildups"))
    elif (ia is None) != (ib is None) and ra.buildups is not None and rb.buildups is not None:
        has, src, i = ("A", sa, ia) if ia is not None else ("B", sb, ib)
        out.append(cl(f"Only {has} has a build-up: ",
                      sh(src.q(f"buildups[{i}].rise_db"), "db"), " from ",
                      _t(src.q(f"buildups[{i}].start")), ".", facet="buildups"))
    if ra.silences is not None and rb.silences is not None:
        def total(r: AnalysisResult, s: _Src) -> Q:
            return qsum(s.q(f"silences[{i}].end") - s.q(f"silences[{i}].start")
                        for i in range(len(r.silences or [])))
        ta, tb = total(ra, sa), total(rb, sb)
        out.append(cl("Silence fills ", sh(ta, "duration"), " of A (",
                      sh(sa.fn("len({p}silences)", len(ra.silences)), "int"), " stretches) and ",
                      sh(tb, "duration"), " of B (",
                      sh(sb.fn("len({p}silences)", len(rb.silences)), "int"), ").",
                      facet="silences"))
    pa_, pb_ = ra.production, rb.production
    if pa_ and pb_ and pa_.stereo_width is not None and pb_.stereo_width is not None:
        out.append(cl("Side-signal share of the energy: ",
                      sh(sa.q("production.stereo_width") * 100, "pct"), " in A, ",
                      sh(sb.q("production.stereo_width") * 100, "pct"), " in B.",
                      facet="production"))
    if pa_ and pb_ and "low" in pa_.spectral_balance and "low" in pb_.spectral_balance:
        out.append(cl("Energy below 250 Hz: ",
                      sh(sa.q("production.spectral_balance.low") * 100, "pct"), " in A, ",
                      sh(sb.q("production.spectral_balance.low") * 100, "pct"), " in B.",
                      facet="production"))
    if ra.emotion is not None and rb.emotion is not None:
        out.append(cl("Valence ", sh(sa.q("emotion.valence"), "signed2"), " vs ",
                      sh(sb.q("emotion.valence"), "signed2"), ", arousal ",
                      sh(sa.q("emotion.arousal"), "signed2"), " vs ",
                      sh(sb.q("emotion.arousal"), "signed2"), " (A vs B).", facet="emotion"))
    fa = ra.melody.figures if ra.melody is not None else {}
    fb = rb.melody.figures if rb.melody is not None else {}
    idx_items: list[list[str | Shown]] = []
    for key in ("simplicity", "memorability"):
        if (fa.get(key) or {}).get("score") is not None and \
                (fb.get(key) or {}).get("score") is not None:
            idx_items.append([key, " ", sh(sa.q(f"melody.figures.{key}.score"), "num2"), " vs ",
                              sh(sb.q(f"melody.figures.{key}.score"), "num2")])
    if idx_items:
        out.append(cl("Melody indices on a 0\u20131 scale (A vs B): ", *_and(idx_items), ".",
                      facet="melody"))
    da_, db_ = ra.descriptors, rb.descriptors
    if da_ is not None and db_ is not None:
        items: list[list[str | Shown]] = [
            [key, " ", sh(sa.q(f"descriptors.{key}"), "num2"), " vs ",
             sh(sb.q(f"descriptors.{key}"), "num2")]
                 for key, _, _ in _DESCRIPTOR_WORDS
                 if getattr(da_, key) is not None and getattr(db_, key) is not None]
        if items:
            out.append(cl("Audio features on a 0\u20131 scale (A vs B): ", *_and(items), ".",
                          facet="descriptors"))
    if ra.instruments is not None and rb.instruments is not None:
        na = {x.name: i for i, x in enumerate(ra.instruments) if x.active}
        nb = {x.name: i for i, x in enumerate(rb.instruments) if x.active}
        for tag, mine, theirs, src in (("A", na, nb, sa), ("B", nb, na, sb)):
            only = [i for n, i in mine.items() if n not in theirs]
            if only:
                out.append(cl(f"Only {tag} has ",
                              *_and([[sh(src.q(f"instruments[{i}].name"), "label")]
                                     for i in only]), ".", facet="instruments"))
    return [Chapter("compare", "Side by side", (tuple(out),))]


def claims_of(chapters: list[Chapter]) -> list[Claim]:
    """All claims of a list of chapters, in order."""
    return [c for ch in chapters for c in ch.claims]



def timeline(result: AnalysisResult | Prepared) -> list[tuple[float, str]]:
    """Notable moments, in time order: ``(time in s, short description)``.

    Build-up starts and ends, the climax, silences, section and key changes,
    instrument entries and cadences, each written with the measured figure it
    stands for.
    """
    r, _ = _normalise(result)
    ev: list[tuple[float, str]] = []
    for b in r.buildups or []:
        ev.append((b.start, f"build-up begins (+{b.rise_db:.1f} dB until {fmt_time(b.end)})"))
    if r.climax is not None:
        ev.append((r.climax.time, "climax"))
    for x in r.silences or []:
        ev.append((x.start, f"silence, {fmt_duration(x.end - x.start)}"))
    for sec in r.sections or []:
        ev.append((sec.start, f"section: {sec.label}"))
    if r.key is not None:
        segs = r.key.segments
        for i in range(1, len(segs)):
            if segs[i].label != segs[i - 1].label:
                ev.append((segs[i].start, f"key: {segs[i].label}"))
    for t, i in _entries(r):
        ev.append((t, f"{(r.instruments or [])[i].name} enters"))
    for c in r.harmony.cadences if r.harmony is not None else []:
        ev.append((c.time, f"{c.type} cadence (" + "\u2013".join(c.numerals) + ")"))
    ev.sort(key=lambda e: e[0])
    return ev
