"""Traceable claims: every number in a sentence carries the JSON expression it came from.

Conventions
-----------
* A :class:`Q` is a value together with its *source expression* over the analysis
  JSON (schema ``songlens.analysis/1``), e.g. ``climax.time`` or
  ``(buildups[0].end - buildups[0].start)``. Arithmetic on ``Q`` objects builds the
  expression alongside the value, so a derived figure keeps its derivation.
* A :class:`Shown` is a ``Q`` as it appears in a sentence, formatted by one of the
  named formatters in :data:`FORMATS` (e.g. ``"time"`` -> ``"0:41"``,
  ``"db"`` -> ``"29 dB"``). Formatting is deterministic, so anyone can recompute
  the shown text from the JSON with :func:`evaluate` and the formatter.
* Expression language, a small subset of Python syntax evaluated by
  :func:`evaluate` against the JSON dict (never with ``eval``):

  - names and attributes walk objects (``loudness.integrated_lufs``); integer
    subscripts index lists (``silences[1].start``, ``loudness.curve[12][1]``,
    negative indexes allowed);
  - ``[:]`` maps over a list: ``chords[:].label`` is the list of chord labels;
  - ``+ - * /``, unary minus, number/string/list literals;
  - functions ``len sum min max abs mean distinct count_seq active_at after``
    (see :data:`FUNCTIONS`).

  In a comparison the data is ``{"A": doc_a, "B": doc_b}`` and expressions start
  with ``A.`` or ``B.``.
* Times are seconds; ``fmt_time`` rounds to the nearest second (``m:ss``, or
  ``h:mm:ss`` from one hour on). Negative values are written with U+2212 (−).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from string import Formatter
from typing import Any

from ..errors import ParameterError

__all__ = [
    "Q", "Shown", "Claim", "Chapter", "FORMATS", "FUNCTIONS", "evaluate", "say", "shown",
    "fmt_time", "fmt_duration", "note_name", "count_seq", "collapse_labels", "cl", "qsum",
    "join_claims", "step_share", "after",
]

MINUS = "\u2212"


# --------------------------------------------------------------------------- values
@dataclass(frozen=True)
class Q:
    """A number (or label) and the JSON expression it was computed from.

    Attributes
    ----------
    expr : str
        Source expression in the language of :func:`evaluate`.
    value : float or str
        The value, computed from the result objects.
    """

    expr: str
    value: Any

    @staticmethod
    def of(x: Q | float | int) -> Q:
        """Wrap a literal constant as a ``Q`` whose expression is the literal."""
        if isinstance(x, Q):
            return x
        if isinstance(x, bool) or not isinstance(x, int | float):
            raise ParameterError(f"cannot combine {type(x).__name__} with a traced value")
        return Q(repr(x), x)

    def _bin(self, other: Q | float | int, op: str, fn: Callable[[Any, Any], Any],
             reverse: bool = False) -> Q:
        o = Q.of(other)
        a, b = (o, self) if reverse else (self, o)
        return Q(f"({a.expr} {op} {b.expr})", fn(a.value, b.value))

    def __add__(self, o: Q | float | int) -> Q:
        return self._bin(o, "+", lambda a, b: a + b)

    def __radd__(self, o: Q | float | int) -> Q:
        return self._bin(o, "+", lambda a, b: a + b, reverse=True)

    def __sub__(self, o: Q | float | int) -> Q:
        return self._bin(o, "-", lambda a, b: a - b)

    def __rsub__(self, o: Q | float | int) -> Q:
        return self._bin(o, "-", lambda a, b: a - b, reverse=True)

    def __mul__(self, o: Q | float | int) -> Q:
        return self._bin(o, "*", lambda a, b: a * b)

    def __rmul__(self, o: Q | float | int) -> Q:
        return self._bin(o, "*", lambda a, b: a * b, reverse=True)

    def __truediv__(self, o: Q | float | int) -> Q:
        return self._bin(o, "/", lambda a, b: a / b)

    def __neg__(self) -> Q:
        return Q(f"(-{self.expr})", -self.value)


def qsum(items: Iterable[Q]) -> Q:
    """Sum of traced values (expression ``(a + b + ...)``)."""
    items = list(items)
    if not items:
        return Q("0", 0)
    out = items[0]
    for q in items[1:]:
        out = out + q
    return out


# ----------------------------------------------------------------------- formatting
def _signed(v: float, spec: str) -> str:
    s = format(v, spec)
    if s.startswith("-"):
        s = s[1:]
        if float(s) == 0.0:
            return s
        return MINUS + s
    if float(s) == 0.0:
        return s
    return "+" + s


def _plain(v: float, spec: str) -> str:
    s = format(v, spec)
    if s.startswith("-"):
        s = s[1:]
        return s if float(s) == 0.0 else MINUS + s
    return s


def fmt_time(t: float) -> str:
    """``m:ss`` (or ``h:mm:ss``), rounded to the nearest second."""
    s = int(math.floor(max(float(t), 0.0) + 0.5))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def fmt_duration(d: float) -> str:
    """A duration in seconds: one decimal below 10 s (``2.5 s``), else whole (``42 s``)."""
    d = float(d)
    return f"{d:.1f} s" if abs(d) < 9.95 else f"{d:.0f} s"


_NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def note_name(pitch: float) -> str:
    """Scientific pitch name of a MIDI number rounded to the nearest semitone (69 -> ``A4``)."""
    p = int(math.floor(float(pitch) + 0.5))
    return f"{_NOTE_NAMES[p % 12]}{p // 12 - 1}"


def _db(v: float) -> str:
    return _plain(v, ".0f" if abs(v) >= 9.95 else ".1f") + " dB"


FORMATS: dict[str, Callable[[Any], str]] = {
    "time": fmt_time,
    "length": lambda v: fmt_duration(v) if float(v) < 59.5 else fmt_time(v),
    "duration": fmt_duration,
    "db": _db,
    "db1": lambda v: _plain(v, ".1f") + " dB",
    "db_signed": lambda v: _signed(v, ".1f") + " dB",
    "lufs": lambda v: _plain(v, ".1f") + " LUFS",
    "lu": lambda v: _plain(v, ".1f") + " LU",
    "dbtp": lambda v: _plain(v, ".1f") + " dBTP",
    "dbtp_signed": lambda v: _signed(v, ".1f") + " dBTP",
    "bpm": lambda v: _plain(v, ".0f") + " BPM",
    "pct": lambda v: _plain(v, ".0f") + "%",
    "int": lambda v: str(int(v)),
    "count": lambda v: "no" if int(v) == 0 else str(int(v)),
    "times": lambda v: {1: "once", 2: "twice"}.get(int(v), f"{int(v)} times"),
    "num2": lambda v: _plain(v, ".2f"),
    "signed2": lambda v: _signed(v, ".2f"),
    "semitones": lambda v: f"{int(math.floor(float(v) + 0.5))} semitones",
    "num3": lambda v: _plain(v, ".3f"),
    "note": note_name,
    "label": str,
    "Label": lambda v: str(v)[:1].upper() + str(v)[1:],
    "progression": lambda v: "\u2013".join(str(x) for x in v),
    "form": lambda v: " \u2013 ".join(str(x) for x in v),
}
"""Named formatters: value -> text as it appears in a sentence (units included)."""


@dataclass(frozen=True)
class Shown:
    """A traced value as written in a sentence.

    Attributes
    ----------
    q : Q
        The value and its source expression.
    fmt : str
        Key of :data:`FORMATS` used to write it.
    text : str
        ``FORMATS[fmt](q.value)``.
    """

    q: Q
    fmt: str
    text: str

    @property
    def is_time(self) -> bool:
        """Whether this is a moment of the track (clickable to seek); ``"length"`` is not."""
        return self.fmt == "time"


def shown(q: Q, fmt: str) -> Shown:
    """Format a traced value with the named formatter."""
    if fmt not in FORMATS:
        raise ParameterError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    return Shown(q=q, fmt=fmt, text=FORMATS[fmt](q.value))


# --------------------------------------------------------------------------- claims
@dataclass(frozen=True)
class Claim:
    """One sentence of the narrative.

    Attributes
    ----------
    parts : tuple of (str or Shown)
        Literal text and traced values, in reading order.
    time : float or None
        The moment the sentence is about (s): its first time value, if any.
    facet : str
        The analysis facet(s) it draws on (e.g. ``"climax"``), for grouping.
    """

    parts: tuple[str | Shown, ...]
    time: float | None = None
    facet: str = ""

    @property
    def text(self) -> str:
        """The sentence as plain text."""
        return "".join(p if isinstance(p, str) else p.text for p in self.parts)

    @property
    def values(self) -> tuple[Shown, ...]:
        """The traced values the sentence states."""
        return tuple(p for p in self.parts if isinstance(p, Shown))


@dataclass(frozen=True)
class Chapter:
    """A section of the narrative: a title and paragraphs of claims."""

    key: str
    title: str
    paragraphs: tuple[tuple[Claim, ...], ...] = field(default_factory=tuple)

    @property
    def claims(self) -> tuple[Claim, ...]:
        """All claims, in order."""
        return tuple(c for p in self.paragraphs for c in p)


def say(template: str, *, facet: str = "", **values: Shown | str) -> Claim:
    """Build a claim from a ``str.format``-style template.

    Parameters
    ----------
    template : str
        Text with ``{name}`` placeholders (no format specs; formatting is the
        job of :func:`shown`).
    facet : str
        Facet tag of the claim.
    **values : Shown or str
        A :class:`Shown` for every measured value; plain strings only for words
        that are not measurements (e.g. a joined list of already-shown names).

    Returns
    -------
    Claim
    """
    parts: list[str | Shown] = []
    for literal, name, spec, conv in Formatter().parse(template):
        if literal:
            parts.append(literal)
        if name is None:
            continue
        if spec or conv:
            raise ParameterError("say() placeholders take no format spec or conversion")
        if name not in values:
            raise ParameterError(f"say(): no value for placeholder {name!r}")
        parts.append(values[name])
    merged: list[str | Shown] = []
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + p
        else:
            merged.append(p)
    time = next((float(p.q.value) for p in merged if isinstance(p, Shown) and p.is_time), None)
    return Claim(parts=tuple(merged), time=time, facet=facet)


def cl(*parts: str | Shown, facet: str = "") -> Claim:
    """Build a claim directly from literal text and :class:`Shown` values."""
    merged: list[str | Shown] = []
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + p
        elif p != "":
            merged.append(p)
    time = next((float(p.q.value) for p in merged if isinstance(p, Shown) and p.is_time), None)
    return Claim(parts=tuple(merged), time=time, facet=facet)


def join_claims(claims: Sequence[Claim], sep: str = " ") -> Claim:
    """Concatenate claims into one (keeps the first claim's time and facet)."""
    parts: list[str | Shown] = []
    for i, c in enumerate(claims):
        if i:
            parts.append(sep)
        parts.extend(c.parts)
    first = claims[0] if claims else Claim(parts=())
    return Claim(parts=tuple(parts), time=first.time, facet=first.facet)


# --------------------------------------------------------------------- sequence helpers
def collapse_labels(labels: Iterable[str | None]) -> list[str]:
    """Drop missing and no-chord (``"N"``, ``"X"``) labels and merge immediate repeats."""
    out: list[str] = []
    for lab in labels:
        if lab is None or lab in ("N", "X", ""):
            continue
        if not out or out[-1] != lab:
            out.append(lab)
    return out


def count_seq(labels: Iterable[str | None], pattern: Sequence[str]) -> int:
    """Non-overlapping occurrences of ``pattern`` in :func:`collapse_labels` ``(labels)``."""
    seq = collapse_labels(labels)
    pat = list(pattern)
    n = len(pat)
    if n == 0:
        return 0
    i = count = 0
    while i + n <= len(seq):
        if seq[i:i + n] == pat:
            count += 1
            i += n
        else:
            i += 1
    return count


def step_share(pitches: Sequence[float]) -> float:
    """Share of consecutive note pairs at most a whole tone apart (repeats included).

    Pitches are rounded to the nearest semitone first. ``nan`` for fewer than two notes.
    """
    p = [int(math.floor(float(x) + 0.5)) for x in pitches if x is not None]
    if len(p) < 2:
        return math.nan
    steps = sum(1 for a, b in zip(p[:-1], p[1:], strict=True) if abs(b - a) <= 2)
    return steps / (len(p) - 1)


def _active_at(instruments: list[dict[str, Any]], t: float) -> int:
    return sum(1 for inst in instruments
               if any(a <= t < b for a, b in inst.get("active", [])))


def _mean(xs: Sequence[float]) -> float:
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs)


