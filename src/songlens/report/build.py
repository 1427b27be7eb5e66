"""From inputs on disk to a report file: load or analyse, find the audio, write.

Conventions
-----------
* An input is an analysis JSON (``.json`` suffix, or a file whose first
  non-blank byte is ``{``) or anything :func:`songlens.pipeline.analyze` reads.
* For a JSON input the audio is looked for at ``track.path`` as written (absolute,
  or relative to the current directory), then relative to the JSON's folder, then
  by file name next to the JSON. It is linked relative to the report (default) or
  embedded as a ``data:`` URI (``embed_audio=True``; formats browsers cannot play
  are transcoded to MP3 first).
* The waveform is drawn only when the audio is decoded anyway (audio input) or
  on request (``waveform=True``), so a report from an existing analysis needs no
  decoding and takes well under a second.
* The report depends on the analysis result only; audio is used for the player
  and the waveform picture, never for a claim in the text.
"""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..errors import AudioLoadError, ParameterError, ResultFormatError
from ..result.migrations import migrate
from ..result.model import AnalysisResult
from ..result.serialize import atomic_write_text, result_from_dict
from .html import AudioSource, render_html
from .markdown import render_markdown
from .narrative import prepare

if TYPE_CHECKING:
    import numpy as np

__all__ = ["ReportInput", "load_input", "find_audio", "waveform_envelope", "audio_source",
           "write_report", "demo_report", "WAVEFORM_BINS", "MAX_EMBED_BYTES"]

WAVEFORM_BINS = 1600
"""Time bins of the drawn waveform envelope."""

MAX_EMBED_BYTES = 200 * 1024 * 1024
"""Largest audio file embedded into a page (bytes)."""

_MIME = {".mp3": "audio/mpeg", ".wav": "audio/wav", ".wave": "audio/wav", ".flac": "audio/flac",
         ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".m4a": "audio/mp4",
         ".aac": "audio/aac", ".mp4": "video/mp4", ".webm": "audio/webm", ".weba": "audio/webm"}


@dataclass
class ReportInput:
    """One loaded input.

    Attributes
    ----------
    result : AnalysisResult
        The analysis (loaded or just computed).
    audio : Path or None
        The audio file, when found.
    analysed : bool
        Whether the analysis was computed from ``audio`` just now.
    data : dict or None
        The parsed JSON the result was loaded from, if any (the text then cites
        exactly this document).
    """

    result: AnalysisResult
    audio: Path | None
    analysed: bool
    data: dict[str, Any] | None = None


def _is_json(path: Path) -> bool:
    if path.suffix.lower() == ".json":
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(64).lstrip()
    except OSError:
        return False
    return head.startswith(b"{")


def find_audio(result: AnalysisResult, json_path: str | os.PathLike[str]) -> Path | None:
    """Locate the analysed audio file for an analysis stored at ``json_path``.

    Returns
    -------
    Path or None
        The first existing candidate (see the module Conventions).
    """
    if not result.track.path:
        return None
    base = Path(json_path).resolve().parent
    tp = Path(result.track.path)
    cands = [tp] if tp.is_absolute() else [Path.cwd() / tp, base / tp]
    cands.append(base / tp.name)
    for c in cands:
        try:
            if c.is_file():
                return c
        except OSError:
            continue
    return None


