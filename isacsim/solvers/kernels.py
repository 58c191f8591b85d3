"""Compiled kernels of the structured solver (optional: Numba), with their NumPy equivalents.

At paper size the solver's step lengths are the smallest eigenvalues of
hundreds of small Hermitian matrices ``L^-1 dX L^-H`` per iteration, and
LAPACK's ``heevd`` pays more in setup than in arithmetic on a 12 x 12
matrix. :func:`lowest_scaled_eigenvalues` computes them in one compiled loop
when Numba is installed (``pip install isacsim[fast]``): the congruence, a
Householder reduction to a real tridiagonal matrix and bisection on its
Sturm sequence, to full double precision. Without Numba (or with
``ISACSIM_NO_NUMBA=1``) the same result comes from NumPy (two batched
products and ``eigvalsh``); the tests check the two against each other.
"""
from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

__all__ = ["lowest_scaled_eigenvalues", "compiled_kernels_available"]


def _lowest_numpy(F, D, Fh):
    return np.linalg.eigvalsh(F @ D @ Fh)[:, 0]


def _lowest_loops(F, D, Fh):
    """The kernel as plain loops: compiled by Numba when available, and runnable as is (slowly)."""
    n, d, _ = F.shape
    out = np.empty(n)
    T = np.empty((d, d), dtype=np.complex128)
    A = np.empty((d, d), dtype=np.complex128)
    v = np.empty(d, dtype=np.complex128)
    p = np.empty(d, dtype=np.complex128)
    diag = np.empty(d)
    off = np.zeros(d)
    for m in range(n):
        # A = F D F^H (F lower triangular: only its lower part contributes)
        for i in range(d):
            for j in range(d):
                acc = 0j
                for k in range(i + 1):
                    acc += F[m, i, k] * D[m, k, j]
                T[i, j] = acc
        for i in range(d):
            for j in range(i + 1):
                acc = 0j
                for k in range(j + 1):
                    acc += T[i, k] * Fh[m, k, j]
                A[i, j] = acc
                A[j, i] = acc.conjugate()
            A[i, i] = A[i, i].real
        # Householder reduction of the Hermitian A to a real symmetric tridiagonal (diag, off)
        for k in range(d - 2):
            alpha2 = 0.0
            for i in range(k + 1, d):
                alpha2 += A[i, k].real ** 2 + A[i, k].imag ** 2
            diag[k] = A[k, k].real
            if alpha2 == 0.0:
                off[k] = 0.0
                continue
            alpha = np.sqrt(alpha2)
            x0 = A[k + 1, k]
            ax0 = abs(x0)
            phase = x0 / ax0 if ax0 > 0.0 else 1.0 + 0j
            v[k + 1] = x0 + phase * alpha
            for i in range(k + 2, d):
                v[i] = A[i, k]
            norm2 = 0.0
            for i in range(k + 1, d):
                norm2 += v[i].real ** 2 + v[i].imag ** 2
            tau = 2.0 / norm2
            for i in range(k + 1, d):
                acc = 0j
                for j in range(k + 1, d):
                    acc += A[i, j] * v[j]
                p[i] = tau * acc
            K = 0j
            for i in range(k + 1, d):
                K += v[i].conjugate() * p[i]
            K *= tau / 2.0
            for i in range(k + 1, d):
                p[i] -= K * v[i]
            for i in range(k + 1, d):
                for j in range(k + 1, d):
                    A[i, j] -= v[i] * p[j].conjugate() + p[i] * v[j].conjugate()
            off[k] = alpha
        if d >= 2:
            diag[d - 2] = A[d - 2, d - 2].real
            off[d - 2] = abs(A[d - 1, d - 2])
        diag[d - 1] = A[d - 1, d - 1].real
        # bisection on the Sturm count for the smallest eigenvalue
        lo, hi = np.inf, -np.inf
        for i in range(d):
            r = (off[i - 1] if i > 0 else 0.0) + (off[i] if i < d - 1 else 0.0)
            lo = min(lo, diag[i] - r)
            hi = max(hi, diag[i] + r)
        width = max(abs(lo), abs(hi), 1e-300)
        for _ in range(120):
            if hi - lo <= 2e-16 * width:
                break
            mid = 0.5 * (lo + hi)
            below = 0
            q = diag[0] - mid
            if q < 0.0:
                below += 1
            for i in range(1, d):
                q = diag[i] - mid - off[i - 1] ** 2 / (q if q != 0.0 else 1e-300)
                if q < 0.0:
                    below += 1
            if below >= 1:
                hi = mid
            else:
                lo = mid
        out[m] = 0.5 * (lo + hi)
    return out


_COMPILED: list[Callable[..., Any] | None] = []  # [] until first asked, then [the compiled kernel or None]


def _compiled():
    """The Numba-compiled kernel, built on first use (import and cached compile cost ~1 s once per process); None without Numba."""
    if not _COMPILED:
        kernel = None
        if not os.environ.get("ISACSIM_NO_NUMBA"):
            try:
                import numba
            except ImportError:
                pass
            else:
                kernel = numba.njit(cache=True, nogil=True)(_lowest_loops)
        _COMPILED.append(kernel)
    return _COMPILED[0]


def compiled_kernels_available():
    """True when the compiled kernel is used (Numba installed and ``ISACSIM_NO_NUMBA`` unset)."""
    return _compiled() is not None


def lowest_scaled_eigenvalues(F, D, Fh):
    """Smallest eigenvalue of ``F D F^H`` for each matrix of a stack.

    Parameters
    ----------
    F, Fh : numpy.ndarray, complex, shape (n, d, d)
        Lower-triangular ``L^-1`` and its conjugate transpose.
    D : numpy.ndarray, complex, shape (n, d, d)
        Hermitian.

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    compiled = _compiled()
    if compiled is not None:
        return compiled(np.ascontiguousarray(F), np.ascontiguousarray(D), np.ascontiguousarray(Fh))
    return _lowest_numpy(F, D, Fh)
