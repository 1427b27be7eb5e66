"""Decode audio (and the audio track of video files) in blocks.

Conventions
-----------
* Samples are ``float32`` in [-1, 1] (integer formats are scaled, float formats
  are passed through untouched), shaped ``(channels, n)``, at the file's own
  sample rate. This module never resamples; the pipeline does that explicitly.
* Blocks are yielded as they are decoded, so memory stays bounded whatever the
  file's length or what its header claims.
* Decoding uses PyAV (FFmpeg libraries bundled in the wheel): wav, flac,
  ogg/vorbis, opus, mp3, m4a/aac, aiff and the audio streams of mp4, mkv, webm
  and mov all work without a system ffmpeg.

Errors are :class:`~songlens.errors.AudioLoadError` with a one-line message.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from ..errors import AudioLoadError

__all__ = ["AudioInfo", "AudioReader", "open_audio", "channel_weights"]

_SURROUND = {"BL", "BR", "SL", "SR", "BC", "TBL", "TBR", "WL", "WR", "SDL", "SDR"}
_LFE = {"LFE", "LFE2", "LOW_FREQUENCY", "LFE1"}


@dataclass(frozen=True)
class AudioInfo:
    """What the container says about the audio stream.

    Attributes
    ----------
    path : str
        The file path as given.
    sample_rate : int
        Sample rate of the decoded audio (Hz).
    channels : int
        Number of channels.
    channel_names : tuple of str
        FFmpeg channel names (``FL``, ``FR``, ``FC``, ``LFE``, ...); may be empty.
    duration : float or None
        Duration from the container header (s); only a hint, never trusted for
        allocation.
    title, artist : str or None
        Tags, when present.
    codec, container : str
        Codec and container format names.
    has_video : bool
        Whether the file also carries a video stream.
    declared_duration : float or None
        Duration the file's own header declares (s), where the format has one
        that FFmpeg does not use (WAV's data chunk size); for truncation checks.
    """

    path: str
    sample_rate: int
    channels: int
    channel_names: tuple[str, ...] = ()
    duration: float | None = None
    title: str | None = None
    artist: str | None = None
    codec: str = ""
    container: str = ""
    has_video: bool = False
    declared_duration: float | None = None
    extra_tags: dict[str, str] = field(default_factory=dict)


def channel_weights(names: tuple[str, ...], channels: int) -> np.ndarray:
    """ITU-R BS.1770-4 channel weights G_i for the given layout.

    LFE channels get 0, surround channels 1.41 (≈ +1.5 dB), all others 1.0.
    Without names, a 6-channel stream is taken as FFmpeg's 5.1 order
    (FL FR FC LFE BL BR).
    """
    if len(names) != channels:
        names = ("FL", "FR", "FC", "LFE", "BL", "BR") if channels == 6 else ()
    w = np.ones(channels, dtype=np.float64)
    for i, name in enumerate(names):
        up = name.upper()
        if up in _LFE:
            w[i] = 0.0
        elif up in _SURROUND:
            w[i] = 1.41
    return w


def _check_path(path: Path) -> None:
    if not path.exists():
        raise AudioLoadError(f"no such file: {str(path)!r} (check the path)")
    if path.is_dir():
        raise AudioLoadError(f"{str(path)!r} is a directory; pass audio files (e.g. DIR/*.flac)")
    if not os.access(path, os.R_OK):
        raise AudioLoadError(f"{str(path)!r} is not readable (check its permissions)")
    if path.stat().st_size == 0:
        raise AudioLoadError(f"{str(path)!r} is empty (0 bytes)")


def _wav_declared_seconds(path: Path) -> float | None:
    """Duration declared by a RIFF/WAVE header's data chunk (None if unknown)."""
    import struct

    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return None
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
        return None
    endian = "<" if head[:4] == b"RIFF" else ">"
    pos, byte_rate = 12, 0
    while pos + 8 <= len(head):
        cid = head[pos:pos + 4]
        (size,) = struct.unpack(endian + "I", head[pos + 4:pos + 8])
        if cid == b"fmt " and pos + 16 <= len(head):
            (byte_rate,) = struct.unpack(endian + "I", head[pos + 16:pos + 20])
        if cid == b"data":
            if byte_rate <= 0 or size >= 0xFFFF0000 or size == 0:
                return None  # streaming writers leave the size unknown
            return size / byte_rate
        pos += 8 + size + (size & 1)
    return None


def _tag(meta: dict[str, str], key: str) -> str | None:
    for k, v in meta.items():
        if k.lower() == key and isinstance(v, str) and v.strip():
            return v.strip()
    return None


def _to_float32(frame_array: np.ndarray, fmt_name: str, channels: int, planar: bool) -> np.ndarray:
    a = frame_array
    if not planar:
        a = a.reshape(-1, channels).T
    kind = a.dtype.kind
    if kind == "f":
        out = a.astype(np.float32, copy=False)
    elif kind == "i":
        out = a.astype(np.float32) / float(2 ** (8 * a.dtype.itemsize - 1))
    elif kind == "u":  # unsigned 8-bit PCM
        half = float(2 ** (8 * a.dtype.itemsize - 1))
        out = (a.astype(np.float32) - half) / half
    else:  # pragma: no cover - FFmpeg has no other sample kinds
        raise AudioLoadError(f"unsupported sample format {fmt_name!r}")
    return np.ascontiguousarray(out)


class AudioReader:
    """An open audio file; iterate :meth:`blocks` to decode it.

    Use :func:`open_audio` to create one, preferably as a context manager.
    """

    def __init__(self, path: str | os.PathLike[str]):
        import av  # lazy: keeps `import songlens` fast

        self._av = av
        p = Path(path)
        _check_path(p)
        try:
            self._container = av.open(str(p), metadata_errors="ignore")
        except av.error.FFmpegError as exc:
            raise AudioLoadError(
                f"cannot read {str(p)!r} as audio or video ({_reason(exc)}); is it a media file?"
            ) from None
        except (OSError, ValueError, UnicodeError) as exc:
            raise AudioLoadError(f"cannot open {str(p)!r}: {exc}") from None
        try:
            audio = [s for s in self._container.streams if s.type == "audio"]
            if not audio:
                raise AudioLoadError(
                    f"no audio stream in {str(p)!r} (is it an audio or video file with sound?)"
                )
            self._stream = audio[0]
            ctx: Any = self._stream.codec_context
            sr = int(ctx.sample_rate or 0)
            ch = int(ctx.channels or 0)
            if sr <= 0 or ch <= 0:
                raise AudioLoadError(
                    f"{str(p)!r} has no valid audio parameters (sample rate {sr}, {ch} channels)"
                )
            names: tuple[str, ...] = ()
            try:
                names = tuple(c.name for c in ctx.layout.channels)
            except Exception:  # noqa: BLE001 - layout is optional information
                names = ()
            duration = None
            if self._stream.duration is not None and self._stream.time_base is not None:
                duration = float(self._stream.duration * self._stream.time_base)
            elif self._container.duration is not None:
                duration = float(self._container.duration) / 1_000_000.0
            if duration is not None and not (0 < duration < 1e9):
                duration = None
            meta: dict[str, str] = {}
            meta.update({str(k): str(v) for k, v in (self._container.metadata or {}).items()})
            meta.update({str(k): str(v) for k, v in (self._stream.metadata or {}).items()})
            self.info = AudioInfo(
                path=str(path),
                sample_rate=sr,
                channels=ch,
                channel_names=names,
                duration=duration,
                title=_tag(meta, "title"),
                artist=_tag(meta, "artist") or _tag(meta, "album_artist"),
                codec=str(ctx.name or ""),
                container=str(self._container.format.name or ""),
                has_video=any(s.type == "video" for s in self._container.streams),
                declared_duration=(_wav_declared_seconds(p)
                                   if self._container.format.name == "wav" else None),
            )
        except BaseException:
            self._container.close()
            raise
        self.warnings: list[str] = []
        self.frames_decoded = 0

    # context manager -------------------------------------------------------
    def __enter__(self) -> AudioReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the file."""
        self._container.close()

    # decoding --------------------------------------------------------------
    def _frames(self) -> Iterator[np.ndarray]:
        av = self._av
        sr = self.info.sample_rate
        ch = self.info.channels
        try:
            for packet in self._container.demux(self._stream):
                frames: list[Any] = list(packet.decode())
                for frame in frames:
                    if frame.sample_rate != sr or len(frame.layout.channels) != ch:
                        self.warnings.append(
                            "audio parameters change mid-stream "
                            f"({frame.sample_rate} Hz, {len(frame.layout.channels)} ch); "
                            "stopped decoding there"
                        )
                        return
                    fmt = frame.format
                    arr = frame.to_ndarray()
                    yield _to_float32(arr, fmt.name, ch, fmt.is_planar)
        except av.error.FFmpegError as exc:
            t = self.frames_decoded / sr
            if self.frames_decoded == 0:
                raise AudioLoadError(
                    f"cannot decode {self.info.path!r}: {_reason(exc)} (corrupt or not audio?)"
                ) from None
            self.warnings.append(
                f"decoding stopped at {t:.2f} s ({_reason(exc)}); the file looks truncated "
                "or corrupt, analysed what was readable"
            )
        except (MemoryError, OverflowError) as exc:
            raise AudioLoadError(f"cannot decode {self.info.path!r}: {exc}") from None

    def blocks(self, block_frames: int) -> Iterator[np.ndarray]:
        """Yield decoded audio in blocks of about ``block_frames`` frames.

        Parameters
        ----------
        block_frames : int > 0
            Target block length in sample frames (the last block may be shorter).

        Yields
        ------
        block : np.ndarray [shape=(channels, n), dtype=float32]
        """
        if block_frames <= 0:
            raise ValueError("block_frames must be positive")
        pending: list[np.ndarray] = []
        n_pending = 0
        for chunk in self._frames():
            if chunk.shape[1] == 0:
                continue
            pending.append(chunk)
            n_pending += chunk.shape[1]
            self.frames_decoded += chunk.shape[1]
            if n_pending >= block_frames:
                yield np.concatenate(pending, axis=1) if len(pending) > 1 else pending[0]
                pending, n_pending = [], 0
        if pending:
            yield np.concatenate(pending, axis=1) if len(pending) > 1 else pending[0]


def _reason(exc: Exception) -> str:
    msg = getattr(exc, "strerror", None) or str(exc)
    return str(msg).splitlines()[0][:200] if msg else type(exc).__name__


def open_audio(path: str | os.PathLike[str]) -> AudioReader:
    """Open an audio or video file for block-wise decoding.

    Parameters
    ----------
    path : str or path-like
        File to open.

    Returns
    -------
    AudioReader
        With ``.info`` (:class:`AudioInfo`) and ``.blocks(block_frames)``.

    Raises
    ------
    AudioLoadError
        Missing path, directory, empty file, not a media file, or no audio stream.
    """
    return AudioReader(path)
