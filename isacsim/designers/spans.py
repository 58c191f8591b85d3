"""The subspaces a problem's beams live in, computed once per problem (or per batch).

Every constraint on BS l's covariances involves only its steering vectors
towards the points and its channels to the users, so the designers reduce
each block to the span of those vectors (:func:`isacsim.solvers.program.span_basis`).
The bases depend on the problem alone, not on the designer, the receiver or
the detector: :class:`SpanBases` computes them on first use and keeps them,
and :func:`batch_span_bases` computes those of a batch of problems with one
singular value decomposition call per kind, bit for bit as one by one.
"""
from __future__ import annotations

import numpy as np

from ..solvers.program import SPAN_RTOL, span_basis

__all__ = ["SpanBases", "batch_span_bases"]


def _steering(problem):
    """``conj(A[:, l])`` per BS, each (Q, Nt)."""
    return [np.conj(problem.A[:, l]) for l in range(problem.n_bs)]


def _spanning_vectors(problem):
    """Per BS, its steering vectors then its channels to every user, (Q + L K, Nt)."""
    return [np.concatenate([steering, problem.H[l].reshape(-1, problem.n_tx)]) for l, steering in enumerate(_steering(problem))]


#: How each kind of basis is spanned: per BS, the vectors of one problem.
_SPANNING = {"full": _spanning_vectors, "steering": _steering}


class SpanBases:
    """Orthonormal bases of one problem's subspaces, per BS, computed on first use.

    Parameters
    ----------
    problem : DesignProblem
    source : callable or None
        ``source(kind)`` stores the bases of ``kind`` of this member and of
        the others of its batch (:func:`batch_span_bases`); None computes
        this problem's alone.

    Attributes
    ----------
    full : list of numpy.ndarray, complex, shape (Nt, d_l)
        Per BS l, the span of its steering vectors and its channels.
    steering : list of numpy.ndarray, complex, shape (Nt, d_l)
        Per BS l, the span of its steering vectors alone.
    """

    def __init__(self, problem, source=None):
        self.problem = problem
        self._source = source
        self._bases = {}

    @property
    def full(self):
        return self._get("full")

    @property
    def steering(self):
        return self._get("steering")

    def _get(self, kind):
        if kind not in self._bases:
            if self._source is not None:
                self._source(kind)
            else:
                self._bases[kind] = [span_basis(vectors) for vectors in _SPANNING[kind](self.problem)]
        return self._bases[kind]


def _stacked_bases(vector_sets, rtol=SPAN_RTOL):
    """:func:`span_basis` of many sets of vectors of one shape, with one SVD call.

    Parameters
    ----------
    vector_sets : list of numpy.ndarray, shape (n_vectors, Nt)

    Returns
    -------
    list of numpy.ndarray or None
        A basis per set, equal bit for bit to ``span_basis(set)``; None for a
        set with a zero vector (which :func:`span_basis` drops first).
    """
    stack = np.stack(vector_sets)  # (n_sets, n_vectors, Nt)
    norms = np.linalg.norm(stack, axis=2, keepdims=True)
    regular = np.all(norms[:, :, 0] > 0, axis=1)
    out = [None] * len(vector_sets)
    if not regular.any():
        return out
    rows = stack[regular] / norms[regular]
    u, s, _ = np.linalg.svd(np.swapaxes(rows, 1, 2), full_matrices=False)
    for slot, index in enumerate(np.flatnonzero(regular)):
        out[index] = u[slot][:, s[slot] > rtol * s[slot, 0]]
    return out


def batch_span_bases(problems):
    """:class:`SpanBases` of problems of one shape, each kind computed for all of them at once.

    Parameters
    ----------
    problems : sequence of DesignProblem
        Of one shape (L, K, Nt, Q).

    Returns
    -------
    list of SpanBases
        One per problem; the first use of a kind of basis by any member
        computes that kind for every member, with one SVD call.
    """
    problems = list(problems)

    def compute(kind):
        sets = [vectors for problem in problems for vectors in _SPANNING[kind](problem)]
        bases = _stacked_bases(sets)
        n_bs = len(sets) // len(problems)
        for index, member in enumerate(members):
            own = bases[index * n_bs : (index + 1) * n_bs]
            if any(basis is None for basis in own):  # a zero vector: this member alone, as span_basis does it
                own = [span_basis(vectors) for vectors in _SPANNING[kind](member.problem)]
            member._bases[kind] = own

    members = [SpanBases(problem, compute) for problem in problems]
    return members
