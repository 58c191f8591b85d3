"""Direct, loop-by-loop evaluations of the paper's equations, written
independently of isacsim's vectorized code, for the tests to compare against."""
import numpy as np


def sensing_beams_by_evd(R_l, rtol=1e-12):
    """Beams w^r_k with R_l = sum_k w^r_k w^r_k^H, eq. (1)."""
    values, vectors = np.linalg.eigh(R_l)
    return [np.sqrt(values[j]) * vectors[:, j] for j in range(len(values)) if values[j] > rtol * max(values.max(), 0)]


def sinr_eq2(problem, w, R, cancels_sensing):
    """SINR of every user from the terms of the received signal, eq. (2).

    Returns (L, K) array; Type-I (cancels_sensing=False) keeps the sensing term.
    """
    L, K = problem.n_bs, problem.n_users_per_cell
    H = problem.H
    beams = [sensing_beams_by_evd(R[l]) for l in range(L)]
    out = np.zeros((L, K))
    for m in range(L):
        for k in range(K):
            signal = abs(np.vdot(H[m, m, k], w[m, k])) ** 2
            intra = sum(abs(np.vdot(H[m, m, k], w[m, i])) ** 2 for i in range(K) if i != k)
            inter = sum(abs(np.vdot(H[l, m, k], w[l, i])) ** 2 for l in range(L) if l != m for i in range(K))
            sensing = sum(abs(np.vdot(H[l, m, k], b)) ** 2 for l in range(L) for b in beams[l])
            noise = problem.sigma_c2
            out[m, k] = signal / (intra + inter + (0.0 if cancels_sensing else sensing) + noise)
    return out


def reflected_power_eq20(problem, w, R, synchronized, information_echoes=True):
    """E of eq. (20) (synchronized) / eq. (28) (unsynchronized), by explicit sums."""
    L, K, Q = problem.n_bs, problem.n_users_per_cell, problem.n_points
    out = np.zeros(Q)
    for q in range(Q):
        total = 0.0
        for l in range(L):
            for m in range(L):
                if not synchronized and m != l:
                    continue
                a = problem.A[q, l]
                gain = float(np.real(a @ R[l] @ np.conj(a)))
                if information_echoes:
                    gain += sum(abs(a @ w[l, i]) ** 2 for i in range(K))
                total += problem.G[q, m, l] * gain
        out[q] = problem.n_rx * total
    return out


def paper_formulation(problem, receiver, detector, directions=None):
    """The paper's program as a physical formulation, with R always a variable (the PICOS reference's input)."""
    from isacsim.solvers.formulation import Formulation, budget_rows, echo_rows, max_min_reflected_power, sinr_rows

    rows = (
        echo_rows(problem, detector.link_weights(problem), detector.information_echoes),
        sinr_rows(problem, receiver.sensing_leakage),
        budget_rows(problem),
    )
    return Formulation(problem=problem, objective=max_min_reflected_power(), rows=rows, directions=directions)


def expected_sinr(problem, w, R, leakage):
    """SINR of every user as expected signal over expected interference plus noise, term by term.

    Under a statistical CSI error each entry of the error of h_{l,m,k} is
    CN(0, s2): E|h^H x|^2 = |h_hat^H x|^2 + s2 ||x||^2 and
    E h^H R h = h_hat^H R h_hat + s2 tr R. Returns (L, K).
    """
    L, K = problem.n_bs, problem.n_users_per_cell
    s2 = problem.csi_error_var if problem.csi_error_var is not None else np.zeros((L, L, K))
    H = problem.H

    def power(l, m, k, x):
        return abs(np.vdot(H[l, m, k], x)) ** 2 + s2[l, m, k] * np.vdot(x, x).real

    out = np.zeros((L, K))
    for m in range(L):
        for k in range(K):
            signal = power(m, m, k, w[m, k])
            interference = sum(power(l, m, k, w[l, i]) for l in range(L) for i in range(K) if (l, i) != (m, k))
            sensing = sum(np.real(np.vdot(H[l, m, k], R[l] @ H[l, m, k])) + s2[l, m, k] * np.trace(R[l]).real for l in range(L))
            out[m, k] = signal / (interference + leakage * sensing + problem.sigma_c2)
    return out


