"""One BLAS thread for the many small matrix products of a design.

A design works on many small matrices (a few dozen rows each). Multi-threaded
BLAS gains nothing there and, when the cores are shared (sweep workers,
other jobs), its spinning threads slow each product by up to several hundred
times (measured here: 1.2 ms single-threaded against 881 ms with two
threads on a loaded 2-core machine). Parallelism belongs to the sweep's
worker processes instead.
"""
from __future__ import annotations

__all__ = ["single_threaded_blas", "single_threaded_blas_from_now"]

_controller = None


def single_threaded_blas():
    """Context manager that limits every loaded BLAS to one thread (threadpoolctl).

    Returns
    -------
    contextlib.AbstractContextManager
    """
    global _controller
    if _controller is None:
        import scipy.linalg  # noqa: F401  (load SciPy's BLAS too, so that it is controlled)
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def single_threaded_blas_from_now():
    """Limit every BLAS loaded in this process to one thread, for the rest of its life.

    For a freshly forked child process: its parent's BLAS threads did not
    survive the fork, and re-creating a pool for every child (as entering and
    leaving :func:`single_threaded_blas` would) costs far more than a small
    design. Loads nothing that is not loaded yet.
    """
    from threadpoolctl import ThreadpoolController

    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    _controller.limit(limits=1, user_api="blas")  # kept: never restored
