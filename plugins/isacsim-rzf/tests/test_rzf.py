"""Tests of the RZF plugin, run by isacsim's test command."""
import numpy as np
import pytest
from isacsim.designers.zf import zero_forcing_directions
from isacsim.plugins import designer_registry
from isacsim.testing import check_designer, small_problem
from isacsim_rzf import RZFDesigner, regularized_zero_forcing


def test_conformance():
    check_designer(RZFDesigner)


def test_registered_through_entry_point():
    cls, plugin = designer_registry()["rzf"]
    assert cls is RZFDesigner
    assert plugin == "rzf"  # the entry-point name, not the built-in plugin


def _aligned(a, b):
    """|<a, b>| for unit vectors along the last axis (1 when equal up to phase)."""
    return np.abs(np.sum(a.conj() * b, axis=-1))


def test_limits_are_zero_forcing_and_maximum_ratio():
    problem = small_problem(seed=3, n_users_per_cell=2, n_tx=8)
    H = problem.H
    zf = zero_forcing_directions(H)
    tiny = regularized_zero_forcing(H, np.full(problem.n_bs, 1e-12 * np.abs(H).max() ** 2))
    np.testing.assert_allclose(_aligned(tiny, zf), 1.0, atol=1e-6)
    huge = regularized_zero_forcing(H, np.full(problem.n_bs, 1e12 * np.abs(H).max() ** 2))
    own = np.einsum("llkn->lkn", H)
    mrt = own / np.linalg.norm(own, axis=-1, keepdims=True)
    np.testing.assert_allclose(_aligned(huge, mrt), 1.0, atol=1e-6)


@pytest.mark.parametrize("n_tx", [2, 4])
def test_works_below_the_zero_forcing_antenna_count(n_tx):
    problem = small_problem(seed=0, n_users_per_cell=2, n_tx=n_tx, sinr_target_db=-10.0)
    from isacsim import Detector, TypeII

    design = RZFDesigner().design(problem, TypeII(), Detector())
    assert design.status in ("optimal", "infeasible")
    if design.ok:
        assert np.all(TypeII().sinr(problem, design.w, design.R) >= problem.gamma * (1 - 1e-6))
