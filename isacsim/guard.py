"""Every design isacsim reports passes through here: :func:`run_designer`.

``isacsim solve``, the sweeps, the coverage maps and the frame-level study
call a designer only through :func:`run_designer`, which

1. hands the designer a read-only view of the problem (non-writeable
   arrays), so that it cannot change what it is judged against;
2. runs a plugin's designer (installed, or registered from a script) in a
   child process (:func:`isacsim.isolation.call_isolated`): whatever it does
   (raises, calls ``sys.exit`` or ``os._exit``, segfaults, raises
   ``KeyboardInterrupt``, prints to stdout) becomes an ``error`` design that
   names the plugin, and its output goes to stderr. isacsim's own designers
   run in this process, at no cost;
3. stops a design that runs past its time limit (``timeout``, else
   :func:`time_limit`, else ``$ISACSIM_DESIGN_TIMEOUT``; no limit by
   default): its design is ``error``, "timed out after S s". With a limit,
   isacsim's own designers run in a child process too;
4. audits what came back against the caller's problem
   (:func:`isacsim.designers.audit.audit_design`).
"""
from __future__ import annotations

import contextlib
import contextvars
import copy
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .designers.audit import audit_design, audit_designs, failed_design
from .errors import InputError
from .isolation import CallFailed, TimedOut, call_isolated
from .plugins import BUILTIN_NAME, _hint, describe_source, designer_registry

if TYPE_CHECKING:
    from .designers.design import Design
    from .detection import Detector
    from .problem import DesignProblem
    from .receivers import Receiver

__all__ = ["run_designer", "run_designer_batch", "time_limit", "parse_timeout", "timeout_from_environment", "read_only", "TIMEOUT_ENV"]

#: Environment variable: the default design time limit [s] (unset or empty: none).
TIMEOUT_ENV = "ISACSIM_DESIGN_TIMEOUT"
_UNSET = object()
_LIMIT = contextvars.ContextVar("isacsim_design_time_limit", default=_UNSET)


def parse_timeout(value: float | str | None, field: str) -> float | None:
    """A time limit from user input: a positive, finite number of seconds, or None.

    Parameters
    ----------
    value : float or str or None
    field : str
        Named in the error (``--timeout``, ``ISACSIM_DESIGN_TIMEOUT``).

    Raises
    ------
    InputError
        For anything but a positive finite number.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0) or isinstance(value, bool):
        raise InputError(f"{field}: expected a positive number of seconds, got {value!r}")
    return seconds


def timeout_from_environment() -> float | None:
    """The time limit of ``$ISACSIM_DESIGN_TIMEOUT`` [s], or None."""
    return parse_timeout(os.environ.get(TIMEOUT_ENV), TIMEOUT_ENV)


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Within the block, designs run under this time limit [s] (None: no limit) unless a call gives its own."""
    token = _LIMIT.set(seconds)
    try:
        yield
    finally:
        _LIMIT.reset(token)


def _limit(timeout):
    if timeout is not _UNSET:
        return parse_timeout(timeout, "timeout")
    inherited = _LIMIT.get()
    return timeout_from_environment() if inherited is _UNSET else inherited


def read_only(problem: DesignProblem) -> DesignProblem:
    """``problem`` with non-writeable views of its arrays (extras included); nothing is copied."""

    def frozen(array):
        view = np.asarray(array).view()
        view.flags.writeable = False
        return view

    clone = copy.copy(problem)
    for name in ("H", "A", "G", "gamma", "p_max"):
        object.__setattr__(clone, name, frozen(getattr(problem, name)))
    object.__setattr__(clone, "extras", {key: frozen(value) for key, value in problem.extras.items()})
    return clone


def _plugin_of(designer):
    """The plugin that registered ``designer``'s class (its module if the class is not registered)."""
    entry = designer_registry().get(getattr(designer, "name", None))
    if entry is not None and type(designer) is entry[0]:
        return entry[1]
    return type(designer).__module__


def _power_weights(designer, problem):
    """The weights of the designer's minimized transmit power (its ``objective``'s, if it has one of kind ``"min-power"``), else None."""
    objective = getattr(designer, "objective", None)
    try:
        objective = objective(problem) if callable(objective) else None
    except Exception:  # noqa: BLE001 - no weights then: the audit counts every BS's power alike
        return None
    if getattr(objective, "kind", None) != "min-power":
        return None
    weights = getattr(objective, "params", {}).get("weights")
    return None if weights is None else np.asarray(weights, dtype=float)


