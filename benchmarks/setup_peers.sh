#!/usr/bin/env bash
# Create benchmarks/.venv-peers with the peer tools the benchmarks compare SongLens with:
# essentia (AGPL-3.0), librosa, soundfile, pyloudnorm. These are peers only: they are
# never dependencies of SongLens and src/songlens never imports them.
#
# Usage: benchmarks/setup_peers.sh            (idempotent; PEER_VENV=DIR to place it elsewhere)
#        PYTHON=python3.11 benchmarks/setup_peers.sh
# Then:  PYTHONPATH=src python benchmarks/run.py --peer-python benchmarks/.venv-peers/bin/python
set -euo pipefail
cd "$(dirname "$0")"
VENV_DIR="${PEER_VENV:-.venv-peers}"
PY="${PYTHON:-python3}"
PACKAGES=(essentia librosa soundfile pyloudnorm)

if [ ! -x "$VENV_DIR/bin/python" ]; then
    echo "creating $VENV_DIR with $($PY --version 2>&1)"
    "$PY" -m venv "$VENV_DIR"
fi
if "$VENV_DIR/bin/python" -c "import essentia, librosa, soundfile, pyloudnorm" 2>/dev/null; then
    echo "peers already installed in $VENV_DIR"
else
    "$VENV_DIR/bin/python" -m pip install -q --upgrade pip
    "$VENV_DIR/bin/python" -m pip install -q "${PACKAGES[@]}"
fi
"$VENV_DIR/bin/python" - <<'PY'
import essentia, librosa, pyloudnorm, soundfile  # noqa: F401
print("peers ok: essentia", essentia.__version__, "| librosa", librosa.__version__,
      "| soundfile", soundfile.__version__)
PY
echo "peer python: $(cd "$VENV_DIR" && pwd)/bin/python"
