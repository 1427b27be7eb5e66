"""Shared fixtures: seeded RNG, rendered ground-truth pieces, file writers."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261126)


def _have_fluidsynth() -> bool:
    from songlens.testing.render import find_soundfont

    try:
        find_soundfont()
    except FileNotFoundError:
        return False
    return shutil.which("fluidsynth") is not None


requires_fluidsynth = pytest.mark.skipif(
    not _have_fluidsynth(),
    reason="needs fluidsynth + fluid-soundfont-gm (make setup installs them)",
)

# Rendered pieces: (name, kwargs of compose_arc_piece). Varied tempo, key, mode,
# section lengths, rest lengths and noise floors.
PIECES = {
    "minor_ballad": dict(seed=1, bpm=72.0, tonic=9, mode="minor", intro_s=14, build_s=26,
                         fall_s=12, gap_s=2.0, outro_s=10, lead_in_s=1.5, tail_s=2.0,
                         noise_dbfs=-80.0),
    "major_pop": dict(seed=2, bpm=118.0, tonic=2, mode="major", intro_s=18, build_s=18,
                      fall_s=10, gap_s=1.3, outro_s=12, lead_in_s=0.0, tail_s=1.2,
                      noise_dbfs=-75.0),
    "slow_build": dict(seed=3, bpm=96.0, tonic=5, mode="minor", intro_s=10, build_s=40,
                       fall_s=14, gap_s=3.0, outro_s=8, lead_in_s=2.5, tail_s=3.0,
                       noise_dbfs=-90.0),
}


@pytest.fixture(scope="session")
def rendered():
    """Render (once per session) the ground-truth pieces: name -> (y, sr, truth)."""
    if not _have_fluidsynth():
        pytest.skip("needs fluidsynth + fluid-soundfont-gm")
    from songlens.testing.render import compose_arc_piece

    cache: dict[str, tuple[np.ndarray, int, object]] = {}

    def get(name: str):
        if name not in cache:
            kw = dict(PIECES[name])
            seed = kw.pop("seed")
            y, truth = compose_arc_piece(seed, sr=44100, **kw)
            cache[name] = (y, 44100, truth)
        return cache[name]

    return get


@pytest.fixture
def fast_profile(monkeypatch):
    """Analyses without an explicit config run the DSP-only ``fast`` profile.

    Used by the modules that test DSP facets (loudness, dynamics, silences, production,
    rhythm, chords, sections), so they do not pay for the models; the default ``full``
    profile is exercised by test_full_profile, test_instruments, test_io, test_cli and
    test_report.
    """
    from songlens import pipeline
    from songlens.config import AnalysisConfig

    original = pipeline._check_config

    def check(config):  # type: ignore[no-untyped-def]
        return AnalysisConfig(profile="fast") if config is None else original(config)

    monkeypatch.setattr(pipeline, "_check_config", check)
