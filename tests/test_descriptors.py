"""Spotify-compatible descriptors and the `songlens features` command."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from songlens.analysis.descriptors import compute_descriptors, pulse_clarity, spotify_json
from songlens.cli import main
from songlens.testing.signals import sine

SPOTIFY_KEYS = {"acousticness", "analysis_url", "danceability", "duration_ms", "energy", "id",
                "instrumentalness", "key", "liveness", "loudness", "mode", "speechiness",
                "tempo", "time_signature", "track_href", "type", "uri", "valence"}
FR = 22050 / 512


def _clicks(bpm, seconds=30.0, jitter=0.0, rng=None):
    env = np.zeros(int(seconds * FR))
    t = np.arange(0, seconds, 60 / bpm)
    if jitter:
        t = t + rng.normal(0, jitter, t.size)
    env[np.clip((t * FR).astype(int), 0, env.size - 1)] = 1.0
    return env


def test_pulse_clarity_regular_vs_irregular(rng):
    regular = pulse_clarity(_clicks(120), frame_rate=FR, bpm=120.0)
    irregular = pulse_clarity(_clicks(120, jitter=0.08, rng=rng), frame_rate=FR, bpm=120.0)
    noise = pulse_clarity(rng.random(int(30 * FR)), frame_rate=FR, bpm=120.0)
    assert regular > 0.8 and regular > irregular + 0.3 and noise < 0.2


def _desc(**kw):
    args = dict(duration=200.5, integrated_lufs=-9.0, loudness_range_lu=4.0, plr_db=8.0,
                band_share_below_4k=0.9, onset_env=_clicks(124), frame_rate=FR, onset_rate=4.0,
                centroid_hz=2500.0, bpm=124.0, valence=0.5, tonic="A", mode="minor",
                beats_per_bar=4)
    args.update(kw)
    return compute_descriptors(**args)


def test_ranges_and_semantics():
    d = _desc()
    for k in ("acousticness", "danceability", "energy", "valence"):
        assert 0.0 <= getattr(d, k) <= 1.0
    assert d.key == 9 and d.mode == 0 and d.time_signature == 4 and d.duration_ms == 200500
    assert d.valence == pytest.approx(0.75) and d.loudness == -9.0 and d.tempo == 124.0
    assert d.danceability > 0.7 and d.energy > 0.6
    quiet = _desc(integrated_lufs=-30.0, loudness_range_lu=16.0, plr_db=18.0, onset_rate=0.5,
                  centroid_hz=700.0, onset_env=_clicks(60), bpm=60.0)
    assert quiet.energy < d.energy - 0.4
    assert quiet.acousticness > d.acousticness
    assert quiet.danceability < d.danceability
    # not measurable without tags: None, never invented
    assert d.instrumentalness is None and d.speechiness is None and d.liveness is None
    assert _desc(tonic=None, mode=None).key == -1 and _desc(mode=None).mode is None


def test_tags_fill_tag_only_fields():
    d = _desc(tags={"instrumental": 0.9, "live": 0.2, "acoustic": 0.8})
    assert d.instrumentalness > 0.8 and d.liveness == pytest.approx(0.2)


def test_instrumentation_reading_of_acousticness():
    base = _desc(plr_db=15.0, band_share_below_4k=0.9)  # a lightly compressed master
    piano = _desc(plr_db=15.0, band_share_below_4k=0.9,
                  instrument_seconds={"piano": 180.0, "strings": 60.0, "drums": 200.0})
    synth = _desc(plr_db=15.0, band_share_below_4k=0.9,
                  instrument_seconds={"synth": 190.0, "piano": 10.0, "drums": 200.0})
    assert synth.acousticness < base.acousticness < piano.acousticness
    # the mean of the readings: PLR reading and a 95 % electronic instrumentation
    assert synth.acousticness == pytest.approx(0.5 * (base.acousticness + 10 / 200))
    # classes that come either way (drums, bass, organ, vocals) give no reading
    neutral = _desc(plr_db=15.0, band_share_below_4k=0.9,
                    instrument_seconds={"drums": 100.0, "vocals": 100.0, "organ": 50.0})
    assert neutral.acousticness == pytest.approx(base.acousticness)


def test_spotify_shape():
    doc = spotify_json(_desc(), track_id="x", uri="file:///x.wav")
    assert set(doc) == SPOTIFY_KEYS and doc["type"] == "audio_features"
    assert list(doc) == sorted(doc)


def test_features_command(tmp_path):
    sf = pytest.importorskip("soundfile")
    path = tmp_path / "tone.wav"
    sf.write(path, sine(440, 12.0, sr=22050, dbfs=-12)[0], 22050)
    out, err = io.StringIO(), io.StringIO()
    assert main(["features", str(path)], stdout=out, stderr=err) == 0, err.getvalue()
    doc = json.loads(out.getvalue())
    assert set(doc) == SPOTIFY_KEYS
    assert doc["duration_ms"] == 12000 and doc["uri"].startswith("file://")
    assert main(["features", str(tmp_path / "missing.wav")], stdout=out, stderr=err) == 3
