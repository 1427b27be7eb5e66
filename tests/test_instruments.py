"""Instrument timeline: post-processing logic on designed scores, and the shipped heads."""

from __future__ import annotations

import numpy as np
import pytest

from songlens.analysis.instruments import (
    CLASSES,
    InstrumentHeads,
    describe,
    instrument_timeline,
    load_heads,
)
from songlens.analysis.tagging import TagActivations
from songlens.config import AnalysisConfig, InstrumentConfig
from songlens.errors import ParameterError

HOP = 1.5


def _acts(probs: np.ndarray, *, level_db: np.ndarray | None = None) -> dict:
    n = probs.shape[0]
    start = np.arange(n) * HOP
    times = np.stack([start, start + 2.992], axis=1)
    full = np.full((n, 50), 1e-3)
    full[:, :probs.shape[1]] = probs
    a = TagActivations(model="musicnn_mtt", tags=tuple(f"t{i}" for i in range(50)),
                       times=times, probs=full, penultimate=np.zeros((n, 200)),
                       level_db=np.full(n, -20.0) if level_db is None else level_db,
                       duration=float(times[-1, 1]), hop_s=HOP)
    return {"musicnn_mtt": a}


def _heads(threshold: float = 0.5, detectable: tuple[bool, ...] | None = None) -> InstrumentHeads:
    """Score of class j = probability of tag j (identity heads on tag logits)."""
    k = len(CLASSES)
    w = np.zeros((50, k), np.float32)
    w[np.arange(k), np.arange(k)] = 1.0
    return InstrumentHeads(classes=CLASSES, features=("mtt_logit",),
                           mean=np.zeros(50, np.float32), std=np.ones(50, np.float32),
                           weights=w, bias=np.zeros(k, np.float32),
                           thresholds=np.full(k, threshold),
                           detectable=np.array(detectable or [True] * k), header={})


def _curve(n: int, on: list[tuple[int, int]], hi: float = 0.9, lo: float = 0.05) -> np.ndarray:
    x = np.full(n, lo)
    for a, b in on:
        x[a:b] = hi
    return x


def test_entries_exits_and_first_entry():
    n = 60  # 90 s
    probs = np.full((n, len(CLASSES)), 0.02)
    probs[:, 0] = _curve(n, [(0, 60)])          # piano throughout
    probs[:, 1] = _curve(n, [(20, 45)])         # strings from 30 s to 67.5 s
    probs[:, 5] = _curve(n, [(30, 60)])         # drums from 45 s
    tl = instrument_timeline(_acts(probs), heads=_heads(), config=InstrumentConfig())
    names = [i.name for i in tl.instruments]
    assert names == ["piano", "strings", "drums"]
    inst = {i.name: i for i in tl.instruments}
    assert inst["piano"].first_entry == 0.0
    # patch i stands for the time around its centre i * 1.5 + 1.496
    assert inst["strings"].first_entry == pytest.approx(20 * HOP + 1.496 - HOP / 2, abs=0.01)
    assert inst["strings"].active[-1][1] == pytest.approx(44 * HOP + 1.496 + HOP / 2, abs=0.01)
    assert inst["drums"].active[-1][1] == pytest.approx(tl.times[-1, 1])
    assert describe(tl)[:2] == ["piano alone until 0:31", "strings enter at 0:31"]


def test_gaps_bridged_and_blips_dropped():
    n = 40
    probs = np.full((n, len(CLASSES)), 0.02)
    probs[:, 2] = _curve(n, [(5, 15), (17, 30)])   # a 3 s dip: bridged
    probs[:, 3] = _curve(n, [(10, 12)])            # 2 patches (3 s): shorter than 4.5 s
    cfg = InstrumentConfig(smooth_patches=1)
    tl = instrument_timeline(_acts(probs), heads=_heads(), config=cfg)
    inst = {i.name: i for i in tl.instruments}
    assert len(inst["acoustic guitar"].active) == 1
    assert "electric guitar" not in inst
    cfg = InstrumentConfig(smooth_patches=1, max_gap_seconds=0.0, min_active_seconds=0.0)
    tl = instrument_timeline(_acts(probs), heads=_heads(), config=cfg)
    inst = {i.name: i for i in tl.instruments}
    assert len(inst["acoustic guitar"].active) == 2
    assert "electric guitar" in inst


def test_hysteresis_keeps_a_class_on_through_a_dip():
    n = 30
    probs = np.full((n, len(CLASSES)), 0.02)
    probs[:, 0] = 0.8
    probs[10:14, 0] = 0.42  # below the 0.5 threshold, above 0.5 - the default hysteresis
    cfg = InstrumentConfig(smooth_patches=1, max_gap_seconds=0.0)
    tl = instrument_timeline(_acts(probs), heads=_heads(), config=cfg)
    assert len(tl.instruments[0].active) == 1
    cfg = InstrumentConfig(smooth_patches=1, max_gap_seconds=0.0, hysteresis=0.0)
    tl = instrument_timeline(_acts(probs), heads=_heads(), config=cfg)
    assert len(tl.instruments[0].active) == 2


