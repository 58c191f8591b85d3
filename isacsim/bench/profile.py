"""``isacsim bench --profile NAME``: where a figure's time goes, phase by phase.

The first tasks of a figure's sweep run in this process, in the batches a
run would give them, with a timer around each phase of the pipeline
(:data:`PHASES`): building the problems, the span bases, compiling the
programs, the interior-point solves, the rank-one beams, their verification
and repair, the audit, the evaluation and the result rows. A phase's time
is its own (exclusive): the phases it calls count for themselves; what no
phase covers is reported as ``other`` (the designers' bookkeeping, the
sweep's loops). The timers cost about a microsecond a call.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import sys
import time
from collections import Counter

__all__ = ["PHASES", "run_profile", "PhaseProfile"]

#: ``(module, attribute, phase)``: the functions timed, by the phase they belong to.
PHASES = (
    ("isacsim.scenario", "ScenarioConfig.build", "problem building"),
    ("isacsim.solvers.program", "span_basis", "span bases"),
    ("isacsim.designers.base", "Designer.formulation", "formulation (rows)"),
    ("isacsim.solvers.compile", "compile_program", "program compilation"),
    ("isacsim.designers.zf", "zero_forcing_directions", "beam directions (ZF)"),
    ("isacsim.solvers.structured", "solve_structured_batch", "interior-point solve"),
    ("isacsim.solvers.structured", "solve_structured", "interior-point solve"),
    ("isacsim.designers.rankone", "rank_one_beams", "rank-one beams"),
    ("isacsim.designers.verify", "check_designs", "verification"),  # the designers' and the audit's
    ("isacsim.designers.verify", "repair_design", "repair (LP)"),
    ("isacsim.designers.audit", "audit_designs", "audit"),
    ("isacsim.evaluation", "evaluate_designs", "evaluation"),
    ("isacsim.simulation.rows", "solve_row", "result rows"),
)


class PhaseProfile:
    """Exclusive wall time and calls per phase [s]."""

    def __init__(self):
        self.seconds = Counter()
        self.calls = Counter()
        self._stack = []

    def timed(self, phase, function):
        """``function`` with its exclusive time added to ``phase``."""

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            self._stack.append(0.0)
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                inner = self._stack.pop()
                self.seconds[phase] += elapsed - inner
                self.calls[phase] += 1
                if self._stack:
                    self._stack[-1] += elapsed

        return wrapper


def _resolve(module_name, attribute):
    """``(owner, name, function)`` of ``module.attribute`` (``Class.method`` allowed), or None if absent."""
    try:
        owner = importlib.import_module(module_name)
    except ImportError:
        return None
    *path, name = attribute.split(".")
    for part in path:
        owner = getattr(owner, part, None)
    if owner is None or name not in vars(owner):
        return None
    return owner, name, vars(owner)[name]


@contextlib.contextmanager
def _instrumented(profile, phases=PHASES):
    """Wrap every phase's function, wherever a module of isacsim holds it, for the block."""
    patched = []
    for module_name, attribute, phase in phases:
        found = _resolve(module_name, attribute)
        if found is None:
            continue
        owner, name, raw = found
        kind = type(raw) if isinstance(raw, (staticmethod, classmethod)) else None
        function = raw.__func__ if kind else raw
        wrapper = profile.timed(phase, function)
        patched.append((owner, name, raw))
        setattr(owner, name, kind(wrapper) if kind else wrapper)
        for module in [m for key, m in sys.modules.items() if key.startswith("isacsim") and m is not None]:
            for key, value in list(vars(module).items()):
                if value is function and module is not owner:  # ``from .x import f`` copies
                    patched.append((module, key, value))
                    setattr(module, key, wrapper)
    try:
        yield profile
    finally:
        for owner, name, raw in reversed(patched):
            setattr(owner, name, raw)


def run_profile(name, n_tasks=48, workers=2, print_line=print):
    """Profile the first ``n_tasks`` tasks of figure ``name`` and print the table.

    Parameters
    ----------
    name : str
        A reproducible figure (``isacsim reproduce --list``) whose job is a sweep.
    n_tasks : int
        Tasks timed, at least: whole batches of a run's plan, spread over
        the swept values.
    workers : int
        The worker count the batches are planned for (they run here, one
        after the other).
    print_line : callable

    Returns
    -------
    PhaseProfile
    """
    from ..blas import single_threaded_blas
    from ..reproduce import load
    from ..simulation.batching import plan_batches

    job = load(name).job()
    planned = plan_batches(job, job.tasks(), workers)  # the batches of a whole run
    spread = planned[:: max(1, len(planned) * max(1, len(planned[0])) // max(1, n_tasks))]
    batches, chosen = [], []
    for batch in spread:  # whole batches, over the swept values, until n_tasks tasks
        if len(chosen) >= n_tasks:
            break
        batches.append(batch)
        chosen.extend(batch)
    with single_threaded_blas():
        job.run_batch(list(batches[0][:1]))  # the process's one-time work, not timed
        profile = PhaseProfile()
        with _instrumented(profile):
            started = time.perf_counter()
            designs = sum(len(rows) for batch in batches for rows in job.run_batch(list(batch)))
            total = time.perf_counter() - started
    profile.seconds["other"] = total - sum(profile.seconds.values())
    print_line(
        f"{name}: {len(chosen)} tasks in {len(batches)} batches (planned for {workers} workers), {designs} designs, "
        f"{total:.2f} s in this process: {total / designs * 1e3:.3f} ms per design"
    )
    print_line(f"  {'phase':<24} {'ms/design':>10} {'share':>7} {'calls':>7}")
    for phase, seconds in profile.seconds.most_common():
        print_line(f"  {phase:<24} {seconds / designs * 1e3:>10.3f} {100 * seconds / total:>6.1f}% {profile.calls[phase] or '':>7}")
    return profile
