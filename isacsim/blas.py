"""One BLAS thread for the many small matrix products of a design.

A design works on many small matrices (a few dozen rows each). Multi-threaded
BLAS gains nothing there and, when the cores are shared (sweep workers,
other jobs), its spinning threads slow each product by up to several hundred
times (measured here: 1.2 ms single-threaded against 881 ms with two
threads on a loaded 2-core machine). Parallelism belongs to the sweep's
worker processes instead.
"""
from __future__ import annotations

__all__ = ["single_threaded_blas"]

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
