"""BLAS on one thread while SongLens runs its own threads (threadpoolctl, BSD-3)."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any


def one_blas_thread() -> AbstractContextManager[Any] | None:
    """A context limiting BLAS to one thread per caller.

    SongLens runs its own threads (models beside the DSP); an idle BLAS worker
    busy-waits after each product and takes a core from them (seen: 1.7 s of
    CPU on a 4-minute track). One thread also makes the rounding of matrix
    products, hence the results, the same on every machine and at every moment.

    Returns
    -------
    context or None
        None without threadpoolctl. When BLAS already runs on one thread (e.g.
        inside a pipeline analysis) the context does nothing: setting and
        restoring the process-wide limit from a worker thread that outlives the
        caller's own context (an analysis that failed meanwhile) would restore
        the caller's one thread after the caller had restored its original.
    """
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return None
    if all(p.get("num_threads", 1) <= 1 for p in threadpool_info()
           if p.get("user_api") == "blas"):
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