def antenna_powers_loop(w, R):
    """Power radiated by every antenna n of every BS l: sum_i |w_li[n]|^2 + R_l[n, n]. Returns (L, Nt)."""
    L, K, Nt = w.shape
    return np.array([[sum(abs(w[l, i, n]) ** 2 for i in range(K)) + R[l, n, n].real for n in range(Nt)] for l in range(L)])
def _max_budget_use(problem, scale, directions=None):
    """``min max_l P_l / p_max,l`` over beams meeting the targets ``scale * gamma`` (R = 0), by an SOCP in PICOS.

    Free beams: the classic SOCP (each user's own term made real); fixed
    directions: amplitudes only. ``inf`` when no power meets the targets.
    """
    import picos

    L, K, n_tx = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    model = picos.Problem()
    use = picos.RealVariable("u")
    noise = 1.0 / np.sqrt(problem.sigma_c2)
    if directions is None:
        beams = [[picos.ComplexVariable(f"w{l}{i}", n_tx) for i in range(K)] for l in range(L)]
    else:
        amplitudes = [[picos.RealVariable(f"q{l}{i}", lower=0) for i in range(K)] for l in range(L)]
        gains = np.abs(np.einsum("lmkn,lin->lmki", problem.H.conj(), directions))
    for m in range(L):
        for k in range(K):
            target = float(np.sqrt(scale * problem.gamma[m, k]))
            if directions is None:
                own = picos.Constant(problem.H[m, m, k].conj()[None, :] * noise) * beams[m][k]
                others = [picos.Constant(problem.H[l, m, k].conj()[None, :] * noise) * beams[l][i]
                          for l in range(L) for i in range(K) if (l, i) != (m, k)]
                model.add_constraint(own.imag == 0)
                own, parts = own.real, [o.real for o in others] + [o.imag for o in others]
            else:
                own = gains[m, m, k, k] * noise * amplitudes[m][k]
                parts = [gains[l, m, k, i] * noise * amplitudes[l][i] for l in range(L) for i in range(K) if (l, i) != (m, k)]
            stacked = picos.Constant([1.0])
            for part in parts:
                stacked = stacked // part
            model.add_constraint(own >= target * abs(stacked))
    for l in range(L):
        per_bs = beams[l] if directions is None else amplitudes[l]
        stacked = per_bs[0]
        for item in per_bs[1:]:
            stacked = stacked // item
        model.add_constraint(abs(stacked) ** 2 <= use * problem.p_max[l])
    model.set_objective("min", use)
    tight = {name: 1e-10 for name in ("abs_prim_fsb_tol", "rel_prim_fsb_tol", "abs_dual_fsb_tol", "rel_dual_fsb_tol", "abs_ipm_opt_tol", "rel_ipm_opt_tol")}
    for options in (tight, {}):  # tight first; a stalled solve is retried with the defaults, never read as infeasible
        try:
            solution = model.solve(solver="cvxopt", verbosity=0, primals=True, duals=False, **options)
        except Exception:  # noqa: BLE001 - retried
            continue
        if solution.problemStatus == picos.modeling.solution.PS_INFEASIBLE:
            return np.inf
        if solution.problemStatus == picos.modeling.solution.PS_FEASIBLE and use.value is not None:
            return float(use.value)
    raise RuntimeError(f"reference SOCP failed at scale {scale}")


def sinr_threshold(problem, directions=None, rtol=1e-9):
    """The factor ``s*`` with the targets ``s gamma`` feasible within the budgets for ``s < s*`` and not above.

    Bisection on the SOCP of :func:`_max_budget_use` (R = 0: a sensing
    covariance only adds interference) to ``rtol`` relative; independent of
    the semidefinite programs the designers solve.
    """
    low, high = 0.0, 1.0
    while _max_budget_use(problem, high, directions) <= 1.0:
        low, high = high, 2.0 * high
    while high - low > rtol * high:
        middle = 0.5 * (low + high)
        low, high = (middle, high) if _max_budget_use(problem, middle, directions) <= 1.0 else (low, middle)
    return 0.5 * (low + high)
