"""Every objective x row combination against the PICOS primal, and every design recomputed from the equations.

The PICOS model restates each row from the model's equations and the row
set's parameters (never from the compiled program); the designs are checked
term by term (``reference.py``), with the floors from the closed form of
eqs. (26)/(29) written out here with SciPy's normal quantiles.
"""
import itertools

import numpy as np
import pytest
from scipy.stats import norm

from isacsim import Detector, TypeI, TypeII
from isacsim.designers import (
    PowerMinDesigner,
    PowerMinSensingOnlyDesigner,
    PowerMinZFDesigner,
    SDRDesigner,
    SensingOnlyDesigner,
    ZFDesigner,
)
from isacsim.solvers.compile import compile_program
from isacsim.solvers.picos_model import solve_picos
from isacsim.solvers.structured import solve_structured

from formulation_cases import random_problem
from reference import antenna_powers_loop, expected_sinr, reflected_power_eq20

TOLERANCE = 1e-6
RECEIVERS = (TypeI(), TypeII())
OBJECTIVES = {"max-min": SDRDesigner, "min-power": PowerMinDesigner}
EXTRAS = ("antenna", "floor", "csi")
#: Every subset of the optional rows, with every objective and receiver; L cycles through 1..4.
COMBINATIONS = [
    (objective, extras, receiver)
    for objective in OBJECTIVES
    for r in range(len(EXTRAS) + 1)
    for extras in itertools.combinations(EXTRAS, r)
    for receiver in RECEIVERS
]


def _problem(extras, index, objective):
    """A small random problem carrying the optional rows ``extras`` (L = 1..4 by ``index``)."""
    n_bs = 1 + index % 4
    floor = "floor" in extras
    # power-min always needs a target; without the floor rows it asks for no more than chance (floor 0)
    pd_target = 0.9 if floor else (5e-4 if objective == "min-power" else None)
    return random_problem(
        n_bs, 1 + index % 2, 4, 3, seed=index, p_antenna=0.35 if "antenna" in extras else None,
        csi=0.05 if "csi" in extras else None, pd_target=pd_target,
    )


def _floors(problem, p_fa):
    """Eqs. (26)/(29) solved for E, written out: sigma_d^2 / 2 (Q^-1(pFA) - Q^-1(pD*))^2 where pD* > pFA."""
    targets = np.broadcast_to(problem.pd_target, (problem.n_points,))
    excess = norm.isf(p_fa) - norm.isf(targets)
    return np.where(targets > p_fa, 0.5 * problem.sigma_d2 * excess**2, 0.0)


@pytest.mark.parametrize("objective, extras, receiver", COMBINATIONS, ids=lambda v: getattr(v, "name", "+".join(v) if isinstance(v, tuple) else v))
def test_the_structured_relaxation_agrees_with_the_picos_primal(objective, extras, receiver):
    index = COMBINATIONS.index((objective, extras, receiver))
    problem = _problem(extras, index, objective)
    designer, detector = OBJECTIVES[objective](), Detector(synchronized=index % 3 != 0)
    formulation = designer.formulation(problem, receiver, detector)
    assert {rows.kind for rows in formulation.rows} >= {"sinr", "budget"} | ({"antenna"} & set(extras)) | ({"floor"} & set(extras))
    structured = solve_structured(compile_program(formulation))
    reference = solve_picos(formulation)
    assert structured.status == reference.status == "optimal", (structured.message, reference.message)
    assert structured.value == pytest.approx(reference.value, rel=TOLERANCE)
    # the certified bound is a bound (up to the reference's own accuracy) and a close one
    bound, sign = structured.bound, 1.0 if formulation.objective.sense == "max" else -1.0
    assert structured.bound_certified and sign * (bound - reference.value) >= -1e-8 * abs(reference.value)
    assert bound == pytest.approx(reference.value, rel=1e-5)


def _unreachable(kind):
    problem = random_problem(2, 1, 4, 3, seed=11, p_antenna=0.35, pd_target=0.9)
    if kind == "floor":  # echoes too weak for this detection probability within the budgets
        return problem.evolve(G=problem.G * 1e-3), "floor"
    if kind == "antenna":  # the antennas cannot radiate what the SINR targets need: the users are named
        return problem.evolve(p_antenna=np.full_like(problem.p_antenna, 1e-6), pd_target=1e-4), "sinr"
    return problem.evolve(gamma=np.full_like(problem.gamma, 1e9)), "sinr"


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("kind", ["floor", "antenna", "sinr"])
def test_unreachable_targets_are_certified_infeasible_by_both_and_named(objective, kind):
    problem, named = _unreachable(kind)  # the certificate names the demands that cannot be met: users, points
    designer = OBJECTIVES[objective]()
    formulation = designer.formulation(problem, TypeII(), Detector())
    structured = solve_structured(compile_program(formulation))
    assert structured.status == "infeasible" and solve_picos(formulation).status == "infeasible"
    assert named in {label[0] for label in structured.rows}
    design = designer.design(problem, TypeII(), Detector())
    assert design.status == "infeasible" and "the certificate names" in design.reason


DESIGNERS = [SDRDesigner, ZFDesigner, SensingOnlyDesigner, PowerMinDesigner, PowerMinZFDesigner, PowerMinSensingOnlyDesigner]


