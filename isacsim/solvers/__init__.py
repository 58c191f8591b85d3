"""Solvers of the beam programs, below the designers.

Two levels (see each module's notes):

* the **physical description** (:mod:`isacsim.solvers.formulation`): an
  :class:`Objective` and :class:`RowSet` s in watts on the problem's arrays,
  with the beam subspace and whether ``R`` exists, in a :class:`Formulation`;
  built-in rows :func:`echo_rows`, :func:`sinr_rows`, :func:`budget_rows`,
  objectives :func:`max_min_reflected_power`, :func:`min_total_power`;
* the **compiled program** (:mod:`isacsim.solvers.program`): a
  :class:`Program` from :func:`compile_program` (:mod:`isacsim.solvers.compile`),
  scaled, reduced to the rows' spans, labelled, every row's data low rank plus
  identity per block.

Solvers take compiled programs and are chosen by name
(:mod:`isacsim.solvers.registry`): the structured interior-point method
(default, batched, :mod:`isacsim.solvers.structured`), CVXOPT on the reduced
dual (:mod:`isacsim.solvers.cvxopt_dual`), the reduced dual in PICOS
(:mod:`isacsim.solvers.picos_dual`); the PICOS primal model
(:mod:`isacsim.solvers.picos_model`) restates a formulation from the
equations. Every path is guarded by a memory estimate
(:mod:`isacsim.solvers.memory`). Solvers never import designers.
"""
from typing import TYPE_CHECKING

from ..lazy import lazy_exports

_EXPORTS = {
    "Formulation": ".formulation",
    "RowSet": ".formulation",
    "Objective": ".formulation",
    "echo_rows": ".formulation",
    "sinr_rows": ".formulation",
    "budget_rows": ".formulation",
    "max_min_reflected_power": ".formulation",
    "min_total_power": ".formulation",
    "Program": ".program",
    "TARGET_MARGIN": ".program",
    "compile_program": ".compile",
    "RelaxedSolution": ".relaxed",
    "SolverMemoryError": ".memory",
    "DEFAULT_SOLVER": ".registry",
    "program_solver": ".registry",
    "program_batch_solver": ".registry",
    "primal_solver": ".registry",
    "solve_structured": ".structured",
    "solve_structured_batch": ".structured",
}
if TYPE_CHECKING:  # what type checkers see; at run time each name is imported on first use
    from .compile import compile_program
    from .formulation import (
        Formulation,
        Objective,
        RowSet,
        budget_rows,
        echo_rows,
        max_min_reflected_power,
        min_total_power,
        sinr_rows,
    )
    from .memory import SolverMemoryError
    from .program import Program, TARGET_MARGIN
    from .registry import DEFAULT_SOLVER, primal_solver, program_batch_solver, program_solver
    from .relaxed import RelaxedSolution
    from .structured import solve_structured, solve_structured_batch

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = list(_EXPORTS)
