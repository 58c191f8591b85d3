"""Random beam programs of every row kind the solvers must handle, for the solver tests.

Every generator returns a physical :class:`~isacsim.solvers.formulation.Formulation`
on a random :class:`~isacsim.problem.DesignProblem`; a feasible one is built
around a random point that meets every row with slack (``feasible_point``),
an infeasible one has a row no point within the budgets can meet.
"""
import attrs
import numpy as np

from isacsim.problem import DesignProblem
from isacsim.solvers.formulation import (
    Formulation,
    Objective,
    RowSet,
    budget_rows,
    echo_rows,
    max_min_reflected_power,
    min_total_power,
    sinr_rows,
)


def random_problem(seed, n_bs, n_users, n_tx=4, n_points=2, gamma_db=5.0):
    """A random problem in physical units (noise and gains of the paper's magnitudes)."""
    rng = np.random.default_rng(seed)
    cn = lambda *shape: (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)  # noqa: E731
    gain = np.where(np.eye(n_bs, dtype=bool), 1e-8, 1e-9 * rng.uniform(0.2, 1.0, (n_bs, n_bs)))
    H = cn(n_bs, n_bs, n_users, n_tx) * np.sqrt(gain)[:, :, None, None]
    angles = rng.uniform(-np.pi / 3, np.pi / 3, (n_points, n_bs))
    A = np.exp(1j * np.pi * np.arange(n_tx) * np.sin(angles)[..., None])
    G = 1e-14 * rng.uniform(0.1, 1.0, (n_points, n_bs, n_bs))
    return DesignProblem(
        H=H, A=A, G=G, gamma=np.full((n_bs, n_users), 10 ** (gamma_db / 10)), p_max=rng.uniform(5.0, 15.0, n_bs),
        sigma_c2=4e-12, sigma_d2=6e-16, n_rx=4, p_fa=1e-3,
    )


def feasible_point(problem, rng, fill=0.5):
    """Random PSD covariances using ``fill`` of every budget: W (L, K, Nt, Nt), R (L, Nt, Nt) [W]."""
    n_bs, n_users, n_tx = problem.n_bs, problem.n_users_per_cell, problem.n_tx

    def psd(power):
        root = rng.standard_normal((n_tx, n_tx)) + 1j * rng.standard_normal((n_tx, n_tx))
        X = root @ root.conj().T
        return X * power / np.trace(X).real

    share = fill * problem.p_max / (n_users + 1)
    W = np.array([[psd(share[l]) for _ in range(n_users)] for l in range(n_bs)])
    R = np.array([psd(share[l]) for l in range(n_bs)])
    return W, R


def row_values(rows, W, R, t=0.0):
    """Each row's left-hand side at (W, R, t), from its atoms (physical units)."""
    n_bs, n_users = W.shape[:2]
    out = rows.t * t
    for l in range(n_bs):
        for p in np.flatnonzero(rows.atom_rows[l] >= 0):
            a = rows.atoms[l, p]
            j = rows.atom_rows[l, p]
            out[j] += sum(rows.beam[l, i, p] * np.vdot(a, W[l, i] @ a).real for i in range(n_users))
            out[j] += rows.sensing[l, p] * np.vdot(a, R[l] @ a).real
        for i in range(n_users):
            if rows.beam_identity is not None:
                out = out + rows.beam_identity[:, l, i] * np.trace(W[l, i]).real
        if rows.sensing_identity is not None:
            out = out + rows.sensing_identity[:, l] * np.trace(R[l]).real
    return out


def _with_rhs(rows, rhs):
    import attrs

    return attrs.evolve(rows, rhs=np.asarray(rhs, dtype=float))


def rank_rows(problem, rng, n_rows=2, rank=2, kind="rank", lowest=-1.0):
    """Rows with ``rank`` random atoms per BS and signed coefficients in [lowest, 1] on every block (rhs 0: set it)."""
    n_bs, n_users, n_tx = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    atoms_per_bs = n_rows * rank
    atoms = (rng.standard_normal((n_bs, atoms_per_bs, n_tx)) + 1j * rng.standard_normal((n_bs, atoms_per_bs, n_tx))) * 1e-4
    return RowSet(
        kind=kind,
        labels=[(kind, j) for j in range(n_rows)],
        rhs=np.zeros(n_rows),
        scale=np.full(n_rows, 1e-8 * n_tx),
        t=np.zeros(n_rows),
        atoms=atoms,
        atom_rows=np.tile(np.repeat(np.arange(n_rows), rank), (n_bs, 1)),
        beam=rng.uniform(lowest, 1.0, (n_bs, n_users, atoms_per_bs)),
        sensing=rng.uniform(lowest, 1.0, (n_bs, atoms_per_bs)),
        tighten=True,
    )


def csi_sinr_rows(problem, error_var, leakage=0.0):
    """SINR rows in expectation under a CSI error of variance ``error_var`` [W per unit gain]: identity terms."""
    rows = sinr_rows(problem, leakage)
    n_bs, n_users = problem.n_bs, problem.n_users_per_cell
    beam_identity = -error_var * np.ones((rows.n_rows, n_bs, n_users))
    for m in range(n_bs):
        for k in range(n_users):
            beam_identity[m * n_users + k, m, k] = error_var / problem.gamma[m, k]
    import attrs

    return attrs.evolve(rows, kind="csi", labels=[("csi",) + label[1:] for label in rows.labels], beam_identity=beam_identity,
                        sensing_identity=-leakage * error_var * np.ones((rows.n_rows, n_bs)), params={})


