"""Solvers of the relaxed design problem, a small registry keyed by name.

Every designer solves one convex relaxation; which solver does it is a
strategy, chosen by name (``Designer(solver=...)``, ``isacsim solve
--solver``), never by the designer:

``structured`` (default)
    The structure-exploiting interior-point method on the reduced dual
    (:mod:`isacsim.solvers.structured`).
``cvxopt``
    The same reduced dual handed to CVXOPT's generic ``solvers.sdp``
    (:mod:`isacsim.solvers.cvxopt_dual`): the previous default, kept as the
    benchmark's baseline and as a cross-check.
``picos:NAME``
    The straightforward primal model, as the paper writes it, solved by the
    installed PICOS solver ``NAME`` (``picos:cvxopt``, ``picos:qics``,
    ``picos:mosek``, ...) (:mod:`isacsim.solvers.picos_model`).
``picos-dual:NAME``
    The reduced dual as a PICOS model, for PICOS solvers at paper size
    (:mod:`isacsim.solvers.picos_dual`).

The generic paths are refused before they build anything when their memory
estimate is over the limit (:mod:`isacsim.solvers.memory`).

The certificate of every design names the solver that ran.
"""
from __future__ import annotations

import importlib
from functools import partial
from ..errors import InputError

__all__ = ["DEFAULT_SOLVER", "PROGRAM_SOLVERS", "PICOS_PREFIX", "PICOS_DUAL_PREFIX", "check_solver_name", "check_options", "program_solver", "primal_solver", "solver_description"]

DEFAULT_SOLVER = "structured"
#: Solvers of a :class:`~isacsim.solvers.program.BeamProgram`: name -> (module,
#: solve function, memory estimate function or None, what it is).
PROGRAM_SOLVERS = {
    "structured": (
        "isacsim.solvers.structured",
        "solve_structured",
        None,
        "structured primal-dual interior-point method on the reduced dual",
    ),
    "cvxopt": ("isacsim.solvers.cvxopt_dual", "solve_dual", "cvxopt_dual_bytes", "reduced Lagrangian dual, CVXOPT conelp"),
}
PICOS_PREFIX = "picos:"
PICOS_DUAL_PREFIX = "picos-dual:"


def solver_description(name=DEFAULT_SOLVER):
    """``"NAME: what it is"`` for a solver name."""
    if name.startswith(PICOS_PREFIX):
        return f"{name}: primal SDR model solved through PICOS (isacsim.solvers.picos_model)"
    if name.startswith(PICOS_DUAL_PREFIX):
        return f"{name}: reduced Lagrangian dual as a PICOS model (isacsim.solvers.picos_dual)"
    module, _, _, what = PROGRAM_SOLVERS[name]
    return f"{name}: {what} ({module})"


def check_solver_name(name):
    """Raise ValueError, naming the choices, unless ``name`` is a usable solver.

    Parameters
    ----------
    name : str
    """
    if name in PROGRAM_SOLVERS:
        return
    for prefix in (PICOS_PREFIX, PICOS_DUAL_PREFIX):
        if name.startswith(prefix):
            from .picos_model import check_solver

            check_solver(name[len(prefix) :], prefix)
            return
    raise InputError(
        f"solver: expected one of {', '.join(repr(n) for n in PROGRAM_SOLVERS)} (default {DEFAULT_SOLVER!r}), "
        f"'{PICOS_PREFIX}NAME' or '{PICOS_DUAL_PREFIX}NAME' for an installed PICOS solver NAME, got {name!r}"
    )


def check_options(name, options):
    """Raise ValueError, naming them, for options the solver ``name`` does not know.

    A solver module may define ``check_options(options)``; others take any.
    """
    if name in PROGRAM_SOLVERS:
        module = importlib.import_module(PROGRAM_SOLVERS[name][0])
        if hasattr(module, "check_options"):
            module.check_options(options)


def _guarded(name, solve, estimate):
    """``solve``, refused first (:class:`~isacsim.solvers.memory.SolverMemoryError`) when ``estimate`` is over the limit."""
    if estimate is None:
        return solve

    def guarded(*args, **kwargs):
        from .memory import check_memory

        check_memory(name, estimate(*args, **kwargs), alternative=DEFAULT_SOLVER)
        return solve(*args, **kwargs)

    return guarded


def program_solver(name):
    """The function ``solve(program, options) -> RelaxedSolution`` registered as ``name``.

    The generic paths refuse, before building anything, a program whose
    estimated memory exceeds the limit (:mod:`isacsim.solvers.memory`).
    """
    from . import memory

    if name.startswith(PICOS_DUAL_PREFIX):
        from .picos_dual import solve_picos_dual

        picos_name = name[len(PICOS_DUAL_PREFIX) :]
        return _guarded(
            name,
            partial(solve_picos_dual, solver=picos_name),
            lambda program, options=None: memory.picos_dual_bytes(program, picos_name, {"dualize": False, **(options or {})}),
        )
    module_name, function, estimate, _ = PROGRAM_SOLVERS[name]
    module = importlib.import_module(module_name)
    return _guarded(name, getattr(module, function), getattr(memory, estimate) if estimate else None)


def primal_solver(name):
    """The function ``solve(problem, receiver, detector, *, directions, options, margin, ...)`` of ``picos:NAME``.

    It solves the straightforward primal model (:mod:`isacsim.solvers.picos_model`)
    and refuses, before building it, a model whose estimated memory exceeds the limit.
    """
    from . import memory
    from .picos_model import solve_picos

    picos_name = name[len(PICOS_PREFIX) :]

    def estimate(problem, receiver, detector, *, directions=None, options=None, **rows):
        return memory.picos_primal_bytes(problem, picos_name, directions=directions, options=options)

    return _guarded(name, partial(solve_picos, solver=picos_name), estimate)