def load_input(path: str | os.PathLike[str], *, config: dict[str, Any] | None = None,
               progress: Callable[[float, str], None] | None = None) -> ReportInput:
    """Load an analysis JSON, or analyse an audio/video file.

    Raises
    ------
    AudioLoadError
        Missing path, directory, or undecodable audio.
    ResultFormatError
        A JSON file that is not a SongLens analysis.
    """
    p = Path(path)
    if not p.exists():
        raise AudioLoadError(f"no such file: {str(p)!r} (check the path)")
    if p.is_dir():
        raise AudioLoadError(f"{str(p)!r} is a directory; pass an audio file or analysis JSON")
    if _is_json(p):
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ResultFormatError(f"{str(p)!r} is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ResultFormatError(f"{str(p)!r} is not a SongLens analysis (not an object)")
        data = migrate(data)
        result = result_from_dict(data)
        return ReportInput(result, find_audio(result, p), analysed=False, data=data)
    from ..pipeline import analyze

    result = analyze(p, config=config, progress=progress)
    return ReportInput(result, p, analysed=True)


def waveform_envelope(path: str | os.PathLike[str], *, duration: float,
                      n_bins: int = WAVEFORM_BINS) -> np.ndarray:
    """Min/max of the mono mix over ``n_bins`` equal time bins.

    Parameters
    ----------
    path : str or path-like
        Audio file.
    duration : float > 0
        Track duration (s), as measured by the analysis.
    n_bins : int > 0

    Returns
    -------
    env : np.ndarray [shape=(n_bins, 2)]
        Per bin the minimum and maximum sample value (full scale = 1); 0 for bins
        past the decoded audio.
    """
    import numpy as np

    from ..io.audio import open_audio

    if duration <= 0 or n_bins <= 0:
        raise ParameterError("duration and n_bins must be positive")
    lo = np.zeros(n_bins)
    hi = np.zeros(n_bins)
    with open_audio(path) as reader:
        sr = reader.info.sample_rate
        total = max(int(round(duration * sr)), 1)
        pos = 0
        for block in reader.blocks(sr * 10):
            mono = np.nan_to_num(block.mean(axis=0), nan=0.0, posinf=0.0, neginf=0.0)
            n = mono.size
            bins = np.minimum((np.arange(pos, pos + n) * n_bins) // total, n_bins - 1)
            starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
            idx = bins[starts]
            lo[idx] = np.minimum(lo[idx], np.minimum.reduceat(mono, starts))
            hi[idx] = np.maximum(hi[idx], np.maximum.reduceat(mono, starts))
            pos += n
    return np.clip(np.stack([lo, hi], axis=1), -1.0, 1.0)


def _transcode_mp3(path: Path) -> bytes:
    import av

    buf = io.BytesIO()
    with av.open(str(path)) as src, av.open(buf, "w", format="mp3") as dst:
        stream_in = next(s for s in src.streams if s.type == "audio")
        out = dst.add_stream("libmp3lame", rate=44100)
        out.bit_rate = 192_000
        out.layout = "stereo"
        resampler = av.AudioResampler(format="s16p", layout="stereo", rate=44100)
        for frame in src.decode(stream_in):
            for rf in resampler.resample(frame):  # type: ignore[arg-type]
                for pkt in out.encode(rf):
                    dst.mux(pkt)
        for rf in resampler.resample(None):
            for pkt in out.encode(rf):
                dst.mux(pkt)
        for pkt in out.encode(None):
            dst.mux(pkt)
    return buf.getvalue()


def audio_source(path: Path, *, out_dir: Path | None, embed: bool) -> AudioSource:
    """The player source for ``path``: a relative link, or a ``data:`` URI when ``embed``.

    Raises
    ------
    ParameterError
        The file is larger than :data:`MAX_EMBED_BYTES` and ``embed`` was asked for.
    """
    mime = _MIME.get(path.suffix.lower())
    if embed:
        size = path.stat().st_size
        if size > MAX_EMBED_BYTES:
            raise ParameterError(f"{str(path)!r} is {size / 2**20:.0f} MB, too large to embed "
                                 f"(limit {MAX_EMBED_BYTES // 2**20} MB); leave out "
                                 "--embed-audio to link it instead")
        if mime is None:
            try:
                payload, mime = _transcode_mp3(path), "audio/mpeg"
            except Exception as exc:  # noqa: BLE001 - any FFmpeg failure: one-line error
                raise AudioLoadError(f"cannot transcode {str(path)!r} for embedding: {exc}") \
                    from None
        else:
            payload = path.read_bytes()
        data = base64.b64encode(payload).decode("ascii")
        return AudioSource(src=f"data:{mime};base64,{data}", mime=mime, embedded=True)
    target = path.resolve()
    try:
        rel = os.path.relpath(target, (out_dir or Path.cwd()).resolve())
        src = quote(Path(rel).as_posix())
    except ValueError:  # another drive (Windows)
        src = target.as_uri()
    return AudioSource(src=src, mime=mime or "audio/mpeg", embedded=False)


def write_report(inputs: Sequence[str | os.PathLike[str] | ReportInput], *,
                 out: str | os.PathLike[str] | None = None, fmt: str | None = None,
                 embed_audio: bool = False, waveform: bool | None = None,
                 config: dict[str, Any] | None = None,
                 progress: Callable[[float, str], None] | None = None) -> tuple[str, Path | None]:
    """Write the report for one input, or the comparison of two.

    Parameters
    ----------
    inputs : sequence of path-like or ReportInput
        One or two audio files / analysis JSONs.
    out : path-like or None
        Output file; ``None`` returns the text without writing; ``"-"`` is treated
        as ``None`` (the caller prints it).
    fmt : {"html", "md"} or None
        Default: from the ``out`` suffix (``.md`` -> Markdown), else HTML.
    embed_audio : bool
        Embed the audio as a ``data:`` URI instead of linking it.
    waveform : bool or None
        Draw the waveform (decodes the audio). ``None``: only for audio inputs.
    config : dict, optional
        Analysis settings for audio inputs.
    progress : callable, optional
        ``progress(fraction, stage)`` while analysing audio inputs.

    Returns
    -------
    text : str
        The report.
    path : Path or None
        Where it was written.
    """
    if not 1 <= len(inputs) <= 2:
        raise ParameterError("a report takes one input, or two to compare")
    out_path = None if out is None or str(out) == "-" else Path(out)
    if fmt is None:
        fmt = "md" if out_path is not None and out_path.suffix.lower() in (".md", ".markdown") \
            else "html"
    if fmt not in ("html", "md"):
        raise ParameterError(f"unknown report format {fmt!r}; use 'html' or 'md'")
    loaded = [x if isinstance(x, ReportInput) else load_input(x, config=config, progress=progress)
              for x in inputs]
    results = [prepare(x.result, x.data) for x in loaded]
    if fmt == "md":
        text = render_markdown(results)
    else:
        out_dir = out_path.parent if out_path is not None else None
        sources = [audio_source(x.audio, out_dir=out_dir, embed=embed_audio)
                   if x.audio is not None else None for x in loaded]
        waves: list[np.ndarray | None] = []
        for x in loaded:
            want = x.analysed if waveform is None else waveform
            w = None
            if want and x.audio is not None and x.result.track.duration > 0:
                w = waveform_envelope(x.audio, duration=x.result.track.duration)
            waves.append(w)
        text = render_html(results, audio=sources, waveforms=waves)
    if out_path is not None:
        atomic_write_text(out_path, text)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(out_path, 0o666 & ~mask)  # a page to share, not a private temp file
    return text, out_path


def demo_report(out_dir: str | os.PathLike[str], *, result: AnalysisResult | None = None,
                embed_audio: bool = True) -> Path:
    """Write ``demo.report.html`` for the bundled demo track into ``out_dir``.

    Parameters
    ----------
    out_dir : path-like
        Folder for the report (created if needed).
    result : AnalysisResult, optional
        The demo's analysis if already computed (else it is analysed here).
    embed_audio : bool
        Embed the demo audio (about 1.5 MB) so the page plays anywhere.

    Returns
    -------
    Path
        The report file.
    """
    from ..demo import demo_track

    track = demo_track()
    if result is None:
        from ..pipeline import analyze

        result = analyze(track)
    target = Path(out_dir) / "demo.report.html"
    write_report([ReportInput(result, track, analysed=True)], out=target,
                 embed_audio=embed_audio)
    return target
