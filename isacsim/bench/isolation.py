"""What isolating a plugin's designer costs: ``python -m isacsim.bench.isolation``.

The same designer (the SDR) is timed three ways on the same seeded
instances, interleaved so that a busy machine disturbs all three alike:

* ``direct``: ``designer.design(...)`` alone (no audit);
* ``built-in``: :func:`isacsim.guard.run_designer` on isacsim's own class
  (in this process, read-only problem, audit);
* ``plugin``: :func:`~isacsim.guard.run_designer` on a subclass registered as
  a plugin (:func:`isacsim.register`), so it runs in a child process (the
  thread's helper, :mod:`isacsim.isolation`);
* ``time limit``: isacsim's own class with a time limit, which also runs it
  in the helper.

It prints the medians [ms], the median per-solve differences ``built-in -
direct`` (the audit) and ``plugin - built-in`` (the isolation), and the
median per-solve ratio ``plugin / direct``.
"""
from __future__ import annotations

import statistics
import sys
import time

import attrs

from ..designers import SDRDesigner
from ..detection import Detector
from ..guard import run_designer
from ..plugins import register
from ..receivers import TypeII
from ..scenario import ScenarioConfig, realization_rng

__all__ = ["measure_isolation"]

#: (label, ScenarioConfig changes, instances): the paper's Fig. 3 and Fig. 8 settings, and Fig. 8 on 19 cells.
CASES = (("K=1, Nt=32, L=3", {"n_users_per_cell": 1}, 1.0), ("K=3, Nt=32, L=3", {"n_users_per_cell": 3}, 1.0),
         ("K=3, Nt=32, L=19", {"n_users_per_cell": 3, "n_cells": 19}, 0.25))


@attrs.frozen(kw_only=True)
class IsolatedSDR(SDRDesigner):
    """The SDR under another name, registered as a plugin: designed in a child process.

    A class of a module, so that it reaches the child by reference (a class
    that cannot be pickled gets a child forked for each call, which costs
    far more; see :mod:`isacsim.isolation`).
    """

    name = "sdr-as-plugin"


def measure_isolation(n_instances=10, print_line=print):
    """Print the table; returns ``{case: {way: median seconds}}``.

    Parameters
    ----------
    n_instances : int
        Seeded instances of each paper-size case (a quarter of them at L = 19).
    print_line : callable
    """
    register(IsolatedSDR, plugin="isolation-benchmark")
    ways = {
        "direct": lambda problem: SDRDesigner().design(problem, TypeII(), Detector()),
        "built-in": lambda problem: run_designer(SDRDesigner(), problem, TypeII(), Detector()),
        "plugin": lambda problem: run_designer(IsolatedSDR(), problem, TypeII(), Detector()),
        "time limit": lambda problem: run_designer(SDRDesigner(), problem, TypeII(), Detector(), timeout=3600),
    }
    print_line(f"{'case':<18} {'direct [ms]':>12} {'built-in [ms]':>14} {'plugin [ms]':>12} {'time limit [ms]':>16} "
               f"{'audit [ms]':>11} {'isolation [ms]':>15} {'plugin/direct':>14}")
    results = {}
    for label, changes, share in CASES:
        problems = [ScenarioConfig(**changes).build(realization_rng(7, r)) for r in range(max(2, round(share * n_instances)))]
        for way in ways.values():  # warm-up: imports and first calls stay out of the timing
            assert way(problems[0]).status == "optimal"
        seconds = {name: [] for name in ways}
        for problem in problems:
            for name, way in ways.items():
                started = time.perf_counter()
                way(problem)
                seconds[name].append(time.perf_counter() - started)
        medians = {name: statistics.median(values) for name, values in seconds.items()}
        audit = statistics.median(b - d for b, d in zip(seconds["built-in"], seconds["direct"]))
        isolation = statistics.median(p - b for p, b in zip(seconds["plugin"], seconds["built-in"]))
        ratio = statistics.median(p / d for p, d in zip(seconds["plugin"], seconds["direct"]))
        print_line(f"{label:<18} {1e3 * medians['direct']:>12.1f} {1e3 * medians['built-in']:>14.1f} {1e3 * medians['plugin']:>12.1f} "
                   f"{1e3 * medians['time limit']:>16.1f} {1e3 * audit:>11.2f} {1e3 * isolation:>15.2f} {ratio:>14.3f}")
        results[label] = medians
    return results


if __name__ == "__main__":  # pragma: no cover - a benchmark, run by hand
    measure_isolation(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
