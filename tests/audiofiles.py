"""Write test audio in every format SongLens reads (PyAV encoders, soundfile for Vorbis)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

# extension -> (container format, audio codec, video codec or None, forced sample rate)
FORMATS: dict[str, tuple[str, str, str | None, int | None]] = {
    ".wav": ("wav", "pcm_s16le", None, None),
    ".flac": ("flac", "flac", None, None),
    ".opus": ("ogg", "libopus", None, 48000),
    ".mp3": ("mp3", "libmp3lame", None, None),
    ".m4a": ("mp4", "aac", None, None),
    ".aiff": ("aiff", "pcm_s16be", None, None),
    ".mp4": ("mp4", "aac", "libx264", None),
    ".mkv": ("matroska", "flac", "mpeg4", None),
    ".webm": ("webm", "libopus", "libvpx-vp9", 48000),
    ".mov": ("mov", "aac", "mpeg4", None),
}


def write_audio(path: str | Path, y: np.ndarray, sr: int, *, title: str | None = None,
                artist: str | None = None) -> Path:
    """Write ``y`` (shape (channels, n), full scale 1) to ``path``; format by extension.

    Returns the path. Opus/WebM need 48 kHz: the caller must pass 48 kHz audio.
    """
    path = Path(path)
    y = np.atleast_2d(np.asarray(y, dtype=np.float32))
    ext = path.suffix.lower()
    if ext == ".ogg":  # Ogg Vorbis through libsndfile, in blocks (a single call can crash)
        import soundfile as sf

        with sf.SoundFile(str(path), "w", samplerate=sr, channels=y.shape[0], format="OGG",
                          subtype="VORBIS") as f:
            if title:
                f.title = title
            if artist:
                f.artist = artist
            for i in range(0, y.shape[1], 8192):
                f.write(y[:, i:i + 8192].T)
        return path
    fmt, acodec, vcodec, force_sr = FORMATS[ext]
    if force_sr is not None and force_sr != sr:
        raise ValueError(f"{ext} needs {force_sr} Hz audio, got {sr}")
    layout = {1: "mono", 2: "stereo", 6: "5.1"}[y.shape[0]]
    with av.open(str(path), "w", format=fmt) as c:
        if title:
            c.metadata["title"] = title
        if artist:
            c.metadata["artist"] = artist
        vstream = None
        if vcodec is not None:
            vstream = c.add_stream(vcodec, rate=10)
            vstream.width, vstream.height = 64, 64
            vstream.pix_fmt = "yuv420p"
        a = c.add_stream(acodec, rate=sr, layout=layout)
        formats = a.codec_context.codec.audio_formats
        fmt_name = formats[0].name if formats else "fltp"
        block = 1024 if acodec in ("aac", "libmp3lame", "libopus") else 4096
        if acodec == "libopus":
            block = 960
        if acodec == "libmp3lame":
            block = 1152
        n_video = int(np.ceil(y.shape[1] / sr * 10)) if vstream is not None else 0
        for i in range(n_video):
            img = np.zeros((64, 64, 3), dtype=np.uint8)
            img[:, :, 0] = (i * 7) % 255
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for p in vstream.encode(frame):
                c.mux(p)
        if vstream is not None:
            for p in vstream.encode(None):
                c.mux(p)
        pts = 0
        for i in range(0, y.shape[1], block):
            chunk = y[:, i:i + block]
            if chunk.shape[1] < block and acodec in ("aac", "libopus", "libmp3lame"):
                chunk = np.concatenate(
                    [chunk, np.zeros((y.shape[0], block - chunk.shape[1]), np.float32)], axis=1)
            frame = _frame(chunk, fmt_name, layout)
            frame.sample_rate = sr
            frame.pts = pts
            pts += chunk.shape[1]
            for p in a.encode(frame):
                c.mux(p)
        for p in a.encode(None):
            c.mux(p)
    return path


def _frame(chunk: np.ndarray, fmt_name: str, layout: str) -> av.AudioFrame:
    planar = fmt_name.endswith("p")
    base = fmt_name.rstrip("p")
    if base == "s16":
        data = np.clip(np.round(chunk * 32767), -32768, 32767).astype(np.int16)
    elif base == "s32":
        data = np.clip(np.round(chunk * 2147483647.0), -2147483648, 2147483647).astype(np.int32)
    elif base == "flt":
        data = chunk.astype(np.float32)
    elif base == "dbl":
        data = chunk.astype(np.float64)
    else:
        raise ValueError(f"unsupported encoder sample format {fmt_name}")
    if not planar:
        data = np.ascontiguousarray(data.T).reshape(1, -1)
    else:
        data = np.ascontiguousarray(data)
    return av.AudioFrame.from_ndarray(data, format=fmt_name, layout=layout)


def write_float_wav(path: str | Path, y: np.ndarray, sr: int) -> Path:
    """32-bit float WAV (keeps NaN/inf samples as they are)."""
    import soundfile as sf

    sf.write(str(path), np.atleast_2d(y).T.astype(np.float32), sr, subtype="FLOAT")
    return Path(path)
