"""Record golden outputs of the reference basic-pitch for ``tests/test_transcription.py``.

Run once, outside CI, whenever the clip or the reference changes; commit the outputs::

    pip install --no-deps --target /tmp/bp-pkg basic-pitch==0.4.0   # no TensorFlow
    pip install onnxruntime librosa mir_eval pretty_midi soundfile  # its runtime needs
    PYTHONPATH=src:/tmp/bp-pkg python scripts/record_basic_pitch_golden.py [--render]

``--render`` re-renders the test clip with FluidSynth (seeded): 4.5 s of digital
silence (two all-zero network windows) then a piano melody over strings and a
bass line, mono 22050 Hz, 16-bit FLAC. The reference then runs
``basic_pitch.inference.predict`` with its own ``nmp.onnx`` (onnxruntime backend)
and default settings on that file, and the script stores:

* ``golden.npz``: the unwrapped ``note`` and ``onset`` activations (float16) and,
  per frame, the argmax and max of ``contour``;
* ``golden.json``: the note events ``(start_s, end_s, pitch, amplitude)`` and the
  versions used.

basic-pitch's ``note_creation`` imports ``resampy`` only for sonification; if it
is not installed a stub module stands in for it (it is never called here).
"""

from __future__ import annotations

import argparse
import json
import sys
import types
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "basic_pitch"
SR = 22050


def render_clip(path: Path) -> None:
    import pretty_midi
    import soundfile as sf

    from songlens.testing.render import render_midi

    rng = np.random.default_rng(7)
    pm = pretty_midi.PrettyMIDI(initial_tempo=100)
    piano = pretty_midi.Instrument(program=0)
    strings = pretty_midi.Instrument(program=48)
    bass = pretty_midi.Instrument(program=33)
    beat = 0.6
    scale = [0, 2, 4, 5, 7, 9, 11, 12]
    t = 0.0
    while t < 4.8:
        p = 72 + scale[int(rng.integers(0, 8))]
        dur = beat * float(rng.choice([0.5, 1.0, 1.0, 2.0]))
        piano.notes.append(pretty_midi.Note(velocity=int(rng.integers(70, 110)), pitch=p,
                                            start=t, end=t + dur * 0.95))
        t += dur
    for k, root in enumerate([60, 65, 67, 60]):
        s = k * 1.2
        for iv in (0, 4, 7):
            strings.notes.append(pretty_midi.Note(velocity=60, pitch=root + iv - 12 * (iv > 4),
                                                  start=s, end=s + 1.2))
        bass.notes.append(pretty_midi.Note(velocity=90, pitch=root - 24, start=s, end=s + 1.1))
    pm.instruments.extend([piano, strings, bass])
    y = render_midi(pm, sr=SR, reverb=True).mean(axis=0)
    y = y[: int(5.0 * SR)]
    y = 0.8 * y / np.max(np.abs(y))
    y = np.concatenate([np.zeros(int(4.5 * SR), np.float32), y.astype(np.float32)])
    sf.write(str(path), y, SR, subtype="PCM_16")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--render", action="store_true", help="re-render the test clip")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    clip = OUT / "clip.flac"
    if args.render or not clip.exists():
        render_clip(clip)
    try:
        import resampy  # noqa: F401
    except ImportError:
        sys.modules["resampy"] = types.ModuleType("resampy")
    import basic_pitch
    import librosa
    import onnxruntime
    from basic_pitch import inference

    model = Path(basic_pitch.__file__).parent / "saved_models" / "icassp_2022" / "nmp.onnx"
    out, _, events = inference.predict(str(clip), model)
    contour = out["contour"]
    np.savez_compressed(OUT / "golden.npz", note=out["note"].astype(np.float16),
                        onset=out["onset"].astype(np.float16),
                        contour_argmax=contour.argmax(axis=1).astype(np.int16),
                        contour_max=contour.max(axis=1).astype(np.float32))
    meta = {
        "reference": "basic_pitch.inference.predict (ONNX backend, default settings)",
        "versions": {"basic-pitch": "0.4.0", "onnxruntime": onnxruntime.__version__,
                     "librosa": librosa.__version__, "numpy": np.__version__},
        "n_frames": int(out["note"].shape[0]),
        "notes": [[float(s), float(e), int(p), float(a)] for s, e, p, a, _ in events],
    }
    (OUT / "golden.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"{len(events)} notes, {out['note'].shape[0]} frames -> {OUT}")


if __name__ == "__main__":
    main()
