"""Audio input: decoding every common container/codec in bounded-memory blocks."""

from .audio import AudioInfo, AudioReader, open_audio

__all__ = ["AudioInfo", "AudioReader", "open_audio"]
