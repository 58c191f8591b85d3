"""Designs of many problems of one shape in one call.

:func:`design_batch` designs a list of problems with one designer, receiver
and detector. Each design is what ``designer.design`` gives for its problem
alone: the same status, beams and certificate (the solve time aside),
whatever the other problems of the batch. :func:`batch_limit` says how many
problems of a shape a batch may hold in a worker's memory.
"""
from __future__ import annotations

import time

import numpy as np

from ..blas import single_threaded_blas
from ..detection import Detector
from ..errors import InputError
from ..receivers import TypeI
from ..scenario import realization_rng
from ..solvers.memory import structured_bytes
from ..solvers.registry import PROGRAM_SOLVERS, program_batch_solver, program_solver
from ..stack import group_equal, stack_problems
from .base import Designer, _load_solver
from .compose import limits_of
from .rankone import rank_one_beams
from .sdr import SDRDesigner
from .verify import check_designs

__all__ = ["design_batch", "relaxation_programs", "solve_programs", "batch_limit", "BATCH_MEMORY_BYTES"]

#: Memory the solves of a batch of designs may use [bytes]. Batching pays
#: where Python's per-call overhead dominates (the paper's size: a member
#: takes 0.3-2 MB); at L = 7 (50 MB a member) the arithmetic dominates and
#: large batches gain nothing (``isacsim bench --batch``), so they stay small.
BATCH_MEMORY_BYTES = 128 * 2**20


