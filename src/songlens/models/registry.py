"""Registry of the learned models SongLens runs, with checksums; never downloads.

Conventions
-----------
Every model is an entry of ``REGISTRY``: a name, the file that holds its
weights (shipped inside the SongLens package under ``songlens/models/data``),
its sha256, and where the weights come from (source package and version,
licence). :func:`model_path` checks the file's sha256 before anything reads it
and raises :class:`~songlens.errors.ModelLoadingError` on a missing file or a
mismatch. Nothing is ever fetched from the network.

Shipped models
--------------
``musicnn_mtt`` and ``musicnn_msd``: the MagnaTagATune (50 tags, ROC-AUC 0.907
on the MTT test set per the package's ``experiment.result``) and Million Song
Dataset (50 tags) musicnn taggers of the ``musicnn`` 0.1.0 wheel (ISC licence
for code and weights; the notice is in ``data/LICENSE.musicnn.md``), converted
by ``scripts/convert_musicnn.py`` to ``np.savez_compressed`` files of float32
arrays (no pickles): 3.02 MB and 2.99 MB. float16 would have saved 3.9 MB but
moved the tag probabilities by up to 1.6e-3 from the reference's on the golden
clips, against 3e-6 with float32.

``instrument_heads``: SongLens's own (MIT) logistic heads and thresholds of the
instrument timeline (:mod:`songlens.analysis.instruments`), 85 kB.

``basic-pitch-nmp``: Spotify's Basic Pitch note/onset/contour network (ICASSP
2022), the ``saved_models/icassp_2022/nmp.onnx`` file of the
``basic-pitch==0.4.0`` wheel, copied unchanged (Apache-2.0;
``basic_pitch.LICENSE`` and ``basic_pitch.NOTICE`` sit beside it). It is
shipped rather than located in an installed ``basic_pitch`` package because on
Linux with Python >= 3.11 ``pip install basic-pitch`` pulls TensorFlow (~1.7 GB)
and pip extras cannot express ``--no-deps``; the file is 230 KB. Its CQT, log
normalisation and harmonic stacking run inside the ONNX graph, so onnxruntime
is the only dependency (the ``ml`` extra).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ModelLoadingError

if TYPE_CHECKING:  # pragma: no cover
    from .musicnn import MusicnnWeights

__all__ = ["ModelSpec", "REGISTRY", "DATA_DIR", "model_path", "load_musicnn", "sha256_file"]

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class ModelSpec:
    """Where a model's weights come from and how to check them."""

    name: str
    file: str
    sha256: str
    source: str
    version: str
    licence: str
    description: str

    def to_dict(self) -> dict[str, str]:
        """The entry as recorded in an analysis' settings."""
        return {"name": self.name, "file": self.file, "sha256": self.sha256,
                "source": self.source, "version": self.version, "licence": self.licence}


REGISTRY: dict[str, ModelSpec] = {
    "musicnn_mtt": ModelSpec(
        name="musicnn_mtt",
        file="musicnn_mtt.npz",
        sha256="c2558452a033611966184cc1529f2579c8c4791ac32f2fba8a0e18ebf2475f1f",
        source="musicnn (PyPI) musicnn/MTT_musicnn checkpoint, converted by "
               "scripts/convert_musicnn.py",
        version="0.1.0",
        licence="ISC",
        description="musicnn tagger trained on MagnaTagATune: 50 tags (instruments, genres, "
                    "moods), one prediction per 3 s",
    ),
    "musicnn_msd": ModelSpec(
        name="musicnn_msd",
        file="musicnn_msd.npz",
        sha256="fd80b0106d0ba39414de59561cd26533791d63df1c17fb65fd0929437fce83e4",
        source="musicnn (PyPI) musicnn/MSD_musicnn checkpoint, converted by "
               "scripts/convert_musicnn.py",
        version="0.1.0",
        licence="ISC",
        description="musicnn tagger trained on the Million Song Dataset: 50 Last.fm tags "
                    "(genres, moods, vocals), one prediction per 3 s",
    ),
    "instrument_heads": ModelSpec(
        name="instrument_heads",
        file="instrument_heads.npz",
        sha256="13a9067762a05186c1d87bda6a4f97f109ba09a19987a35311dd9444c489069a",
        source="SongLens: logistic heads on musicnn_mtt's pooled features and tag thresholds, "
               "fitted by benchmarks/instruments/fit_heads.py on labelled General MIDI renders",
        version="1",
        licence="MIT",
        description="instrument-class activity (piano, strings, guitars, bass, drums, vocals, "
                    "brass, woodwinds, synth, organ) from the MTT tagger, per 3 s patch",
    ),
    "basic-pitch-nmp": ModelSpec(
        name="basic-pitch-nmp",
        file="basic_pitch_nmp.onnx",
        sha256="2c3c1d144bfa61ad236e92e169c13535c880469a12a047d4e73451f2c059a0ec",
        source="PyPI basic-pitch 0.4.0: basic_pitch/saved_models/icassp_2022/nmp.onnx "
               "(unchanged; notices in basic_pitch.LICENSE and basic_pitch.NOTICE)",
        version="icassp_2022 (basic-pitch 0.4.0)",
        licence="Apache-2.0 (Copyright 2022 Spotify AB)",
        description="Basic Pitch polyphonic note transcription (onsets, notes, pitch contour), "
                    "run with onnxruntime",
    ),
}


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def model_path(name: str, *, data_dir: Path | None = None) -> Path:
    """Path of a registered model's weights, after checking its sha256.

    Parameters
    ----------
    name : str
        A key of ``REGISTRY``.
    data_dir : Path, optional
        Folder holding the file (default: the package's ``models/data``).

    Returns
    -------
    Path

    Raises
    ------
    ModelLoadingError
        Unknown name, missing file or checksum mismatch.
    """
    spec = REGISTRY.get(name)
    if spec is None:
        raise ModelLoadingError(f"unknown model {name!r}; registered: {sorted(REGISTRY)}")
    path = (data_dir or DATA_DIR) / spec.file
    if not path.is_file():
        raise ModelLoadingError(
            f"the weights of {name!r} are missing ({path}); reinstall songlens, which ships them")
    digest = sha256_file(path)
    if digest != spec.sha256:
        raise ModelLoadingError(
            f"the weights of {name!r} at {path} have sha256 {digest}, expected {spec.sha256}; "
            "the file is corrupt or was replaced: reinstall songlens")
    return path


@functools.lru_cache(maxsize=4)
def load_musicnn(name: str = "musicnn_mtt") -> MusicnnWeights:
    """Load (once per process) and verify a registered musicnn model.

    Raises
    ------
    ModelLoadingError
        See :func:`model_path`; also for a file that is not a musicnn model.
    """
    from .musicnn import load_weights

    if not name.startswith("musicnn_"):
        raise ModelLoadingError(f"{name!r} is not a musicnn model")
    return load_weights(model_path(name), name=name)
