"""Ground truth for tests and benchmarks: synthetic signals and rendered pieces.

Not needed to analyse music; :mod:`songlens.testing.render` needs the
``testing`` extra (pretty_midi) and the ``fluidsynth`` program with a GM
soundfont (Debian: ``fluidsynth fluid-soundfont-gm``).
"""
