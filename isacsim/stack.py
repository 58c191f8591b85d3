"""`ProblemStack`: problems of one shape stacked on a leading batch axis.

The model's functions (:mod:`isacsim.receivers`, :mod:`isacsim.detection`,
:mod:`isacsim.evaluation`) read a problem's arrays with leading axes
allowed, so that a stack of problems and of their designs is computed in
one vectorized call, each member bit for bit as alone in its stack.

That holds for C-contiguous arrays: NumPy's reductions and ``einsum`` may
sum in another order over arrays of another memory layout, so the stacks
and the designs handed to the model are made C-contiguous
(:func:`contiguous`).
"""
from __future__ import annotations

import attrs
import numpy as np

from .errors import InputError

__all__ = ["ProblemStack", "stack_problems", "contiguous", "group_equal"]


def group_equal(pairs):
    """Indices grouped by equal keys, compared with ``==`` rather than hashed.

    The keys are receivers and detectors, which share a stack only when
    equal, and a detector holding arrays (clutter) is not hashable.

    Parameters
    ----------
    pairs : iterable of (object, int)
        ``(key, index)`` pairs.

    Returns
    -------
    list of (object, list of int)
        Each distinct key with its indices, in order of first appearance.
    """
    groups: list = []
    for key, index in pairs:
        members = next((members for known, members in groups if known == key), None)
        if members is None:
            groups.append((key, [index]))
        else:
            members.append(index)
    return groups


def contiguous(array, dtype=complex):
    """``array`` as a C-contiguous array of ``dtype`` (no copy when it is one already)."""
    return np.ascontiguousarray(array, dtype=dtype)


@attrs.frozen
class ProblemStack:
    """Problems of one shape stacked on a leading axis, for one vectorized computation.

    It has the attributes of a :class:`~isacsim.DesignProblem` that the model's
    functions read, each with a leading batch axis of length B (scalars as
    shape ``(B, 1, 1)`` or ``(B, 1)`` so that they broadcast): the receivers'
    SINRs, the detectors' reflected powers and detection probabilities, the
    designers' checks (:func:`isacsim.designers.verify.check_designs`) and the
    evaluations (:func:`isacsim.evaluation.evaluate_designs`) take it.

    Attributes
    ----------
    H : numpy.ndarray, complex, shape (B, L, L, K, Nt)
    A : numpy.ndarray, complex, shape (B, Q, L, Nt)
    G : numpy.ndarray, float, shape (B, Q, L, L)
    gamma : numpy.ndarray, float, shape (B, L, K)
    p_max : numpy.ndarray, float, shape (B, L) [W]
    sigma_c2 : numpy.ndarray, float, shape (B, 1, 1) [W]
    n_rx : numpy.ndarray, int, shape (B, 1)
    sigma_d2 : numpy.ndarray, float, shape (B, 1) [W]
    p_fa : numpy.ndarray, float, shape (B, 1)
    csi_error_var : numpy.ndarray or None, float, shape (B, L, L, K) [W]
        Statistical CSI error (zeros for a member without; None if no member has one).
    members : tuple of DesignProblem
        The problems stacked (for their limits,
        :meth:`isacsim.designers.verify.Limits.of_problem`).
    """

    H: np.ndarray
    A: np.ndarray
    G: np.ndarray
    gamma: np.ndarray
    p_max: np.ndarray
    sigma_c2: np.ndarray
    n_rx: np.ndarray
    sigma_d2: np.ndarray
    p_fa: np.ndarray
    csi_error_var: np.ndarray | None = None
    members: tuple = attrs.field(default=(), eq=False, repr=False)

    def __len__(self):
        return self.H.shape[0]

    @property
    def n_bs(self):
        return self.H.shape[-4]

    @property
    def n_users_per_cell(self):
        return self.H.shape[-2]

    @property
    def n_tx(self):
        return self.H.shape[-1]

    @property
    def n_points(self):
        return self.A.shape[-3]


def stack_problems(problems):
    """Stack problems of one shape into a :class:`ProblemStack`.

    Parameters
    ----------
    problems : sequence of DesignProblem
        At least one; all with the same L, K, Nt and Q.

    Returns
    -------
    ProblemStack

    Raises
    ------
    InputError
        If the problems differ in shape.
    """
    problems = list(problems)
    shapes = {(p.H.shape, p.A.shape) for p in problems}
    if len(shapes) != 1:
        raise InputError(f"problems: expected one shape (H, A) to stack, got {sorted(shapes)}")

    def stacked(name):  # C-contiguous, so that a member's arithmetic does not depend on its stack's layout
        arrays = [getattr(p, name) for p in problems]
        return np.ascontiguousarray(arrays[0][None]) if len(arrays) == 1 else np.stack(arrays)

    errors = [p.csi_error_var for p in problems]
    csi_error_var = None
    if any(e is not None for e in errors):
        csi_error_var = np.stack([np.zeros(p.gamma.shape[:1] + p.gamma.shape) if e is None else e for p, e in zip(problems, errors)])
    return ProblemStack(
        H=stacked("H"), A=stacked("A"), G=stacked("G"), gamma=stacked("gamma"), p_max=stacked("p_max"),
        sigma_c2=np.array([p.sigma_c2 for p in problems], dtype=float)[:, None, None],
        n_rx=np.array([p.n_rx for p in problems])[:, None],
        sigma_d2=np.array([p.sigma_d2 for p in problems], dtype=float)[:, None],
        p_fa=np.array([p.p_fa for p in problems], dtype=float)[:, None],
        csi_error_var=csi_error_var, members=tuple(problems),
    )
