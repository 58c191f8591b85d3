"""Batched structured solves: every member's result is the one the unbatched solver gives.

A member's arithmetic does not depend on its batch (every stack keeps each
member's blocks contiguous and every reduction within a member), so the
results are compared exactly: status, value, bound, iterations, named rows.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from isacsim import Detector, TypeI, TypeII
from isacsim.designers import SDRDesigner, SensingOnlyDesigner, ZFDesigner
from isacsim.solvers import memory, structured
from isacsim.solvers.compile import compile_program
from isacsim.solvers.registry import program_batch_solver, program_solver
from isacsim.testing import small_problem

from families import FAMILIES, random_formulation


def _same(alone, batched):
    assert batched.status == alone.status
    assert batched.iterations == alone.iterations
    assert batched.rows == alone.rows
    for name in ("value", "bound", "gap"):
        a, b = getattr(alone, name), getattr(batched, name)
        assert (np.isnan(a) and np.isnan(b)) or a == b, (name, a, b)
    if alone.W is not None:
        np.testing.assert_array_equal(batched.W, alone.W)
        np.testing.assert_array_equal(batched.R, alone.R)


def _paper_programs(seeds, gamma_db=12.0):
    programs = []
    for seed in seeds:
        problem = small_problem(seed=seed, n_users_per_cell=2, n_tx=8, sinr_target_db=gamma_db)
        for designer in (SDRDesigner(), ZFDesigner(), SensingOnlyDesigner()):
            for receiver in (TypeI(), TypeII()):
                detector = designer.detector_for(Detector(synchronized=seed % 2 == 0))
                programs.append(designer._program(problem, receiver, detector, designer._unit_directions(problem)))
    return programs


def test_the_paper_designers_programs_batched_as_alone():
    programs = _paper_programs(range(4)) + _paper_programs([7], gamma_db=60.0)  # the last ones infeasible
    alone = [structured.solve_structured(p) for p in programs]
    assert {r.status for r in alone} == {"optimal", "infeasible"}
    for a, b in zip(alone, structured.solve_structured_batch(programs)):
        _same(a, b)


member = st.tuples(st.sampled_from(FAMILIES), st.integers(0, 50), st.integers(1, 3), st.integers(1, 2), st.booleans())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(member, min_size=1, max_size=6))
def test_random_batches_of_every_kind_as_alone(members):
    programs = []
    for family, seed, n_bs, n_users, infeasible in members:
        formulation, _ = random_formulation(family, seed=seed, n_bs=n_bs, n_users=n_users, infeasible=infeasible and family != "margin")
        programs.append(compile_program(formulation))
    alone = [structured.solve_structured(p) for p in programs]
    for a, b in zip(alone, structured.solve_structured_batch(programs)):
        _same(a, b)


def test_a_member_that_breaks_down_is_solved_alone_and_the_batch_goes_on(monkeypatch):
    programs = [p for p in _paper_programs([0, 1, 2]) if p.signature() == _paper_programs([0])[0].signature()]
    assert len(programs) >= 3
    alone = [structured.solve_structured(p) for p in programs]
    victim = programs[1]
    original = structured._InteriorPoint.move
    broken = []

    def breaking(self, data, state, step, alpha_p, alpha_d, bad):
        if self.all.size > 1:  # inside the batch only: the victim's steps fail there
            hit = np.array([p is victim for p in data.programs])
            broken.append(hit.any())
            bad = bad | hit
        return original(self, data, state, step, alpha_p, alpha_d, bad)

    monkeypatch.setattr(structured._InteriorPoint, "move", breaking)
    for a, b in zip(alone, structured.solve_structured_batch(programs)):
        _same(a, b)
    assert any(broken)


def test_the_registry_batches_within_the_memory_limit(monkeypatch):
    programs = _paper_programs([2])
    one = memory.structured_bytes(programs[0])
    monkeypatch.setenv(memory.LIMIT_VARIABLE, str(int(2.5 * one)))  # two members per chunk
    calls = []
    original = structured.solve_structured_batch
    monkeypatch.setattr(structured, "solve_structured_batch", lambda ps, options=None: calls.append(len(ps)) or original(ps, options))
    results = program_batch_solver("structured")(programs)
    assert max(calls) <= 2 and sum(calls) == len(programs)
    for program, result in zip(programs, results):
        _same(program_solver("structured")(program), result)


def test_the_registry_refuses_a_program_over_the_limit_before_any_work(monkeypatch):
    programs = _paper_programs([3])[:2]
    monkeypatch.setenv(memory.LIMIT_VARIABLE, str(int(memory.structured_bytes(programs[0]) / 2)))
    monkeypatch.setattr(structured, "solve_structured_batch", lambda *a, **k: pytest.fail("a solve started"))
    with pytest.raises(memory.SolverMemoryError, match="structured"):
        program_batch_solver("structured")(programs)
    with pytest.raises(memory.SolverMemoryError, match="structured"):
        program_solver("structured")(programs[0])
