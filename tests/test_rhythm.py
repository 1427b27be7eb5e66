"""Tempo, tempo curve, beats, downbeats and meter (songlens.analysis.rhythm).

Synthetic drum patterns with known beat times (constant tempo, a step change,
an accelerando, 3/4 and 4/4 accent patterns, octave traps, a quiet intro) and,
marked slow, rendered pieces with ground truth.

Tolerances: tempo within 2 % (``BPM_TOL``); beat and downbeat F-measure from
mir_eval with its standard 70 ms window (first 5 s trimmed for beats, as
``mir_eval.beat.evaluate`` does).
"""

from __future__ import annotations

import mir_eval
import numpy as np
import pytest

from conftest import PIECES, requires_fluidsynth
from songlens.analysis.rhythm import (
    analyze_rhythm,
    analyze_rhythm_windowed,
    bass_phase,
    bpm_grid,
    choose_tactus,
    legato_share,
    refine_beats,
    release_lag,
    snap_to_releases,
    tempogram,
    track_beats,
    typical_bpm,
)
from songlens.config import SignalConfig
from songlens.dsp.onset import band_flux
from songlens.errors import ParameterError
from songlens.features import FeatureExtractor
from songlens.pipeline import analyze_signal
from songlens.result.serialize import dump_json, result_from_dict

SR = 22050
SIG = SignalConfig()
FR = SIG.frame_rate
BPM_TOL = 0.02
BEAT_F_MIN = 0.9
DOWNBEAT_F_MIN = 0.8


# ---------------------------------------------------------------- signals
def _burst(kind: str, *, sr: int, rng: np.random.Generator) -> np.ndarray:
    n = int(0.12 * sr)
    t = np.arange(n) / sr
    if kind == "kick":
        f = 50 + 70 * np.exp(-t * 40)
        return np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t * 25)
    if kind == "snare":
        return (0.6 * rng.standard_normal(n) + 0.5 * np.sin(2 * np.pi * 190 * t)) * np.exp(-t * 30)
    if kind == "hat":
        x = rng.standard_normal(n)
        x = np.diff(x, prepend=0.0)  # crude high-pass
        return 0.5 * x * np.exp(-t * 80)
    if kind == "tick":
        return np.sin(2 * np.pi * 1200 * t) * np.exp(-t * 60)
    raise ValueError(kind)


