"""Record musicnn's reference outputs for the golden test (tests/data/musicnn/*.npz).

Run OUTSIDE CI, once, in the TensorFlow venv that holds the reference
implementation (see scripts/convert_musicnn.py for how to create it)::

    /work/tf-venv/bin/python scripts/record_musicnn_goldens.py

For every clip ``tests/data/musicnn/<clip>.flac`` it calls the reference
``musicnn.extractor.extractor(path, model=..., input_length=3,
extract_features=True)`` for ``MTT_musicnn`` and ``MSD_musicnn`` and stores,
in ``tests/data/musicnn/<clip>.npz``:

* ``log_mel``: musicnn's input representation (``batch_data``'s
  ``audio_rep``: librosa mel power, rounded to float16, ``log10(10000 x + 1)``),
  shape (n_frames, 96);
* ``<model>.taggram``: sigmoid tag probabilities, shape (n_patches, n_tags);
* ``<model>.penultimate``: the 200-d batch-normalised penultimate layer;
* ``header``: JSON with the versions of musicnn, tensorflow, librosa, numpy.

Two defects of ``extractor`` 0.1.0 are worked around:

* for every patch after the first batch it appends the *first* batch's
  ``penultimate`` (and ``cnn1..3``) features again (it unpacks the new values
  into ``backend_``/``midend*_`` but concatenates the old names), so with the
  default ``BATCH_SIZE = 1`` all rows of ``penultimate`` are the first patch's.
  The goldens are therefore recorded with ``configuration.BATCH_SIZE`` set to
  the number of patches (one batch; inference batch norm uses moving
  statistics, so outputs do not depend on the batch size), and the script
  checks that the taggram equals the one computed with the default batch size;
* ``extractor`` wraps the checkpoint restore in a bare ``except:`` that, for the
MTT models, silently continues with random weights; this script wraps
``Saver.restore`` to record any exception and refuses to write goldens if a
restore failed.
"""

from __future__ import annotations

import json
import os
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "musicnn"
MODELS = ("MTT_musicnn", "MSD_musicnn")


def main() -> None:
    import tensorflow as tf
    from musicnn import configuration as config
    from musicnn import extractor as ex

    failures: list[BaseException] = []
    restores: list[str] = []
    original = tf.compat.v1.train.Saver.restore

    def checked_restore(self, sess, save_path):  # type: ignore[no-untyped-def]
        try:
            out = original(self, sess, save_path)
        except BaseException as exc:  # record, then let extractor's except see it
            failures.append(exc)
            raise
        restores.append(save_path)
        return out

    tf.compat.v1.train.Saver.restore = checked_restore

    header = {name: version(name) for name in ("musicnn", "tensorflow-cpu", "librosa", "numpy")}
    header["input_length_s"] = 3
    header["call"] = ("musicnn.extractor.extractor(path, model, input_length=3, "
                      "extract_features=True) with configuration.BATCH_SIZE=10000")
    clips = sorted(DATA.glob("*.flac"))
    if not clips:
        raise SystemExit(f"no clips in {DATA}; run scripts/make_musicnn_test_audio.py first")
    for clip in clips:
        n_frames = 187
        _, audio_rep = ex.batch_data(str(clip), n_frames, n_frames)
        out: dict[str, np.ndarray] = {"log_mel": audio_rep.astype(np.float32)}
        for model in MODELS:
            n_before = len(restores)
            config.BATCH_SIZE = 1  # the package default
            taggram_b1, _ = ex.extractor(str(clip), model=model, input_length=3,
                                         extract_features=False)
            config.BATCH_SIZE = 10_000  # all patches in one batch (see the module docstring)
            taggram, labels, features = ex.extractor(str(clip), model=model, input_length=3,
                                                     extract_features=True)
            config.BATCH_SIZE = 1
            if failures or len(restores) != n_before + 2:
                raise SystemExit(f"checkpoint restore failed for {model}: {failures}")
            np.testing.assert_allclose(taggram, taggram_b1, rtol=0, atol=1e-5)
            assert list(labels) == list(config.MTT_LABELS if "MTT" in model
                                        else config.MSD_LABELS)
            out[f"{model}.taggram"] = np.asarray(taggram, dtype=np.float32)
            out[f"{model}.penultimate"] = np.asarray(features["penultimate"], dtype=np.float32)
        path = clip.with_suffix(".npz")
        np.savez_compressed(path, header=np.array(json.dumps(header, sort_keys=True)), **out)
        print(f"{path.name}: log_mel {out['log_mel'].shape}, "
              f"taggram {out['MTT_musicnn.taggram'].shape}, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