def batch_limit(config, budget=BATCH_MEMORY_BYTES):
    """The largest batch of designs of a configuration's problems within ``budget`` bytes (at least 1).

    The memory of one more member is the structured solver's estimate
    (:func:`isacsim.solvers.memory.structured_bytes`) for the SDR
    relaxation of one of the configuration's problems, with a Type-I
    receiver in Scenario I (the largest of the paper's programs of a shape).

    Parameters
    ----------
    config : ScenarioConfig
    budget : int
        [bytes].

    Returns
    -------
    int
    """
    program = SDRDesigner().program(config.build(realization_rng(0, 0)), TypeI(), Detector())
    member = structured_bytes(program, batch=2) - structured_bytes(program, batch=1)
    return max(1, int(budget // member))


def _batchable(designer):
    """Whether ``designer`` designs through the template of :class:`Designer` with a solver of programs."""
    template = (
        "design", "_design", "_prepare", "_from_relaxation", "_relaxation", "_first_program", "_solve_lazily", "_rank_one",
        "_verified", "_tightened", "_conclude", "_empty",
    )
    return (
        isinstance(designer, Designer)
        and all(getattr(type(designer), name) is getattr(Designer, name) for name in template)
        and designer.solver in PROGRAM_SOLVERS
    )


def solve_programs(name, programs, options):
    """Solve programs with the registered solver ``name``, those of one structure together.

    Returns
    -------
    list of RelaxedSolution or Exception
        One per program, in order: its solution, each what the solver gives
        it alone (:func:`isacsim.solvers.registry.program_batch_solver`), or
        the exception its solve raised (a failure of that program alone:
        after a batch that raises, the programs are solved one by one).

    Raises
    ------
    InputError
        What the solver refuses as the user's input (e.g. a memory estimate
        over the limit), as :meth:`Designer.design` does.
    """
    try:
        return list(program_batch_solver(name)(programs, options))
    except InputError:
        raise
    except Exception:  # noqa: BLE001 - one by one below, so that a failure is its program's alone
        pass
    solve = program_solver(name)
    solutions = []
    for program in programs:
        try:
            solutions.append(solve(program, options))
        except InputError:
            raise
        except Exception as error:  # noqa: BLE001 - this program's failure, reported in its design
            solutions.append(error)
    return solutions


def _prepared(designer, problems, receiver, detector):
    """Per problem ``(detector, formulation, design, program)``: ``design`` without beams when it has no
    relaxation (no beam direction), the formulation and its first compiled ``program`` otherwise
    (:meth:`Designer._first_program`: without the lazy rows)."""
    members = []
    for problem in problems:
        member_detector, formulation, empty = designer._prepare(problem, receiver, detector, time.perf_counter())
        program = None if empty is not None else designer._first_program(formulation)
        members.append((member_detector, formulation, empty, program))
    return members


def relaxation_programs(designer, problems, receiver, detector):
    """The relaxations a designer solves for problems of one shape (what :func:`design_batch` solves together).

    Parameters
    ----------
    designer : Designer
        A designer of the :class:`Designer` template.
    problems : sequence of DesignProblem
    receiver : Receiver
    detector : Detector

    Returns
    -------
    list
        One compiled program per problem, or None for a problem that has
        no relaxation (e.g. no beam direction exists).
    """
    return [program for _, _, _, program in _prepared(designer, list(problems), receiver, detector)]


def design_batch(designer, problems, receiver, detector):
    """Design every problem of a batch.

    The designer's template (:class:`Designer`) runs for every problem,
    with the relaxations solved together (:func:`solve_programs`) and the
    rank-one beams constructed and checked together; each member's
    ``solve_seconds`` is its own conclusion plus its share of what the batch
    did together.

    Parameters
    ----------
    designer : Designer
        Any designer; one that overrides the template (``design``, ...) or
        uses a PICOS solver designs each problem by its ``design``.
    problems : sequence of DesignProblem
        Problems of one shape (L, K, Nt, Q).
    receiver : Receiver
    detector : Detector

    Returns
    -------
    list of Design
        One per problem, in order, each exactly the design of its problem
        alone (the solve time aside).

    Raises
    ------
    Exception
        What ``designer.design`` raises for some problem (bad input, a
        third-party designer's bug); the caller may then design the
        problems one by one.
    """
    problems = list(problems)
    if not problems or not _batchable(designer):
        return [designer.design(problem, receiver, detector) for problem in problems]
    _load_solver(designer.solver)
    with single_threaded_blas():
        started = time.perf_counter()
        members = _prepared(designer, problems, receiver, detector)
        active = [i for i, member in enumerate(members) if member[3] is not None]
        solutions = dict(zip(active, solve_programs(designer.solver, [members[i][3] for i in active], designer.options) if active else []))
        beams = _beams(receiver, {i: (members[i][0], members[i][1], solution) for i, solution in solutions.items()})
        share = (time.perf_counter() - started) / max(1, len(active))
        designs = [empty for _, _, empty, _ in members]
        for i, solution in solutions.items():
            member_detector, formulation, _, program = members[i]
            relax = designer._relaxation(formulation, first=program, solved=solution)
            started = time.perf_counter() - share
            designs[i] = designer._from_relaxation(formulation, receiver, member_detector, relax, started, beams.get(i))
    return designs


def _beams(receiver, solved):
    """The rank-one beams of the relaxed solutions and their checks, for the whole batch at once.

    Parameters
    ----------
    receiver : Receiver
    solved : dict of int -> (Detector, Formulation, RelaxedSolution or Exception)
        Per member, its detector, its formulation and its first relaxation's solution.

    Returns
    -------
    dict of int -> (RelaxedSolution, w, R, Check)
        For every member with a primal solution, the solution and its
        construction's beams and check against the formulation's limits
        (:meth:`Designer._from_relaxation`'s ``beams``), each as it gets
        them alone.
    """
    primal = ((detector, i) for i, (detector, _, solution) in solved.items()
              if not isinstance(solution, Exception) and solution.status != "infeasible" and solution.W is not None)
    out = {}
    for detector, members in group_equal(primal):
        stack = stack_problems([solved[i][1].problem for i in members])
        W = np.stack([solved[i][2].W for i in members])
        R = np.stack([solved[i][2].R for i in members])
        w, R = rank_one_beams(stack, W, R)
        limits = [limits_of(solved[i][1]) for i in members]
        for slot, (i, check) in enumerate(zip(members, check_designs(stack, receiver, detector, w, R, limits))):
            out[i] = solved[i][2], w[slot], R[slot], check
    return out
