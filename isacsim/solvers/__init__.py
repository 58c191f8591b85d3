"""Solvers of the relaxed beam programs, below the designers.

A designer builds a :class:`~isacsim.solvers.program.BeamProgram` and hands it
to a solver chosen by name (:mod:`isacsim.solvers.registry`): the structured
interior-point method (default, :mod:`isacsim.solvers.structured`), CVXOPT on
the reduced dual (:mod:`isacsim.solvers.cvxopt_dual`) or PICOS models
(:mod:`isacsim.solvers.picos_model`, :mod:`isacsim.solvers.picos_dual`). The
generic paths are guarded by memory estimates (:mod:`isacsim.solvers.memory`).
Solvers never import designers.
"""
from ..lazy import lazy_exports

_EXPORTS = {
    "BeamProgram": ".program",
    "RelaxedSolution": ".relaxed",
    "SolverMemoryError": ".memory",
    "DEFAULT_SOLVER": ".registry",
    "program_solver": ".registry",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["BeamProgram", "RelaxedSolution", "SolverMemoryError", "DEFAULT_SOLVER", "program_solver"]