def antenna_rows(problem, fraction=0.6):
    """Per-antenna budgets: the diagonal of each BS's transmit covariance at most ``fraction p_max / Nt``."""
    n_bs, n_users, n_tx = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    n_rows = n_bs * n_tx
    atoms = np.zeros((n_bs, n_tx, n_tx), dtype=complex)
    atoms[:, np.arange(n_tx), np.arange(n_tx)] = 1.0
    return RowSet(
        kind="antenna",
        labels=[("antenna", l, n) for l in range(n_bs) for n in range(n_tx)],
        rhs=-np.repeat(fraction * problem.p_max / n_tx, n_tx),
        scale=np.ones(n_rows),
        t=np.zeros(n_rows),
        atoms=atoms,
        atom_rows=np.arange(n_rows).reshape(n_bs, n_tx),
        beam=-np.ones((n_bs, n_users, n_tx)),
        sensing=-np.ones((n_bs, n_tx)),
    )


def floor_rows(problem, link, levels):
    """Reflected power at every point at least ``levels`` [W] (echo rows without t)."""
    echo = echo_rows(problem, link, True)
    import attrs

    return attrs.evolve(echo, kind="floor", labels=[("floor", q) for q in range(problem.n_points)], t=np.zeros(problem.n_points),
                        rhs=np.asarray(levels, dtype=float), tighten=True, params={})


def margin_rows(problem):
    """SINR rows less a free margin ``t`` (in units of each user's noise): a bisection step's program."""
    rows = sinr_rows(problem, 0.0)
    import attrs

    return attrs.evolve(rows, kind="margin", labels=[("margin",) + label[1:] for label in rows.labels], t=-np.full(rows.n_rows, problem.sigma_c2),
                        tighten=False, params={})


def link_weights(problem):
    """Synchronized echo weights (every receiving BS), shape (Q, L)."""
    return problem.G.sum(axis=1)


FAMILIES = ("rank", "csi", "antenna", "floor-minpower", "margin", "rank-minpower")


def random_formulation(family, seed, n_bs, n_users=1, n_tx=3, infeasible=False):
    """A random formulation of ``family`` (one of :data:`FAMILIES`), feasible unless ``infeasible``."""
    rng = np.random.default_rng(seed)
    problem = random_problem(seed, n_bs, n_users, n_tx=n_tx)
    W0, R0 = feasible_point(problem, rng)
    link = link_weights(problem)
    objective = max_min_reflected_power()
    rows = [echo_rows(problem, link, True), budget_rows(problem)]
    free_t = False
    if family in ("rank", "rank-minpower"):
        extra = rank_rows(problem, rng, n_rows=2, rank=2, lowest=-1.0 if family == "rank" else -0.2)
        values = row_values(extra, W0, R0)
        rhs = values - 0.2 * np.abs(values)
        if family == "rank-minpower":  # rows that ask for power
            rhs = 0.5 * np.abs(values)
            extra = attrs.evolve(extra, beam=np.abs(extra.beam), sensing=np.abs(extra.sensing))
            rhs = 0.5 * row_values(extra, W0, R0)
        if infeasible:
            rhs[0] = 1e3 * np.abs(values).max()
        extra = _with_rhs(extra, rhs)
        rows.append(extra)
        if family == "rank-minpower":
            rows = rows[1:]
            objective = min_total_power(problem, rng.uniform(0.5, 2.0, n_bs))
    elif family == "csi":
        error = 1e-9 * rng.uniform(0.05, 0.2)
        extra = csi_sinr_rows(problem, error)
        gamma_scale = 1e6 if infeasible else 1.0
        problem_rows = extra
        if gamma_scale != 1.0:
            problem_rows = csi_sinr_rows(problem.evolve(gamma=problem.gamma * gamma_scale), error)
        rows.append(problem_rows)
    elif family == "antenna":
        rows.append(sinr_rows(problem, 1.0))
        rows.append(antenna_rows(problem, fraction=0.6))
        if infeasible:
            rows[-2] = sinr_rows(problem.evolve(gamma=problem.gamma * 1e7), 1.0)
    elif family == "floor-minpower":
        level = 0.3 * row_values(echo_rows(problem, link, True), W0, R0, t=0.0).min()
        rows = [floor_rows(problem, link, np.full(problem.n_points, level * (1e6 if infeasible else 1.0))), sinr_rows(problem, 0.0), budget_rows(problem)]
        objective = min_total_power(problem)
    elif family == "margin":
        rows = [margin_rows(problem), budget_rows(problem)]
        objective = Objective(kind="max-margin", t=1.0, t_free=True)
        free_t = True
    else:
        raise ValueError(family)
    assert free_t == objective.t_free
    return Formulation(problem=problem, objective=objective, rows=tuple(rows)), (W0, R0)