def test_hysteresis_is_symmetric_in_time():
    """A weak onset before the first strong patch belongs to the entry; a lone weak run does not."""
    n = 30
    probs = np.full((n, len(CLASSES)), 0.02)
    probs[8:12, 0] = 0.42  # the instrument fades in: weak patches first ...
    probs[12:20, 0] = 0.8  # ... then strong ones
    probs[24:28, 0] = 0.42  # weak only: never switched on
    cfg = InstrumentConfig(smooth_patches=1, max_gap_seconds=0.0, min_active_seconds=0.0)
    tl = instrument_timeline(_acts(probs), heads=_heads(), config=cfg)
    inst = tl.instruments[0]
    cells = tl.times.mean(axis=1)
    assert len(inst.active) == 1
    assert inst.first_entry == pytest.approx((cells[7] + cells[8]) / 2)
    assert inst.active[0][1] == pytest.approx((cells[19] + cells[20]) / 2)


def test_default_config_still_lets_a_class_drop_out():
    # the default hysteresis keeps a class on through dips, not through a clear absence
    n = 40
    probs = np.full((n, len(CLASSES)), 0.02)
    probs[:, 0] = _curve(n, [(0, 15), (25, 40)], hi=0.8, lo=0.1)  # 15 s without piano
    tl = instrument_timeline(_acts(probs), heads=_heads(), config=InstrumentConfig())
    (piano,) = tl.instruments
    assert len(piano.active) == 2
    assert piano.active[0][1] == pytest.approx(15 * HOP + 1.496 - HOP / 2, abs=HOP + 0.01)


def test_silence_gate_and_undetectable_classes():
    n = 30
    probs = np.full((n, len(CLASSES)), 0.9)  # every class "heard" everywhere
    level = np.full(n, -20.0)
    level[:10] = -np.inf
    det = tuple(c not in ("bass", "brass") for c in CLASSES)
    tl = instrument_timeline(_acts(probs, level_db=level), heads=_heads(detectable=det))
    names = {i.name for i in tl.instruments}
    assert names == {c for c, d in zip(CLASSES, det, strict=True) if d}
    assert tl.not_detected == ("bass", "brass")
    for inst in tl.instruments:
        assert inst.first_entry >= 10 * HOP  # nothing during the digital silence
    assert np.all(tl.scores[:10] == 0)


def test_lead_per_section_and_per_window():
    n = 40  # 60 s
    probs = np.full((n, len(CLASSES)), 0.02)
    probs[:, 0] = 0.9                       # piano everywhere
    probs[:, 5] = 0.99                      # drums: never a lead
    probs[20:, 7] = 0.98                    # brass from 30 s, stronger than piano
    sections = [(0.0, 30.0, "verse"), (30.0, 61.0, "chorus")]
    tl = instrument_timeline(_acts(probs), sections=sections, heads=_heads())
    assert [(ld.section, ld.name) for ld in tl.lead] == [("verse", "piano"),
                                                          ("chorus", "brass")]
    tl = instrument_timeline(_acts(probs), heads=_heads())
    assert len(tl.lead) == int(np.ceil(tl.times[-1, 1] / 10))
    assert tl.lead[0].name == "piano" and tl.lead[-1].name == "brass"


def test_nothing_playing():
    probs = np.full((10, len(CLASSES)), 0.01)
    tl = instrument_timeline(_acts(probs), heads=_heads())
    assert tl.instruments == [] and describe(tl) == []
    assert all(ld.name is None for ld in tl.lead)


def test_missing_model_or_pooled_raises():
    probs = np.full((10, len(CLASSES)), 0.01)
    h = _heads()
    bad = InstrumentHeads(**{**h.__dict__, "features": ("mtt_pooled",)})
    with pytest.raises(ParameterError, match="pooled"):
        instrument_timeline(_acts(probs), heads=bad)
    other = InstrumentHeads(**{**h.__dict__, "features": ("msd_logit",)})
    with pytest.raises(ParameterError, match="musicnn_msd"):
        instrument_timeline(_acts(probs), heads=other)


def test_config_validation():
    with pytest.raises(ParameterError):
        InstrumentConfig(hop_seconds=0.1)
    cfg = AnalysisConfig.from_dict({"profile": "full", "instruments": {"hysteresis": 0.1}})
    assert cfg.instruments.hysteresis == 0.1
    with pytest.raises(ParameterError):
        AnalysisConfig.from_dict({"instruments": {"threshold": 0.1}})


