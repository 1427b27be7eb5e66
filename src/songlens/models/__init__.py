"""Learned models: a checksummed registry and NumPy forward passes.

Weights ship inside the package (``songlens/models/data``); nothing is
downloaded. Heavy work happens only when a model is used.
"""
