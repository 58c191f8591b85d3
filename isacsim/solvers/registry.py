"""Solvers of compiled beam programs, a small registry keyed by name.

Every designer solves one convex program (a compiled
:class:`~isacsim.solvers.program.Program`, or for ``picos:NAME`` the physical
:class:`~isacsim.solvers.formulation.Formulation`); which solver does it is a
strategy, chosen by name (``Designer(solver=...)``, ``isacsim solve
--solver``), never by the designer:

``structured`` (default)
    The structure-exploiting interior-point method on the reduced dual
    (:mod:`isacsim.solvers.structured`), batched.
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

Every path is refused before it builds anything when its memory estimate is
over the limit (:mod:`isacsim.solvers.memory`).

Entry points: :func:`program_solver` (``solve(program, options)`` for one
program), :func:`program_batch_solver` (``solve(programs, options)`` for a
list: the structured solver solves programs of one block structure in one
vectorized iteration, in as large chunks as the memory limit allows; the
other paths solve them one by one) and :func:`primal_solver`
(``solve(formulation, options=..., margin=...)`` for ``picos:NAME``).

The certificate of every design names the solver that ran.
"""
from __future__ import annotations

import importlib
from functools import partial
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import InputError

if TYPE_CHECKING:
    from .relaxed import RelaxedSolution

__all__ = [
    "DEFAULT_SOLVER",
    "PROGRAM_SOLVERS",
    "PICOS_PREFIX",
    "PICOS_DUAL_PREFIX",
    "check_solver_name",
    "check_options",
    "program_solver",
    "program_batch_solver",
    "primal_solver",
    "solver_description",
]

DEFAULT_SOLVER = "structured"
#: Solvers of a :class:`~isacsim.solvers.program.Program`: name -> (module,
#: solve function, memory estimate function, what it is).
PROGRAM_SOLVERS = {
    "structured": (
        "isacsim.solvers.structured",
        "solve_structured",
        "structured_bytes",
        "structured primal-dual interior-point method on the reduced dual",
    ),
    "cvxopt": ("isacsim.solvers.cvxopt_dual", "solve_dual", "cvxopt_dual_bytes", "reduced Lagrangian dual, CVXOPT conelp"),
}
PICOS_PREFIX = "picos:"
PICOS_DUAL_PREFIX = "picos-dual:"


def solver_description(name: str = DEFAULT_SOLVER) -> str:
    """``"NAME: what it is"`` for a solver name."""
    if name.startswith(PICOS_PREFIX):
        return f"{name}: primal SDR model solved through PICOS (isacsim.solvers.picos_model)"
    if name.startswith(PICOS_DUAL_PREFIX):
        return f"{name}: reduced Lagrangian dual as a PICOS model (isacsim.solvers.picos_dual)"
    module, _, _, what = PROGRAM_SOLVERS[name]
    return f"{name}: {what} ({module})"


def check_solver_name(name: str) -> None:
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


def check_options(name: str, options: Mapping[str, Any] | None) -> None:
    """Raise ValueError, naming them, for options the solver ``name`` does not know.

    A solver module may define ``check_options(options)``; others take any.
    """
    if name in PROGRAM_SOLVERS:
        module = importlib.import_module(PROGRAM_SOLVERS[name][0])
        if hasattr(module, "check_options"):
            module.check_options(options)


def _guarded(name, solve, estimate):
    """``solve``, refused first (:class:`~isacsim.solvers.memory.SolverMemoryError`) when ``estimate`` is over the limit."""

    def guarded(*args, **kwargs):
        from .memory import check_memory

        check_memory(name, estimate(*args, **kwargs), alternative=DEFAULT_SOLVER)
        return solve(*args, **kwargs)

    return guarded


def _estimate(name):
    """The memory estimate ``bytes(program, options=None)`` of the program solver ``name``."""
    from . import memory

    if name.startswith(PICOS_DUAL_PREFIX):
        picos_name = name[len(PICOS_DUAL_PREFIX) :]
        return lambda program, options=None: memory.picos_dual_bytes(program, picos_name, {"dualize": False, **(options or {})})
    return getattr(memory, PROGRAM_SOLVERS[name][2])


def _unguarded(name):
    """The solve function ``solve(program, options)`` of ``name``, without the memory check."""
    if name.startswith(PICOS_DUAL_PREFIX):
        from .picos_dual import solve_picos_dual

        return partial(solve_picos_dual, solver=name[len(PICOS_DUAL_PREFIX) :])
    module_name, function, _, _ = PROGRAM_SOLVERS[name]
    return getattr(importlib.import_module(module_name), function)


def program_solver(name: str) -> Callable[..., RelaxedSolution]:
    """The function ``solve(program, options=None) -> RelaxedSolution`` registered as ``name``.

    It refuses, before building anything, a program whose estimated memory
    exceeds the limit (:mod:`isacsim.solvers.memory`).
    """
    return _guarded(name, _unguarded(name), _estimate(name))


def program_batch_solver(name: str) -> Callable[..., list[RelaxedSolution]]:
    """The function ``solve(programs, options=None) -> list of RelaxedSolution`` registered as ``name``.

    For ``structured`` the programs of one block structure are solved
    together in one vectorized iteration
    (:func:`~isacsim.solvers.structured.solve_structured_batch`), in chunks
    as large as the memory limit allows; each result is what
    :func:`program_solver` would return for that program alone (same status,
    objective to rounding). Other solvers solve the programs one by one.
    Either way, a program whose estimate alone exceeds the limit is refused
    (:class:`~isacsim.solvers.memory.SolverMemoryError`) before any work.
    """
    from .memory import check_memory, memory_limit

    estimate = _estimate(name)
    if name != "structured":
        solve = _unguarded(name)

        def one_by_one(programs, options=None):
            programs = list(programs)
            for program in programs:
                check_memory(name, estimate(program, options), alternative=DEFAULT_SOLVER)
            return [solve(program, options) for program in programs]

        return one_by_one
    from .structured import solve_structured_batch

    def batched(programs, options=None):
        programs = list(programs)
        limit = memory_limit()
        sizes = [estimate(program, options) for program in programs]
        for program, size in zip(programs, sizes):
            check_memory(name, size, alternative=None, limit=limit)
        results, chunk, used = [None] * len(programs), [], 0.0
        for index, size in enumerate(sizes):
            if chunk and used + size > limit:
                for i, result in zip(chunk, solve_structured_batch([programs[i] for i in chunk], options)):
                    results[i] = result
                chunk, used = [], 0.0
            chunk.append(index)
            used += size
        for i, result in zip(chunk, solve_structured_batch([programs[i] for i in chunk], options)):
            results[i] = result
        return results

    return batched


def primal_solver(name: str) -> Callable[..., RelaxedSolution]:
    """The function ``solve(formulation, *, options=None, margin=0.0)`` of ``picos:NAME``.

    It solves the straightforward primal model of a
    :class:`~isacsim.solvers.formulation.Formulation`
    (:mod:`isacsim.solvers.picos_model`) and refuses, before building it, a
    model whose estimated memory exceeds the limit.
    """
    from . import memory
    from .picos_model import solve_picos

    picos_name = name[len(PICOS_PREFIX) :]

    def estimate(formulation, *, options=None, margin=0.0):
        return memory.picos_primal_bytes(formulation.problem, picos_name, directions=formulation.directions, options=options)

    return _guarded(name, partial(solve_picos, solver=picos_name), estimate)
