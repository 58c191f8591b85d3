"""The program family on the solvers: every row kind, both objectives, a free t, feasible and infeasible.

Each random formulation is compiled once and solved by the structured
solver and by CVXOPT on the same compiled program, and restated by the PICOS
primal model from the physical description (not from the compiled program):
the three must agree, and the structured solver's covariances must meet every
physical row, recomputed from the row sets' atoms.
"""
import numpy as np
import pytest

from isacsim.solvers.compile import compile_program
from isacsim.solvers.cvxopt_dual import solve_dual
from isacsim.solvers.picos_model import solve_picos
from isacsim.solvers.structured import solve_structured

from families import FAMILIES, random_formulation, row_values

SIZES = [(1, 2), (2, 1), (3, 1), (4, 1)]  # (L, K)


def _t_of(formulation, solution, program):
    """The objective variable t [physical] of a solution: the program value for a t objective."""
    return solution.value if formulation.objective.t else 0.0


def _check_rows(formulation, solution, program, rtol=1e-6):
    """Every row of the formulation holds at the solution's covariances, relative to its terms."""
    t = _t_of(formulation, solution, program)
    for rows in formulation.rows:
        values = row_values(rows, solution.W, solution.R, t=t)
        size = np.abs(rows.rhs) + program.units.power * rows.scale
        assert np.all(values - rows.rhs >= -rtol * size), (rows.kind, (values - rows.rhs) / size)


@pytest.mark.parametrize("n_bs, n_users", SIZES)
@pytest.mark.parametrize("family", FAMILIES)
def test_feasible_programs_agree_across_solvers(family, n_bs, n_users):
    formulation, _ = random_formulation(family, seed=11 * n_bs + n_users, n_bs=n_bs, n_users=n_users)
    program = compile_program(formulation)
    fast = solve_structured(program)
    baseline = solve_dual(program)
    reference = solve_picos(formulation, solver="cvxopt", margin=1e-7)
    assert fast.status == baseline.status == reference.status == "optimal", (fast.message, baseline.message, reference.message)
    scale = max(abs(reference.value), abs(fast.bound) * 1e-3, 1e-300)
    assert abs(fast.value - reference.value) <= 1e-6 * scale
    assert abs(fast.value - baseline.value) <= 1e-6 * scale
    # The certified bound is on the untightened program: at least any design's value (min: at most).
    sign = 1.0 if formulation.objective.sense == "max" else -1.0
    assert fast.bound_certified
    assert sign * (fast.bound - fast.value) >= -1e-9 * scale
    untightened = solve_picos(formulation, solver="cvxopt", margin=0.0)
    assert sign * (fast.bound - untightened.value) >= -1e-7 * scale
    _check_rows(formulation, fast, program)


@pytest.mark.parametrize("n_bs, n_users", SIZES[1:])
@pytest.mark.parametrize("family", [f for f in FAMILIES if f != "margin"])
def test_infeasible_programs_are_certified_and_name_their_rows(family, n_bs, n_users):
    formulation, _ = random_formulation(family, seed=7 * n_bs + n_users, n_bs=n_bs, n_users=n_users, infeasible=True)
    program = compile_program(formulation)
    fast = solve_structured(program)
    assert fast.status == "infeasible", fast.message
    assert fast.rows and all(label in formulation.labels for label in fast.rows)
    assert solve_dual(program).status == "infeasible"
    assert solve_picos(formulation, solver="cvxopt").status == "infeasible"


def test_a_free_t_can_end_negative():
    """A margin program of unreachable targets: its optimum is a negative margin, not infeasible."""
    formulation, _ = random_formulation("margin", seed=3, n_bs=2, n_users=1)
    problem = formulation.problem
    from families import margin_rows, budget_rows
    import attrs

    hard = attrs.evolve(formulation, problem=problem.evolve(gamma=problem.gamma * 1e6),
                        rows=(margin_rows(problem.evolve(gamma=problem.gamma * 1e6)), budget_rows(problem)))
    program = compile_program(hard)
    fast = solve_structured(program)
    reference = solve_picos(hard, solver="cvxopt", margin=1e-7)
    assert fast.status == reference.status == "optimal"
    assert fast.value < 0
    assert fast.value == pytest.approx(reference.value, rel=1e-6)


def test_blocks_with_positive_identity_terms_keep_the_whole_space():
    formulation, _ = random_formulation("csi", seed=1, n_bs=2, n_users=2, n_tx=3)
    program = compile_program(formulation)
    assert all(block.dim == 3 for block in program.blocks if block.key[0] == "W")


def test_per_antenna_rows_make_full_blocks_and_cover_them():
    formulation, _ = random_formulation("antenna", seed=2, n_bs=2, n_users=1, n_tx=4)
    program = compile_program(formulation)
    assert all(block.dim == 4 for block in program.blocks)
    antenna = program.rows_of("antenna")
    assert program.covering[antenna].all()
    # budgets and antenna rows of one BS form one covering set, reaching its blocks
    for l in range(2):
        component = program.component[[b for b, block in enumerate(program.blocks) if block.key[1] == l]]
        assert len(set(component)) == 1
        rows = program.components[component[0]]
        assert {program.labels[j][0] for j in rows} == {"budget", "antenna"}


def test_labels_and_units_round_trip():
    formulation, (W0, R0) = random_formulation("rank", seed=4, n_bs=2, n_users=2)
    program = compile_program(formulation, margin=0.0)
    assert program.labels == formulation.labels
    # Row j of the program at Y = X / P0 equals the physical row divided by its unit.
    matrices = []
    for block in program.blocks:
        X = W0[block.key[1], block.key[2]] if block.key[0] == "W" else R0[block.key[1]]
        matrices.append(block.basis.conj().T @ X @ block.basis / program.units.power)
    values = np.zeros(program.n_rows)
    from isacsim.solvers.cvxopt_dual import block_data

    for (A, _), Y in zip(block_data(program), matrices):
        values += np.einsum("jab,ba->j", A, Y).real
    physical = np.concatenate([row_values(rows, *_projected(program, W0, R0)) for rows in formulation.rows])
    np.testing.assert_allclose(values * program.units.rows, physical, rtol=1e-9, atol=1e-12 * np.abs(physical).max())


def _projected(program, W, R):
    """W and R projected on the program's block bases (what the program can represent)."""
    W, R = W.copy(), R.copy()
    for block in program.blocks:
        P = block.basis @ block.basis.conj().T
        if block.key[0] == "W":
            W[block.key[1], block.key[2]] = P @ W[block.key[1], block.key[2]] @ P
        else:
            R[block.key[1]] = P @ R[block.key[1]] @ P
    return W, R
