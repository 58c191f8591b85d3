"""Receiver SINRs against a direct evaluation of the received signal, eq. (2)."""
import numpy as np
import pytest

from isacsim import TypeI, TypeII
from isacsim.testing import small_problem

from conftest import random_design
from reference import sensing_beams_by_evd, sinr_eq2


@pytest.mark.parametrize("rank", [None, 2, 0])
@pytest.mark.parametrize("seed", [0, 1])
def test_sinr_matches_eq2_term_by_term(seed, rank, rng):
    problem = small_problem(seed=seed, n_users_per_cell=2, n_tx=6)
    w, R = random_design(problem, rng, rank=rank)
    np.testing.assert_allclose(TypeI().sinr(problem, w, R), sinr_eq2(problem, w, R, cancels_sensing=False), rtol=1e-10)
    np.testing.assert_allclose(TypeII().sinr(problem, w, R), sinr_eq2(problem, w, R, cancels_sensing=True), rtol=1e-10)


def test_sinr_matches_simulated_symbols(rng):
    """Draw the symbols of eq. (2) and measure signal and interference-plus-noise powers."""
    problem = small_problem(seed=2, n_users_per_cell=2, n_tx=4)
    w, R = random_design(problem, rng, rank=2)
    n = 200_000
    L, K = problem.n_bs, problem.n_users_per_cell
    cn = lambda *shape: (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)
    symbols = cn(L, K, n)
    beams = [np.array(sensing_beams_by_evd(R[l])) for l in range(L)]
    sensing = [b.T @ cn(b.shape[0], n) for b in beams]  # s^r_l[n] = sum_k w^r_k s^r_k[n], eq. (1)
    for m in range(L):
        for k in range(K):
            h = problem.H[:, m, k]  # from every BS
            desired = np.vdot(h[m], w[m, k]) * symbols[m, k]
            info = sum(np.vdot(h[l], w[l, i]) * symbols[l, i] for l in range(L) for i in range(K)) - desired
            echo = sum(h[l].conj() @ sensing[l] for l in range(L))
            noise = cn(n) * np.sqrt(problem.sigma_c2)
            measured_i = np.mean(np.abs(desired) ** 2) / np.mean(np.abs(info + echo + noise) ** 2)
            measured_ii = np.mean(np.abs(desired) ** 2) / np.mean(np.abs(info + noise) ** 2)
            assert measured_i == pytest.approx(TypeI().sinr(problem, w, R)[m, k], rel=0.02)
            assert measured_ii == pytest.approx(TypeII().sinr(problem, w, R)[m, k], rel=0.02)


def test_type_ii_never_below_type_i(rng):
    problem = small_problem(seed=4)
    w, R = random_design(problem, rng)
    assert np.all(TypeII().sinr(problem, w, R) >= TypeI().sinr(problem, w, R))