def after(text: str, sep: str) -> str:
    """The part of ``text`` after the first ``sep`` (all of it if ``sep`` is absent)."""
    head, found, tail = str(text).partition(sep)
    return tail if found else head


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len,
    "sum": lambda xs: sum(x for x in xs if x is not None),
    "min": lambda xs: min(x for x in xs if x is not None),
    "max": lambda xs: max(x for x in xs if x is not None),
    "abs": abs,
    "mean": _mean,
    "distinct": lambda xs: len({x for x in xs if x is not None and x not in ("N", "X")}),
    "count_seq": count_seq,
    "changes": lambda xs: len(collapse_labels(xs)),
    "count": lambda xs, value: sum(1 for x in xs if x == value),
    "step_share": lambda xs: step_share(xs),
    "active_at": _active_at,
    "after": after,
}
"""Functions allowed in expressions."""


# --------------------------------------------------------------------- evaluation
class _Each(list[Any]):
    """A list produced by ``[:]``: attribute access and indexing map over it."""


def _get(obj: Any, key: Any) -> Any:
    if isinstance(obj, _Each):
        return _Each(_get(o, key) for o in obj)
    if isinstance(key, str):
        if not isinstance(obj, dict) or key not in obj:
            raise ParameterError(f"no field {key!r} here")
        return obj[key]
    if isinstance(obj, list | tuple) and isinstance(key, int):
        return obj[key]
    raise ParameterError(f"cannot index {type(obj).__name__} with {key!r}")


