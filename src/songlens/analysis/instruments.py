"""Instrument timeline: which instrument classes play when, who enters when, who leads.

Conventions
-----------
* Classes (``CLASSES``): piano, strings, acoustic guitar, electric guitar,
  bass, drums, vocals, brass, woodwinds, synth, organ.
* Evidence: the shipped musicnn MagnaTagATune tagger
  (:mod:`songlens.analysis.tagging`) on 3 s patches every
  ``InstrumentConfig.hop_seconds``, read two ways (the registered model
  ``instrument_heads`` holds both):

  - a logistic *head* per class on the tagger's internal features, fitted on
    labelled renders (``benchmarks/instruments``: General MIDI arrangements;
    calibration seeds and soundfonts disjoint from the evaluation ones, part
    of them rendered with a soundfont, an EQ and a gain drawn per instrument
    for timbre variety), with an on-threshold ``theta`` chosen there;
  - a *tag path* for the classes the tagger names itself (piano; strings,
    violin, cello; drums; synth; flute for woodwinds; the vocal tags), learned
    from real recordings (MagnaTagATune): it fires when the largest of those
    tag probabilities reaches ``tau`` = max(0.5, the 99th percentile of that
    probability on calibration patches without the class). It keeps real
    singing detectable although the renders' "voices" are GM choir vowels.

  The activity score of a class is ``max(head / theta, tags / tau) / 2``, so
  it crosses 0.5 when either source reaches its threshold.
* A class whose head did not separate presence from absence on held-out
  calibration pieces and that has no tag path is listed in ``not_detected``
  and never reported active (nothing is guessed for it).
* Silence gate: patches more than ``silence_db`` below the loudest patch, or
  below -70 dBFS, have no instrument.
* Smoothing: a median over ``smooth_patches`` patches, then a double
  threshold symmetric in time (a run of patches scoring at least ``0.5 -
  hysteresis`` is active when one of them reaches 0.5), then gaps shorter
  than ``max_gap_seconds`` are bridged and runs shorter than
  ``min_active_seconds`` dropped. Patch ``i`` stands for
  the time between the midpoints to its neighbours' centres (the first from
  0 s, the last to the end).
* ``first_entry`` of a class = start of its first interval (s).
* Lead: in each section (or each ``lead_window_seconds`` window when no
  sections are given), among the melodic classes (not drums or bass) active
  over at least half of it, the one with the highest mean *lead score*
  (patches weighted by their overlap with the section); ``None`` when no
  melodic class is active. Lead scores come from a second set of logistic
  heads on the same features, fitted on the renders' designed lead lines (the
  melody instrument, louder than the accompaniment); without them, the
  activity scores are used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config import InstrumentConfig
from ..errors import ModelLoadingError, ParameterError
from ..result.model import Instrument, LeadInstrument
from .tagging import TagActivations

__all__ = ["CLASSES", "MELODIC", "InstrumentHeads", "InstrumentTimeline", "load_heads",
           "instrument_scores", "instrument_timeline", "detect_instruments", "describe"]

CLASSES = ("piano", "strings", "acoustic guitar", "electric guitar", "bass", "drums",
           "vocals", "brass", "woodwinds", "synth", "organ")
MELODIC = ("piano", "strings", "acoustic guitar", "electric guitar", "vocals", "brass",
           "woodwinds", "synth", "organ")
SILENCE_FLOOR_DBFS = -70.0

_FEATURES = ("mtt_logit", "mtt_penultimate", "mtt_pooled", "msd_logit", "msd_penultimate",
             "msd_pooled")


@dataclass(frozen=True)
class InstrumentHeads:
    """Logistic heads mapping tagger outputs to class activity scores.

    ``score = sigmoid(((x - mean) / std) @ weights + bias)`` where ``x`` is the
    concatenation of ``features`` for one patch.
    """

    classes: tuple[str, ...]
    features: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    thresholds: np.ndarray
    detectable: np.ndarray
    header: dict[str, Any]
    name: str = "instrument_heads"
    tag_paths: dict[str, tuple[tuple[str, ...], float]] = field(default_factory=dict)
    """class -> (MTT tags, tau)."""
    lead_weights: np.ndarray | None = None
    """[shape=(n_features, len(MELODIC))] lead heads (same standardisation)."""
    lead_bias: np.ndarray | None = None

    @property
    def models(self) -> tuple[str, ...]:
        """Tagger models the heads and tag paths need (``"musicnn_mtt"``, ``"musicnn_msd"``)."""
        names = {f"musicnn_{f.split('_')[0]}" for f in self.features}
        return tuple(sorted(names | ({"musicnn_mtt"} if self.tag_paths else set())))

    @property
    def needs_pooled(self) -> bool:
        return any(f.endswith("_pooled") for f in self.features)


def load_heads(name: str = "instrument_heads") -> InstrumentHeads:
    """Load and verify the registered instrument heads.

    Raises
    ------
    ModelLoadingError
        Missing file, checksum mismatch or malformed contents.
    """
    from ..models.registry import model_path

    path = model_path(name)
    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            arrays = {k: z[k] for k in z.files if k != "header"}
        heads = InstrumentHeads(
            classes=tuple(header["classes"]), features=tuple(header["features"]),
            mean=arrays["mean"].astype(np.float32), std=arrays["std"].astype(np.float32),
            weights=arrays["weights"].astype(np.float32), bias=arrays["bias"].astype(np.float32),
            thresholds=np.asarray(header["thresholds"], dtype=np.float64),
            detectable=np.asarray(header["detectable"], dtype=bool), header=header, name=name,
            tag_paths={c: (tuple(v["tags"]), float(v["threshold"]))
                       for c, v in header.get("tag_paths", {}).items()},
            lead_weights=arrays["lead_weights"].astype(np.float32)
            if "lead_weights" in arrays else None,
            lead_bias=arrays["lead_bias"].astype(np.float32) if "lead_bias" in arrays else None)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelLoadingError(f"cannot read instrument heads {str(path)!r}: {exc}") from exc
    k = len(heads.classes)
    if (heads.weights.shape != (heads.mean.size, k) or heads.bias.shape != (k,)
            or heads.thresholds.shape != (k,) or not set(heads.features) <= set(_FEATURES)
            or not set(heads.tag_paths) <= set(heads.classes)
            or (heads.lead_weights is not None
                and heads.lead_weights.shape != (heads.mean.size, len(MELODIC)))):
        raise ModelLoadingError(f"instrument heads {str(path)!r} are inconsistent")
    return heads


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p.astype(np.float64), 1e-5, 1 - 1e-5)
    return np.log(p / (1 - p))


def _feature(name: str, acts: dict[str, TagActivations]) -> np.ndarray:
    model, kind = name.split("_", 1)
    a = acts.get(f"musicnn_{model}")
    if a is None:
        raise ParameterError(f"the instrument heads need the musicnn_{model} activations")
    if kind == "logit":
        return _logit(a.probs)
    if kind == "penultimate":
        return a.penultimate.astype(np.float64)
    if a.pooled is None:
        raise ParameterError(f"the instrument heads need musicnn_{model}'s pooled features: "
                             "tag with pooled=True")
    return a.pooled.astype(np.float64)


def instrument_scores(acts: dict[str, TagActivations], heads: InstrumentHeads) -> np.ndarray:
    """Activity score of every class in every patch (0.5 = on-threshold).

    Parameters
    ----------
    acts : dict
        Model name -> :class:`TagActivations` on the same patches (the models
        ``heads.models``; ``musicnn_mtt`` too when there are tag paths).
    heads : InstrumentHeads

    Returns
    -------
    scores : np.ndarray [shape=(n_patches, n_classes)]
        ``max(head / theta, tags / tau) / 2`` (see the module Conventions);
        0 for classes that are not detectable.
    """
    models = heads.models
    missing = [m for m in models if m not in acts]
    if missing:
        raise ParameterError(f"the instrument heads need the {', '.join(missing)} activations")
    first = acts[models[0]]
    for a in acts.values():
        if a.times.shape != first.times.shape or not np.allclose(a.times, first.times):
            raise ParameterError("all activations must be computed on the same patches")
    x = np.concatenate([_feature(f, acts) for f in heads.features], axis=1)
    z = ((x - heads.mean) / heads.std) @ heads.weights + heads.bias
    head = 1.0 / (1.0 + np.exp(-z))
    scores = head / heads.thresholds
    for c, (tags, tau) in heads.tag_paths.items():
        mtt = acts["musicnn_mtt"]
        idx = [mtt.tags.index(t) for t in tags]
        j = heads.classes.index(c)
        scores[:, j] = np.maximum(scores[:, j], mtt.probs[:, idx].max(axis=1) / tau)
    scores = np.minimum(scores / 2, 1.0)
    detectable = heads.detectable | np.array([c in heads.tag_paths for c in heads.classes])
    scores[:, ~detectable] = 0.0
    return scores


def lead_scores(acts: dict[str, TagActivations], heads: InstrumentHeads) -> np.ndarray | None:
    """Lead score of every melodic class in every patch, or None without lead heads.

    Returns
    -------
    scores : np.ndarray [shape=(n_patches, len(MELODIC))] or None
    """
    if heads.lead_weights is None or heads.lead_bias is None:
        return None
    x = np.concatenate([_feature(f, acts) for f in heads.features], axis=1)
    z = ((x - heads.mean) / heads.std) @ heads.lead_weights + heads.lead_bias
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class InstrumentTimeline:
    """Which classes play when.

    Attributes
    ----------
    classes : tuple of str
    times : np.ndarray [shape=(n_patches, 2)]
        Patch start and end (s).
    scores : np.ndarray [shape=(n_patches, n_classes)]
        Activity scores after the silence gate and smoothing.
    active : np.ndarray [shape=(n_patches, n_classes), dtype=bool]
        After hysteresis (before the gap and duration rules).
    instruments : list of Instrument
        Classes heard at least once: intervals and first entry, by entry time.
    lead : list of LeadInstrument
    not_detected : tuple of str
        Classes the models cannot detect (never reported).
    models : tuple of str
        Registry names of the models used.
    """

    classes: tuple[str, ...]
    times: np.ndarray
    scores: np.ndarray
    active: np.ndarray
    instruments: list[Instrument] = field(default_factory=list)
    lead: list[LeadInstrument] = field(default_factory=list)
    not_detected: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    tags: dict[str, float] = field(default_factory=dict)
    """Mean probability of every tag of every model run (sounding patches only)."""


def _cells(times: np.ndarray, duration: float) -> np.ndarray:
    """Time span each patch stands for: (n, 2)."""
    c = times.mean(axis=1)
    mid = (c[1:] + c[:-1]) / 2
    return np.stack([np.concatenate([[0.0], mid]), np.concatenate([mid, [duration]])], axis=1)


def _hysteresis(s: np.ndarray, on: float, off: float) -> np.ndarray:
    """Double threshold, symmetric in time: a run of patches >= ``off`` is active
    when it holds a patch >= ``on`` (so an entry is not delayed to the first
    strong patch, nor an exit to the first weak one)."""
    weak = s >= off
    out = np.zeros(s.size, dtype=bool)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], weak.astype(np.int8), [0]])))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if np.any(s[a:b] >= on):
            out[a:b] = True
    return out


def _intervals(mask: np.ndarray, cells: np.ndarray, *, max_gap: float,
               min_len: float) -> list[tuple[float, float]]:
    runs: list[list[float]] = []
    for i in np.flatnonzero(mask):
        a, b = float(cells[i, 0]), float(cells[i, 1])
        if runs and a - runs[-1][1] <= max_gap + 1e-9:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    return [(a, b) for a, b in runs if b - a >= min_len - 1e-9]


def _median3(x: np.ndarray, k: int) -> np.ndarray:
    if k <= 1 or x.shape[0] < k:
        return x
    pad = k // 2
    xp = np.pad(x, ((pad, pad), (0, 0)), mode="edge")
    win = np.lib.stride_tricks.sliding_window_view(xp, k, axis=0)
    return np.median(win, axis=-1)


def instrument_timeline(acts: dict[str, TagActivations], *,
                        sections: list[tuple[float, float, str]] | None = None,
                        config: InstrumentConfig | None = None,
                        heads: InstrumentHeads | None = None) -> InstrumentTimeline:
    """Turn tagger activations into an instrument timeline.

    Parameters
    ----------
    acts : dict
        Model name -> :class:`TagActivations` (the models ``heads.models``, on
        the same patches, with ``pooled`` features when the heads use them).
    sections : list of (start, end, label), optional
        Sections (s) for the lead instrument; default: fixed windows.
    config : InstrumentConfig, optional
    heads : InstrumentHeads, optional
        Default: the registered ``instrument_heads``.

    Returns
    -------
    InstrumentTimeline

    Raises
    ------
    ParameterError
        Missing or inconsistent activations.
    ModelLoadingError
        The heads cannot be loaded.
    """
    config = config or InstrumentConfig()
    heads = heads or load_heads()
    if not acts:
        raise ParameterError("no activations given")
    first = acts.get("musicnn_mtt") or next(iter(acts.values()))
    times = first.times
    duration = max(first.duration, float(times[-1, 1]))
    scores = instrument_scores(acts, heads)
    level = first.level_db
    if np.all(np.isnan(level)):
        gate = np.zeros(len(times), dtype=bool)
    else:
        loud = float(np.nanmax(np.where(np.isfinite(level), level, -np.inf)))
        gate = ~(level > max(SILENCE_FLOOR_DBFS, loud - config.silence_db))
    scores = _median3(scores, config.smooth_patches)
    scores[gate] = 0.0
    cells = _cells(times, duration)
    active = np.zeros(scores.shape, dtype=bool)
    instruments: list[Instrument] = []
    detectable = heads.detectable | np.array([c in heads.tag_paths for c in heads.classes])
    for j, name in enumerate(heads.classes):
        if not detectable[j]:
            continue
        active[:, j] = _hysteresis(scores[:, j], 0.5, 0.5 - config.hysteresis)
        iv = _intervals(active[:, j], cells, max_gap=config.max_gap_seconds,
                        min_len=config.min_active_seconds)
        if iv:
            instruments.append(Instrument(name=name, active=iv, first_entry=iv[0][0]))
    instruments.sort(key=lambda i: (i.first_entry or 0.0, heads.classes.index(i.name)))
    windows = sections if sections else [
        (a, min(duration, a + config.lead_window_seconds), "")
        for a in np.arange(0.0, duration, config.lead_window_seconds)]
    lead_s = lead_scores(acts, heads)
    if lead_s is None:
        lead_s, lead_classes = scores, heads.classes
    else:
        lead_s, lead_classes = _median3(lead_s, config.smooth_patches), MELODIC
    lead = _lead(windows, instruments, lead_s, cells, lead_classes)
    return InstrumentTimeline(classes=heads.classes, times=times, scores=scores, active=active,
                              instruments=instruments, lead=lead,
                              not_detected=tuple(c for c, d in zip(heads.classes, detectable,
                                                                   strict=True) if not d),
                              models=heads.models + (heads.name,))


def _coverage(iv: list[tuple[float, float]], a: float, b: float) -> float:
    return sum(max(0.0, min(b, y) - max(a, x)) for x, y in iv) / max(b - a, 1e-9)


def _lead(windows: list[tuple[float, float, str]], instruments: list[Instrument],
          scores: np.ndarray, cells: np.ndarray, classes: tuple[str, ...]
          ) -> list[LeadInstrument]:
    out = []
    for a, b, label in windows:
        a, b = float(a), float(b)
        if b <= a:
            continue
        weight = np.clip(np.minimum(cells[:, 1], b) - np.maximum(cells[:, 0], a), 0, None)
        best, best_score = None, -1.0
        for inst in instruments:
            if inst.name not in MELODIC or _coverage(inst.active, a, b) < 0.5:
                continue
            col = scores[:, classes.index(inst.name)]
            s = float((col * weight).sum() / weight.sum()) if weight.sum() > 0 else 0.0
            if s > best_score:
                best, best_score = inst.name, s
        out.append(LeadInstrument(start=a, end=b, name=best, section=label or None))
    return out


GLOBAL_TAG_PATCHES = 24
"""Most patches a tagger run only for a whole-track reading (``also_tag``) uses;
they are spread evenly over the track (hop >= 3 s)."""


def tag_activations(y: np.ndarray, *, sr: int, config: InstrumentConfig | None = None,
                    also_tag: tuple[str, ...] = ()) -> dict[str, TagActivations]:
    """The tagger activations the instrument timeline needs (the expensive part).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio, full scale 1.
    sr : int > 0
        Sample rate (Hz); resampled explicitly to 16 kHz with soxr HQ.
    config : InstrumentConfig, optional
    also_tag : tuple of str
        Further tagger models to run on the same spectrogram for a whole-track
        reading only (e.g. ``("musicnn_msd",)`` for its mood/genre tags), on at
        most ``GLOBAL_TAG_PATCHES`` evenly spread patches.

    Returns
    -------
    dict
        Registry name -> :class:`~songlens.analysis.tagging.TagActivations`.
    """
    from ..models.musicnn import SAMPLE_RATE, log_mel
    from .tagging import _check_audio, tag_log_mel, to_tagger_rate

    config = config or InstrumentConfig()
    heads = load_heads()
    y = _check_audio(y, sr)
    y16 = to_tagger_rate(y, sr=int(sr))
    S = log_mel(y16, sr=SAMPLE_RATE)
    acts = {}
    for model in heads.models:
        a = tag_log_mel(S, model=model, y16=y16, hop_s=config.hop_seconds,
                        pooled=heads.needs_pooled)
        a.resampled_from = None if sr == SAMPLE_RATE else int(sr)
        acts[model] = a
    duration = y16.size / SAMPLE_RATE
    for model in also_tag:
        if model not in acts:
            hop = max(3.0, duration / GLOBAL_TAG_PATCHES)
            acts[model] = tag_log_mel(S, model=model, y16=y16, hop_s=hop)
    return acts


def detect_instruments(y: np.ndarray, *, sr: int,
                       sections: list[tuple[float, float, str]] | None = None,
                       config: InstrumentConfig | None = None,
                       also_tag: tuple[str, ...] = (),
                       acts: dict[str, TagActivations] | None = None) -> InstrumentTimeline:
    """Tag mono audio and build its instrument timeline (see :func:`instrument_timeline`).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio, full scale 1 (unused when ``acts`` is given).
    sr : int > 0
        Sample rate (Hz); resampled explicitly to 16 kHz with soxr HQ.
    sections : list of (start, end, label), optional
    config : InstrumentConfig, optional
    also_tag : tuple of str
        See :func:`tag_activations`; their mean tag probabilities land in
        ``InstrumentTimeline.tags`` with those of the instrument tagger.
    acts : dict, optional
        Precomputed :func:`tag_activations` (e.g. from a worker thread).

    Returns
    -------
    InstrumentTimeline
    """
    config = config or InstrumentConfig()
    heads = load_heads()
    if acts is None:
        acts = tag_activations(y, sr=sr, config=config, also_tag=also_tag)
    timeline = instrument_timeline({m: acts[m] for m in heads.models}, sections=sections,
                                   config=config, heads=heads)
    timeline.tags = mean_tags(list(acts.values()), silence_db=config.silence_db)
    timeline.models = tuple(dict.fromkeys((*timeline.models, *acts)))
    return timeline


def mean_tags(acts: list[TagActivations], *, silence_db: float = 50.0) -> dict[str, float]:
    """Mean tag probabilities over the sounding patches of one or more models.

    Parameters
    ----------
    acts : list of TagActivations
    silence_db : float > 0
        Patches more than this far below the loudest patch are left out (dB).

    Returns
    -------
    dict
        ``tag -> mean probability`` (first model wins when two share a tag).
    """
    out: dict[str, float] = {}
    for a in acts:
        level = np.asarray(a.level_db, dtype=np.float64)
        keep = np.isfinite(level) & (level >= np.nanmax(level) - silence_db) \
            if np.isfinite(level).any() else np.ones(level.size, dtype=bool)
        if not keep.any():
            continue
        mean = a.probs[keep].mean(axis=0)
        for tag, p in zip(a.tags, mean, strict=True):
            out.setdefault(tag, float(p))
    return out


def _clock(t: float) -> str:
    m, s = divmod(int(round(t)), 60)
    return f"{m}:{s:02d}"


def describe(timeline: InstrumentTimeline) -> list[str]:
    """Plain sentences about entries: "piano alone until 0:42", "strings enter at 0:42"."""
    insts = sorted(timeline.instruments, key=lambda i: i.first_entry or 0.0)
    if not insts:
        return []
    lines = []
    first = insts[0]
    others = [i for i in insts[1:]]
    if others and (others[0].first_entry or 0.0) - (first.first_entry or 0.0) >= 3.0:
        lines.append(f"{first.name} alone until {_clock(others[0].first_entry or 0.0)}")
    else:
        lines.append(f"{first.name} from {_clock(first.first_entry or 0.0)}")
    for inst in others:
        verb = "enter" if inst.name in ("strings", "drums", "vocals", "brass",
                                        "woodwinds") else "enters"
        lines.append(f"{inst.name} {verb} at {_clock(inst.first_entry or 0.0)}")
    return lines
