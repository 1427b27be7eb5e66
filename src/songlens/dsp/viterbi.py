"""Viterbi decoding with a uniform switching penalty.

Conventions
-----------
Scores are additive log-domain rewards (higher is better) per step and
state; a change of state costs ``switch_cost`` whatever the two states. This
is an HMM whose self-transition probability is the same for every state and
whose other transitions are uniform, with emissions and transitions already
on one log scale.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["viterbi_uniform"]


def viterbi_uniform(scores: np.ndarray, *, switch_cost: float) -> np.ndarray:
    """State path maximising ``sum(scores[t, path[t]]) - switch_cost * changes``.

    With a uniform switch cost the best predecessor of a state is either the
    state itself or the overall best state, so each step costs O(n_states).

    Parameters
    ----------
    scores : np.ndarray [shape=(n_steps, n_states)]
        Reward of each state at each step.
    switch_cost : float >= 0
        Penalty per change of state.

    Returns
    -------
    path : np.ndarray [shape=(n_steps,), dtype=int64]

    Raises
    ------
    ParameterError
        ``scores`` is not 2-D or ``switch_cost`` is negative.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ParameterError(f"scores must be 2-D (n_steps, n_states), got {scores.shape}")
    if not switch_cost >= 0:
        raise ParameterError(f"switch_cost must be >= 0, got {switch_cost}")
    n, s = scores.shape
    if n == 0 or s == 0:
        return np.zeros(n, dtype=np.int64)
    stay = np.empty((n, s), dtype=bool)
    best = np.zeros(n, dtype=np.int64)
    acc = scores[0].copy()
    for t in range(1, n):
        b = int(acc.argmax())
        move = acc[b] - switch_cost
        best[t] = b
        np.greater_equal(acc, move, out=stay[t])
        np.maximum(acc, move, out=acc)
        acc += scores[t]
    path = np.empty(n, dtype=np.int64)
    path[-1] = int(acc.argmax())
    for t in range(n - 1, 0, -1):
        path[t - 1] = path[t] if stay[t, path[t]] else best[t]
    return path
