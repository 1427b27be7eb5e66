"""Ground truth for tests and benchmarks: synthetic signals and rendered pieces.

Not needed to analyse music. Modules:

* :mod:`songlens.testing.signals` -- synthetic test signals (numpy only);
* :mod:`songlens.testing.render` -- the dynamic-arc pieces of the demo and tests;
* :mod:`songlens.testing.dataset` -- the labelled synthetic set for rhythm,
  harmony and form (``load_dataset(cache_dir) -> list[Piece]``);
* :mod:`songlens.testing.corpus` -- the music21 corpus set
  (``load_corpus(cache_dir) -> list[Piece]``, needs the ``corpus`` extra).

Rendering needs the ``testing`` extra (pretty_midi, soundfile, mir_eval) and the
``fluidsynth`` program with GM soundfonts (Debian: ``fluidsynth
fluid-soundfont-gm``; the datasets also use ``musescore-general-soundfont-small``
and ``timgm6mb-soundfont``).
"""