def _design(designer, problem, receiver, detector):
    """The designer's design and its objective's power weights (in a child process: its problem read-only there too)."""
    problem = read_only(problem)
    return designer.design(problem, receiver, detector), _power_weights(designer, problem)


def run_designer(designer: Any, problem: DesignProblem, receiver: Receiver, detector: Detector, *, timeout: float | None | object = _UNSET) -> Design:
    """Design with ``designer``, isolated and timed as it needs, and audited.

    Parameters
    ----------
    designer : object
        A designer instance (``name`` and ``design(problem, receiver, detector)``).
    problem : DesignProblem
        The problem as the caller holds it; the audit recomputes everything
        from it.
    receiver : Receiver
    detector : Detector
    timeout : float or None
        Time limit [s]; ``None`` for none. Default: the enclosing
        :func:`time_limit`, else ``$ISACSIM_DESIGN_TIMEOUT``.

    Returns
    -------
    Design
        Audited: a plugin's fault, a time-out or a broken constraint is an
        ``error`` design whose reason names the designer and its plugin. Its
        ``solve_seconds`` is isacsim's own designer's, or the wall time of a
        plugin's call in its child process.

    Raises
    ------
    InputError
        Bad input (from the designer, e.g. an unknown solver, or a bad
        time limit): the caller's to fix.
    Exception
        Whatever isacsim's own designer raises in this process (an internal
        failure); a plugin's exceptions never propagate.
    """
    limit = _limit(timeout)
    name = getattr(designer, "name", type(designer).__name__)
    plugin = _plugin_of(designer)
    source = describe_source("designer", name, plugin)
    if plugin == BUILTIN_NAME and limit is None:  # isacsim's own: in this process, timed by itself
        (result, weights), seconds = _design(designer, problem, receiver, detector), None
    else:
        started = time.perf_counter()
        try:
            (result, weights), seconds = call_isolated(_design, designer, problem, receiver, detector, timeout=limit, passes=(InputError,))
        except TimedOut as error:
            reason = f"{source} {error}"
            return failed_design(problem, receiver, detector, designer=name, reason=reason, seconds=time.perf_counter() - started)
        except CallFailed as error:
            reason = f"{source} {error}{_hint(plugin)}"
            return failed_design(problem, receiver, detector, designer=name, reason=reason, seconds=time.perf_counter() - started)
    return audit_design(problem, receiver, detector, result, designer=name, source=source, seconds=seconds, power_weights=weights)


def _one_by_one(designer, problems, receiver, detector):
    return [designer.design(problem, receiver, detector) for problem in problems]


def run_designer_batch(designer: Any, problems: Sequence[DesignProblem], receiver: Receiver, detector: Detector, *, timeout: float | None | object = _UNSET, batch: Callable[..., Sequence[Design]] = _one_by_one) -> list[Design]:
    """:func:`run_designer` for many problems of one shape, with one vectorized audit.

    isacsim's own designer, without a time limit, designs the whole batch in
    this process through ``batch`` (read-only problems), and
    :func:`isacsim.designers.audit.audit_designs` audits all of its designs
    at once; any other designer (or with a time limit) goes through
    :func:`run_designer` problem by problem, isolated.

    Parameters
    ----------
    designer : object
    problems : sequence of DesignProblem
        Of one shape (L, K, Nt, Q), as the caller holds them.
    receiver, detector
    timeout : float or None
        As for :func:`run_designer`.
    batch : callable
        ``batch(designer, problems, receiver, detector) -> list of Design``,
        e.g. a batched design path; default: one ``design`` call per problem.

    Returns
    -------
    list of Design
        Audited, one per problem, in order.

    Raises
    ------
    InputError, Exception
        As :func:`run_designer`; for isacsim's own designer, what ``batch``
        raises (the caller may then design the problems one by one).
    """
    problems = list(problems)
    limit = _limit(timeout)
    name = getattr(designer, "name", type(designer).__name__)
    plugin = _plugin_of(designer)
    if plugin != BUILTIN_NAME or limit is not None or not problems:
        return [run_designer(designer, problem, receiver, detector, timeout=limit) for problem in problems]
    designs = batch(designer, [read_only(problem) for problem in problems], receiver, detector)
    return audit_designs(problems, receiver, detector, designs, designer=name, source=describe_source("designer", name, plugin),
                         power_weights=_power_weights(designer, problems[0]))