def drum_track(beats: np.ndarray, *, per_bar: int, rng: np.random.Generator, sr: int = SR,
               sub: int = 2, gain: np.ndarray | None = None, bass: bool = True,
               tail: float = 1.0) -> np.ndarray:
    """A band-like groove on the given beats.

    Kick on the downbeat (and on beat 3 of a 4-beat bar), snare on the other
    beats, hi-hat on every beat and softer on the ``sub - 1`` subdivisions
    between beats, and (``bass``) a sustained bass note per bar whose pitch
    changes from bar to bar, as a chord root would.
    """
    n = int((beats[-1] + tail) * sr)
    y = np.zeros(n)
    g = np.ones(beats.size) if gain is None else gain

    def add(t: float, x: np.ndarray, a: float) -> None:
        i = int(round(t * sr))
        j = min(n, i + x.size)
        if 0 <= i < n:
            y[i:j] += a * x[: j - i]

    roots = [0, 7, 9, 5]
    for k, t in enumerate(beats):
        pos = k % per_bar
        if pos == 0 or (per_bar == 4 and pos == 2):
            add(t, _burst("kick", sr=sr, rng=rng), 0.9 * g[k])
        else:
            add(t, _burst("snare", sr=sr, rng=rng), 0.45 * g[k])
        add(t, _burst("hat", sr=sr, rng=rng), 0.25 * g[k])
        if k + 1 < beats.size:
            for q in range(1, sub):
                add(t + q * (beats[k + 1] - t) / sub, _burst("hat", sr=sr, rng=rng),
                    0.15 * g[k])
        if bass and pos == 0:
            end = beats[k + per_bar] if k + per_bar < beats.size else t + 1.0
            d = end - t
            tt = np.arange(int(d * sr)) / sr
            f0 = 55.0 * 2 ** (roots[(k // per_bar) % 4] / 12)
            tone = sum(np.sin(2 * np.pi * h * f0 * tt) / h for h in (1, 2, 3))
            env = np.minimum(1.0, tt / 0.01) * np.exp(-tt * 1.5)
            add(t, tone * env, 0.25 * g[k])
    return (0.5 * y / np.max(np.abs(y))).astype(np.float32)


def beats_from_tempo(bpm_fn, *, start: float, end: float) -> np.ndarray:
    t = [start]
    while t[-1] < end:
        t.append(t[-1] + 60.0 / bpm_fn(t[-1]))
    return np.asarray(t[:-1])


def log_mel_of(y: np.ndarray, sr: int = SR) -> np.ndarray:
    b = FeatureExtractor.from_blocks([y[np.newaxis, :]], sr=sr, channel_weights=np.ones(1),
                                     signal=SIG)
    return b.log_mel


def beat_f(ref: np.ndarray, est) -> float:
    return mir_eval.beat.f_measure(mir_eval.beat.trim_beats(np.asarray(ref)),
                                   mir_eval.beat.trim_beats(np.asarray(est)))


# ---------------------------------------------------------------- building blocks
def test_bpm_grid_is_log_spaced_over_range():
    g = bpm_grid()
    assert g[0] == pytest.approx(30.0)
    assert g[-1] <= 480.0 and g[-1] > 470.0
    np.testing.assert_allclose(np.diff(np.log2(g)), 1 / 48)


def test_tempogram_peaks_at_pulse_rate():
    env = np.zeros(int(30 * FR))
    period = 60.0 * FR / 100.0
    env[np.round(np.arange(0, env.size - 1, period)).astype(int)] = 1.0
    g = bpm_grid()
    _, tg, _ = tempogram(env, frame_rate=FR, bpm=g)
    prof = tg.mean(axis=0)
    assert g[np.argmax(prof)] == pytest.approx(100.0, rel=0.03)
    bpm, sal, _ = choose_tactus(prof, g)
    assert bpm == pytest.approx(100.0, rel=0.03)
    assert sal == pytest.approx(1.0)


def _peaks_profile(g: np.ndarray, peaks: dict[float, float]) -> np.ndarray:
    """A tempogram profile with Gaussian peaks (1.5 bins wide) of given heights at given BPM."""
    x = np.log2(g)[:, None]
    c = np.log2(np.array(list(peaks)))[None, :]
    h = np.array(list(peaks.values()))[None, :]
    return (h * np.exp(-0.5 * ((x - c) * 48 / 1.5) ** 2)).max(axis=1)


@pytest.mark.parametrize("peaks, want_bpm, want_ternary", [
    # 6/8 at 59: even eighths at 177 (the strongest), dotted quarters nearly as
    # strong, no level at two per dotted quarter (118): the dotted quarter
    ({59.0: 0.93, 177.0: 1.0, 354.0: 0.36, 118.0: 0.05}, 59.0, True),
    # fast 3/4 at 162: the bar (54) is far weaker than the beat: stays at 162
    ({54.0: 0.3, 108.0: 0.28, 162.0: 1.0, 324.0: 0.24}, 162.0, False),
    # 3/4 at 129 whose bar (43) is the strongest, with a half-bar level (86)
    # from its running eighths: the bar divides in two as well, not a 6/8 beat
    ({43.0: 1.0, 86.0: 0.35, 129.0: 0.63, 258.0: 0.22}, 129.0, False),
    # 137 grouped in twos (68, the strongest) with a weak level at a third
    # (46): not a compound beat
    ({46.0: 0.45, 68.0: 1.0, 137.0: 0.74, 277.0: 0.44}, 137.0, False),
])
def test_choose_tactus_compound_beat(peaks, want_bpm, want_ternary):
    g = bpm_grid()
    bpm, _, ternary = choose_tactus(_peaks_profile(g, peaks), g)
    assert bpm == pytest.approx(want_bpm, rel=0.03)
    assert ternary == want_ternary


def test_track_beats_follows_local_period():
    # onsets every 20 frames, then every 15 frames
    env = np.zeros(800)
    on = np.concatenate([np.arange(10, 400, 20), np.arange(400, 790, 15)])
    env[on] = 1.0
    period = np.where(np.arange(800) < 400, 20.0, 15.0)
    beats = track_beats(env, frame_rate=FR, period=period)
    hits = np.isin(beats, on)
    assert hits.mean() > 0.95
    assert np.isin(on[2:-2], beats).mean() > 0.95


def test_refine_beats_interpolates_peak():
    env = np.array([0.0, 1.0, 3.0, 2.0, 0.0])
    (x,) = refine_beats(np.array([2]), env)
    assert 2.0 < x < 2.5


def test_typical_bpm_ignores_gaps():
    t = np.concatenate([np.arange(20) * 0.5, 15 + np.arange(20) * 0.5])
    assert typical_bpm(t) == pytest.approx(120.0, rel=1e-6)


@pytest.mark.parametrize("bad", [np.zeros(10), np.zeros((2, 3, 4))])
def test_rejects_non_2d_log_mel(bad):
    with pytest.raises(ParameterError):
        analyze_rhythm(bad, frame_rate=FR)


@pytest.mark.parametrize("fr", [0.0, -1.0, float("nan")])
def test_rejects_bad_frame_rate(fr):
    with pytest.raises(ParameterError):
        analyze_rhythm(np.zeros((100, 80)), frame_rate=fr)


def test_silence_and_too_short_give_none():
    assert analyze_rhythm(np.full((2000, 80), -100.0, np.float32), frame_rate=FR) is None
    assert analyze_rhythm(np.zeros((10, 80), np.float32), frame_rate=FR) is None


# ---------------------------------------------------------------- synthetic music
@pytest.mark.parametrize("bpm", [62.0, 88.0, 120.0, 145.0, 176.0])
def test_constant_tempo_drums(bpm, rng):
    beats = beats_from_tempo(lambda t: bpm, start=0.5, end=30.0)
    y = drum_track(beats, per_bar=4, rng=rng)
    r = analyze_rhythm(log_mel_of(y), frame_rate=FR)
    assert r is not None
    assert r.bpm == pytest.approx(bpm, rel=BPM_TOL)
    assert beat_f(beats, r.beats) >= BEAT_F_MIN
    assert r.meter == "4/4"
    assert mir_eval.beat.f_measure(beats[::4], np.asarray(r.downbeats)) >= DOWNBEAT_F_MIN
    assert 0.5 <= r.confidence <= 1.0


def test_step_change_shows_in_curve(rng):
    fn = lambda t: 100.0 if t < 20.0 else 132.0  # noqa: E731
    beats = beats_from_tempo(fn, start=0.5, end=40.0)
    y = drum_track(beats, per_bar=4, rng=rng)
    r = analyze_rhythm(log_mel_of(y), frame_rate=FR)
    assert r is not None
    assert beat_f(beats, r.beats) >= BEAT_F_MIN
    t, b = np.array(r.curve).T
    before = np.median(b[(t > 5) & (t < 17)])
    after = np.median(b[(t > 23) & (t < 38)])
    assert before == pytest.approx(100.0, rel=BPM_TOL)
    assert after == pytest.approx(132.0, rel=BPM_TOL)
    # the step is sharp: the curve crosses the midpoint within 2 s of the change
    cross = t[np.nonzero(b > 116.0)[0][0]]
    assert abs(cross - 20.0) < 2.0


def test_windowed_tracking_matches_one_pass_and_keeps_seams_clean(rng):
    # 100 s at 100 BPM then 132 BPM, tracked in 30 s windows overlapping by 6 s
    fn = lambda t: 100.0 if t < 50.0 else 132.0  # noqa: E731
    beats = beats_from_tempo(fn, start=0.5, end=100.0)
    lm = log_mel_of(drum_track(beats, per_bar=4, rng=rng))
    r = analyze_rhythm_windowed(lm, frame_rate=FR, window_seconds=30.0, overlap_seconds=6.0)
    assert r is not None
    assert beat_f(beats, r.beats) >= BEAT_F_MIN
    assert np.all(np.diff(r.beats) > 0.2)  # no doubled or reversed beats at the seams
    assert r.meter == "4/4"
    t, b = np.array(r.curve).T
    assert np.median(b[(t > 5) & (t < 45)]) == pytest.approx(100.0, rel=BPM_TOL)
    assert np.median(b[(t > 55) & (t < 95)]) == pytest.approx(132.0, rel=BPM_TOL)
    # a file shorter than one window is analysed in one pass
    short = lm[: int(20 * FR)]
    one = analyze_rhythm(short, frame_rate=FR)
    assert analyze_rhythm_windowed(short, frame_rate=FR, window_seconds=30.0,
                                   overlap_seconds=6.0) == one
    with pytest.raises(ParameterError):
        analyze_rhythm_windowed(lm, frame_rate=FR, window_seconds=30.0, overlap_seconds=20.0)


def test_accelerando_and_ritardando_show_in_curve(rng):
    # 90 BPM, ramp to 130 between 8 and 28 s, hold, ramp back to 100 from 36 to 50 s
    def fn(t: float) -> float:
        if t < 8:
            return 90.0
        if t < 28:
            return 90.0 + 40.0 * (t - 8) / 20
        if t < 36:
            return 130.0
        if t < 50:
            return 130.0 - 30.0 * (t - 36) / 14
        return 100.0
    beats = beats_from_tempo(fn, start=0.5, end=55.0)
    y = drum_track(beats, per_bar=4, rng=rng)
    r = analyze_rhythm(log_mel_of(y), frame_rate=FR)
    assert r is not None
    assert beat_f(beats, r.beats) >= BEAT_F_MIN
    t, b = np.array(r.curve).T
    true = np.array([fn(x) for x in t])
    inner = (t > 3) & (t < 53)
    # the curve tracks the truth beat by beat, within 4 % nearly everywhere
    assert np.mean(np.abs(b[inner] / true[inner] - 1) < 0.04) > 0.9
    assert np.median(b[(t > 12) & (t < 26)][1:] - b[(t > 12) & (t < 26)][:-1]) >= 0  # rising


@pytest.mark.parametrize("per_bar, meter", [(3, "3/4"), (4, "4/4")])
def test_meter_from_accents(per_bar, meter, rng):
    beats = beats_from_tempo(lambda t: 126.0, start=0.5, end=35.0)
    y = drum_track(beats, per_bar=per_bar, rng=rng)
    r = analyze_rhythm(log_mel_of(y), frame_rate=FR)
    assert r is not None
    assert r.meter == meter
    assert mir_eval.beat.f_measure(beats[::per_bar], np.asarray(r.downbeats)) >= DOWNBEAT_F_MIN


@pytest.mark.parametrize("bpm", [50.0, 56.0])
def test_compound_meter_slow_six_eight(bpm, rng):
    # a slow 6/8 whose even hi-hat eighths (150-168/min) are the most salient
    # periodicity: the dotted quarter is still the beat (not 3/4 at 3x)
    beats = beats_from_tempo(lambda t: bpm, start=0.5, end=35.0)
    y = drum_track(beats, per_bar=2, rng=rng, sub=3)
    r = analyze_rhythm(log_mel_of(y), frame_rate=FR)
    assert r is not None
    assert r.bpm == pytest.approx(bpm, rel=BPM_TOL)
    assert r.meter == "6/8"
    assert beat_f(beats, r.beats) >= BEAT_F_MIN
    assert mir_eval.beat.f_measure(beats[::2], np.asarray(r.downbeats)) >= DOWNBEAT_F_MIN


@pytest.mark.xfail(reason="known limitation: at 66 BPM the dotted quarters are under half as "
                   "salient as the even hi-hat eighths (COMPOUND_RATIO), so the tactus is "
                   "taken at the eighth-note level (3x)", strict=False)
def test_compound_meter_six_eight(rng):
    # two dotted-quarter beats per bar, each divided in three eighths (hi-hat)
    bpm = 66.0
    beats = beats_from_tempo(lambda t: bpm, start=0.5, end=35.0)
    y = drum_track(beats, per_bar=2, rng=rng, sub=3)
    r = analyze_rhythm(log_mel_of(y), frame_rate=FR)
    assert r is not None
    assert r.bpm == pytest.approx(bpm, rel=BPM_TOL)
    assert r.meter == "6/8"
    assert mir_eval.beat.f_measure(beats[::2], np.asarray(r.downbeats)) >= DOWNBEAT_F_MIN


def test_octave_hi_hat_eighths_do_not_double_tempo(rng):
    # busy eighth-note hi-hats at 240/min over a 120 BPM kick/snare groove
    beats = beats_from_tempo(lambda t: 120.0, start=0.5, end=30.0)
    y = drum_track(beats, per_bar=4, rng=rng, sub=2)
    r = analyze_rhythm(log_mel_of(y), frame_rate=FR)
    assert r.bpm == pytest.approx(120.0, rel=BPM_TOL)


def test_octave_slow_pulse_with_soft_eighths(rng):
    # a 70 BPM pulse with soft subdivisions: the beat is 70, not 140
    beats = beats_from_tempo(lambda t: 70.0, start=0.5, end=40.0)
    y = drum_track(beats, per_bar=4, rng=rng, sub=2)
    r = analyze_rhythm(log_mel_of(y), frame_rate=FR)
    assert r.bpm == pytest.approx(70.0, rel=BPM_TOL)


def test_octave_fast_waltz_is_not_bar_rate(rng):
    beats = beats_from_tempo(lambda t: 160.0, start=0.5, end=30.0)
    y = drum_track(beats, per_bar=3, rng=rng, sub=1)
    r = analyze_rhythm(log_mel_of(y), frame_rate=FR)
    assert r.bpm == pytest.approx(160.0, rel=BPM_TOL)
    assert r.meter == "3/4"


def test_quiet_intro_is_tracked(rng):
    beats = beats_from_tempo(lambda t: 96.0, start=0.5, end=36.0)
    gain = np.where(beats < 12.0, 0.03, 1.0)  # -30 dB intro
    y = drum_track(beats, per_bar=4, rng=rng, gain=gain)
    r = analyze_rhythm(log_mel_of(y), frame_rate=FR)
    assert r.bpm == pytest.approx(96.0, rel=BPM_TOL)
    est = np.asarray(r.beats)
    intro = beats[(beats > 1.0) & (beats < 11.0)]
    assert mir_eval.beat.f_measure(intro, est[est < 11.5]) >= BEAT_F_MIN


def test_noise_has_low_confidence(rng):
    y = (0.1 * rng.standard_normal(30 * SR)).astype(np.float32)
    r = analyze_rhythm(log_mel_of(y), frame_rate=FR)
    assert r is None or r.confidence < 0.5


def test_pipeline_sets_tempo_and_json_round_trips(rng):
    beats = beats_from_tempo(lambda t: 110.0, start=0.5, end=20.0)
    y = drum_track(beats, per_bar=4, rng=rng)
    res = analyze_signal(np.stack([y, y]), sr=SR)
    assert res.tempo is not None
    assert res.tempo.bpm == pytest.approx(110.0, rel=BPM_TOL)
    import json

    back = result_from_dict(json.loads(dump_json(res)))
    assert back.tempo.meter == res.tempo.meter
    assert back.tempo.confidence == pytest.approx(res.tempo.confidence, abs=1e-4)


# ---------------------------------------------------------------- rendered pieces
@pytest.mark.slow
@requires_fluidsynth
@pytest.mark.parametrize("name", list(PIECES))
def test_rendered_arc_pieces(name, rendered):
    y, sr, truth = rendered(name)
    r = analyze_signal(y, sr=sr).tempo
    assert r is not None
    assert r.bpm == pytest.approx(truth.tempo_bpm, rel=BPM_TOL)
    assert beat_f(truth.beats, r.beats) >= BEAT_F_MIN
    assert mir_eval.beat.f_measure(np.asarray(truth.downbeats),
                                   np.asarray(r.downbeats)) >= DOWNBEAT_F_MIN
    assert r.meter == "4/4"


@pytest.mark.slow
@requires_fluidsynth
@pytest.mark.parametrize("name", [
    "ballad_44_66_rubato", "compound_68_72_step", "band_44_132_stepdown",
    pytest.param("waltz_34_126_accel", marks=pytest.mark.xfail(
        reason="known trade-off: an oom-pah-pah waltz whose bar is its most salient "
               "periodicity is read as a slow beat divided in three (the 6/8 reading)",
        strict=False)),
    pytest.param("band_24_110", marks=pytest.mark.xfail(
        reason="known limitation: 2/4 is reported only when beat 3 of a 4-beat grouping "
               "is nearly as strong as beat 1; this 2/4 band is read as 4/4", strict=False)),
    "march_24_116",
])
def test_rendered_meters_and_tempo_changes(name):
    from rhythm_pieces import render_piece

    y, sr, truth = render_piece(name, sr=SR)
    r = analyze_signal(y, sr=sr).tempo
    assert r is not None
    assert r.bpm == pytest.approx(truth.bpm, rel=0.04)
    assert beat_f(truth.beats, r.beats) >= BEAT_F_MIN
    assert mir_eval.beat.f_measure(truth.downbeats, np.asarray(r.downbeats)) >= DOWNBEAT_F_MIN
    assert r.meter == truth.meter


# ---------------------------------------------------------------- legato onsets
def test_release_flux_marks_where_energy_goes():
    x = np.full((100, 40), -20.0, np.float32)
    x[50:, 10:20] = -70.0  # these bands stop at frame 50
    x[70:, 25:30] = 0.0  # these start at frame 70
    dec = band_flux(x, direction="decrease")
    inc = band_flux(x, direction="increase")
    assert int(np.argmax(dec.sum(axis=1))) == 50
    assert int(np.argmax(inc.sum(axis=1))) == 70
    assert dec[70].sum() == 0.0 and inc[50].sum() == 0.0
    with pytest.raises(ParameterError):
        band_flux(x, direction="both")


def test_legato_share_sparse_attacks_zero_busy_attacks_one(rng):
    sparse = np.zeros(4000)
    sparse[::20] = 1.0 + rng.random(200)  # a clear attack every 20 frames
    assert legato_share(sparse) == 0.0
    busy = 0.5 + rng.random(4000)  # the flux never settles
    assert legato_share(busy) == 1.0
    assert legato_share(np.zeros(100)) == 0.0


def test_bass_phase_moves_afterbeat_grid_onto_the_bass():
    fr = 43.0
    low = np.zeros(2000)
    low[100:1900:40] = 1.0  # bass on every beat (period 40 frames)
    off = np.arange(120, 1880, 40)  # a grid locked half a beat off
    moved = bass_phase(off, low=low, frame_rate=fr, ternary=False)
    assert np.all(np.abs(moved - (off + 20)) <= 1)
    on = np.arange(100, 1900, 40)
    assert np.array_equal(bass_phase(on, low=low, frame_rate=fr, ternary=False), on)
    third = np.arange(100 + 13, 1880, 40)  # compound time: a third of a beat off
    moved = bass_phase(third, low=low, frame_rate=fr, ternary=True)
    assert np.all(np.abs(moved - (third + 27)) <= 1)


def test_release_lag_finds_note_changes_before_the_beats():
    rel = np.zeros(3000)
    beats = np.arange(100, 2900, 37).astype(float)
    rel[(beats - 3).astype(int)] = 1.0  # the held notes stop 3 frames before each beat
    assert release_lag(beats, rel, frame_rate=43.0) == pytest.approx(-3.0, abs=0.5)
    rel2 = np.zeros(3000)
    rel2[(beats + 8).astype(int)] = 1.0  # releases after the beats: no correction
    assert release_lag(beats, rel2, frame_rate=43.0) == 0.0


def test_snap_to_releases_moves_only_to_clear_nearby_changes(rng):
    rel = 0.1 * rng.random(2000)
    beats = np.array([100.0, 200.0, 300.0, 400.0])
    rel[98] = 5.0  # a clear change 2 frames before beat 1
    rel[290] = 5.0  # too far before beat 3 (10 frames)
    moves = snap_to_releases(beats, rel, frame_rate=43.0)
    assert moves[0] == pytest.approx(-2.0)
    assert moves[1] == 0.0 and moves[2] == 0.0 and moves[3] == 0.0


# DSP facets: analyses without a config run the fast profile (see conftest.fast_profile)
pytestmark = pytest.mark.usefixtures("fast_profile")
