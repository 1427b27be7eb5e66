#!/usr/bin/env bash
# Set up SongLens on a fresh Debian/Ubuntu machine: system packages + a venv.
# Idempotent: re-running only installs what is missing.
#   VENV=.venv (default)  PYTHON=python3 (default, needs >= 3.11)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

# System packages: FluidSynth + the MIT-licensed FluidR3 GM soundfont render the
# ground-truth audio used by the tests and benchmarks.
# Chromium + ChromeDriver run the report's browser tests headless.
# asc-music (GPL-2+) and drascula-music (Drascula licence) are real produced
# recordings for the no-label sanity checks (tests/test_report_real.py,
# benchmarks/real_recordings.py); they are read from /usr/share, never copied.
need_apt=()
command -v fluidsynth >/dev/null 2>&1 || need_apt+=(fluidsynth)
[ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || need_apt+=(fluid-soundfont-gm)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
[ -f /usr/share/games/asc/music/frontiers.mp3 ] || need_apt+=(asc-music)
[ -f /usr/share/scummvm/drascula/audio/track2.ogg ] || need_apt+=(drascula-music)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  echo "setup: installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${need_apt[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.songlens-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements/constraints.txt -nt "$stamp" ]; then
  echo "setup: installing songlens and its test tools into $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
  "$VENV/bin/python" -m pip install -q -c requirements/constraints.txt -e ".[dev]"
  touch "$stamp"
fi
echo "setup: ready ($VENV)"
