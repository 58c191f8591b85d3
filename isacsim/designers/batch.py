"""Designs of many problems of one shape in one call.

:func:`design_batch` designs a list of problems with one designer, receiver
and detector. Each design is what ``designer.design`` gives for its problem
alone: the same status, beams and certificate (the solve time aside),
whatever the other problems of the batch. :func:`batch_limit` says how many
problems of a shape a batch may hold in a worker's memory.
"""
from __future__ import annotations

__all__ = ["design_batch", "batch_limit", "member_bytes", "BATCH_MEMORY_BYTES"]

#: Memory a batch of designs may use [bytes], beyond the process's own.
BATCH_MEMORY_BYTES = 256 * 2**20


def member_bytes(n_bs, n_users, n_tx, n_points):
    """Estimated working memory of one design of a batch [bytes].

    The structured interior-point method keeps, per block (``L (K + 1)`` of
    them, of dimension ``d <= min(Nt, Q + L K)``, each with ``m <= Q + L K``
    data vectors), about twenty ``d x d`` complex matrices, the vectors and
    a few ``m x m`` Schur terms.

    Parameters
    ----------
    n_bs, n_users, n_tx, n_points : int
        L, K, Nt and Q.

    Returns
    -------
    int
    """
    rows = n_points + n_bs * n_users
    dim = min(n_tx, rows)
    blocks = n_bs * (n_users + 1)
    return int(16 * blocks * (20 * dim**2 + 4 * dim * rows + 6 * rows**2))


def batch_limit(n_bs, n_users, n_tx, n_points, budget=BATCH_MEMORY_BYTES):
    """The largest batch of designs of one shape within ``budget`` bytes (at least 1).

    Parameters
    ----------
    n_bs, n_users, n_tx, n_points : int
        L, K, Nt and Q.
    budget : int
        [bytes].

    Returns
    -------
    int
    """
    return max(1, int(budget // member_bytes(n_bs, n_users, n_tx, n_points)))


def design_batch(designer, problems, receiver, detector):
    """Design every problem of a batch.

    Parameters
    ----------
    designer : Designer
        Any designer; one that overrides ``design`` designs each problem by it.
    problems : sequence of DesignProblem
        Problems of one shape (L, K, Nt, Q).
    receiver : Receiver
    detector : Detector

    Returns
    -------
    list of Design
        One per problem, in order, each exactly the design of its problem
        alone (the solve time aside).

    Raises
    ------
    Exception
        What ``designer.design`` raises for some problem (bad input, a
        third-party designer's bug); the caller may then design the
        problems one by one.
    """
    return [designer.design(problem, receiver, detector) for problem in problems]
