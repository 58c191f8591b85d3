"""A batch of designs is, member by member, exactly the designs of its problems alone.

Random batches mix feasible, infeasible and failing members; every field of
every design (the solve time aside) must equal the design of its problem
made alone, whatever its batch-mates and its place in the batch.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isacsim.designers import SDRDesigner, SensingOnlyDesigner, ZFDesigner
from isacsim.designers.batch import design_batch
from isacsim.detection import Detector
from isacsim.receivers import TypeI, TypeII
from isacsim.scenario import ScenarioConfig, realization_rng
from isacsim.solvers import registry

TINY = ScenarioConfig(n_users_per_cell=2, n_tx=7, n_rx=7, points_per_side=2)
#: A member's kind: its SINR target [dB] and whether its solver fails.
KINDS = {"feasible": (10.0, False), "infeasible": (60.0, False), "failing": (10.0, True)}
#: The failing members' power budget: the marker the sabotaged solver recognises.
FAILING_P_MAX = 14.0


def _timeless(design):
    """Every field of a design, bit for bit, but its solve time (NaN equal to NaN)."""
    certificate = {k: v for k, v in design.certificate.as_dict().items() if k != "solve_seconds"}
    return (design.w.tobytes(), design.R.tobytes(), design.status, design.reason, design.designer, design.receiver, design.detector, certificate)


@pytest.fixture
def sabotaged_solver(monkeypatch):
    """The structured solver, raising for the programs of the failing members (a batch with one raises whole)."""
    original, original_batch = registry.program_solver, registry.program_batch_solver

    def failing(program):
        return np.isclose(program.units.power, FAILING_P_MAX)

    def program_solver(name):
        solve = original(name)

        def sabotaged(program, options=None):
            if failing(program):
                raise FloatingPointError("simulated breakdown")
            return solve(program, options)

        return sabotaged

    def program_batch_solver(name):
        solve = original_batch(name)

        def sabotaged(programs, options=None):
            if any(failing(program) for program in programs):
                raise FloatingPointError("simulated breakdown in a batch")
            return solve(programs, options)

        return sabotaged

    monkeypatch.setattr(registry, "program_solver", program_solver)
    monkeypatch.setattr(registry, "program_batch_solver", program_batch_solver)
    monkeypatch.setattr("isacsim.designers.base.program_solver", program_solver)
    monkeypatch.setattr("isacsim.designers.batch.program_solver", program_solver)
    monkeypatch.setattr("isacsim.designers.batch.program_batch_solver", program_batch_solver)


def _problem(seed, kind):
    target, failing = KINDS[kind]
    config = TINY.evolve(sinr_target_db=target, p_max_w=FAILING_P_MAX if failing else 15.0)
    return config.build(realization_rng(seed, 0))


DESIGNERS = {"sdr": SDRDesigner, "zf": ZFDesigner, "sensing-only": SensingOnlyDesigner}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    members=st.lists(st.tuples(st.integers(0, 50), st.sampled_from(sorted(KINDS))), min_size=1, max_size=5),
    designer=st.sampled_from(sorted(DESIGNERS)),
    receiver=st.sampled_from([TypeI(), TypeII()]),
    synchronized=st.booleans(),
)
def test_every_member_of_a_random_batch_is_its_design_alone(sabotaged_solver, members, designer, receiver, synchronized):
    designer, detector = DESIGNERS[designer](), Detector(synchronized=synchronized)
    problems = [_problem(seed, kind) for seed, kind in members]
    batched = design_batch(designer, problems, receiver, detector)
    alone = [designer.design(problem, receiver, detector) for problem in problems]
    assert [_timeless(d) for d in batched] == [_timeless(d) for d in alone]
    for (_, kind), design in zip(members, batched):
        if kind == "infeasible":
            assert design.status == "infeasible"
        elif kind == "failing":
            assert design.status == "error" and "simulated breakdown" in design.reason
        else:  # zero-forcing beams may fail a target that free beams meet
            assert design.status == "optimal" or (isinstance(designer, ZFDesigner) and design.status == "infeasible")
        assert design.certificate.solve_seconds > 0


def test_a_designer_that_overrides_design_is_designed_one_by_one():
    calls = []

    class Counting(SDRDesigner):
        name = "counting"

        def design(self, problem, receiver, detector):
            calls.append(problem)
            return super().design(problem, receiver, detector)

    problems = [TINY.build(realization_rng(1, r)) for r in range(3)]
    designs = design_batch(Counting(), problems, TypeII(), Detector())
    assert calls == problems and all(d.status == "optimal" for d in designs)


def test_shares_of_a_batch_add_up_to_about_its_time():
    import time

    problems = [TINY.build(realization_rng(2, r)) for r in range(6)]
    design_batch(SDRDesigner(), problems[:1], TypeII(), Detector())  # the process's one-time work
    started = time.perf_counter()
    designs = design_batch(SDRDesigner(), problems, TypeII(), Detector())
    wall = time.perf_counter() - started
    total = sum(d.certificate.solve_seconds for d in designs)
    assert 0 < total <= wall


@pytest.mark.parametrize("designer", [SDRDesigner(), ZFDesigner()], ids=lambda d: d.name)
def test_a_paper_size_batch_is_bit_for_bit_its_designs_alone(designer):
    """At the paper's size (arrays large enough for NumPy to lay a stack's results out otherwise than one problem's)."""
    problems = [ScenarioConfig(n_users_per_cell=3).build(realization_rng(5, r)) for r in range(16)]
    receiver, detector = TypeII(), Detector()
    batched = design_batch(designer, problems, receiver, detector)
    assert [_timeless(d) for d in batched] == [_timeless(designer.design(p, receiver, detector)) for p in problems]


def test_a_stack_of_evaluations_is_bit_for_bit_each_alone():
    from isacsim.evaluation import evaluate_designs

    problems = [ScenarioConfig(n_users_per_cell=3).build(realization_rng(6, r)) for r in range(12)]
    designer, receiver, detector = SensingOnlyDesigner(), TypeI(), Detector(synchronized=False)
    designs = design_batch(designer, problems, receiver, detector)
    stacked = evaluate_designs(problems, designs)
    for problem, design, evaluation in zip(problems, designs, stacked):
        alone = design.evaluate(problem)
        for field in ("reflected_power_w", "detection_probability", "sinr_db", "tx_power_w"):
            assert np.array_equal(getattr(alone, field), getattr(evaluation, field)), field
    # and the numbers are the model's: the min over the points of E is the design's verified objective
    assert [e.min_reflected_power_w for e in stacked] == [d.certificate.objective for d in designs]


def test_a_batch_of_large_blocks_is_bit_for_bit_its_designs_alone():
    """Blocks larger than 24 take their step lengths from a Lanczos estimate, whose start must not depend on
    the batch; and a batch of 4 has 2 x 4 x 21 = 168 triangular factors of d = 30 to invert, which must go
    through the same LAPACK routine as the 42 of one design alone."""
    config = ScenarioConfig(n_cells=7, n_users_per_cell=3, n_tx=32, n_rx=32)  # 21 beam blocks of d = Q + LK = 30
    problems = [config.build(realization_rng(8, r)) for r in range(4)]
    designer, receiver, detector = SDRDesigner(), TypeII(), Detector()
    batched = design_batch(designer, problems, receiver, detector)
    assert [_timeless(d) for d in batched] == [_timeless(designer.design(p, receiver, detector)) for p in problems]