def test_shipped_heads_load_and_are_consistent():
    heads = load_heads()
    assert heads.classes == CLASSES
    assert heads.header["format"] == "songlens.instrument_heads/1"
    assert set(heads.models) <= {"musicnn_mtt", "musicnn_msd"}
    assert np.all((heads.thresholds > 0) & (heads.thresholds < 1))
    # the CV figures behind every detectability decision are recorded
    tr = heads.header["training"]
    for j in range(len(CLASSES)):
        ok = tr["oof_auc"][j] >= 0.75 and tr["oof_frame_f1"][j] >= 0.5
        assert bool(heads.detectable[j]) == ok


# ---------------------------------------------------------------------------------------------
# End to end on a rendered arrangement (a seed outside the calibration and evaluation sets)
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def arrangement():
    from conftest import _have_fluidsynth

    if not _have_fluidsynth():
        pytest.skip("needs fluidsynth + fluid-soundfont-gm")
    from songlens.testing.arrangements import compose_arrangement

    return compose_arrangement(3001, classes=("piano", "drums", "bass", "strings"), sr=44100)


@pytest.mark.slow
def test_detect_instruments_on_a_render(arrangement):
    from songlens.analysis.instruments import detect_instruments

    y, truth = arrangement
    tl = detect_instruments(y.mean(axis=0), sr=44100)
    found = {i.name: i for i in tl.instruments}
    # drums (the class the tagger separates best) enter when designed
    t_drums = truth.instruments["drums"][0][0]
    assert "drums" in found and abs(found["drums"].first_entry - t_drums) <= 5.0
    # the piano plays the intro alone (by design): it is the first class reported
    assert tl.instruments[0].name == "piano"
    assert abs(tl.instruments[0].first_entry - truth.instruments["piano"][0][0]) <= 5.0
    # frame F1 over the classes the piece contains, loose bound (evaluation set: see
    # benchmarks/instruments/RESULTS.md)
    grid = np.arange(0, truth.duration, 0.5) + 0.25
    tp = fp = fn = 0
    for c in CLASSES:
        ref = np.zeros(grid.size, bool)
        est = np.zeros(grid.size, bool)
        for a, b in truth.instruments.get(c, []):
            ref |= (grid >= a) & (grid < b)
        for a, b in (found[c].active if c in found else []):
            est |= (grid >= a) & (grid < b)
        tp += int((ref & est).sum())
        fp += int((est & ~ref).sum())
        fn += int((ref & ~est).sum())
    assert 2 * tp / (2 * tp + fp + fn) >= 0.5


@pytest.mark.slow
def test_full_profile_in_the_pipeline(arrangement):
    from songlens.pipeline import analyze_signal
    from songlens.result import dump_json
    from songlens.result.serialize import result_from_dict

    y, truth = arrangement
    seg = y[:, : 44100 * 40]
    fast = analyze_signal(seg, sr=44100, config={"profile": "fast"})
    assert fast.instruments is None and fast.lead_instruments is None
    res = analyze_signal(seg, sr=44100, config={"profile": "full"})
    assert res.instruments is not None and res.lead_instruments is not None
    assert len(res.lead_instruments) == 4  # 10 s windows over 40 s
    models = res.settings["models"]
    assert models["musicnn_mtt"]["licence"] == "ISC"
    assert len(models["instrument_heads"]["sha256"]) == 64
    import json

    back = result_from_dict(json.loads(dump_json(res)))
    assert [i.first_entry for i in back.instruments] == pytest.approx(
        [i.first_entry for i in res.instruments], abs=1e-3)
    assert [ld.name for ld in back.lead_instruments] == [ld.name for ld in res.lead_instruments]


@pytest.mark.slow
def test_mixed_render_stems_and_program_override():
    """Training renders: stems grouped by soundfont, each filtered before the mix."""
    from conftest import _have_fluidsynth

    if not _have_fluidsynth():
        pytest.skip("needs fluidsynth + fluid-soundfont-gm")
    from songlens.testing.arrangements import compose_arrangement
    from songlens.testing.render import find_soundfont

    sf = find_soundfont()
    seen: list[str] = []

    def mute(path: str, y: np.ndarray) -> np.ndarray:
        seen.append(path)
        return np.zeros_like(y)

    y, truth = compose_arrangement(3002, classes=("piano", "bass"), sr=22050,
                                   soundfonts={"bass": sf}, stem_filter=mute,
                                   programs={"piano": 2, "drums": 5})
    assert seen == [sf]  # both classes share one soundfont: one stem
    assert truth.soundfont == "mixed"
    assert truth.programs["piano"] == 2 and "drums" not in truth.programs
    assert not np.any(y)  # the filter's output is what gets mixed
    y2, truth2 = compose_arrangement(3002, classes=("piano", "bass"), sr=22050,
                                     stem_filter=lambda p, s: s)
    assert np.abs(y2).max() == pytest.approx(10 ** (-1 / 20), rel=1e-3)
    assert truth2.instruments == truth.instruments  # same notes whatever the timbre
