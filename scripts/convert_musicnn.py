"""Convert musicnn's TensorFlow checkpoints to the NumPy weight files SongLens ships.

One-off script, run OUTSIDE SongLens's environment, in a separate venv that has
the reference implementation (see /work/shared/DEPENDENCIES.md, gotcha G7)::

    python3.11 -m venv /work/tf-venv
    /work/tf-venv/bin/pip install tensorflow-cpu==2.15.1 "numpy<2" librosa
    /work/tf-venv/bin/pip install --no-deps musicnn==0.1.0
    /work/tf-venv/bin/python scripts/convert_musicnn.py

For each model (``MTT_musicnn``, ``MSD_musicnn``) it

1. builds musicnn's own graph (``musicnn.models.define_model``, exactly as
   ``musicnn.extractor.extractor`` does),
2. restores the checkpoint shipped inside the musicnn 0.1.0 package with
   ``tf.compat.v1.train.Saver`` -- WITHOUT the bare ``except:`` of
   ``extractor``, which silently leaves random weights for MTT models when the
   restore fails -- and then checks every restored variable against the
   checkpoint file itself (bit-exact) and against its random initial value
   (must differ),
3. names the variables by role (TF1 layers are numbered in creation order:
   ``conv2d_5`` is the first mid-end conv, see ``LAYERS``) and writes them to
   ``src/songlens/models/data/<name>.npz`` (``np.savez_compressed``) together
   with a JSON header (tags, front-end settings, batch-norm epsilon, source
   package, version, licence, sha256 of the source checkpoint file).

Weights are stored as float32 by default: with float16 weights the port's
tag probabilities differed from the reference by up to 1.6e-3 on the golden
clips (float32: 3e-6), for a saving of 3.9 MB (2.1 MB instead of 6.0 MB for
both models); see ``songlens.models.registry``. The
sha256 printed at the end goes into the registry.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from songlens.models.registry import sha256_file

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
OUT = Path(__file__).resolve().parents[1] / "src" / "songlens" / "models" / "data"

# TF1 auto-generated layer names -> SongLens role names, in musicnn's creation order
# (models.build_musicnn: frontend -> midend -> backend).
LAYERS = {
    "batch_normalization": "input_bn",
    "conv2d": "timbral74",            # kernel [7, 38] (7 frames x 0.4*96 mel bands), 204 filters
    "batch_normalization_1": "timbral74_bn",
    "conv2d_1": "timbral77",          # kernel [7, 67] (0.7*96), 204 filters
    "batch_normalization_2": "timbral77_bn",
    "conv2d_2": "temporal128",        # kernel [128, 1], 51 filters
    "batch_normalization_3": "temporal128_bn",
    "conv2d_3": "temporal64",         # kernel [64, 1]
    "batch_normalization_4": "temporal64_bn",
    "conv2d_4": "temporal32",         # kernel [32, 1]
    "batch_normalization_5": "temporal32_bn",
    "conv2d_5": "mid1",               # kernel [7, 561], 64 filters
    "batch_normalization_6": "mid1_bn",
    "conv2d_6": "mid2",               # kernel [7, 64] (residual)
    "batch_normalization_7": "mid2_bn",
    "conv2d_7": "mid3",               # kernel [7, 64] (residual)
    "batch_normalization_8": "mid3_bn",
    "batch_normalization_9": "pool_bn",   # on [max, mean] pooled features (1506)
    "dense": "dense",                 # 1506 -> 200, relu
    "batch_normalization_10": "dense_bn",  # -> the "penultimate" features
    "dense_1": "output",              # 200 -> n_tags logits
}
PARAM_NAMES = {"kernel": "kernel", "bias": "bias", "gamma": "gamma", "beta": "beta",
               "moving_mean": "mean", "moving_variance": "var"}
MODELS = {"MTT_musicnn": "musicnn_mtt", "MSD_musicnn": "musicnn_msd"}




def convert(model: str, *, dtype: str, out_dir: Path = OUT) -> Path:
    import musicnn
    import tensorflow as tf
    from musicnn import configuration as config
    from musicnn import models

    tf.compat.v1.disable_eager_execution()
    pkg_dir = Path(os.path.dirname(musicnn.__file__))
    prefix = str(pkg_dir / model) + "/"  # the checkpoint files are named '.index', '.data-...'
    labels = config.MTT_LABELS if "MTT" in model else config.MSD_LABELS

    tf.compat.v1.reset_default_graph()
    with tf.name_scope("model"):
        x = tf.compat.v1.placeholder(tf.float32, [None, 187, config.N_MELS])
        is_training = tf.compat.v1.placeholder(tf.bool)
        models.define_model(x, is_training, model, len(labels))
    sess = tf.compat.v1.Session()
    sess.run(tf.compat.v1.global_variables_initializer())
    variables = tf.compat.v1.global_variables()
    initial = {v.name: sess.run(v) for v in variables}
    tf.compat.v1.train.Saver().restore(sess, prefix)  # raises on failure: no silent fallback

    reader = tf.compat.v1.train.NewCheckpointReader(prefix)
    weights: dict[str, np.ndarray] = {}
    for v in variables:
        name = v.name.split(":")[0]
        value = sess.run(v)
        stored = reader.get_tensor(name)
        if not np.array_equal(value, stored):
            raise SystemExit(f"{model}: {name} differs from the checkpoint after restore")
        if value.size > 1 and np.array_equal(value, initial[v.name]) and "moving" not in name:
            raise SystemExit(f"{model}: {name} still holds its initial value")
        layer, param = name.rsplit("/", 1)
        if layer not in LAYERS:
            raise SystemExit(f"{model}: unexpected variable {name}")
        weights[f"{LAYERS[layer]}.{PARAM_NAMES[param]}"] = value
    if len(weights) != 2 * 10 + 4 * 11 - 0:
        # 8 convs + 2 dense (kernel, bias) = 20 arrays; 11 batch norms x 4 = 44 arrays
        raise SystemExit(f"{model}: expected 64 arrays, got {len(weights)}")

    # batch-norm epsilon as used by the graph's inference ops
    eps = set()
    for op in tf.compat.v1.get_default_graph().get_operations():
        if op.type.startswith("FusedBatchNorm"):
            eps.add(round(float(op.get_attr("epsilon")), 9))
        elif op.type == "AddV2" and "batchnorm/add" in op.name and op.name.endswith("add"):
            eps.add(round(float(sess.run(op.inputs[1])), 9))
    if len(eps) != 1:
        raise SystemExit(f"{model}: could not determine a single batch-norm epsilon: {eps}")
    sess.close()

    data_file = pkg_dir / model / ".data-00000-of-00001"
    header = {
        "format": "songlens.musicnn/1",
        "model": model,
        "tags": list(labels),
        "sample_rate": config.SR,
        "n_fft": config.FFT_SIZE,
        "hop_length": config.FFT_HOP,
        "n_mels": config.N_MELS,
        "n_frames": 187,
        "bn_epsilon": eps.pop(),
        "source": {
            "package": "musicnn",
            "version": musicnn_version(),
            "checkpoint": f"musicnn/{model}/.data-00000-of-00001",
            "checkpoint_sha256": sha256_file(data_file),
            "licence": "ISC",
            "copyright": "Copyright (c) Music Technology Group, Universitat Pompeu Fabra "
                         "2019. Code developed by Jordi Pons.",
        },
        "weights_dtype": dtype,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{MODELS[model]}.npz"
    arrays = {k: v.astype(dtype) for k, v in sorted(weights.items())}
    np.savez_compressed(out, header=np.array(json.dumps(header, sort_keys=True)), **arrays)
    n_params = sum(v.size for v in arrays.values())
    print(f"{model}: {len(arrays)} arrays, {n_params} parameters, eps={header['bn_epsilon']}, "
          f"{out.stat().st_size} bytes, sha256={sha256_file(out)} -> {out}")
    return out


def musicnn_version() -> str:
    from importlib.metadata import version

    return version("musicnn")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dtype", choices=["float16", "float32"], default="float32")
    ap.add_argument("--models", nargs="*", default=list(MODELS))
    ap.add_argument("--out", type=Path, default=OUT, help="output folder")
    args = ap.parse_args()
    for model in args.models:
        convert(model, dtype=args.dtype, out_dir=args.out)


if __name__ == "__main__":
    main()
