"""Polyphonic note transcription with Basic Pitch's network, run by onnxruntime.

A re-implementation of the inference and note-creation steps of Spotify's
``basic-pitch`` 0.4.0 (Bittner et al. 2022, Apache-2.0) around its shipped ONNX
network (see :mod:`songlens.models.registry`), so that neither TensorFlow nor the
``basic_pitch`` package is needed. The CQT, its log normalisation and the
harmonic stacking are inside the ONNX graph; what this module does is the
windowing of the audio, the unwrapping of the windowed outputs, the time axis
and the conversion of the note/onset activations into note events. A golden
test (``tests/test_transcription.py``) checks activations and notes against
``basic_pitch.inference.predict`` itself.

Conventions
-----------
* Input: mono float audio at exactly ``MODEL_SR`` = 22050 Hz (the rate of
  SongLens' default analysis signal). Nothing is resampled implicitly: another
  rate raises :class:`~songlens.errors.ParameterError`.
* The network sees 43844-sample windows (2 s minus one hop) that overlap by 30
  output frames; 15 frames are dropped at each side of every window, the rest
  concatenated, as basic-pitch does. Output frames are 256 samples apart
  (86.13 fps); frame times follow basic-pitch's own mapping
  (:func:`frame_times`), which corrects the drift between windows.
* Pitches are MIDI note numbers 21 (A0) to 108 (C8); times in seconds;
  ``amplitude`` is the mean note activation (0-1) over the note.
* Note creation (basic-pitch's defaults): onset peaks >= 0.5 start notes,
  which last while the note activation stays >= 0.3 (a note ends after 11
  frames below it); notes of 11 frames (~128 ms) or fewer are dropped; onsets
  are also inferred from rises of the note activation; then the "Melodia
  trick" adds notes grown from the strongest remaining activations.

References
----------
.. [1] Bittner, R. M., Bosch, J. J., Rubinstein, D., Meseguer-Brocal, G. and
   Ewert, S. (2022). A lightweight instrument-agnostic model for polyphonic
   note transcription and multipitch estimation. Proc. IEEE ICASSP.
.. [2] basic-pitch 0.4.0, ``basic_pitch/inference.py`` and
   ``basic_pitch/note_creation.py`` (Apache-2.0, Copyright 2022 Spotify AB).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._optional import require
from ..errors import ModelLoadingError, ParameterError

__all__ = [
    "MODEL_SR", "FFT_HOP", "WINDOW_SAMPLES", "OVERLAP_FRAMES", "NoteEvent",
    "validate_audio", "window_audio", "run_network", "frame_times", "n_output_frames",
    "activations_to_notes", "transcribe", "StreamingTranscriber",
]

MODEL_SR = 22050
"""Sample rate the network was trained on (Hz)."""
FFT_HOP = 256
"""Samples between output frames."""
WINDOW_SAMPLES = MODEL_SR * 2 - FFT_HOP
"""Samples in one network input window (43844)."""
WINDOW_FRAMES = 172
"""Output frames of one window."""
OVERLAP_FRAMES = 30
"""Output frames shared by consecutive windows (half dropped on each side)."""
_OVERLAP_SAMPLES = OVERLAP_FRAMES * FFT_HOP
_HOP_SAMPLES = WINDOW_SAMPLES - _OVERLAP_SAMPLES
_FPS_INT = MODEL_SR // FFT_HOP  # basic-pitch's ANNOTATIONS_FPS (an integer: 86)
_MIDI_OFFSET = 21
_N_PITCHES = 88
_INPUT = "serving_default_input_2:0"
_OUTPUTS = {"note": "StatefulPartitionedCall:1", "onset": "StatefulPartitionedCall:2",
            "contour": "StatefulPartitionedCall:0"}


@dataclass(frozen=True)
class NoteEvent:
    """One transcribed note."""

    start: float
    end: float
    pitch: int
    amplitude: float


def validate_audio(y: np.ndarray, *, sr: int) -> np.ndarray:
    """Check a mono signal at the model rate; returns it as contiguous float32.

    Raises
    ------
    ParameterError
        Not 1-D, not finite, or ``sr`` is not ``MODEL_SR``.
    """
    if sr != MODEL_SR:
        raise ParameterError(
            f"basic-pitch transcription needs audio at {MODEL_SR} Hz, got sr={sr}; "
            "resample explicitly first (e.g. soxr.resample)")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ParameterError(f"y must be mono with shape (n,), got {y.shape}")
    y = np.ascontiguousarray(y, dtype=np.float32)
    if not np.all(np.isfinite(y)):
        raise ParameterError("y contains NaN or infinite samples")
    return y


def n_output_frames(n_samples: int) -> int:
    """Output frames kept for ``n_samples`` of audio (basic-pitch's trim)."""
    return int(np.floor(n_samples * (_FPS_INT / MODEL_SR)))


def window_audio(y: np.ndarray) -> np.ndarray:
    """The network's input windows for a signal, as basic-pitch cuts them.

    Half the overlap (3840 samples of zeros) is prepended; windows of
    ``WINDOW_SAMPLES`` start every 36164 samples and the last is zero-padded.
    Windows whose kept frames would all fall after the end of the signal are
    not produced.

    Parameters
    ----------
    y : np.ndarray [shape=(n,), dtype=float32]

    Returns
    -------
    windows : np.ndarray [shape=(n_windows, WINDOW_SAMPLES), dtype=float32]
    """
    n_keep = WINDOW_FRAMES - OVERLAP_FRAMES
    n_windows = -(-n_output_frames(y.size) // n_keep)
    padded = np.concatenate([np.zeros(_OVERLAP_SAMPLES // 2, np.float32), y])
    out = np.zeros((n_windows, WINDOW_SAMPLES), dtype=np.float32)
    for w in range(n_windows):
        seg = padded[w * _HOP_SAMPLES: w * _HOP_SAMPLES + WINDOW_SAMPLES]
        out[w, :seg.size] = seg
    return out


_sessions: dict[int, Any] = {}
_sessions_lock = threading.Lock()


def _session(threads: int) -> Any:
    """A cached onnxruntime session of the Basic Pitch network."""
    with _sessions_lock:
        if threads in _sessions:
            return _sessions[threads]
        ort = require("onnxruntime", extra="ml", purpose="note transcription")
        from ..models.registry import model_path

        path = model_path("basic-pitch-nmp")
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # no busy-waiting threads: they steal the other core from parallel work
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        so.add_session_config_entry("session.inter_op.allow_spinning", "0")
        so.log_severity_level = 3
        try:
            sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
            raise ModelLoadingError(f"onnxruntime could not load {path}: {exc}") from exc
        _sessions[threads] = sess
        return sess


def run_network(y: np.ndarray, *, sr: int, threads: int = 1, workers: int = 1,
                batch: int = 8, outputs: tuple[str, ...] = ("note", "onset"),
                progress: Callable[[float], None] | None = None) -> dict[str, np.ndarray]:
    """Note, onset (and contour) activations of a whole signal.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio at ``MODEL_SR``.
    sr : int
        Must equal ``MODEL_SR`` (22050 Hz).
    threads : int >= 1
        onnxruntime intra-op threads per call.
    workers : int >= 1
        Batches run concurrently (one call per worker thread; onnxruntime
        releases the GIL). ``workers=2, threads=1`` uses both cores of a
        2-core machine with no thread spinning.
    batch : int >= 1
        Windows per network call.
    outputs : tuple of str
        Any of ``"note"``, ``"onset"``, ``"contour"``.
    progress : callable, optional
        ``progress(fraction)`` after each batch.

    Returns
    -------
    activations : dict of str -> np.ndarray
        ``note`` and ``onset`` [shape=(n_frames, 88)], ``contour``
        [shape=(n_frames, 264)] (1/3-semitone bins from A0), float32 in [0, 1].

    Raises
    ------
    ParameterError
        Bad signal or parameters.
    MissingDependencyError
        onnxruntime is not installed.
    ModelLoadingError
        The model file is missing, corrupt or not loadable.
    """
    y = validate_audio(y, sr=sr)
    for name, v in (("threads", threads), ("workers", workers), ("batch", batch)):
        if not isinstance(v, int) or v < 1:
            raise ParameterError(f"{name} must be an integer >= 1, got {v!r}")
    unknown = set(outputs) - set(_OUTPUTS)
    if unknown or not outputs:
        raise ParameterError(f"outputs must be a non-empty subset of {sorted(_OUTPUTS)}")
    n_frames = n_output_frames(y.size)
    widths = {"note": _N_PITCHES, "onset": _N_PITCHES, "contour": 3 * _N_PITCHES}
    if n_frames == 0:
        return {k: np.zeros((0, widths[k]), np.float32) for k in outputs}
    sess = _session(threads)
    names = [_OUTPUTS[k] for k in outputs]
    windows = window_audio(y)
    n_win = windows.shape[0]
    silent = ~np.any(windows != 0, axis=1)
    todo = np.nonzero(~silent)[0]
    half = OVERLAP_FRAMES // 2
    kept = {k: np.zeros((n_win, WINDOW_FRAMES - OVERLAP_FRAMES, widths[k]), np.float32)
            for k in outputs}
    if silent.any():  # the network's answer to an all-zero window, computed once
        res = sess.run(names, {_INPUT: np.zeros((1, WINDOW_SAMPLES, 1), np.float32)})
        for k, r in zip(outputs, res, strict=True):
            kept[k][silent] = r[0, half:-half]
    chunks = [todo[i:i + batch] for i in range(0, todo.size, batch)]
    done = [0]
    lock = threading.Lock()

    def run(idx: np.ndarray) -> None:
        res = sess.run(names, {_INPUT: windows[idx][:, :, np.newaxis]})
        for k, r in zip(outputs, res, strict=True):
            kept[k][idx] = r[:, half:-half]
        if progress is not None:
            with lock:
                done[0] += idx.size
                progress(done[0] / max(todo.size, 1))

    if workers == 1 or len(chunks) <= 1:
        for c in chunks:
            run(c)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, chunks))
    return {k: v.reshape(-1, widths[k])[:n_frames] for k, v in kept.items()}


class StreamingTranscriber:
    """Runs the network on windows as the audio arrives (e.g. while decoding).

    Feed consecutive mono chunks at ``MODEL_SR`` with :meth:`push`; each
    window is sent to a worker thread as soon as its samples are there, so the
    network runs while the rest of the file is still being decoded. :meth:`finish`
    returns exactly what :func:`run_network` returns for the concatenated
    chunks (same windows, same session).

    Parameters
    ----------
    sr : int
        Must be ``MODEL_SR``.
    workers, threads, batch : int >= 1
        As in :func:`run_network`.
    outputs : tuple of str
        As in :func:`run_network`.
    """

    def __init__(self, *, sr: int, workers: int = 1, threads: int = 1, batch: int = 4,
                 outputs: tuple[str, ...] = ("note", "onset")):
        if sr != MODEL_SR:
            raise ParameterError(f"StreamingTranscriber needs {MODEL_SR} Hz audio, got sr={sr}")
        for name, v in (("threads", threads), ("workers", workers), ("batch", batch)):
            if not isinstance(v, int) or v < 1:
                raise ParameterError(f"{name} must be an integer >= 1, got {v!r}")
        if not outputs or set(outputs) - set(_OUTPUTS):
            raise ParameterError(f"outputs must be a non-empty subset of {sorted(_OUTPUTS)}")
        self.outputs = tuple(outputs)
        self._sess = _session(threads)
        self._names = [_OUTPUTS[k] for k in self.outputs]
        self._batch = batch
        self._pool = ThreadPoolExecutor(max_workers=workers,
                                        thread_name_prefix="songlens-network")
        self._buf = np.zeros(_OVERLAP_SAMPLES // 2, np.float32)  # the zero pre-pad
        self._buf_start = 0  # padded-sample index of _buf[0]
        self._next = 0  # next window index to cut
        self._n = 0  # samples pushed
        self._pending: list[tuple[int, np.ndarray]] = []
        self._futures: list[Any] = []
        self._results: dict[int, list[np.ndarray]] = {}
        self._zero: list[np.ndarray] | None = None
        self._lock = threading.Lock()

    def _zero_result(self) -> list[np.ndarray]:
        with self._lock:
            if self._zero is None:
                res = self._sess.run(self._names,
                                     {_INPUT: np.zeros((1, WINDOW_SAMPLES, 1), np.float32)})
                half = OVERLAP_FRAMES // 2
                self._zero = [r[0, half:-half] for r in res]
            return self._zero

    def _run(self, items: list[tuple[int, np.ndarray]]) -> None:
        half = OVERLAP_FRAMES // 2
        live = [(w, x) for w, x in items if np.any(x != 0)]
        for w, x in items:
            if not np.any(x != 0):
                self._results[w] = self._zero_result()
        if live:
            batch = np.stack([x for _, x in live])[:, :, np.newaxis]
            res = self._sess.run(self._names, {_INPUT: batch})
            for j, (w, _) in enumerate(live):
                self._results[w] = [r[j, half:-half] for r in res]

    def _submit(self, force: bool = False) -> None:
        while self._pending and (force or len(self._pending) >= self._batch):
            items, self._pending = self._pending[:self._batch], self._pending[self._batch:]
            self._futures.append(self._pool.submit(self._run, items))

    def push(self, chunk: np.ndarray) -> None:
        """Append mono samples (any length, float)."""
        x = np.asarray(chunk, dtype=np.float32).reshape(-1)
        if x.size == 0:
            return
        if not np.all(np.isfinite(x)):
            x = np.where(np.isfinite(x), x, np.float32(0.0))
        self._n += x.size
        self._buf = np.concatenate([self._buf, x])
        while True:
            start = self._next * _HOP_SAMPLES - self._buf_start
            if start + WINDOW_SAMPLES > self._buf.size:
                break
            self._pending.append((self._next, self._buf[start:start + WINDOW_SAMPLES].copy()))
            self._next += 1
        drop = self._next * _HOP_SAMPLES - self._buf_start
        if drop > 0:
            self._buf = self._buf[drop:].copy()
            self._buf_start += drop
        self._submit()

    def close(self) -> None:
        """Abandon the stream (e.g. after a decoding error): cancel queued windows."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def finish(self) -> dict[str, np.ndarray]:
        """Run the last (zero-padded) windows and return the unwrapped activations."""
        widths = {"note": _N_PITCHES, "onset": _N_PITCHES, "contour": 3 * _N_PITCHES}
        n_frames = n_output_frames(self._n)
        n_keep = WINDOW_FRAMES - OVERLAP_FRAMES
        n_windows = -(-n_frames // n_keep)
        while self._next < n_windows:
            start = self._next * _HOP_SAMPLES - self._buf_start
            win = np.zeros(WINDOW_SAMPLES, np.float32)
            seg = self._buf[max(start, 0):start + WINDOW_SAMPLES]
            win[:seg.size] = seg
            self._pending.append((self._next, win))
            self._next += 1
        self._submit(force=True)
        try:
            for f in self._futures:
                f.result()
        finally:
            self._pool.shutdown(wait=True)
        out = {}
        for i, k in enumerate(self.outputs):
            if n_windows == 0:
                out[k] = np.zeros((0, widths[k]), np.float32)
                continue
            kept = np.stack([self._results[w][i] for w in range(n_windows)])
            out[k] = kept.reshape(-1, widths[k])[:n_frames]
        return out


def frame_times(n_frames: int) -> np.ndarray:
    """Times (s) of the unwrapped output frames, with basic-pitch's window correction.

    Each window's kept frames are ~0.27 frame shorter than its hop, so
    basic-pitch shifts frame ``j`` back by ``floor(j / 172)`` times
    ``(172 - 43844/256) * 256/22050 + 0.0018`` s; this reproduces it.

    Returns
    -------
    times : np.ndarray [shape=(n_frames,)]
    """
    idx = np.arange(n_frames)
    original = idx * FFT_HOP / MODEL_SR
    window_numbers = np.floor(idx / (_FPS_INT * 2))
    offset = (FFT_HOP / MODEL_SR) * (_FPS_INT * 2 - WINDOW_SAMPLES / FFT_HOP) + 0.0018
    return original - offset * window_numbers


def _walk(seq: np.ndarray, *, thresh: float, tol: int) -> tuple[int, int]:
    """Steps taken by basic-pitch's note-extension loop over ``seq``.

    The loop advances one element at a time, counting consecutive elements
    below ``thresh`` (``k``), and stops after the element that makes ``k``
    reach ``tol`` or at the end of ``seq``. Returns ``(steps, k)``.
    """
    n = seq.size
    pos, run, chunk = 0, 0, 64
    while pos < n:
        end = min(n, pos + chunk)
        below = seq[pos:end] < thresh
        idx = np.arange(end - pos)
        last_above = np.maximum.accumulate(np.where(below, -1 - run, idx))
        counts = idx - last_above
        hit = np.nonzero(counts >= tol)[0]
        if hit.size:
            return pos + int(hit[0]) + 1, tol
        run = int(counts[-1])
        pos = end
        chunk *= 2
    return n, run


def _inferred_onsets(onsets: np.ndarray, frames: np.ndarray, n_diff: int = 2) -> np.ndarray:
    """Onset activations maxed with rescaled rises of the note activation."""
    diffs = []
    for n in range(1, n_diff + 1):
        prev = np.concatenate([np.zeros((n, frames.shape[1])), frames])[:-n]
        diffs.append(frames - prev)
    frame_diff = np.min(diffs, axis=0)
    frame_diff[frame_diff < 0] = 0
    frame_diff[:n_diff, :] = 0
    top = np.max(frame_diff) if frame_diff.size else 0.0
    if top > 0:
        frame_diff = np.max(onsets) * frame_diff / top
    return np.maximum(onsets, frame_diff)


def activations_to_notes(note: np.ndarray, onset: np.ndarray, *, onset_threshold: float = 0.5,
                         frame_threshold: float = 0.3, min_note_frames: int = 11,
                         infer_onsets: bool = True, melodia_trick: bool = True,
                         energy_tol: int = 11) -> np.ndarray:
    """Note events (in frames) from note and onset activations (basic-pitch's decoder).

    Parameters
    ----------
    note, onset : np.ndarray [shape=(n_frames, 88)]
        Activations from :func:`run_network`.
    onset_threshold : float in (0, 1)
        Smallest onset peak that starts a note.
    frame_threshold : float in (0, 1)
        Note activation under which a note may end.
    min_note_frames : int >= 0
        Notes must be longer than this (frames).
    infer_onsets : bool
        Also take onsets from rises of the note activation.
    melodia_trick : bool
        Grow further notes from the strongest remaining activations.
    energy_tol : int >= 1
        Frames below ``frame_threshold`` that end a note.

    Returns
    -------
    events : np.ndarray [shape=(n_notes, 4), dtype=float64]
        Rows ``(start_frame, end_frame, midi_pitch, amplitude)``, in
        basic-pitch's order (onset notes from the last onset backwards, then
        Melodia notes by decreasing peak activation).
    """
    note = np.asarray(note)
    onset = np.asarray(onset)
    if note.ndim != 2 or note.shape != onset.shape or note.shape[1] != _N_PITCHES:
        raise ParameterError(f"note and onset must both have shape (n_frames, {_N_PITCHES}), "
                             f"got {note.shape} and {onset.shape}")
    if not (0 < frame_threshold < 1 and 0 < onset_threshold < 1):
        raise ParameterError("onset_threshold and frame_threshold must lie in (0, 1)")
    if energy_tol < 1 or min_note_frames < 0:
        raise ParameterError("energy_tol must be >= 1 and min_note_frames >= 0")
    n_frames = note.shape[0]
    events: list[tuple[float, float, float, float]] = []
    if n_frames < 3:
        return np.zeros((0, 4))
    frames = note.astype(np.float64)
    onsets = onset.astype(np.float64)
    if infer_onsets:
        onsets = _inferred_onsets(onsets, frames)
    # strict local maxima along time (scipy.signal.argrelmax, order 1)
    peak = np.zeros_like(onsets, dtype=bool)
    peak[1:-1] = (onsets[1:-1] > onsets[:-2]) & (onsets[1:-1] > onsets[2:])
    t_idx, f_idx = np.nonzero(peak & (onsets >= onset_threshold))
    remaining = frames.copy()
    last = n_frames - 1
    for start, f in zip(t_idx[::-1], f_idx[::-1], strict=True):
        if start >= last:
            continue
        steps, k = _walk(remaining[start + 1:last, f], thresh=frame_threshold, tol=energy_tol)
        i = start + 1 + steps - k
        if i - start <= min_note_frames:
            continue
        remaining[start:i, max(f - 1, 0):f + 2] = 0
        events.append((start, i, f + _MIDI_OFFSET, float(np.mean(note[start:i, f]))))

    if melodia_trick:
        # the loop "take the argmax of what remains" only ever zeroes values, so
        # visiting the values in decreasing order (ties: first in C order, as
        # np.argmax) and skipping zeroed ones is the same loop without rescans
        flat = remaining.ravel()
        cand = np.nonzero(flat > frame_threshold)[0]
        order = cand[np.lexsort((cand, -flat[cand]))]
        n_f = remaining.shape[1]
        for c in order:
            if not flat[c] > frame_threshold:
                continue
            i_mid, f = divmod(int(c), n_f)
            remaining[i_mid, f] = 0
            cols = slice(max(f - 1, 0), f + 2)
            steps, k = _walk(remaining[i_mid + 1:last, f], thresh=frame_threshold,
                             tol=energy_tol)
            remaining[i_mid + 1:i_mid + 1 + steps, cols] = 0
            i_end = i_mid + steps - k
            if i_mid - 1 > 0:
                back = remaining[i_mid - 1:0:-1, f]
                bsteps, bk = _walk(back, thresh=frame_threshold, tol=energy_tol)
                remaining[i_mid - bsteps:i_mid, cols] = 0
                i_start = i_mid - bsteps + bk
            else:
                i_start = i_mid
            if i_end - i_start <= min_note_frames:
                continue
            events.append((i_start, i_end, f + _MIDI_OFFSET,
                           float(np.mean(note[i_start:i_end, f]))))
    return np.array(events, dtype=np.float64).reshape(-1, 4)


def transcribe(y: np.ndarray, *, sr: int, threads: int = 1, workers: int = 1,
               onset_threshold: float = 0.5, frame_threshold: float = 0.3,
               min_note_ms: float = 127.70, progress: Callable[[float], None] | None = None,
               ) -> list[NoteEvent]:
    """Transcribe a signal into note events (basic-pitch ``predict`` defaults).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio at 22050 Hz.
    sr : int
        Must be 22050.
    threads, workers : int >= 1
        See :func:`run_network`.
    onset_threshold, frame_threshold : float
        See :func:`activations_to_notes`.
    min_note_ms : float >= 0
        Shortest note kept (ms), converted to frames as basic-pitch does.
    progress : callable, optional
        ``progress(fraction)`` during the network pass.

    Returns
    -------
    notes : list of NoteEvent
        Sorted by start time, then pitch.
    """
    if min_note_ms < 0:
        raise ParameterError(f"min_note_ms must be >= 0, got {min_note_ms}")
    act = run_network(y, sr=sr, threads=threads, workers=workers, progress=progress)
    min_frames = int(np.round(min_note_ms / 1000 * (MODEL_SR / FFT_HOP)))
    ev = activations_to_notes(act["note"], act["onset"], onset_threshold=onset_threshold,
                              frame_threshold=frame_threshold, min_note_frames=min_frames)
    times = frame_times(act["note"].shape[0])
    notes = [NoteEvent(start=float(times[int(s)]), end=float(times[int(e)]), pitch=int(p),
                       amplitude=float(a)) for s, e, p, a in ev]
    notes.sort(key=lambda n: (n.start, n.pitch))
    return notes
