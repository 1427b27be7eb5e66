"""The ``songlens`` command line.

Thin by design: parse arguments, call the library, print results and one-line
errors. ``main(argv)`` returns an :class:`ExitStatus` and never raises for bad
input, so tests run it in-process.

Exit codes
----------
=====  ==================================================================
0      success
1      internal error (a bug: please report it; ``--debug`` shows the trace)
2      usage error (bad command line)
3      input path missing, a directory, or unreadable
4      input is not decodable audio (corrupt, empty, not audio, too short)
5      invalid parameter or setting
6      a needed optional dependency is not installed
7      output could not be written
8      several inputs given and some of them failed (the rest succeeded)
130    interrupted (Ctrl-C)
=====  ==================================================================
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from enum import IntEnum
from pathlib import Path
from typing import Any, TextIO

__all__ = ["ExitStatus", "main"]


class ExitStatus(IntEnum):
    """Process exit codes of the ``songlens`` command."""

    OK = 0
    ERROR = 1
    USAGE = 2
    NO_INPUT = 3
    BAD_AUDIO = 4
    BAD_PARAMETER = 5
    MISSING_DEPENDENCY = 6
    OUTPUT_ERROR = 7
    PARTIAL = 8
    INTERRUPTED = 130


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(message)


def _build_parser() -> argparse.ArgumentParser:
    from ._version import __version__

    p = _Parser(prog="songlens", description="Measure why a song or soundtrack cue moves people.")
    p.add_argument("--version", action="version", version=f"songlens {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    a = sub.add_parser("analyze", help="analyse audio/video files into versioned JSON",
                       description="Analyse audio or video files. With one file, print a "
                       "summary (or the JSON with --json -); with --json PATH write the "
                       "JSON there. With several files, --json names a directory that "
                       "receives one NAME.json per file.")
    a.add_argument("files", nargs="+", metavar="FILE", help="audio or video files")
    a.add_argument("--json", dest="json_out", metavar="OUT",
                   help="write JSON to OUT ('-' = stdout; a directory for several files)")
    a.add_argument("--profile", default="full", choices=["fast", "full"],
                   help="analysis profile (fast = DSP only; full adds the learned models: "
                        "instrument timeline, note transcription and melody)")
    a.add_argument("--indent", type=int, default=None, help="indent the JSON output")
    a.add_argument("--no-progress", action="store_true", help="no progress bar")

    r = sub.add_parser("report", help="write the deep-dive report (HTML or Markdown)",
                       description="Write a self-contained deep-dive report for an audio "
                       "file or analysis JSON; give two inputs to compare them side by side.")
    r.add_argument("inputs", nargs="+", metavar="FILE",
                   help="audio/video file or analysis JSON (two: a comparison)")
    r.add_argument("-o", "--out", metavar="PATH",
                   help="output file ('-' = stdout; default: NAME.report.html or .md here)")
    r.add_argument("--format", dest="fmt", choices=["html", "md"], default=None,
                   help="html (default, or from the -o suffix) or md")
    r.add_argument("--embed-audio", action="store_true",
                   help="embed the audio in the page (default: link the file next to it)")
    r.add_argument("--waveform", action="store_true",
                   help="decode the audio to draw its waveform (automatic for audio inputs)")
    r.add_argument("--profile", default="full", choices=["fast", "full"],
                   help="analysis profile for audio inputs")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")

    f = sub.add_parser("features", help="print Spotify-style audio features of a file",
                       description="Print the audio features of FILE in the exact JSON "
                       "shape of Spotify's /audio-features object (fields SongLens cannot "
                       "measure in this profile are null).")
    f.add_argument("file", metavar="FILE", help="audio or video file")
    f.add_argument("--profile", default="full", choices=["fast", "full"],
                   help="analysis profile (full adds note transcription: mode, register)")
    f.add_argument("--indent", type=int, default=2, help="indent of the JSON (default 2)")

    d = sub.add_parser("demo", help="analyse the bundled example track")
    d.add_argument("--out", metavar="DIR", default="songlens-demo",
                   help="directory for the demo outputs (default: ./songlens-demo)")
    return p


def _err(stream: TextIO, message: str) -> None:
    message = " ".join(str(message).split())
    stream.write(f"songlens: error: {message}\n")
    stream.flush()


def _status_for(exc: BaseException) -> ExitStatus:
    from .errors import (
        AudioLoadError,
        MissingDependencyError,
        ParameterError,
        ResultFormatError,
    )

    if isinstance(exc, MissingDependencyError):
        return ExitStatus.MISSING_DEPENDENCY
    if isinstance(exc, AudioLoadError):
        msg = str(exc)
        if msg.startswith("no such file") or "is a directory" in msg or "not readable" in msg:
            return ExitStatus.NO_INPUT
        return ExitStatus.BAD_AUDIO
    if isinstance(exc, ParameterError | ResultFormatError):
        return ExitStatus.BAD_PARAMETER
    return ExitStatus.ERROR


class _ProgressBar:
    """A one-line progress bar on a terminal stream (nothing when not a TTY)."""

    def __init__(self, stream: TextIO, total: int, enabled: bool):
        self.stream = stream
        self.total = total
        self.enabled = enabled and hasattr(stream, "isatty") and stream.isatty()
        self.last = 0.0

    def update(self, index: int, fraction: float, label: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if fraction < 1.0 and now - self.last < 0.1:
            return
        self.last = now
        done = (index + fraction) / max(self.total, 1)
        width = 30
        filled = int(done * width)
        name = label if len(label) <= 40 else "…" + label[-39:]
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done * 100:5.1f}% "
                          f"{index + 1}/{self.total} {name}\x1b[K")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _fmt_time(t: float) -> str:
    m, s = divmod(max(t, 0.0), 60)
    return f"{int(m)}:{s:04.1f}"


def _summary(result: Any) -> str:
    lines = [f"{result.track.path}: {result.track.duration:.1f} s, "
             f"{result.track.sample_rate} Hz, {result.track.channels} ch"]
    if result.track.title or result.track.artist:
        lines.append(f"  {result.track.artist or '?'} - {result.track.title or '?'}")
    lo = result.loudness
    if lo is not None:
        def f(v: float | None, unit: str) -> str:
            return "n/a" if v is None else f"{v:.1f} {unit}"
        lines.append(f"  loudness {f(lo.integrated_lufs, 'LUFS')}, range "
                     f"{f(lo.range_lu, 'LU')}, true peak {f(lo.true_peak_dbtp, 'dBTP')}")
    if result.climax is not None:
        lines.append(f"  climax at {_fmt_time(result.climax.time)}")
    for b in result.buildups or []:
        lines.append(f"  build-up {_fmt_time(b.start)}-{_fmt_time(b.end)} (+{b.rise_db:.1f} dB)")
    for s in result.silences or []:
        lines.append(f"  silence {_fmt_time(s.start)}-{_fmt_time(s.end)}")
    for w in result.warnings:
        lines.append(f"  warning: {w}")
    return "\n".join(lines)


def _json_name(path: str, used: set[str]) -> str:
    stem = Path(path).name
    name = f"{stem}.json"
    i = 1
    while name in used:
        i += 1
        name = f"{stem}.{i}.json"
    used.add(name)
    return name


def _cmd_analyze(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    from .pipeline import analyze
    from .result.serialize import dump_json

    files: list[str] = args.files
    many = len(files) > 1
    out_dir: Path | None = None
    if many:
        if args.json_out == "-":
            raise _UsageError("--json - writes one document; with several files give a directory")
        if args.json_out:
            out_dir = Path(args.json_out)
            if out_dir.exists() and not out_dir.is_dir():
                raise _UsageError(f"--json {args.json_out!r} must be a directory for several files")
    config = {"profile": args.profile}
    bar = _ProgressBar(err, len(files), enabled=not args.no_progress)
    failures: list[ExitStatus] = []
    used: set[str] = set()
    for i, path in enumerate(files):

        def on_progress(fraction: float, stage: str, i: int = i, path: str = path) -> None:
            bar.update(i, fraction, path)

        try:
            result = analyze(path, config=config, progress=on_progress)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - mapped to exit codes below
            status = _status_for(exc)
            if status == ExitStatus.ERROR:
                if args.debug:
                    raise
                bar.close()
                _err(err, f"{path}: internal error {type(exc).__name__}: {exc} "
                     "(please report; rerun with --debug for details)")
            else:
                bar.close()
                _err(err, str(exc))
            failures.append(status)
            continue
        try:
            if args.json_out == "-":
                bar.close()
                out.write(dump_json(result, indent=args.indent) + "\n")
            elif many and out_dir is not None:
                target = out_dir / _json_name(path, used)
                dump_json(result, target, indent=args.indent)
                bar.close()
                out.write(f"{path} -> {target}\n")
            elif args.json_out:
                dump_json(result, args.json_out, indent=args.indent)
                bar.close()
                out.write(f"{path} -> {args.json_out}\n")
            else:
                bar.close()
                out.write(_summary(result) + "\n")
        except OSError as exc:
            bar.close()
            _err(err, f"cannot write output for {path}: {exc.strerror or exc}")
            failures.append(ExitStatus.OUTPUT_ERROR)
    bar.close()
    if not failures:
        return ExitStatus.OK
    if len(failures) < len(files):
        return ExitStatus.PARTIAL
    return failures[0]


def _cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    from .report.build import load_input, write_report

    inputs: list[str] = args.inputs
    if len(inputs) > 2:
        raise _UsageError("report takes one input, or two to compare")
    fmt = args.fmt
    if fmt is None and args.out and args.out != "-":
        fmt = "md" if Path(args.out).suffix.lower() in (".md", ".markdown") else "html"
    fmt = fmt or "html"
    target = args.out
    if target is None:
        stems = [Path(p).stem for p in inputs]
        target = "-vs-".join(stems) + f".report.{fmt}"
    bar = _ProgressBar(err, len(inputs), enabled=not args.no_progress)
    loaded = []
    for i, path in enumerate(inputs):

        def on_progress(fraction: float, stage: str, i: int = i, path: str = path) -> None:
            bar.update(i, fraction, path)

        loaded.append(load_input(path, config={"profile": args.profile}, progress=on_progress))
    bar.close()
    for path, item in zip(inputs, loaded, strict=True):
        if item.audio is None and fmt == "html":
            err.write(f"songlens: note: audio for {path} not found (looked at its track.path "
                      "and next to it); the page has no player\n")
    try:
        text, written = write_report(loaded, out=None if target == "-" else target, fmt=fmt,
                                     embed_audio=args.embed_audio,
                                     waveform=True if args.waveform else None)
    except OSError as exc:
        _err(err, f"cannot write {target}: {exc.strerror or exc}")
        return ExitStatus.OUTPUT_ERROR
    if written is None:
        out.write(text if text.endswith("\n") else text + "\n")
    else:
        out.write(f"report written to {written.resolve()}\n")
    return ExitStatus.OK


def _cmd_features(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    import hashlib
    import json

    from .analysis.descriptors import spotify_json
    from .pipeline import analyze

    result = analyze(args.file, config={"profile": args.profile})
    if result.descriptors is None:  # pragma: no cover - the pipeline always fills it
        raise RuntimeError("the analysis produced no descriptors")
    path = Path(args.file).resolve()
    track_id = hashlib.sha1(str(path).encode()).hexdigest()[:22]
    doc = spotify_json(result.descriptors, track_id=track_id, uri=path.as_uri())
    out.write(json.dumps(doc, indent=args.indent) + "\n")
    return ExitStatus.OK


def _cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    from .demo import demo_track
    from .pipeline import analyze
    from .result.serialize import dump_json

    track = demo_track()
    out_dir = Path(args.out)
    bar = _ProgressBar(err, 1, enabled=True)
    result = analyze(track, progress=lambda f, s: bar.update(0, f, "demo"))
    bar.close()
    target = out_dir / "demo.analysis.json"
    dump_json(result, target, indent=2)
    from .report import demo_report

    report = demo_report(out_dir, result=result)
    out.write(_summary(result) + "\n")
    out.write(f"analysis written to {target.resolve()}\n")
    out.write(f"report written to {report.resolve()} (open it in a browser)\n")
    return ExitStatus.OK


def main(argv: list[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Run the CLI; returns the exit status (see module docstring)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        _err(err, f"{exc} (see 'songlens --help')")
        return ExitStatus.USAGE
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(out)
        return ExitStatus.USAGE
    handlers = {"analyze": _cmd_analyze, "report": _cmd_report, "features": _cmd_features,
                "demo": _cmd_demo}
    try:
        return handlers[args.command](args, out, err)
    except _UsageError as exc:
        _err(err, f"{exc} (see 'songlens {args.command} --help')")
        return ExitStatus.USAGE
    except KeyboardInterrupt:
        _err(err, "interrupted")
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        # e.g. `songlens analyze x --json - | head`
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        except OSError:
            pass
        return ExitStatus.OK
    except Exception as exc:  # noqa: BLE001 - turned into one line + exit code
        status = _status_for(exc)
        if status == ExitStatus.ERROR and getattr(args, "debug", False):
            raise
        if status == ExitStatus.ERROR:
            _err(err, f"internal error {type(exc).__name__}: {exc} "
                 "(please report; rerun with --debug for details)")
        else:
            _err(err, str(exc))
        return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
