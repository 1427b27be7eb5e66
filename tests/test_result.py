"""Result model, strict versioned JSON, migrations and settings validation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import songlens
from songlens.config import AnalysisConfig
from songlens.errors import ParameterError, ResultFormatError
from songlens.pipeline import analyze_signal
from songlens.result import SCHEMA, load_json, result_from_dict, result_to_dict
from songlens.result.model import Buildup, Loudness
from songlens.testing.signals import sine


@pytest.fixture
def result():
    return analyze_signal(sine(440, 3, sr=22050, dbfs=-12), sr=22050)


def test_round_trip(result, tmp_path):
    p = tmp_path / "r.json"
    songlens.dump_json(result, p)
    back = load_json(p)
    assert result_to_dict(back) == result_to_dict(result)
    assert back.loudness.integrated_lufs == pytest.approx(result.loudness.integrated_lufs,
                                                          abs=1e-4)


def test_non_finite_numbers_never_reach_json(result):
    result.loudness = Loudness(integrated_lufs=-math.inf, range_lu=math.nan, true_peak_dbtp=None,
                               curve=[(0.05, -math.inf), (0.15, np.float64(-20.0))])
    result.buildups = [Buildup(start=np.float32(1.0), end=2.0, rise_db=math.nan)]
    text = songlens.dump_json(result)
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON: {c}"))
    assert data["loudness"]["integrated_lufs"] is None
    assert data["loudness"]["curve"] == [[0.05, None], [0.15, -20.0]]
    assert data["buildups"][0]["rise_db"] is None


def test_schema_checks():
    with pytest.raises(ResultFormatError, match="not a SongLens analysis"):
        result_from_dict({"schema": "something/1"})
    with pytest.raises(ResultFormatError, match="upgrade songlens"):
        result_from_dict({"schema": "songlens.analysis/99", "track": {}})
    with pytest.raises(ResultFormatError):
        result_from_dict({"schema": SCHEMA})


def test_migration_hook(monkeypatch):
    from songlens.result import migrations

    monkeypatch.setattr(migrations, "CURRENT_VERSION", 2)
    monkeypatch.setitem(migrations.MIGRATIONS, 1, lambda d: {**d, "migrated": True})
    out = migrations.migrate({"schema": "songlens.analysis/1"})
    assert out["migrated"] is True and out["schema"] == "songlens.analysis/2"


def test_settings_are_validated():
    with pytest.raises(ParameterError, match="unknown"):
        AnalysisConfig.from_dict({"profil": "fast"})
    with pytest.raises(ParameterError, match="unknown"):
        AnalysisConfig.from_dict({"silence": {"min_durration": 1}})
    with pytest.raises(ParameterError):
        AnalysisConfig.from_dict({"signal": {"hop_length": 10}})
    with pytest.raises(ParameterError):
        AnalysisConfig(profile="slow")
    cfg = AnalysisConfig.from_dict({"silence": {"min_duration": 2}})
    assert cfg.silence.min_duration == 2.0


def test_sr_is_explicit_and_shape_checked():
    with pytest.raises(ParameterError):
        analyze_signal(np.zeros(1000), sr=0)
    with pytest.raises(ParameterError, match="transpose"):
        analyze_signal(np.zeros((22050, 2)), sr=22050)


def test_settings_and_version_stamped(result):
    d = result_to_dict(result)
    assert d["songlens"]["version"] == songlens.__version__
    assert d["songlens"]["settings"]["resampling"]["to_hz"] == 22050


# DSP facets: analyses without a config run the fast profile (see conftest.fast_profile)
pytestmark = pytest.mark.usefixtures("fast_profile")
