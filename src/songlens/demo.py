"""The bundled demo track.

``data/demo.mp3`` was composed and rendered by this project
(``scripts/make_demo.py``: a MIDI score written in code, rendered with
FluidSynth and the MIT-licensed FluidR3 GM soundfont), so it may be shipped.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import SongLensError

__all__ = ["demo_track", "DEMO_FILENAME"]

DEMO_FILENAME = "demo.mp3"


def demo_track() -> Path:
    """Path of the bundled demo track."""
    path = Path(str(resources.files("songlens") / "data" / DEMO_FILENAME))
    if not path.is_file():
        raise SongLensError(f"the demo track {path} is missing; reinstall songlens")
    return path
