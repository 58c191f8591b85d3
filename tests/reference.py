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
