"""The analysis pipeline: decode once, share features, call each analyser.

:func:`analyze` takes a file, :func:`analyze_signal` an in-memory signal; both
stream the audio through one :class:`~songlens.features.FeatureExtractor` pass
and then call the pure analysers of :mod:`songlens.analysis`. Progress is
reported through an optional callback, never printed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from . import __version__
from ._blas import one_blas_thread
from .analysis.chords import analyze_chords, decode_chords
from .analysis.dynamics import analyze_dynamics
from .analysis.key import analyze_key
from .analysis.loudness import loudness_curve, measure_loudness
from .analysis.production import measure_production
from .analysis.rhythm import analyze_rhythm, analyze_rhythm_windowed
from .analysis.silence import find_silences
from .analysis.structure import analyze_sections, mfcc_from_log_mel
from .config import AnalysisConfig
from .dsp.chroma import pitch_features
from .dsp.spectral import onset_envelope
from .errors import AudioLoadError, AudioTooShortError, ParameterError
from .features import FeatureBundle, FeatureExtractor
from .io.audio import AudioInfo, channel_weights, open_audio
from .result.model import AnalysisResult, Track

__all__ = ["analyze", "analyze_signal", "analyze_features", "ProgressCallback",
           "MIN_DURATION"]

ProgressCallback = Callable[[float, str], None]
"""``callback(fraction, stage)``: fraction in [0, 1] of the work for this track."""

MIN_DURATION = 0.1
"""Shortest audio SongLens analyses (s)."""


def _check_config(config: AnalysisConfig | dict[str, Any] | None) -> AnalysisConfig:
    if config is None:
        return AnalysisConfig()
    if isinstance(config, AnalysisConfig):
        return config
    if isinstance(config, dict):
        return AnalysisConfig.from_dict(config)
    raise ParameterError("config must be an AnalysisConfig, a dict or None")


def analyze(path: str | os.PathLike[str], *, config: AnalysisConfig | dict[str, Any] | None = None,
            progress: ProgressCallback | None = None) -> AnalysisResult:
    """Analyse an audio or video file.

    Parameters
    ----------
    path : str or path-like
        Any format FFmpeg decodes (wav, flac, ogg, opus, mp3, m4a, aiff, mp4, mkv,
        webm, mov, ...).
    config : AnalysisConfig or dict, optional
        Settings; a dict is validated (unknown keys raise ParameterError).
    progress : callable, optional
        ``progress(fraction, stage)``.

    Returns
    -------
    AnalysisResult

    Raises
    ------
    AudioLoadError
        The file is missing, not audio, corrupt, empty or too short.
    ParameterError
        Invalid settings.
    """
    cfg = _check_config(config)
    with _blas_one_thread():
        result = _analyze_file(path, cfg, progress)
    if progress is not None:
        progress(1.0, "done")
    return result


def _analyze_file(path: str | os.PathLike[str], cfg: AnalysisConfig,
                  progress: ProgressCallback | None) -> AnalysisResult:
    with open_audio(path) as reader:
        info = reader.info
        stream = _stream_for(cfg, info.declared_duration or info.duration)
        block = max(1, int(cfg.signal.block_seconds * info.sample_rate))
        weights = channel_weights(info.channel_names, info.channels)

        def on_block(n: int) -> None:
            if progress is not None and info.duration:
                progress(min(0.95, 0.95 * n / info.sample_rate / info.duration), "decoding")

        try:
            bundle = FeatureExtractor.from_blocks(
                reader.blocks(block), sr=info.sample_rate, channel_weights=weights,
                signal=cfg.signal, on_block=on_block,
                on_analysis=None if stream is None else stream.push)
        except BaseException:
            if stream is not None:
                stream.close()
            raise
        warnings = list(reader.warnings)
    if bundle.stats.n == 0:
        if stream is not None:
            stream.close()
        raise AudioLoadError(f"no audio could be decoded from {str(path)!r}")
    announced = info.declared_duration or info.duration
    if announced and bundle.duration < 0.98 * announced - 0.5:
        warnings.append(
            f"decoded {bundle.duration:.2f} s of the {announced:.2f} s the header "
            "announces; the file is probably truncated"
        )
    return analyze_features(bundle, info=info, config=cfg, warnings=warnings, stream=stream)


def _blas_one_thread() -> contextlib.AbstractContextManager[Any]:
    """:func:`songlens._blas.one_blas_thread`, a no-op without threadpoolctl."""
    return one_blas_thread() or contextlib.nullcontext()


def _blocks(y: np.ndarray, n: int) -> Iterator[np.ndarray]:
    for i in range(0, y.shape[1], n):
        yield y[:, i:i + n]


def analyze_signal(y: np.ndarray, *, sr: int, config: AnalysisConfig | dict[str, Any] | None = None,
                   channel_names: tuple[str, ...] = (), path: str = "<array>") -> AnalysisResult:
    """Analyse an in-memory signal.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)]
        Samples, full scale = 1.
    sr : int > 0
        Sample rate of ``y`` (Hz). No default, and never resampled implicitly.
    config : AnalysisConfig or dict, optional
    channel_names : tuple of str
        FFmpeg channel names, to weight surround/LFE channels per BS.1770.
    path : str
        Label recorded as ``track.path``.

    Returns
    -------
    AnalysisResult
    """
    cfg = _check_config(config)
    if not isinstance(sr, int | np.integer) or sr <= 0:
        raise ParameterError(f"sr must be a positive integer sample rate in Hz, got {sr!r}")
    y = np.asarray(y)
    if y.ndim == 1:
        y = y[np.newaxis, :]
    if y.ndim != 2 or y.shape[0] == 0:
        raise ParameterError(f"y must have shape (n,) or (channels, n), got {y.shape}")
    if y.shape[0] > 64:
        raise ParameterError(f"y has {y.shape[0]} channels; did you pass (n, channels)? "
                             "transpose it to (channels, n)")
    if y.shape[1] == 0:
        raise AudioLoadError("the signal is empty")
    info = AudioInfo(path=path, sample_rate=int(sr), channels=y.shape[0],
                     channel_names=channel_names, duration=y.shape[1] / sr)
    weights = channel_weights(channel_names, y.shape[0])
    block = max(1, int(cfg.signal.block_seconds * sr))
    stream = _stream_for(cfg, y.shape[1] / sr)
    with _blas_one_thread():
        try:
            bundle = FeatureExtractor.from_blocks(
                _blocks(y.astype(np.float32, copy=False), block), sr=int(sr),
                channel_weights=weights, signal=cfg.signal,
                on_analysis=None if stream is None else stream.push)
        except BaseException:
            if stream is not None:
                stream.close()
            raise
        return analyze_features(bundle, info=info, config=cfg, warnings=[], stream=stream)


def analyze_features(bundle: FeatureBundle, *, info: AudioInfo, config: AnalysisConfig,
                     warnings: list[str], stream: Any = None) -> AnalysisResult:
    """Run the analysers of ``config.profile`` on precomputed features.

    ``stream`` is the :class:`~songlens.analysis.transcription.StreamingTranscriber`
    that was fed during decoding (``full`` profile), if any. BLAS runs on one
    thread meanwhile (see :func:`_blas_one_thread`).
    """
    with _blas_one_thread():
        return _analyze_features(bundle, info=info, config=config, warnings=warnings,
                                 stream=stream)


def _analyze_features(bundle: FeatureBundle, *, info: AudioInfo, config: AnalysisConfig,
                      warnings: list[str], stream: Any = None) -> AnalysisResult:
    warnings = list(warnings) + list(bundle.warnings)
    if bundle.duration < MIN_DURATION:
        if stream is not None:
            stream.close()
        raise AudioTooShortError(
            f"{info.path!r} holds only {bundle.duration:.3f} s of audio; "
            f"SongLens needs at least {MIN_DURATION} s"
        )
    if bundle.stats.non_finite == bundle.stats.n * bundle.channels:
        raise AudioLoadError(f"{info.path!r} contains no finite samples (all NaN/inf)")
    track = Track(path=info.path, duration=bundle.duration, sample_rate=info.sample_rate,
                  channels=info.channels, title=info.title, artist=info.artist)
    result = AnalysisResult(track=track, settings=_settings(config, info), version=__version__)
    # the model runs on its own threads while the DSP analysers below run here
    pending = tagging = None
    if config.profile == "full":
        pending = _start_transcription(bundle, config, warnings, stream)
        tagging = _start_tagging(bundle, config)
    elif stream is not None:
        stream.close()

    loud = measure_loudness(bundle.k_power, bundle.k_count, sr=bundle.sample_rate,
                            true_peak=bundle.stats.true_peak)
    result.loudness = loud
    result.silences = find_silences(bundle.power_10ms, config=config.silence)
    times, lufs = loudness_curve(bundle.k_power, bundle.k_count, sr=bundle.sample_rate,
                                 window_s=0.4)
    env = onset_envelope(bundle.log_mel)
    result.buildups, result.climax = analyze_dynamics(
        lufs, times, env, frame_rate=config.signal.frame_rate,
        silences=[(s.start, s.end) for s in result.silences], config=config.dynamics)
    if bundle.duration <= config.signal.keep_audio_max_seconds:
        result.tempo = analyze_rhythm(bundle.log_mel, frame_rate=config.signal.frame_rate,
                                      fmax=min(config.signal.sample_rate / 2, 11025.0))
    else:
        # the beat tracker's memory grows faster than linearly with length (seen:
        # > 9 GB on 3 hours): long files are tracked in overlapping windows
        result.tempo = analyze_rhythm_windowed(
            bundle.log_mel, frame_rate=config.signal.frame_rate,
            fmax=min(config.signal.sample_rate / 2, 11025.0))
        warnings.append(
            f"longer than {config.signal.keep_audio_max_seconds:.0f} s: tempo and beats were "
            "tracked in 10-minute windows (bars are not aligned across their seams)")
    result.sections = _sections(bundle, result, config)
    result.production = measure_production(bundle.stats, band_power=bundle.band_power,
                                           integrated_lufs=loud.integrated_lufs)
    _harmony(result, bundle, config=config, warnings=warnings)
    # before waiting for the models: the last steps need only these and the models' outputs
    timbre = _timbre_cues(bundle, config)
    tags = None
    if config.profile == "full":
        tags = _run_models(result, bundle, config, warnings, tagging)
    _melody_emotion_descriptors(result, bundle, config, pending=pending, onset_env=env,
                                loudness=(times, lufs), tags=tags, timbre=timbre)

    # observations worth a warning (the result stays valid)
    if loud.integrated_lufs is None:
        if bundle.stats.peak.max() == 0:
            warnings.append("the audio is digital silence: no loudness, climax or build-ups")
        elif bundle.duration < 0.4:
            warnings.append("shorter than one 400 ms loudness block: no integrated loudness")
        else:
            warnings.append("the audio stays below -70 LUFS: no integrated loudness")
    if (result.tempo is None and loud.integrated_lufs is not None
            and bundle.duration <= config.signal.keep_audio_max_seconds):
        warnings.append("no steady beat found: tempo, beats and meter are omitted")
    if result.production.clipped_samples > 0:
        warnings.append(f"{result.production.clipped_samples} samples look clipped "
                        "(runs of 3+ at full scale)")
    dc = max(abs(x) for x in result.production.dc_offset)
    if dc > 0.01:
        warnings.append(f"DC offset of {dc:.3f} full scale")
    if info.sample_rate < config.signal.sample_rate:
        warnings.append(
            f"sample rate {info.sample_rate} Hz is below the analysis rate "
            f"{config.signal.sample_rate} Hz: upsampled, nothing above "
            f"{info.sample_rate // 2} Hz can be measured"
        )
    result.warnings = warnings
    return result


def _sections(bundle: FeatureBundle, result: AnalysisResult,
              config: AnalysisConfig) -> list[Any] | None:
    """Sections over the sounding span (leading/trailing silences excluded)."""
    if bundle.log_mel.shape[0] < 4:
        return None
    start, end = 0.0, bundle.duration
    for s in result.silences or []:
        if s.start <= 0.0 + 1e-6:
            start = max(start, s.end)
        if s.end >= bundle.duration - 1e-6:
            end = min(end, s.start)
    if end - start < 2.0:
        return None
    level = np.empty(bundle.log_mel.shape[0], dtype=np.float32)
    for i in range(0, level.size, 1 << 16):  # blocks: bounded temporaries
        power = np.sum(10.0 ** (bundle.log_mel[i:i + (1 << 16)] / 10.0), axis=1)
        level[i:i + (1 << 16)] = 10.0 * np.log10(np.maximum(power, 1e-10))
    beats = np.asarray(result.tempo.beats) if result.tempo is not None else None
    return analyze_sections([mfcc_from_log_mel(bundle.log_mel), np.log1p(bundle.chroma)],
                            frame_rate=config.signal.frame_rate, span=(start, end),
                            loudness=level, beats=beats)


def _harmony(result: AnalysisResult, bundle: FeatureBundle, *, config: AnalysisConfig,
             warnings: list[str]) -> None:
    """Key, chords and harmony from the kept mono signal (beat-synchronous with beats)."""
    if bundle.y is None:
        warnings.append("the track is too long to keep its audio in memory: "
                        "no key or chords")
        return
    pitch = pitch_features(bundle.y, sr=config.signal.sample_rate)
    tempo = result.tempo
    beats = np.asarray(tempo.beats) if tempo is not None and len(tempo.beats) > 1 else None
    decoded = decode_chords(pitch, beats=beats, duration=bundle.duration)
    result.key = analyze_key(pitch, chords=decoded)
    result.chords, result.harmony = analyze_chords(pitch, key=result.key, chords=decoded,
                                                   duration=bundle.duration)
    if result.key is None and bundle.stats.peak.max() > 0:
        warnings.append("no pitched content found: no key, chords are all 'N'")


def _start_tagging(bundle: FeatureBundle, config: AnalysisConfig) -> Future[Any] | None:
    """Run the taggers on a worker thread (NumPy releases the GIL) beside the DSP."""
    if bundle.y is None:
        return None
    from .analysis.instruments import tag_activations

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="songlens-tag")
    fut = pool.submit(tag_activations, bundle.y, sr=bundle.signal.sample_rate,
                      config=config.instruments, also_tag=("musicnn_msd",))
    pool.shutdown(wait=False)
    return fut


def _run_models(result: AnalysisResult, bundle: FeatureBundle, config: AnalysisConfig,
                warnings: list[str], tagging: Future[Any] | None = None
                ) -> dict[str, float] | None:
    """Profile ``full``: the taggers and the instrument timeline.

    Returns the mean tag probabilities (MTT and MSD tags) for the emotion and
    descriptor readings, or None when the track was too long to tag.
    """
    if bundle.y is None:
        warnings.append("the track is longer than signal.keep_audio_max_seconds: "
                        "no instrument timeline")
        return None
    from .analysis.instruments import detect_instruments

    sections = ([(s.start, s.end, s.label) for s in result.sections]
                if result.sections else None)
    timeline = detect_instruments(bundle.y, sr=bundle.signal.sample_rate, sections=sections,
                                  config=config.instruments, also_tag=("musicnn_msd",),
                                  acts=None if tagging is None else tagging.result())
    result.instruments = timeline.instruments
    result.lead_instruments = timeline.lead
    from .models.registry import REGISTRY

    models = result.settings.setdefault("models", {})
    for name in timeline.models:
        models[name] = REGISTRY[name].to_dict()
    result.settings["instrument_timeline"] = {
        "tagger_rate_hz": 16000,
        "resampling": {"from_hz": bundle.signal.sample_rate, "to_hz": 16000,
                       "method": "soxr HQ"},
        "not_detected": list(timeline.not_detected),
    }
    if timeline.not_detected:
        warnings.append("instrument classes the models cannot detect (never reported): "
                        + ", ".join(timeline.not_detected))
    return timeline.tags


def _have_onnxruntime() -> bool:
    """Whether the ``ml`` extra (onnxruntime) is installed; checked when needed."""
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None


def _stream_for(config: AnalysisConfig, duration: float | None) -> Any:
    """A streaming transcriber to feed while decoding (``full`` profile at 22050 Hz).

    None for tracks announced as longer than ``keep_audio_max_seconds`` (their
    activations would not fit the memory budget; they get no melody).
    """
    if config.profile != "full" or not _have_onnxruntime():
        return None
    if duration is not None and duration > config.signal.keep_audio_max_seconds:
        return None
    from .analysis.transcription import MODEL_SR, StreamingTranscriber

    if config.signal.sample_rate != MODEL_SR:
        return None
    return StreamingTranscriber(sr=MODEL_SR, workers=config.models.resolved_threads())


def _start_transcription(bundle: FeatureBundle, config: AnalysisConfig,
                         warnings: list[str], stream: Any = None) -> Future[Any] | None:
    """Finish (or start) note transcription + melody in a background thread."""
    from .analysis.melody import melody_from_activations, transcribe_melody
    from .analysis.transcription import MODEL_SR

    if not _have_onnxruntime():
        warnings.append("no note transcription or melody: onnxruntime is not installed "
                        "(pip install 'songlens[ml]'); the other facets of the full profile "
                        "are complete")
        return None
    if stream is not None:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="songlens-transcribe")
        fut = pool.submit(lambda: melody_from_activations(stream.finish()))
        pool.shutdown(wait=False)
        return fut
    if bundle.y is None:
        warnings.append("the track is longer than keep_audio_max_seconds: no transcription, "
                        "no melody")
        return None
    y = bundle.y
    if config.signal.sample_rate != MODEL_SR:
        import soxr

        y = soxr.resample(y, config.signal.sample_rate, MODEL_SR, quality="HQ")
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="songlens-transcribe")
    fut = pool.submit(transcribe_melody, np.asarray(y, dtype=np.float32), sr=MODEL_SR,
                      workers=config.models.resolved_threads())
    pool.shutdown(wait=False)
    return fut


def _timbre_cues(bundle: FeatureBundle, config: AnalysisConfig
                 ) -> tuple[np.ndarray, np.ndarray, Any]:
    """Brightness per frame, its loudness mask and the sensory roughness (None without audio)."""
    from .analysis.emotion import mel_centroid

    bright, loud_mask = mel_centroid(bundle.log_mel, sr=config.signal.sample_rate)
    rough = None
    if bundle.y is not None:
        from .dsp.roughness import sensory_roughness

        sr = config.signal.sample_rate  # ~186 ms frames (5.4 Hz bins at 22050 Hz), 100 ms hop
        rough = sensory_roughness(bundle.y, sr=sr, n_fft=1 << int(round(np.log2(sr * 0.186))),
                                  hop_length=int(round(sr * 0.1)))
    return bright, loud_mask, rough


def _melody_emotion_descriptors(result: AnalysisResult, bundle: FeatureBundle,
                                config: AnalysisConfig, *, pending: Future[Any] | None,
                                onset_env: np.ndarray,
                                loudness: tuple[np.ndarray, np.ndarray],
                                tags: dict[str, float] | None = None,
                                timbre: tuple[Any, Any, Any] | None = None) -> None:
    """Melody (from the pending transcription), emotion and descriptors.

    ``timbre`` is :func:`_timbre_cues` of the bundle (computed here if None).
    """
    from .analysis.descriptors import compute_descriptors
    from .analysis.emotion import analyze_emotion, estimate_mode

    notes = lead = None
    if pending is not None:
        result.melody, notes, lead = pending.result()
        from .models.registry import REGISTRY

        result.settings.setdefault("models", {})["basic-pitch-nmp"] = \
            REGISTRY["basic-pitch-nmp"].to_dict()
    fr = config.signal.frame_rate
    bpm = result.tempo.bpm if result.tempo is not None and result.tempo.bpm else None
    mode = result.key.mode if result.key is not None else None
    mode_conf = 1.0
    if result.key is not None:  # the mode's probability, not the key's: E vs B minor is still minor
        mode_conf = (result.key.mode_confidence if result.key.mode_confidence is not None
                     else result.key.confidence)
    segs = None
    if result.key is not None and result.key.segments:
        segs = [(s.start, s.end, s.label) for s in result.key.segments]
    bright, loud_mask, rough = timbre if timbre is not None else _timbre_cues(bundle, config)
    emo = analyze_emotion(
        duration=bundle.duration, loudness_curve=loudness,
        integrated_lufs=result.loudness.integrated_lufs if result.loudness else None,
        centroid=bright, frame_times=bundle.frame_times, loud_mask=loud_mask,
        power_10ms=bundle.power_10ms, onset_env=onset_env, frame_rate=fr, bpm=bpm, mode=mode,
        mode_confidence=mode_conf, notes=notes, lead=lead, tags=tags, key_segments=segs,
        roughness=rough)
    bpm_is_rough = bpm is None
    result.emotion = emo
    if bpm_is_rough and fr > 0:
        from .analysis.emotion import estimate_tempo

        bpm = estimate_tempo(onset_env, frame_rate=fr)
    tonic = result.key.tonic if result.key is not None else None
    if mode is None and emo.cues["mode"].get("value") in ("major", "minor"):
        # no key analysis: the emotion read the mode from the transcribed notes;
        # the descriptors take that reading's tonic when its mode is the same
        mode = emo.cues["mode"]["value"]
        est = estimate_mode(notes) if notes is not None and len(notes) else None
        tonic = est[0] if est is not None and est[1] == mode else None
    bpb = None
    if result.tempo is not None and len(result.tempo.downbeats) >= 2 and result.tempo.beats:
        b = np.asarray(result.tempo.beats)
        d = np.asarray(result.tempo.downbeats)
        counts = [np.sum((b >= d[i] - 1e-3) & (b < d[i + 1] - 1e-3)) for i in range(d.size - 1)]
        bpb = int(np.median(counts)) if counts else None
    bp = bundle.band_power.sum(axis=0)
    share = float((bp[0] + bp[1]) / bp.sum()) if bp.sum() > 0 else None
    audible = bright[loud_mask]
    env_peaks = np.sum((onset_env[1:-1] > onset_env[:-2]) & (onset_env[1:-1] >= onset_env[2:])
                       & (onset_env[1:-1] > 2 * np.median(onset_env) + 1e-6))
    result.descriptors = compute_descriptors(
        duration=bundle.duration,
        integrated_lufs=result.loudness.integrated_lufs if result.loudness else None,
        loudness_range_lu=result.loudness.range_lu if result.loudness else None,
        plr_db=result.production.plr_db if result.production else None,
        band_share_below_4k=share, onset_env=onset_env, frame_rate=fr,
        onset_rate=float(env_peaks / max(bundle.duration, 1e-9)),
        centroid_hz=float(np.median(audible)) if audible.size else None, bpm=bpm,
        valence=emo.valence, tonic=tonic, mode=mode, beats_per_bar=bpb, tags=tags,
        instrument_seconds=None if result.instruments is None else {
            i.name: float(sum(b - a for a, b in i.active)) for i in result.instruments})


def _settings(config: AnalysisConfig, info: AudioInfo) -> dict[str, Any]:
    s = config.to_dict()
    s["resampling"] = {
        "from_hz": info.sample_rate,
        "to_hz": config.signal.sample_rate,
        "method": "soxr HQ" if info.sample_rate != config.signal.sample_rate else "none",
        "downmix": "mean of non-LFE channels",
    }
    return s
