"""An analysis runs its matrix products on one BLAS thread and restores the caller's setting.

An idle multi-threaded BLAS worker busy-waits after each product and takes a
core from the model threads; and the rounding of a product depends on how many
threads split it, so results would depend on the machine (seen: beat times
moving by 0.1-0.5 ms on a 4-minute track between 1 and 2 threads).
"""

from __future__ import annotations

import numpy as np
import pytest

import songlens.pipeline as pipeline

SR = 22050


def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


@pytest.fixture
def beat_signal():
    """8 s of a kick at 120 BPM under a C major triad, with seeded noise."""
    rng = np.random.default_rng(3)
    t = np.arange(8 * SR) / SR
    y = sum(0.1 * np.sin(2 * np.pi * 440.0 * 2 ** ((p - 69) / 12) * t) for p in (60, 64, 67))
    for b in np.arange(0, 8, 0.5):
        k = (t >= b) & (t < b + 0.08)
        y[k] += 0.6 * np.exp(-(t[k] - b) * 40) * np.sin(2 * np.pi * 60 * (t[k] - b))
    y = y + 0.01 * rng.standard_normal(t.size)
    return (0.8 * y / np.abs(y).max()).astype(np.float32)


def test_analysis_uses_one_blas_thread_and_restores_the_callers(beat_signal, monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    seen: list[list[int]] = []
    real = pipeline.analyze_rhythm

    def spy(*args, **kwargs):
        seen.append(_blas_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "analyze_rhythm", spy)
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        if not before:
            pytest.skip("no BLAS library threadpoolctl can control")
        pipeline.analyze_signal(beat_signal, sr=SR, config={"profile": "fast"})
        after = _blas_threads()
    assert seen and all(n == 1 for n in seen[0])
    assert after == before


def test_tagger_in_a_worker_does_not_undo_the_callers_restore():
    """A tagger thread outliving a failed analysis must not leave BLAS on one thread."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from songlens._blas import one_blas_thread

    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        if not before or max(before) < 2:
            pytest.skip("no multi-threaded BLAS library threadpoolctl can control")
        outer = threadpoolctl.threadpool_limits(limits=1, user_api="blas")  # the analysis
        inner = one_blas_thread()  # the tagger, started inside it
        inner.__enter__()
        outer.restore_original_limits()  # the analysis fails and restores the original
        inner.__exit__(None, None, None)  # the tagger finishes after the analysis failed
        assert _blas_threads() == before
