"""Spotify-compatible audio descriptors ("audio features") measured by SongLens.

Spotify's ``/audio-features`` endpoint was closed to new apps in November 2024.
This module gives the same fields with the same ranges and meanings, measured
locally. Each field below says what Spotify documents and what SongLens
measures for it. A field SongLens cannot measure honestly in the current
profile is ``None`` (``null`` in JSON), never a made-up number.

Conventions
-----------
=================  ===========================================================
field              Spotify meaning -> SongLens measurement
=================  ===========================================================
acousticness       0-1 confidence the track is acoustic -> the mean of the
                   readings available: (1) a logistic of the peak-to-loudness
                   ratio (acoustic, lightly compressed recordings keep PLR >=
                   14 dB; dense electronic masters sit near 8 dB) times the
                   share of energy below 4 kHz; (2) with tags, P(acoustic) vs
                   P(electronic) tags; (3) with an instrument timeline, the
                   share of the time played by acoustic instrument classes
                   (piano, strings, acoustic guitar, brass, woodwinds) among
                   those and the electric/electronic ones (electric guitar,
                   synth); drums, bass, organ and vocals, which come either
                   way, are left out. A quiet synth score is not "acoustic".
danceability       0-1 from tempo, rhythm stability, beat strength, regularity
                   -> pulse clarity (normalised autocorrelation of the onset
                   envelope at the beat period, and its regularity over the
                   track) x a tempo preference centred on 120 BPM (log-
                   Gaussian, 1 octave wide; Moelants 2002 preferred tempo).
energy             0-1 perceptual intensity/activity (loudness, dynamic
                   range, timbre, onset rate, entropy) -> mean of: loudness
                   (-30 LUFS = 0, -6 = 1), onset density (0-6 events/s),
                   brightness (centroid 500-4000 Hz, log) and low dynamic
                   range (LRA 20 LU = 0, 2 LU = 1).
instrumentalness   0-1, > 0.5 = no vocals -> only with learned tags
                   (``instrumental`` vs vocal tags); else None.
liveness           0-1, > 0.8 = live audience -> only with a ``live`` tag;
                   else None.
loudness           dB, typically -60..0 -> integrated loudness (LUFS,
                   BS.1770-4), which Spotify's figure approximates.
speechiness        0-1 spoken words -> only with ``speech``/``rap``/``spoken``
                   tags; else None.
tempo              BPM -> the rhythm analysis when present, else a rough
                   onset-autocorrelation estimate.
valence            0-1 musical positiveness -> (emotion valence + 1) / 2.
key                pitch class 0-11, -1 if none -> tonic of the key analysis
                   (or the emotion analysis' fallback estimate from notes).
mode               1 major, 0 minor -> same source; None if unknown.
time_signature     3-7 (beats per bar) -> beats per downbeat of the rhythm
                   analysis; None without downbeats.
duration_ms        int -> decoded duration.
=================  ===========================================================

References
----------
.. [1] Spotify Web API reference, "Get Track's Audio Features" (2024).
.. [2] Moelants, D. (2002). Preferred tempo reconsidered. Proc. ICMPC 7.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..result.model import Descriptors

__all__ = ["PITCH_CLASSES", "ACOUSTIC_CLASSES", "ELECTRIC_CLASSES", "pulse_clarity",
           "compute_descriptors", "spotify_json"]

ACOUSTIC_CLASSES = ("piano", "strings", "acoustic guitar", "brass", "woodwinds")
"""Instrument classes that count as acoustic for ``acousticness``."""
ELECTRIC_CLASSES = ("electric guitar", "synth")
"""Instrument classes that count as electric/electronic for ``acousticness``."""

PITCH_CLASSES = {"C": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "F": 5, "F#": 6,
                 "Gb": 6, "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11}


def _clip01(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


def pulse_clarity(onset_env: np.ndarray, *, frame_rate: float, bpm: float | None) -> float | None:
    """How clearly and regularly the onset envelope pulses at the beat period (0-1).

    The autocorrelation of the mean-removed, lightly smoothed envelope at the beat lag (the best
    lag within +-4 % of ``60 / bpm``, or the strongest lag in 40-200 BPM),
    normalised by the zero-lag value, averaged over 8 s windows (hop 4 s) so
    that a pulse which drifts or stops scores lower.

    Returns
    -------
    clarity : float in [0, 1] or None
        None when the envelope is shorter than 8 s or flat.
    """
    env = np.asarray(onset_env, dtype=np.float64)
    if frame_rate <= 0:
        raise ParameterError("frame_rate must be > 0")
    # a 5-frame triangular smoothing makes a pulse whose period is not a whole
    # number of frames correlate at one lag
    env = np.convolve(env, np.array([1.0, 2.0, 3.0, 2.0, 1.0]) / 9.0, mode="same")
    win = int(8 * frame_rate)
    if env.size < win or not np.any(env > 0):
        return None
    lo, hi = int(frame_rate * 60 / 200), int(frame_rate * 60 / 40)
    vals = []
    for i in range(0, env.size - win + 1, max(1, win // 2)):
        w = env[i:i + win] - env[i:i + win].mean()
        ac = np.correlate(w, w, mode="full")[win - 1:]
        if ac[0] <= 0:
            continue
        ac = ac / ac[0]
        if bpm:
            lag = frame_rate * 60 / bpm
            a, b = max(1, int(lag * 0.96)), min(ac.size - 1, int(math.ceil(lag * 1.04)))
            vals.append(float(ac[a:b + 1].max()) if b >= a else 0.0)
        else:
            vals.append(float(ac[lo:hi].max()))
    return _clip01(float(np.mean(vals))) if vals else None


def _tag(tags: Mapping[str, float] | None, *names: str) -> float | None:
    if not tags:
        return None
    low = {str(k).lower(): float(v) for k, v in tags.items()}
    found = [low[n] for n in names if n in low]
    return max(found) if found else None


def compute_descriptors(*, duration: float, integrated_lufs: float | None,
                        loudness_range_lu: float | None, plr_db: float | None,
                        band_share_below_4k: float | None, onset_env: np.ndarray | None,
                        frame_rate: float, onset_rate: float | None,
                        centroid_hz: float | None, bpm: float | None,
                        valence: float | None, tonic: str | None, mode: str | None,
                        beats_per_bar: int | None,
                        tags: Mapping[str, float] | None = None,
                        instrument_seconds: Mapping[str, float] | None = None) -> Descriptors:
    """Spotify-style descriptors (see the module table for each definition).

    Parameters
    ----------
    duration : float
        Seconds.
    integrated_lufs, loudness_range_lu, plr_db : float or None
        From the loudness and production analyses.
    band_share_below_4k : float or None
        Share of spectral energy below 4 kHz.
    onset_env : np.ndarray or None
        Onset envelope on the STFT grid.
    frame_rate : float
        Frames per second of ``onset_env``.
    onset_rate : float or None
        Onsets (events) per second.
    centroid_hz : float or None
        Median spectral centroid.
    bpm : float or None
    valence : float in [-1, 1] or None
    tonic, mode : str or None
        E.g. ``"A"``, ``"minor"``.
    beats_per_bar : int or None
    tags : mapping, optional
        Learned tag probabilities.
    instrument_seconds : mapping, optional
        Seconds each instrument class plays (from the instrument timeline),
        e.g. ``{"piano": 120.0, "synth": 30.0}``.

    Returns
    -------
    Descriptors
    """
    if duration < 0:
        raise ParameterError("duration must be >= 0")
    # acousticness: the mean of the readings available
    readings = []
    if plr_db is not None:
        plr = 1 / (1 + math.exp(-(plr_db - 11.0) / 1.5))
        if band_share_below_4k is not None:
            plr *= _clip01((band_share_below_4k - 0.5) / 0.45)
        readings.append(plr)
    ta, te = _tag(tags, "acoustic"), _tag(tags, "electronic", "electronica", "electro", "house")
    if ta is not None or te is not None:
        readings.append(_clip01(0.5 + 0.5 * ((ta or 0.0) - (te or 0.0))))
    if instrument_seconds:
        sec = {str(k).lower(): max(0.0, float(v)) for k, v in instrument_seconds.items()}
        ac = sum(sec.get(k, 0.0) for k in ACOUSTIC_CLASSES)
        el = sum(sec.get(k, 0.0) for k in ELECTRIC_CLASSES)
        if ac + el > 0:
            readings.append(ac / (ac + el))
    acoustic = float(np.mean(readings)) if readings else None
    # danceability
    dance = None
    clarity = pulse_clarity(onset_env, frame_rate=frame_rate, bpm=bpm) \
        if onset_env is not None else None
    if clarity is not None and bpm:
        pref = math.exp(-0.5 * (math.log2(bpm / 120.0) / 1.0) ** 2)
        dance = _clip01(math.sqrt(clarity) * pref)
    # energy
    parts = []
    if integrated_lufs is not None:
        parts.append(_clip01((integrated_lufs + 30) / 24))
    if onset_rate is not None:
        parts.append(_clip01(onset_rate / 6))
    if centroid_hz:
        parts.append(_clip01(math.log(centroid_hz / 500) / math.log(8)))
    if loudness_range_lu is not None:
        parts.append(_clip01((20 - loudness_range_lu) / 18))
    energy = float(np.mean(parts)) if parts else None
    # tag-only fields
    inst = None
    ti = _tag(tags, "instrumental")
    tv = _tag(tags, "female vocalists", "male vocalists", "female vocalist", "male vocalist",
              "vocal", "vocals", "singer")
    if ti is not None or tv is not None:
        inst = _clip01(0.5 + 0.5 * ((ti or 0.0) - (tv or 0.0)))
    live = _tag(tags, "live")
    speech = _tag(tags, "speech", "spoken", "rap", "spoken word")
    key = PITCH_CLASSES.get(tonic, -1) if tonic else -1
    mode_i = None if mode not in ("major", "minor") else int(mode == "major")
    ts = int(beats_per_bar) if beats_per_bar and 3 <= beats_per_bar <= 7 else None
    return Descriptors(
        acousticness=acoustic, danceability=dance, energy=energy, instrumentalness=inst,
        liveness=live, loudness=integrated_lufs, speechiness=speech,
        tempo=float(bpm) if bpm else None,
        valence=None if valence is None else _clip01((valence + 1) / 2),
        key=key, mode=mode_i, time_signature=ts, duration_ms=int(round(duration * 1000)))


def spotify_json(d: Descriptors, *, track_id: str, uri: str) -> dict[str, Any]:
    """The descriptors in the exact shape of Spotify's audio-features object.

    Keys (alphabetical, as Spotify returns them): acousticness, analysis_url,
    danceability, duration_ms, energy, id, instrumentalness, key, liveness,
    loudness, mode, speechiness, tempo, time_signature, track_href, type, uri,
    valence. ``analysis_url`` and ``track_href`` are ``None`` for local files.
    """
    def r(x: float | None, n: int = 3) -> float | None:
        return None if x is None or not math.isfinite(x) else round(float(x), n)

    return {
        "acousticness": r(d.acousticness), "analysis_url": None,
        "danceability": r(d.danceability), "duration_ms": d.duration_ms,
        "energy": r(d.energy), "id": track_id, "instrumentalness": r(d.instrumentalness),
        "key": d.key, "liveness": r(d.liveness), "loudness": r(d.loudness),
        "mode": d.mode, "speechiness": r(d.speechiness), "tempo": r(d.tempo),
        "time_signature": d.time_signature, "track_href": None, "type": "audio_features",
        "uri": uri, "valence": r(d.valence),
    }
