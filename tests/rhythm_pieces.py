"""Rendered pieces with known beats, downbeats, meter and tempo curve (for rhythm tests).

Each piece is planned as a sequence of beat times from a tempo function
(constant, step change, accelerando, ritardando or rubato), grouped into bars
of a meter (2/4, 3/4, 4/4 or 6/8), and played in one of a few textures (solo
piano ballad, band with drums, waltz, march, compound-time arpeggios, string
pad with pizzicato bass). The truth is the planned grid.

Conventions
-----------
* Times in seconds. Beats are the counted pulse of the meter: quarter notes in
  2/4, 3/4 and 4/4, dotted quarters in 6/8 (two beats per bar, each divided
  into three eighths). Downbeats are the first beat of each bar.
* ``tempo_curve`` holds ``(time, bpm)`` at each beat, bpm = 60 / the interval
  to the next beat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

METERS = {"2/4": (2, 2), "3/4": (3, 2), "4/4": (4, 2), "6/8": (2, 3)}
"""meter -> (beats per bar, subdivisions per beat)."""

_MAJOR = [0, 2, 4, 5, 7, 9, 11]
_PROGS = [[0, 4, 5, 3], [0, 5, 3, 4], [0, 3, 4, 4], [0, 5, 1, 4], [5, 3, 0, 4]]


@dataclass
class RhythmTruth:
    name: str
    meter: str
    beats: np.ndarray
    downbeats: np.ndarray
    tempo_curve: list[tuple[float, float]] = field(default_factory=list)

    @property
    def bpm(self) -> float:
        """Main tempo (BPM): the tempo held for the longest time, if it holds a third of it.

        Each beat's tempo (60 / interval) collects the durations of the beats
        within 4 % of it; the most-collected tempo wins (the weighted median
        of its neighbours) if it holds a third of the time, else the median.
        """
        ibi = np.diff(self.beats)
        lb = np.log(60.0 / ibi)
        near = np.abs(lb[:, None] - lb[None, :]) <= np.log(1.04)
        votes = near @ ibi
        k = int(np.argmax(votes))
        sel = near[k] if votes[k] >= ibi.sum() / 3 else np.ones(ibi.size, dtype=bool)
        order = np.argsort(lb[sel])
        cw = np.cumsum(ibi[sel][order])
        return float(np.exp(lb[sel][order][int(np.searchsorted(cw, 0.5 * cw[-1]))]))


def beat_times(bpm_fn, *, start: float, n_beats: int) -> np.ndarray:
    """Beat times from a tempo function ``bpm_fn(t)`` (BPM at time t)."""
    t = [start]
    for _ in range(n_beats - 1):
        t.append(t[-1] + 60.0 / bpm_fn(t[-1]))
    return np.asarray(t)


def tempo_function(kind: str, bpm: float, *, rng: np.random.Generator, duration: float,
                   ratio: float = 1.3):
    """A tempo function of time (BPM) of the given kind."""
    if kind == "constant":
        return lambda t: bpm
    if kind == "step":
        t_step = 0.5 * duration
        return lambda t: bpm if t < t_step else bpm * ratio
    if kind == "accel":
        return lambda t: bpm * ratio ** min(1.0, max(0.0, (t - 0.2 * duration)
                                                      / (0.6 * duration)))
    if kind == "rit":
        return lambda t: bpm * ratio ** (-min(1.0, max(0.0, (t - 0.4 * duration)
                                                       / (0.6 * duration))))
    if kind == "rubato":
        # slow random tempo wander of about +/-8 % plus a ritardando every 8 s phrase
        knots = rng.uniform(-0.08, 0.08, size=int(duration / 2) + 8)

        def fn(t: float) -> float:
            x = t / 4.0
            i = int(x)
            f = x - i
            wander = (1 - f) * knots[i] + f * knots[i + 1]
            phase = (t % 8.0) / 8.0
            rit = -0.12 * max(0.0, phase - 0.8) / 0.2
            return bpm * (1 + wander + rit)
        return fn
    raise ValueError(kind)


def compose(name: str, *, seed: int, meter: str = "4/4", bpm: float = 100.0,
            tempo: str = "constant", ratio: float = 1.3, texture: str = "band",
            duration: float = 40.0, quiet_intro_bars: int = 0, lead_in: float = 1.0,
            tonic: int = 0):
    """Plan a piece; return ``(pretty_midi.PrettyMIDI, RhythmTruth)``."""
    import pretty_midi

    rng = np.random.default_rng(seed)
    per_bar, sub = METERS[meter]
    fn = tempo_function(tempo, bpm, rng=rng, duration=duration, ratio=ratio)
    # enough beats to cover the duration
    n_beats = int(duration * max(bpm, bpm * ratio) * 1.2 / 60.0) + 2 * per_bar
    beats = beat_times(fn, start=lead_in, n_beats=n_beats)
    n_bars = int(np.sum(beats < lead_in + duration)) // per_bar
    beats = beats[: n_bars * per_bar + 1]  # keep one closing beat for the last bar's end
    pm = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    piano = pretty_midi.Instrument(program=0, name="piano")
    bass = pretty_midi.Instrument(program=33, name="bass")
    strings = pretty_midi.Instrument(program=48, name="strings")
    pizz = pretty_midi.Instrument(program=45, name="pizz")
    guitar = pretty_midi.Instrument(program=24, name="guitar")
    drums = pretty_midi.Instrument(program=0, is_drum=True, name="drums")
    prog = _PROGS[seed % len(_PROGS)]

    def note(inst, pitch, start, end, vel):
        inst.notes.append(pretty_midi.Note(velocity=int(np.clip(vel, 1, 127)),
                                           pitch=int(pitch), start=float(start),
                                           end=float(max(end, start + 0.03))))

    for b in range(n_bars):
        deg = prog[b % 4]
        root = tonic + _MAJOR[deg]
        third = tonic + _MAJOR[(deg + 2) % 7] + (12 if deg + 2 >= 7 else 0)
        fifth = tonic + _MAJOR[(deg + 4) % 7] + (12 if deg + 4 >= 7 else 0)
        tri = [root, third, fifth]
        quiet = b < quiet_intro_bars
        dyn = 0.45 if quiet else 1.0
        for k in range(per_bar):
            i = b * per_bar + k
            t0, t1 = beats[i], beats[i + 1]
            dur = t1 - t0
            acc = 1.0 if k == 0 else (0.9 if (per_bar == 4 and k == 2) else 0.82)
            v = 96 * dyn * acc
            subs = [t0 + j * dur / sub for j in range(sub)]
            if texture in ("ballad", "compound"):
                # left hand: bass on the downbeat (held), arpeggio on subdivisions
                if k == 0:
                    note(piano, 36 + root % 12, t0, beats[min(i + per_bar, len(beats) - 1)],
                         v * 0.9)
                for j, ts in enumerate(subs):
                    if j == 0 and k == 0:
                        continue
                    p = 48 + tri[(k * sub + j) % 3]
                    note(piano, p, ts, ts + dur / sub * 1.6, v * 0.6 + rng.integers(-5, 6))
                # right hand melody: on the beat, sometimes held two beats
                if rng.random() < 0.8 or k == 0:
                    p = 72 + tonic + _MAJOR[rng.integers(0, 7)]
                    note(piano, p, t0, t1 * 0.98 + t0 * 0.02, v * 0.8 + rng.integers(-6, 7))
            elif texture == "band":
                note(bass, 36 + root % 12, t0, t0 + dur * 0.9, v)
                for p in tri:
                    note(guitar, 52 + p % 12, t0, t0 + dur * 0.5, v * 0.7)
                if rng.random() < 0.7:
                    note(piano, 72 + tonic + _MAJOR[rng.integers(0, 7)], t0, t1, v * 0.8)
                if not quiet:
                    kick = k == 0 or (per_bar == 4 and k == 2) or (per_bar == 3 and False)
                    snare = (per_bar == 4 and k in (1, 3)) or (per_bar == 2 and k == 1) or \
                        (per_bar == 3 and k in (1, 2))
                    if kick:
                        note(drums, 36, t0, t0 + 0.1, 110)
                    if snare:
                        note(drums, 38, t0, t0 + 0.1, 100)
                    for ts in subs:
                        note(drums, 42, ts, ts + 0.05, 70)
            elif texture == "waltz":
                if k == 0:
                    note(bass, 36 + root % 12, t0, t1 * 0.9 + t0 * 0.1, v)
                    note(piano, 48 + root % 12, t0, t1, v)
                else:
                    for p in tri[1:] + [tri[0] + 12]:
                        note(piano, 55 + p % 12, t0, t0 + dur * 0.45, v * 0.6)
                if k == 0 or rng.random() < 0.5:
                    note(strings, 72 + tonic + _MAJOR[rng.integers(0, 7)], t0, t1, v * 0.7)
            elif texture == "march":
                if k == 0:
                    note(bass, 36 + root % 12, t0, t0 + dur * 0.6, v)
                else:
                    for p in tri:
                        note(piano, 55 + p % 12, t0, t0 + dur * 0.4, v * 0.7)
                if not quiet:
                    note(drums, 38, t0, t0 + 0.1, 95 if k == 0 else 75)
                    note(drums, 38, subs[-1], subs[-1] + 0.05, 55)
                note(piano, 72 + tonic + _MAJOR[rng.integers(0, 7)], t0, t0 + dur * 0.9, v * 0.8)
            elif texture == "strings":
                if k == 0:
                    for p in tri:
                        note(strings, 60 + p % 12, t0, beats[min(i + per_bar, len(beats) - 1)],
                             v * 0.7)
                note(pizz, 36 + (root if k % 2 == 0 else fifth) % 12, t0, t0 + 0.3, v)
                note(pizz, 60 + tri[k % 3] % 12, subs[-1], subs[-1] + 0.2, v * 0.6)
            else:
                raise ValueError(texture)
    pm.instruments.extend(i for i in (piano, bass, strings, pizz, guitar, drums) if i.notes)
    bt = beats[: n_bars * per_bar]
    curve = [(float(bt[i]), float(60.0 / (beats[i + 1] - beats[i]))) for i in range(len(bt))]
    truth = RhythmTruth(name=name, meter=meter, beats=bt, downbeats=bt[::per_bar],
                        tempo_curve=curve)
    return pm, truth


# name -> compose() kwargs. Varied meters, tempi, textures and tempo shapes.
SUITE = {
    "band_44_120": dict(seed=1, meter="4/4", bpm=120, texture="band"),
    "band_44_92_step": dict(seed=2, meter="4/4", bpm=92, tempo="step", ratio=1.3,
                            texture="band", duration=50),
    "band_44_150": dict(seed=3, meter="4/4", bpm=150, texture="band", quiet_intro_bars=4),
    "band_34_104": dict(seed=4, meter="3/4", bpm=104, texture="band"),
    "band_24_110": dict(seed=5, meter="2/4", bpm=110, texture="band"),
    "ballad_44_66_rubato": dict(seed=6, meter="4/4", bpm=66, tempo="rubato", texture="ballad",
                                duration=50),
    "ballad_34_80_rubato": dict(seed=7, meter="3/4", bpm=80, tempo="rubato", texture="ballad",
                                duration=45),
    "ballad_44_72_rit": dict(seed=8, meter="4/4", bpm=76, tempo="rit", ratio=1.35,
                             texture="ballad", duration=50),
    "ballad_44_84_accel": dict(seed=9, meter="4/4", bpm=84, tempo="accel", ratio=1.4,
                               texture="ballad", duration=50),
    "waltz_34_150": dict(seed=10, meter="3/4", bpm=150, texture="waltz"),
    "waltz_34_126_accel": dict(seed=11, meter="3/4", bpm=126, tempo="accel", ratio=1.3,
                               texture="waltz", duration=50),
    "march_24_116": dict(seed=12, meter="2/4", bpm=116, texture="march", quiet_intro_bars=4),
    "compound_68_60": dict(seed=13, meter="6/8", bpm=60, texture="compound"),
    "compound_68_72_step": dict(seed=14, meter="6/8", bpm=66, tempo="step", ratio=1.25,
                                texture="compound", duration=50),
    "band_68_80": dict(seed=15, meter="6/8", bpm=80, texture="band"),
    "strings_44_96": dict(seed=16, meter="4/4", bpm=96, texture="strings"),
    "strings_34_88_rit": dict(seed=17, meter="3/4", bpm=88, tempo="rit", ratio=1.3,
                              texture="strings", duration=45),
    "band_44_100_accel": dict(seed=18, meter="4/4", bpm=100, tempo="accel", ratio=1.35,
                              texture="band", duration=50),
    "band_44_132_stepdown": dict(seed=19, meter="4/4", bpm=132, tempo="step", ratio=0.75,
                                 texture="band", duration=50),
    "ballad_44_58_quiet": dict(seed=20, meter="4/4", bpm=58, texture="ballad",
                               quiet_intro_bars=3, duration=50),
}


def render_piece(name: str, *, sr: int = 22050, cache_dir: str | None = None):
    """Render a SUITE or HELDOUT piece: ``(y [shape=(2, n)], sr, RhythmTruth)``, cached."""
    import os

    from songlens.testing.render import render_midi

    pm, truth = compose(name, **PLANS[name])
    if cache_dir is not None:
        path = os.path.join(cache_dir, f"{name}_{sr}.npy")
        if os.path.exists(path):
            return np.load(path), sr, truth
    y = render_midi(pm, sr=sr)
    if cache_dir is not None:
        os.makedirs(cache_dir, exist_ok=True)
        np.save(path, y)
    return y, sr, truth


def random_suite(n: int, *, seed: int = 100, prefix: str = "rand") -> dict[str, dict]:
    """``n`` more SUITE-style plans with random meter, texture, tempo and tempo shape."""
    rng = np.random.default_rng(seed)
    out = {}
    textures = {"2/4": ["band", "march", "strings"], "3/4": ["band", "waltz", "ballad", "strings"],
                "4/4": ["band", "ballad", "strings"], "6/8": ["compound", "band"]}
    for k in range(n):
        meter = str(rng.choice(["2/4", "3/4", "4/4", "4/4", "6/8"]))
        texture = str(rng.choice(textures[meter]))
        lo, hi = {"ballad": (55, 95), "compound": (50, 90)}.get(texture, (70, 170))
        if texture == "band" and meter == "6/8":
            lo, hi = 55, 100
        bpm = float(np.round(rng.uniform(lo, hi)))
        tempo = str(rng.choice(["constant", "constant", "step", "accel", "rit", "rubato"]))
        ratio = float(rng.choice([0.8, 1.2, 1.3])) if tempo == "step" else 1.25
        out[f"{prefix}{k:02d}_{texture}_{meter.replace('/', '')}_{int(bpm)}_{tempo}"] = dict(
            seed=seed + k, meter=meter, bpm=bpm, tempo=tempo, ratio=ratio, texture=texture,
            duration=float(rng.uniform(35, 55)), quiet_intro_bars=int(rng.choice([0, 0, 2, 4])),
            tonic=int(rng.integers(0, 12)))
    return out


SUITE.update(random_suite(24))

HELDOUT = random_suite(24, seed=900, prefix="held")
"""Plans never looked at while choosing the analyser's constants (held-out check)."""

PLANS = {**SUITE, **HELDOUT}