def evaluate(expr: str, data: dict[str, Any]) -> Any:
    """Evaluate a source expression against an analysis JSON dict.

    Parameters
    ----------
    expr : str
        Expression (see the module Conventions).
    data : dict
        The parsed analysis JSON (or ``{"A": ..., "B": ...}`` for a comparison).

    Returns
    -------
    value : float, int, str or list

    Raises
    ------
    ParameterError
        Unsupported syntax or a path that does not exist in ``data``.
    """
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise ParameterError(f"bad expression {expr!r}: {exc.msg}") from None

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str):
            return node.value
        if isinstance(node, ast.List):
            return [ev(e) for e in node.elts]
        if isinstance(node, ast.Name):
            return _get(data, node.id)
        if isinstance(node, ast.Attribute):
            return _get(ev(node.value), node.attr)
        if isinstance(node, ast.Subscript):
            base = ev(node.value)
            sl = node.slice
            if isinstance(sl, ast.Slice):
                if sl.lower or sl.upper or sl.step:
                    raise ParameterError("only [:] slices are supported")
                if isinstance(base, _Each):
                    return _Each(_Each(b) for b in base)
                return _Each(base)
            return _get(base, ev(sl))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Div):
                return a / b
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in FUNCTIONS and not node.keywords):
            args = [ev(a) for a in node.args]
            args = [list(a) if isinstance(a, _Each) else a for a in args]
            return FUNCTIONS[node.func.id](*args)
        raise ParameterError(f"unsupported syntax in expression {expr!r}: {ast.dump(node)[:60]}")

    value = ev(tree)
    return list(value) if isinstance(value, _Each) else value
