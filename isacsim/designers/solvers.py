"""Solvers of the relaxed design problem, a small registry keyed by name.

Every designer solves one convex relaxation; which solver does it is a
strategy, chosen by name (``Designer(solver=...)``, ``isacsim solve
--solver``), never by the designer:

``structured`` (default)
    The structure-exploiting interior-point method on the reduced dual
    (:mod:`isacsim.designers.structured`).
``cvxopt``
    The same reduced dual handed to CVXOPT's generic ``solvers.sdp``
    (:mod:`isacsim.designers.dual`): the previous default, kept as the
    benchmark's baseline and as a cross-check.
``picos:NAME``
    The straightforward primal model, as the paper writes it, solved by the
    installed PICOS solver ``NAME`` (``picos:cvxopt``, ``picos:qics``,
    ``picos:mosek``, ...) (:mod:`isacsim.designers.picos_model`).
``picos-dual:NAME``
    The reduced dual as a PICOS model, for PICOS solvers at paper size
    (:mod:`isacsim.designers.picos_dual`).

The generic paths are refused before they build anything when their memory
estimate is over the limit (:mod:`isacsim.designers.memory`).

The certificate of every design names the solver that ran.
"""
from __future__ import annotations

import importlib
from ..errors import InputError

__all__ = ["DEFAULT_SOLVER", "PROGRAM_SOLVERS", "PICOS_PREFIX", "PICOS_DUAL_PREFIX", "check_solver_name", "check_options", "program_solver", "solver_description"]

DEFAULT_SOLVER = "structured"
#: Solvers of a :class:`~isacsim.designers.program.BeamProgram`: name -> (module, function, what it is).
PROGRAM_SOLVERS = {
    "structured": (
        "isacsim.designers.structured",
        "solve_structured",
        "structured primal-dual interior-point method on the reduced dual",
    ),
    "cvxopt": ("isacsim.designers.dual", "solve_dual", "reduced Lagrangian dual, CVXOPT conelp"),
}
PICOS_PREFIX = "picos:"
PICOS_DUAL_PREFIX = "picos-dual:"



def solver_description(name=DEFAULT_SOLVER):
    """``"NAME: what it is"`` for a solver name."""
    if name.startswith(PICOS_PREFIX):
        return f"{name}: primal SDR model solved through PICOS (isacsim.designers.picos_model)"
    if name.startswith(PICOS_DUAL_PREFIX):
        return f"{name}: reduced Lagrangian dual as a PICOS model (isacsim.designers.picos_dual)"
    module, _, what = PROGRAM_SOLVERS[name]
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


def program_solver(name):
    """The function ``solve(program, options) -> RelaxedSolution`` registered as ``name``."""
    if name.startswith(PICOS_DUAL_PREFIX):
        from functools import partial

        from .picos_dual import solve_picos_dual

        return partial(solve_picos_dual, solver=name[len(PICOS_DUAL_PREFIX) :])
    module, function, _ = PROGRAM_SOLVERS[name]
    return getattr(importlib.import_module(module), function)
