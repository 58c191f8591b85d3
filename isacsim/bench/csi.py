"""``isacsim bench --csi``: how often rank-one beams are recovered under a statistical CSI error, and the worst gap.

Under a statistical CSI error the construction of Propositions 1/2 is not
exact (:mod:`isacsim.designers.rankone`). This measures, on seeded instances
of Fig. 8's setting (L = 3, K = 3, Nt = 32, Q = 9, Gamma = 15 dB, 15 W per
BS) for the ``sdr`` and ``power-min`` designers (pD* = 0.1 at every point),
and of a wide area (60 m x 60 m, whose points a beam cannot cover at once;
K = 1, Nt = Nr = 8) for ``sdr``, both receivers and both scenarios
(:data:`SETS`), with each channel entry's error variance a
fraction ``epsilon`` of that link's mean entry power:

* how many designs the construction already gives (the relaxed solution
  was rank one where it mattered), how many the candidate directions prove
  optimal, and how many stay ``inaccurate`` (a verified design further than
  1e-6 from the relaxation);
* the worst relative gap between a design and the certified relaxation
  bound (``Certificate.optimality_gap``) and against the relaxed solution
  (``Certificate.rank_one_residual``).
"""
from __future__ import annotations

import math
from collections import Counter

import numpy as np

__all__ = ["EPSILONS", "SETS", "csi_problem", "run_csi_gaps", "run_csi_sets"]

#: Error variance per entry, relative to the link's mean entry power.
EPSILONS = (0.01, 0.1)
_DESIGNERS = ("sdr", "power-min")
_PD_TARGET = 0.1


#: The instance sets: (label, ScenarioConfig fields, designers).
SETS = (
    ("Fig. 8 setting", {"n_users_per_cell": 3}, ("sdr", "power-min")),
    ("a 60 m x 60 m area, K = 1, Nt = Nr = 8", {"n_users_per_cell": 1, "n_tx": 8, "n_rx": 8, "area_side_m": 60.0}, ("sdr",)),
)


def csi_problem(problem, epsilon):
    """``problem`` with ``csi_error_var[l, m, k] = epsilon * mean_n |H[l, m, k, n]|^2``."""
    return problem.evolve(csi_error_var=epsilon * np.mean(np.abs(problem.H) ** 2, axis=3))


def run_csi_sets(n_instances=10, print_line=print, sets=SETS, epsilons=EPSILONS):
    """:func:`run_csi_gaps` on every instance set of :data:`SETS`; ``{label: results}``."""
    return {label: run_csi_gaps(n_instances, print_line, epsilons, fields, designers) for label, fields, designers in sets}


def run_csi_gaps(n_instances=10, print_line=print, epsilons=EPSILONS, fields=None, designers=_DESIGNERS):
    """Design every instance and variant under CSI error and print the recovery counts and worst gaps.

    Parameters
    ----------
    n_instances : int
        Seeded channel draws per ``epsilon``.
    print_line : callable
    epsilons : sequence of float
    fields : dict or None
        :class:`~isacsim.scenario.ScenarioConfig` fields (default: K = 3, the Fig. 8 setting).
    designers : sequence of str
        Registered designers; ``power-min`` gets pD* = 0.1 at every point.

    Returns
    -------
    dict
        Per ``(epsilon, designer)``: ``counts`` (Counter of outcomes), ``worst_bound_gap``, ``worst_relaxed_gap``.
    """
    from ..detection import Detector
    from ..plugins import get_designer
    from ..receivers import TypeI, TypeII
    from ..scenario import ScenarioConfig, realization_rng

    config = ScenarioConfig(**(fields or {"n_users_per_cell": 3}))
    variants = [(receiver, Detector(synchronized=synchronized)) for receiver in (TypeI(), TypeII()) for synchronized in (True, False)]
    print_line(
        f"rank one under CSI error: {n_instances} seeded instances x 4 variants per epsilon and designer "
        f"(L={config.n_cells}, K={config.n_users_per_cell}, Nt={config.n_tx}, Q={config.points_per_side ** 2}, "
        f"area {config.area_side_m:g} m; power-min at pD* = {_PD_TARGET:g})"
    )
    print_line(f"  {'epsilon':>8} {'designer':<10} {'construction':>12} {'candidates':>10} {'not proven':>10} {'infeasible':>10} {'other':>6} "
               f"{'worst gap to bound':>18} {'worst gap to relaxed':>20}")
    results = {}
    for epsilon in epsilons:
        for name in designers:
            designer = get_designer(name)()
            counts, bound_gaps, relaxed_gaps = Counter(), [], []
            for seed in range(n_instances):
                problem = csi_problem(config.build(realization_rng(seed, 0)), epsilon)
                if name.startswith("power-min"):
                    problem = problem.evolve(pd_target=_PD_TARGET)
                for receiver, detector in variants:
                    design = designer.design(problem, receiver, detector)
                    certificate = design.certificate
                    if design.status not in ("optimal", "inaccurate"):
                        counts[design.status] += 1
                        continue
                    if design.status == "inaccurate" and "not proven" not in design.reason:
                        counts["other"] += 1
                    elif design.status == "inaccurate":
                        counts["not proven"] += 1
                    else:
                        counts["construction" if certificate.rank_one == "construction" else "candidates"] += 1
                    bound_gaps.append(certificate.optimality_gap)
                    relaxed_gaps.append(certificate.rank_one_residual)
            worst_bound = max((g for g in bound_gaps if math.isfinite(g)), default=math.nan)
            worst_relaxed = max((g for g in relaxed_gaps if math.isfinite(g)), default=math.nan)
            results[epsilon, name] = {"counts": counts, "worst_bound_gap": worst_bound, "worst_relaxed_gap": worst_relaxed}
            other = sum(v for k, v in counts.items() if k not in ("construction", "candidates", "not proven", "infeasible"))
            print_line(
                f"  {epsilon:>8g} {name:<10} {counts['construction']:>12} {counts['candidates']:>10} {counts['not proven']:>10} "
                f"{counts['infeasible']:>10} {other:>6} "
                f"{worst_bound:>18.2e} {worst_relaxed:>20.2e}"
            )
    return results
