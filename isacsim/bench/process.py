"""One design call in a fresh process, with a time budget and a memory cap.

:func:`measure_in_fresh_process` builds one seeded instance of a
:class:`~isacsim.scenario.ScenarioConfig` and designs it (SDR, Type-II,
synchronized) in a new child process, so that

* its peak memory is its own: the child's ``ru_maxrss``, a whole-process
  figure (interpreter, NumPy, SciPy, CVXOPT and isacsim imported, the
  problem built, one tiny warm-up design, then the timed design), reported
  with the child's resident memory just before the timed design;
* a solve over its time budget is stopped (the child is killed);
* a solve over its memory cap (``RLIMIT_AS``, address space, set in the
  child) fails alone instead of taking the machine down.

Children are forked from a ``forkserver`` that has imported the solvers
once (a fresh interpreter elsewhere), so a measurement costs
milliseconds to start and inherits nothing from the calling process.
"""
from __future__ import annotations

import functools
import math
import multiprocessing
import resource

import attrs

__all__ = ["Measurement", "measure_in_fresh_process", "OUTCOMES", "OVERRUNS"]

#: What can happen to one measurement (``skipped``: never started, see ``message``).
OUTCOMES = ("ok", "timeout", "over memory", "crashed", "skipped")
#: Outcomes that end a solver's part of a point and of the larger points of its sweep.
OVERRUNS = ("timeout", "over memory", "crashed")
#: Imported once by the forkserver, before any child is forked.
_PRELOAD = ["numpy", "scipy.linalg", "cvxopt", "isacsim.scenario", "isacsim.designers", "isacsim.solvers.cvxopt_dual", "isacsim.solvers.structured"]
_context = None


@attrs.frozen(kw_only=True)
class Measurement:
    """The outcome of one design call in a fresh process.

    Attributes
    ----------
    outcome : str
        One of :data:`OUTCOMES`.
    status : str
        The design's status (``ok``), else the outcome.
    seconds : float
        Wall time of the design call [s]; NaN unless ``ok``.
    bound : float
        Relaxation bound [W]; NaN unless ``ok`` and known.
    peak_rss_mib : float
        Peak resident memory of the child [MiB] (``ru_maxrss``); NaN unless ``ok``.
    start_rss_mib : float
        Resident memory of the child just before the timed call [MiB].
    message : str
        Why the outcome is not ``ok``, or the design's reason.
    """

    outcome: str = attrs.field(validator=attrs.validators.in_(OUTCOMES))
    status: str
    seconds: float = math.nan
    bound: float = math.nan
    peak_rss_mib: float = math.nan
    start_rss_mib: float = math.nan
    message: str = ""


def _start_method_context():
    """The multiprocessing context: a preloaded forkserver where there is one, else spawn."""
    global _context
    if _context is None:
        if "forkserver" in multiprocessing.get_all_start_methods():
            _context = multiprocessing.get_context("forkserver")
            _context.set_forkserver_preload(_PRELOAD)  # no effect if this process's forkserver already runs
        else:
            _context = multiprocessing.get_context("spawn")
    return _context


def _resident_mib():
    """Current resident memory of this process [MiB] (Linux ``/proc``; else the peak so far)."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        from .compare import peak_rss_mib

        return peak_rss_mib()


def _prepare(config_fields, seed, solver):
    """The designer (warmed up), the seeded problem, the receiver and the detector."""
    from ..designers import SDRDesigner
    from ..detection import Detector
    from ..receivers import TypeII
    from ..scenario import ScenarioConfig, realization_rng

    designer = SDRDesigner(solver=solver)
    receiver, detector = TypeII(), Detector(synchronized=True)
    tiny = ScenarioConfig(n_tx=2, n_rx=2, points_per_side=1).build(realization_rng(0, 0))
    designer.design(tiny, receiver, detector)  # warm-up: first-call costs stay out of the timing
    problem = ScenarioConfig(**config_fields).build(realization_rng(seed, 0))
    return designer, problem, receiver, detector


def _child(connection, config_fields, seed, solver, memory_cap_bytes):
    """Run in the child: cap the address space, build, warm up, time one design, report."""
    from .compare import peak_rss_mib, timed

    if memory_cap_bytes is not None:
        resource.setrlimit(resource.RLIMIT_AS, (int(memory_cap_bytes), int(memory_cap_bytes)))
    try:
        designer, problem, receiver, detector = _prepare(config_fields, seed, solver)
        start = _resident_mib()
        seconds, design = timed(functools.partial(designer.design, problem, receiver, detector))
    except MemoryError as error:
        connection.send({"outcome": "over memory", "status": "over memory", "message": f"MemoryError: {error}"})
        return
    except Exception as error:  # noqa: BLE001 - reported to the parent, not raised in a child
        connection.send({"outcome": "crashed", "status": "crashed", "message": f"{type(error).__name__}: {error}"})
        return
    if design.status == "error" and "MemoryError" in design.reason:
        connection.send({"outcome": "over memory", "status": "over memory", "message": design.reason})
        return
    connection.send(
        {
            "outcome": "ok",
            "status": design.status,
            "seconds": seconds,
            "bound": design.certificate.bound,
            "peak_rss_mib": max(peak_rss_mib(), start),  # ru_maxrss can trail the current RSS by a few pages
            "start_rss_mib": start,
            "message": design.reason,
        }
    )


def measure_in_fresh_process(config_fields, seed, solver, *, budget_seconds, memory_cap_bytes=None):
    """Design one seeded instance in a new process and measure it.

    Parameters
    ----------
    config_fields : dict
        Fields of a :class:`~isacsim.scenario.ScenarioConfig`.
    seed : int
        The instance: channels from ``realization_rng(seed, 0)``.
    solver : str
        Registered solver name (``structured``, ``cvxopt``, ...).
    budget_seconds : float
        Wall time allowed for the whole child (building and warm-up
        included) [s]; past it the child is killed (outcome ``timeout``).
    memory_cap_bytes : int or None
        ``RLIMIT_AS`` of the child [bytes] (address space, which exceeds the
        resident memory); ``None``: no cap.

    Returns
    -------
    Measurement
    """
    context = _start_method_context()
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sending, dict(config_fields), seed, solver, memory_cap_bytes), daemon=True)
    process.start()
    sending.close()
    try:
        if not receiving.poll(budget_seconds):
            process.kill()
            return Measurement(outcome="timeout", status="timeout", message=f"stopped after the {budget_seconds:g} s budget")
        try:
            report = receiving.recv()
        except EOFError:
            process.join()
            hint = f"; an allocation over the {memory_cap_bytes / 2**30:g} GiB address-space cap ends it so" if memory_cap_bytes else ""
            return Measurement(outcome="crashed", status="crashed", message=f"the child died (exit code {process.exitcode}{hint})")
        return Measurement(**report)
    finally:
        process.join()
        receiving.close()
