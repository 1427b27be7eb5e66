"""Analysers: one module per facet, each a pure function over shared features."""
