"""Analysis settings as frozen dataclasses.

Conventions
-----------
Every parameter's default and valid range is declared once, in the field's
metadata (``range``), and checked in ``__post_init__``. Building a config from a
mapping rejects unknown keys, so a typo is an error rather than a silently
ignored setting. Times are in seconds, rates in Hz, levels in dB.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .errors import ParameterError

__all__ = [
    "PROFILES",
    "SignalConfig",
    "SilenceConfig",
    "DynamicsConfig",
    "InstrumentConfig",
    "ModelConfig",
    "AnalysisConfig",
]

PROFILES = ("fast", "full")
"""Analysis profiles. ``fast`` runs the DSP analysers only (emotion and descriptors
from DSP cues); ``full`` (the default) adds the learned models: the musicnn
taggers (instrument timeline; their tags also inform emotion and descriptors)
and Basic Pitch note transcription with the melody (needs the ``ml`` extra,
onnxruntime; without it the melody is skipped with a warning)."""

T = TypeVar("T")


def _param(default: Any, lo: float | None = None, hi: float | None = None, doc: str = "") -> Any:
    return field(default=default, metadata={"range": (lo, hi), "doc": doc})


def _check_ranges(obj: Any) -> None:
    for f in dataclasses.fields(obj):
        lo, hi = f.metadata.get("range", (None, None))
        value = getattr(obj, f.name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if value != value:  # NaN
            raise ParameterError(f"{type(obj).__name__}.{f.name} must be a number, got NaN")
        if lo is not None and value < lo:
            raise ParameterError(f"{type(obj).__name__}.{f.name} must be >= {lo}, got {value}")
        if hi is not None and value > hi:
            raise ParameterError(f"{type(obj).__name__}.{f.name} must be <= {hi}, got {value}")


def _from_mapping(cls: type[T], data: Mapping[str, Any] | None) -> T:
    data = dict(data or {})
    names = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ParameterError(
            f"unknown {cls.__name__} setting(s) {unknown}; valid settings: {sorted(names)}"
        )
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        default = names[key].default
        sub = _SUBCONFIGS.get((cls.__name__, key))
        if sub is not None:
            kwargs[key] = _from_mapping(sub, value)
        elif isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            kwargs[key] = float(value)
        else:
            kwargs[key] = value
    return cls(**kwargs)


@dataclass(frozen=True)
class SignalConfig:
    """Shared signal representation: one analysis rate, one STFT grid."""

    sample_rate: int = _param(22050, 8000, 96000, "analysis sample rate of the mono signal (Hz)")
    n_fft: int = _param(2048, 256, 16384, "STFT window length (samples at sample_rate)")
    hop_length: int = _param(512, 64, 8192, "STFT hop (samples at sample_rate)")
    block_seconds: float = _param(10.0, 0.5, 120.0, "decoding block length (s)")
    keep_audio_max_seconds: float = _param(
        1800.0, 0.0, 1e6, "keep the mono analysis signal in memory for tracks up to this long (s)"
    )

    def __post_init__(self) -> None:
        _check_ranges(self)
        if self.hop_length > self.n_fft:
            raise ParameterError("SignalConfig.hop_length must not exceed n_fft")

    @property
    def frame_rate(self) -> float:
        """STFT frames per second."""
        return self.sample_rate / self.hop_length


@dataclass(frozen=True)
class SilenceConfig:
    """Where music counts as silent."""

    min_duration: float = _param(1.0, 0.05, 60.0, "shortest silence reported (s)")
    relative_db: float = _param(
        45.0, 10.0, 120.0, "silent when this far below the track's loud level (dB)"
    )
    ceiling_dbfs: float = _param(-45.0, -120.0, 0.0, "never silent above this level (dBFS)")
    floor_dbfs: float = _param(-90.0, -200.0, 0.0, "always silent below this level (dBFS)")

    def __post_init__(self) -> None:
        _check_ranges(self)


@dataclass(frozen=True)
class DynamicsConfig:
    """Intensity arc, build-ups and climax."""

    smooth_seconds: float = _param(3.0, 0.5, 30.0, "smoothing of the intensity curve (s)")
    min_buildup_seconds: float = _param(4.0, 1.0, 120.0, "shortest build-up reported (s)")
    min_rise_db: float = _param(4.0, 0.5, 60.0, "smallest loudness rise of a build-up (dB)")
    density_weight_db: float = _param(
        3.0, 0.0, 12.0, "intensity added per doubling of event density (dB)"
    )
    climax_window_seconds: float = _param(
        8.0, 1.0, 60.0, "window of the broad intensity arc used to find the climax (s)"
    )

    def __post_init__(self) -> None:
        _check_ranges(self)


@dataclass(frozen=True)
class InstrumentConfig:
    """Instrument timeline (profile ``full``); see :mod:`songlens.analysis.instruments`."""

    hop_seconds: float = _param(3.0, 0.5, 3.0, "time between the taggers' 3 s patches (s); "
                                "3.0 = back to back")
    smooth_patches: int = _param(3, 1, 9, "median smoothing of the scores (patches)")
    hysteresis: float = _param(0.15, 0.0, 0.5, "a run of patches scoring >= 0.5 - hysteresis "
                               "is active when one of them reaches 0.5 (both directions in "
                               "time)")
    max_gap_seconds: float = _param(4.0, 0.0, 30.0, "gaps this short are bridged (s)")
    min_active_seconds: float = _param(4.5, 0.0, 60.0, "shorter activity is dropped (s)")
    silence_db: float = _param(50.0, 10.0, 120.0, "patches this far below the loudest have "
                               "no instrument (dB)")
    lead_window_seconds: float = _param(10.0, 2.0, 120.0, "lead-instrument window when there "
                                        "are no sections (s)")

    def __post_init__(self) -> None:
        _check_ranges(self)


@dataclass(frozen=True)
class ModelConfig:
    """How the model-based analysers of the ``full`` profile run."""

    threads: int = _param(0, 0, 64, "concurrent model calls (0 = min(2, CPU cores))")

    def __post_init__(self) -> None:
        _check_ranges(self)

    def resolved_threads(self) -> int:
        """Threads to use: ``threads``, or min(2, cores) when 0."""
        import os

        return self.threads or max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class AnalysisConfig:
    """All analysis settings; stamped into every result."""

    profile: str = "full"
    signal: SignalConfig = field(default_factory=SignalConfig)
    silence: SilenceConfig = field(default_factory=SilenceConfig)
    dynamics: DynamicsConfig = field(default_factory=DynamicsConfig)
    instruments: InstrumentConfig = field(default_factory=InstrumentConfig)
    models: ModelConfig = field(default_factory=ModelConfig)

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ParameterError(f"unknown profile {self.profile!r}; choose one of {PROFILES}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> AnalysisConfig:
        """Build a config from a (nested) mapping; unknown keys raise ParameterError."""
        return _from_mapping(cls, data)

    def to_dict(self) -> dict[str, Any]:
        """The settings as a plain nested dict (for JSON)."""
        return dataclasses.asdict(self)


_SUBCONFIGS: dict[tuple[str, str], type] = {
    ("AnalysisConfig", "signal"): SignalConfig,
    ("AnalysisConfig", "silence"): SilenceConfig,
    ("AnalysisConfig", "dynamics"): DynamicsConfig,
    ("AnalysisConfig", "instruments"): InstrumentConfig,
    ("AnalysisConfig", "models"): ModelConfig,
}
