"""JSON (de)serialisation of :class:`AnalysisResult`, versioned.

Conventions
-----------
* ``"schema": "songlens.analysis/1"``; the songlens version and the analysis
  settings are stamped under ``"songlens"``.
* Strict JSON: no NaN or Infinity (a non-finite number becomes ``null``).
* Facets that were not computed are absent.
* Files are written atomically (temporary file + rename), so a crash never
  leaves a half-written result behind.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from ..errors import ResultFormatError
from .migrations import CURRENT_VERSION, SCHEMA_PREFIX, migrate
from .model import (
    AnalysisResult,
    Buildup,
    Cadence,
    Chord,
    Climax,
    Descriptors,
    Emotion,
    Harmony,
    Instrument,
    Key,
    KeySegment,
    LeadInstrument,
    Loudness,
    Melody,
    Mood,
    Note,
    Production,
    Progression,
    Section,
    Silence,
    Tempo,
    Track,
)

__all__ = ["SCHEMA", "result_to_dict", "result_from_dict", "dump_json", "load_json"]

SCHEMA = f"{SCHEMA_PREFIX}{CURRENT_VERSION}"

_FACETS = ("tempo", "key", "chords", "harmony", "melody", "instruments", "lead_instruments",
           "loudness", "buildups", "climax", "silences", "sections", "emotion", "production",
           "descriptors")


def _clean(value: Any, ndigits: int = 4) -> Any:
    """Plain JSON types; floats rounded; non-finite numbers become None."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return round(value, ndigits)
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        return _clean(value.item(), ndigits)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _clean(getattr(value, f.name), ndigits)
                for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _clean(v, ndigits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v, ndigits) for v in value]
    if hasattr(value, "tolist"):
        return _clean(value.tolist(), ndigits)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def result_to_dict(result: AnalysisResult) -> dict[str, Any]:
    """The result as a JSON-ready dict in schema order."""
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "songlens": {"version": result.version, "settings": _clean(result.settings)},
        "track": _clean(result.track),
    }
    for name in _FACETS:
        value = getattr(result, name)
        if value is not None:
            out[name] = _clean(value)
    out["warnings"] = list(result.warnings)
    return out


def _req(d: dict[str, Any], key: str, where: str) -> Any:
    if not isinstance(d, dict) or key not in d:
        raise ResultFormatError(f"analysis JSON lacks '{where}.{key}'")
    return d[key]


def result_from_dict(data: dict[str, Any]) -> AnalysisResult:
    """Rebuild an :class:`AnalysisResult` from its dict (migrating old schemas)."""
    if not isinstance(data, dict):
        raise ResultFormatError("analysis JSON must be an object")
    data = migrate(data)
    t = _req(data, "track", "")
    try:
        track = Track(path=t["path"], duration=float(t["duration"]),
                      sample_rate=int(t["sample_rate"]), channels=int(t["channels"]),
                      title=t.get("title"), artist=t.get("artist"))
        meta = data.get("songlens", {})
        r = AnalysisResult(track=track, settings=meta.get("settings", {}),
                           version=meta.get("version", ""),
                           warnings=list(data.get("warnings", [])))
        if "tempo" in data:
            d = data["tempo"]
            r.tempo = Tempo(bpm=d["bpm"], beats=d.get("beats", []),
                            downbeats=d.get("downbeats", []),
                            curve=[tuple(p) for p in d.get("curve", [])],
                            meter=d.get("meter"), confidence=d.get("confidence"))
        if "key" in data:
            d = data["key"]
            r.key = Key(label=d["label"], tonic=d["tonic"], mode=d["mode"],
                        confidence=d["confidence"],
                        segments=[KeySegment(**s) for s in d.get("segments", [])],
                        tuning_hz=d.get("tuning_hz"), mode_confidence=d.get("mode_confidence"))
        if "chords" in data:
            r.chords = [Chord(**c) for c in data["chords"]]
        if "harmony" in data:
            d = data["harmony"]
            prog = d.get("progression")
            r.harmony = Harmony(cadences=[Cadence(**c) for c in d.get("cadences", [])],
                                tension=[tuple(p) for p in d.get("tension", [])],
                                progression=Progression(**prog) if prog else None)
        if "melody" in data:
            r.melody = Melody(notes=[Note(**n) for n in data["melody"].get("notes", [])],
                              figures=dict(data["melody"].get("figures", {})))
        if "instruments" in data:
            r.instruments = [Instrument(name=i["name"], active=[tuple(a) for a in i["active"]],
                                        first_entry=i.get("first_entry"))
                             for i in data["instruments"]]
        if "lead_instruments" in data:
            r.lead_instruments = [LeadInstrument(**d) for d in data["lead_instruments"]]
        if "loudness" in data:
            d = data["loudness"]
            r.loudness = Loudness(integrated_lufs=d.get("integrated_lufs"),
                                  range_lu=d.get("range_lu"),
                                  true_peak_dbtp=d.get("true_peak_dbtp"),
                                  curve=[tuple(p) for p in d.get("curve", [])])
        if "buildups" in data:
            r.buildups = [Buildup(**b) for b in data["buildups"]]
        if "climax" in data:
            r.climax = Climax(**data["climax"])
        if "silences" in data:
            r.silences = [Silence(**s) for s in data["silences"]]
        if "sections" in data:
            r.sections = [Section(**s) for s in data["sections"]]
        if "emotion" in data:
            d = data["emotion"]
            r.emotion = Emotion(valence=d["valence"], arousal=d["arousal"],
                                moods=[Mood(**m) for m in d.get("moods", [])],
                                curve=[tuple(p) for p in d.get("curve", [])],
                                reasons=list(d.get("reasons", [])),
                                cues=dict(d.get("cues", {})))
        if "production" in data:
            r.production = Production(**data["production"])
        if "descriptors" in data:
            r.descriptors = Descriptors(**data["descriptors"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ResultFormatError(f"analysis JSON is malformed: {exc}") from None
    return r


def dump_json(result: AnalysisResult, path: str | os.PathLike[str] | None = None, *,
              indent: int | None = None) -> str:
    """Serialise to strict JSON; write atomically to ``path`` when given.

    Returns
    -------
    text : str
        The JSON text.
    """
    text = json.dumps(result_to_dict(result), indent=indent, allow_nan=False,
                      ensure_ascii=False)
    if path is not None:
        atomic_write_text(Path(path), text + "\n")
    return text


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and rename (crash-safe)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600 files; give the result the usual umask-based mode
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load_json(path: str | os.PathLike[str]) -> AnalysisResult:
    """Read an analysis JSON file written by :func:`dump_json`."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise ResultFormatError(f"no such analysis file: {str(path)!r}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultFormatError(f"{str(path)!r} is not valid JSON: {exc}") from None
    return result_from_dict(data)
