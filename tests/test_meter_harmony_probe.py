"""The chord-change bar cue of benchmarks/probes/meter_harmony_probe.py (meter 2/4 vs 4/4)."""

from __future__ import annotations

import importlib.util
from math import comb
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import quad

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def probe():
    path = ROOT / "benchmarks" / "probes" / "meter_harmony_probe.py"
    spec = importlib.util.spec_from_file_location("meter_harmony_probe", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("a,b", [(0, 0), (1, 0), (5, 5), (30, 0), (30, 30), (40, 14), (7, 19)])
def test_meter_bayes_factor_matches_direct_integration(probe, a, b):
    # 2/4: share 1/2; 4/4: weaker share uniform on [0, 1/2], either class the downbeat
    n = a + b
    l2 = comb(n, a) * 0.5 ** n

    def lik(p, k):
        return comb(n, k) * p ** k * (1 - p) ** (n - k)

    l4 = 0.5 * (2 * quad(lik, 0, 0.5, args=(b,))[0] + 2 * quad(lik, 0, 0.5, args=(a,))[0])
    assert probe.bar_line_bayes_factor(a, b) == pytest.approx(l2 / l4, rel=1e-6)
    assert probe.bar_line_bayes_factor(a, b) == pytest.approx(probe.bar_line_bayes_factor(b, a),
                                                              rel=1e-12)


def test_meter_bayes_factor_direction(probe):
    assert probe.bar_line_bayes_factor(30, 0) < 1e-6  # every change on beat 1: 4/4
    assert probe.bar_line_bayes_factor(30, 30) > 3.0  # both bar lines alike: 2/4
    with pytest.raises(ValueError):
        probe.bar_line_bayes_factor(-1, 2)


def test_meter_grid_counts_known_answer(probe):
    # 16 bars of 4/4 at 0.5 s: a chord change on every downbeat, on beat 3 of even
    # bars, and on beat 2 of bar 0 (off the grid)
    beats = np.arange(64) * 0.5
    downbeats = beats[::4]
    changes = np.concatenate([downbeats, beats[2::8], [beats[1]]])
    a, b, n_on, c_off, n_off = probe.grid_counts(beats, downbeats, changes,
                                                 beats_per_bar=4, tol=1e-3)
    assert (a, b, n_on, c_off, n_off) == (16, 8, 32, 1, 32)
    # the same grid read as 2/4: the bar lines alternate between odd and even bars
    a2, b2, n_on2, c_off2, _ = probe.grid_counts(beats, beats[::2], changes,
                                                 beats_per_bar=2, tol=1e-3)
    assert (a2 + b2, n_on2, c_off2) == (24, 32, 1)
    assert {a2, b2} == {16, 8}