@pytest.mark.parametrize("designer", DESIGNERS, ids=lambda c: c.name)
@pytest.mark.parametrize("receiver", RECEIVERS, ids=lambda r: r.name)
@pytest.mark.parametrize("synchronized", [True, False], ids=["sync", "unsync"])
def test_every_design_meets_every_row_recomputed_from_the_equations(designer, receiver, synchronized):
    problem = random_problem(2, 2, 6, 3, seed=4, p_antenna=0.3, csi=0.02, pd_target=np.array([0.6, 0.8, 0.9]))
    detector = Detector(synchronized=synchronized)
    design = designer().design(problem, receiver, detector)
    assert design.status in ("optimal", "feasible", "inaccurate") and not (design.status == "inaccurate" and "constraint miss" in design.reason)
    w, R = design.w, design.R
    slack = 1 - TOLERANCE
    assert np.all(expected_sinr(problem, w, R, receiver.sensing_leakage) >= problem.gamma * slack)
    per_antenna = antenna_powers_loop(w, R)
    assert np.all(per_antenna.sum(axis=1) <= problem.p_max / slack)
    assert np.all(per_antenna <= problem.p_antenna / slack)
    echoes = reflected_power_eq20(problem, w, R, synchronized, design.detector.information_echoes)
    assert np.all(echoes >= _floors(problem, problem.p_fa) * slack)
    assert np.linalg.eigvalsh(R).min() >= -TOLERANCE * problem.p_max.max()
    certificate = design.certificate
    recomputed = per_antenna.sum() if certificate.objective_kind == "min-power" else echoes.min()
    assert certificate.objective == pytest.approx(recomputed, rel=1e-9)


def test_power_min_without_a_detection_target_is_refused_naming_the_field():
    problem = random_problem(2, 1, 4, 3, seed=1)
    with pytest.raises(ValueError, match="^pd_target: the power-min designer"):
        PowerMinDesigner().design(problem, TypeII(), Detector())


def test_a_target_at_chance_level_costs_only_the_sinr_power():
    """pD* <= pFA: floor 0, so the least power is that of the SINR targets alone (the matched filter, L = K = 1)."""
    problem = random_problem(1, 1, 4, 2, seed=2, pd_target=1e-3)
    design = PowerMinDesigner().design(problem, TypeII(), Detector())
    h = problem.H[0, 0, 0]
    assert design.status == "optimal"
    assert design.certificate.objective == pytest.approx(problem.gamma[0, 0] * problem.sigma_c2 / np.vdot(h, h).real, rel=1e-6)


@pytest.mark.parametrize("c", [1e-8, 1e8])
def test_new_rows_are_scale_invariant(c):
    """H x sqrt(c), noise and CSI error x c: the same design; every power x c: the power x c."""
    problem = random_problem(2, 2, 6, 3, seed=6, p_antenna=0.3, csi=0.02, pd_target=0.8)
    base = PowerMinDesigner().design(problem, TypeI(), Detector())
    channels = problem.evolve(H=problem.H * np.sqrt(c), sigma_c2=problem.sigma_c2 * c, csi_error_var=problem.csi_error_var * c)
    powers = problem.evolve(
        p_max=problem.p_max * c, p_antenna=problem.p_antenna * c, sigma_c2=problem.sigma_c2 * c, sigma_d2=problem.sigma_d2 * c
    )
    for scaled, factor in ((channels, 1.0), (powers, c)):
        design = PowerMinDesigner().design(scaled, TypeI(), Detector())
        assert design.status == base.status == "optimal"
        assert design.certificate.objective == pytest.approx(factor * base.certificate.objective, rel=1e-6)
        assert design.certificate.bound == pytest.approx(factor * base.certificate.bound, rel=1e-6)


#: Per-antenna budgets (fractions of the BS budget) that bind, or not, for each objective on the instance below.
SHARES = {("max-min", "binding"): 0.3, ("max-min", "slack"): 3.0, ("min-power", "binding"): 0.008, ("min-power", "slack"): 0.3}


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("binding", ["binding", "slack"])
def test_per_antenna_rows_solved_lazily_give_the_whole_programs_optimum(objective, binding, monkeypatch):
    """The pipeline adds antenna rows only where violated; the design is the whole program's optimum (PICOS)."""
    import isacsim.designers.base as base

    share = SHARES[objective, binding]
    problem = random_problem(3, 2, 6, 3, seed=8, p_antenna=share, pd_target=0.6 if objective == "min-power" else None)
    designer = OBJECTIVES[objective]()
    solved = []
    real = base.compile_program
    monkeypatch.setattr(base, "compile_program", lambda f, margin: solved.append(f) or real(f, margin))
    design = designer.design(problem, TypeII(), Detector())
    reference = solve_picos(designer.formulation(problem, TypeII(), Detector()))
    assert design.status == reference.status == "optimal"
    assert design.certificate.objective == pytest.approx(reference.value, rel=1e-6)
    antenna_counts = [sum(rows.n_rows for rows in f.rows if rows.kind == "antenna") for f in solved]
    assert antenna_counts[0] == 0  # the first solve has no antenna rows
    if binding == "binding":
        assert len(solved) > 1 and 0 < antenna_counts[-1] <= problem.p_antenna.size  # the binding ones were added
        assert design.certificate.max_antenna_violation <= 1e-6
    else:
        assert not any(antenna_counts)  # none binds: no antenna row is ever added
