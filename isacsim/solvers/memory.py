"""Memory estimates of the generic solver paths, and the limit that refuses them.

The generic interior-point solvers form dense matrices whose size the model
fixes before the first iteration, so the peak memory of a solve can be
estimated from the model's dimensions alone, before anything is built. A
path whose estimate exceeds the limit is refused with a
:class:`SolverMemoryError` (a ``ValueError``: the CLI exits 2 with one line)
instead of growing until the machine swaps or the solver segfaults.

Two shapes of model, two formulas (bytes, calibrated by the peak resident
memory of single solves on a 2-core, 24 GiB machine; see
``tests/test_picos_paths.py`` and the README):

``picos:NAME``, the primal model
    One Hermitian ``Nt x Nt`` variable per information beam (none for fixed
    directions) and per sensing covariance. CVXOPT and QICS work with dense
    matrices of (number of real unknowns) x (number of cone entries), both
    proportional to ``D = sum_b d_b^2`` over the Hermitian variables of
    dimension ``d_b``, so the peak is ``c D^2`` bytes plus a fixed overhead.
    With ``dualize`` PICOS hands the solver a larger system (and CVXOPT
    falls back to its dense LDL solver), hence a larger ``c``.
``cvxopt`` and ``picos-dual:NAME``, the reduced dual
    ``n`` scalar variables (one per row: ``Q + LK + L`` for the paper's
    program) and one LMI per block of reduced dimension ``d_b``. The solver's
    dense data and its scaled copies are ``8 n S`` bytes each, with
    ``S = sum_b (2 d_b)^2`` entries of the real embeddings, so the peak is
    ``k 8 n S`` bytes for ``k`` copies.
``structured``, the default
    Per block, a few dozen complex ``d x d`` matrices (iterates, factors,
    directions), the ``p x p`` Gram matrices of its ``p`` columns and the
    ``d x p`` images of those columns; the ``n x n`` Schur complement. All
    of it grows linearly with the number of blocks and of programs solved
    in one batch (:func:`structured_bytes`).

The limit is the one of every isacsim command (:mod:`isacsim.limits`):
``ISACSIM_SOLVER_MEMORY_LIMIT`` (bytes, or with a binary suffix such as
``8GiB``), by default the smaller of 4 GiB and half the physical memory.
"""
from __future__ import annotations

from ..limits import DEFAULT_LIMIT, LIMIT_VARIABLE, MemoryLimitError, format_bytes, memory_limit

__all__ = [
    "SolverMemoryError",
    "LIMIT_VARIABLE",
    "DEFAULT_LIMIT",
    "memory_limit",
    "primal_model_bytes",
    "reduced_dual_bytes",
    "picos_primal_bytes",
    "cvxopt_dual_bytes",
    "picos_dual_bytes",
    "structured_bytes",
    "check_memory",
    "format_bytes",
]

#: Primal model: bytes per D^2, by PICOS solver and ``dualize``, fitted to
#: peaks at L = 3, K = 1, 2, Nt = 8..32: CVXOPT 40-46 with its Cholesky KKT
#: solver, 72-81 with its LDL (PICOS's fallback), 218-255 dualized; QICS 23-35,
#: 134-180 dualized, beyond a start-up of about 50 MiB. Every measured peak
#: (Nt = 4..32) lies below the estimate.
_PRIMAL_BYTES_PER_D2 = {
    ("cvxopt", False): 80.0,
    ("cvxopt", True): 256.0,
    ("qics", False): 32.0,
    ("qics", True): 200.0,
}
#: Reduced dual: copies of the dense data ``8 n S`` bytes. Measured peak
#: growth at L = 3, 7, K = 1..4, Nt = 32..128, Q = 9..49, in copies: 3.5-4.6
#: (CVXOPT sdp, dual.py), 10.7-11.9 (PICOS + CVXOPT: sparse model copies
#: besides the dense ones), 4.2-5.0 (PICOS + QICS, which stays complex).
_DUAL_COPIES = {"cvxopt": 4.0, "picos-cvxopt": 13.0, "picos-qics": 6.0}
_MIB = 2**20
#: Fixed overhead of a solve [bytes], by solver.
_OVERHEAD = {"cvxopt": 16 * _MIB, "qics": 96 * _MIB}


class SolverMemoryError(MemoryLimitError):
    """A solver path refused before building its model: the estimated memory exceeds the limit.

    Attributes
    ----------
    estimate : float
        Estimated peak memory of the solve [bytes].
    limit : float
        The limit in force [bytes].
    """


def primal_model_bytes(hermitian_dims, solver, dualize):
    """Estimated peak memory of a primal-form model with Hermitian PSD variables.

    Parameters
    ----------
    hermitian_dims : sequence of int
        Dimension ``d_b`` of every Hermitian PSD variable (``Nt`` for the
        primal model's ``W_li`` and ``R_l``).
    solver : str
        PICOS solver name; an uncalibrated one costs as much as the costliest
        calibrated solver.
    dualize : bool
        Whether PICOS dualizes the model before handing it to the solver.

    Returns
    -------
    float
        [bytes]: ``c D^2 + overhead`` with ``D = sum_b d_b^2``.
    """
    size = float(sum(int(d) ** 2 for d in hermitian_dims))
    dualize = bool(dualize)
    per_d2 = _PRIMAL_BYTES_PER_D2.get(
        (solver, dualize), max(c for (_, flag), c in _PRIMAL_BYTES_PER_D2.items() if flag == dualize)
    )
    return per_d2 * size**2 + _OVERHEAD.get(solver, max(_OVERHEAD.values()))


