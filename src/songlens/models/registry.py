"""Registry of model weights: where each file comes from, its checksum and licence.

Conventions
-----------
SongLens never downloads anything at run time. Each entry names a file shipped
inside SongLens (``songlens/models/data/``) together with the upstream
package and version it was taken from, its licence and its SHA-256. A file is
verified against that checksum the first time it is opened in a process;
a mismatch raises :class:`~songlens.errors.ModelLoadingError`.

Entries
-------
``basic-pitch-nmp``
    Spotify's Basic Pitch note/onset/contour network (ICASSP 2022), the
    ``saved_models/icassp_2022/nmp.onnx`` file of the ``basic-pitch==0.4.0``
    wheel, copied unchanged (Apache-2.0; ``basic_pitch.LICENSE`` and
    ``basic_pitch.NOTICE`` sit beside it). It is shipped rather than located in
    an installed ``basic_pitch`` package because on Linux with Python >= 3.11
    ``pip install basic-pitch`` unconditionally pulls TensorFlow (< 2.15.1,
    ~1.7 GB) and pip extras cannot express ``--no-deps``; the file is 230 KB.
    Its CQT, log normalisation and harmonic stacking run inside the ONNX graph,
    so onnxruntime is the only dependency (the ``ml`` extra).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import ModelLoadingError

__all__ = ["ModelInfo", "MODELS", "model_path", "model_info"]


@dataclass(frozen=True)
class ModelInfo:
    """One registered model file."""

    name: str
    filename: str
    sha256: str
    source: str
    version: str
    licence: str
    notice_files: tuple[str, ...] = ()


MODELS: dict[str, ModelInfo] = {
    "basic-pitch-nmp": ModelInfo(
        name="basic-pitch-nmp",
        filename="basic_pitch_nmp.onnx",
        sha256="2c3c1d144bfa61ad236e92e169c13535c880469a12a047d4e73451f2c059a0ec",
        source="PyPI basic-pitch 0.4.0: basic_pitch/saved_models/icassp_2022/nmp.onnx",
        version="icassp_2022 (basic-pitch 0.4.0)",
        licence="Apache-2.0 (Copyright 2022 Spotify AB)",
        notice_files=("basic_pitch.LICENSE", "basic_pitch.NOTICE"),
    ),
}

_verified: set[str] = set()
_lock = threading.Lock()


def model_info(name: str) -> ModelInfo:
    """The registry entry of ``name``.

    Raises
    ------
    ModelLoadingError
        No model of that name is registered.
    """
    try:
        return MODELS[name]
    except KeyError:
        raise ModelLoadingError(
            f"unknown model {name!r}; registered models: {sorted(MODELS)}") from None


def model_path(name: str, *, verify: bool = True) -> Path:
    """Path of a registered model file, checked against its SHA-256 once per process.

    Parameters
    ----------
    name : str
        Registry name, e.g. ``"basic-pitch-nmp"``.
    verify : bool
        Check the checksum (done only on the first call for each name).

    Returns
    -------
    path : pathlib.Path

    Raises
    ------
    ModelLoadingError
        The file is missing (a broken installation) or its checksum differs.
    """
    info = model_info(name)
    path = Path(str(resources.files("songlens.models").joinpath("data", info.filename)))
    if not path.is_file():
        raise ModelLoadingError(
            f"model file {info.filename} of {name!r} is missing from {path.parent}; "
            "reinstall songlens")
    if verify:
        with _lock:
            if name not in _verified:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                if digest != info.sha256:
                    raise ModelLoadingError(
                        f"model file {path} has SHA-256 {digest}, expected {info.sha256}; "
                        "the file is corrupt or was replaced: reinstall songlens")
                _verified.add(name)
    return path