def reduced_dual_bytes(n_multipliers, block_dims, copies, overhead):
    """Estimated peak memory of the reduced dual in a generic conic solver.

    Parameters
    ----------
    n_multipliers : int
        Scalar variables ``n = Q + LK + L``.
    block_dims : sequence of int
        Reduced dimension ``d_b`` of every block; ``d_b = 1`` blocks are
        linear rows and cost nothing noticeable.
    copies : float
        How many dense ``(S, n)`` copies of the data the path holds at once.
    overhead : float
        Fixed overhead [bytes].

    Returns
    -------
    float
        [bytes]: ``copies * 8 n S + overhead`` with ``S = sum_b (2 d_b)^2``.
    """
    entries = float(sum(4 * int(d) ** 2 for d in block_dims if d > 1))
    return copies * 8.0 * n_multipliers * entries + overhead


def _dualize(options):
    """PICOS's ``dualize`` for these options (the primal path's default is False)."""
    return bool((options or {}).get("dualize", False))


def _multipliers_and_dims(program):
    """The number of rows (dual multipliers) and the reduced dimension of every block of a program."""
    return program.n_rows, [block.dim for block in program.blocks]


def picos_primal_bytes(problem, picos_solver, *, directions=None, options=None):
    """Estimated peak memory of the primal PICOS model of ``problem`` [bytes].

    Parameters
    ----------
    problem : DesignProblem
        Supplies L, K and Nt.
    picos_solver : str
        PICOS solver name (``"cvxopt"``, ``"qics"``, ...).
    directions : numpy.ndarray or None, shape (L, K, Nt)
        Fixed beam directions (the W_li are then scalars).
    options : dict or None
        The path's options (``dualize`` matters).
    """
    n_hermitian = problem.n_bs * (1 if directions is not None else 1 + problem.n_users_per_cell)
    return primal_model_bytes([problem.n_tx] * n_hermitian, picos_solver, _dualize(options))


def cvxopt_dual_bytes(program, options=None):
    """Estimated peak memory of the reduced dual of ``program`` in CVXOPT's ``solvers.sdp`` [bytes]."""
    n_multipliers, dims = _multipliers_and_dims(program)
    return reduced_dual_bytes(n_multipliers, dims, _DUAL_COPIES["cvxopt"], _OVERHEAD["cvxopt"])


def picos_dual_bytes(program, picos_solver, options=None):
    """Estimated peak memory of the reduced dual of ``program`` as a PICOS model [bytes]."""
    n_multipliers, dims = _multipliers_and_dims(program)
    if _dualize(options):  # PICOS turns it back into a primal model of the reduced blocks
        return primal_model_bytes([d for d in dims if d > 1], picos_solver, True)
    copies = _DUAL_COPIES.get(f"picos-{picos_solver}", max(_DUAL_COPIES.values()))
    return reduced_dual_bytes(n_multipliers, dims, copies, _OVERHEAD.get(picos_solver, max(_OVERHEAD.values())))


#: Structured solver: bytes per entry of its per-block arrays, fitted to the
#: peak memory traced (tracemalloc) during solves at paper size (K = 1, 3,
#: batches of 1 and 16) and at L = 7 and 19 (K = 4, Nt = 64, Q = 49):
#: the estimate is 1.05 to 1.5 times the measured peak.
_STRUCTURED_PER_SQUARE = 16.0 * 20  # complex d x d arrays: iterates, factors, directions
_STRUCTURED_PER_GRAM = 16.0 * 4  # p x p Gram matrices, pair coefficients, products
_STRUCTURED_PER_IMAGE = 16.0 * 4  # d x p columns and their images
_STRUCTURED_PER_SCHUR = 8.0 * 8  # n x n Schur complement and its equilibrated copies
_STRUCTURED_OVERHEAD = 2 * _MIB


def structured_bytes(program, options=None, batch=1):
    """Estimated peak memory of the structured solver on ``batch`` programs like ``program`` [bytes].

    Parameters
    ----------
    program : Program
    options : dict or None
        Unused (the structured solver's options do not change its memory).
    batch : int
        Programs of this structure solved in one batch.

    Returns
    -------
    float
        ``batch * sum over groups nb (a d^2 + b p^2 + c d p) + e n^2`` plus a
        fixed overhead, for ``nb`` blocks of dimension ``d`` with ``p``
        columns in each group and ``n`` rows.
    """
    total = 0.0
    for group in program.groups:
        nb, d, p = group.count, group.size, group.columns.size
        total += nb * (_STRUCTURED_PER_SQUARE * d * d + _STRUCTURED_PER_GRAM * p * p + _STRUCTURED_PER_IMAGE * d * p)
    total += _STRUCTURED_PER_SCHUR * program.n_rows**2
    return batch * total + _STRUCTURED_OVERHEAD


def check_memory(solver, estimate, *, alternative, limit=None):
    """Refuse a solve whose estimated memory exceeds the limit; call it before building the model.

    Parameters
    ----------
    solver : str
        The solver path's name, for the message.
    estimate : float
        Its estimated peak memory [bytes].
    alternative : str or None
        A solver to suggest instead (the registry's default); None or
        ``solver`` itself suggests none.
    limit : float or None
        [bytes]; default :func:`memory_limit`.

    Raises
    ------
    SolverMemoryError
        With a one-line message naming the estimate, the limit, how to raise
        it and the alternative solver.
    """
    limit = memory_limit() if limit is None else float(limit)
    if estimate > limit:
        instead = f"use the solver {alternative!r} (--solver {alternative}), or " if alternative and alternative != solver else ""
        raise SolverMemoryError(
            f"solver {solver!r} would need about {format_bytes(estimate)} (estimate) for this problem, over the "
            f"limit of {format_bytes(limit)}; {instead}raise the limit with {LIMIT_VARIABLE}=BYTES (e.g. 16GiB)",
            estimate=estimate,
            limit=limit,
        )
