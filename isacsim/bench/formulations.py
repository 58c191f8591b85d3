"""The new formulations against the paper's SDR: design times on the same instances.

Each case times a power-minimizing designer (on the instance with a
detection target, and per-antenna budgets where the case says so) and the
paper's SDR designer (on the paper's instance: SINR targets and per-BS
budgets) with the default solver, interleaved, on the same seeded channels
and the same variants (at paper size all four, Type-I/II x Scenario I/II): the median design time of
each, the ratio (the median over solves of the formulation's time divided
by the SDR's on the same instance and variant, which a busy machine disturbs
less than a ratio of medians), the target ratio and the statuses.

Cases (:data:`PAPER_CASES`, run by ``isacsim bench``; :data:`SCALE_CASES`,
run by ``isacsim bench --scale``):

* ``power-min`` at paper size (K = 3, Nt = 32, L = 3, Q = 9): <= 1.2x;
* ``power-min`` with per-antenna budgets at paper size: <= 2x, with each
  antenna an equal share of its BS's budget, ``P_max / Nt`` (they bind
  rarely at pD* = 0.1), and with 0.7 of that (they bind in most variants:
  the rows its solution violates are added and the program solved again);
* ``power-min`` at L = 19 (hexagonal, K = 4, Nt = 64, Q = 49): <= 1.2x.

The detection target is pD* = 0.1 at every point, which both scenarios
meet within the paper's 15 W per BS (the max-min pD of Scenario II is about
0.19 at K = 3), so the solves time feasible programs.
"""
from __future__ import annotations

import functools
import math

import attrs
import numpy as np

from .compare import _format_seconds, _median_finite, format_statuses, timed
from ..validation import as_tuple

__all__ = ["FormulationCase", "FormulationComparison", "PAPER_CASES", "SCALE_CASES", "run_formulation_cases", "PD_TARGET"]

#: The detection target of the power-minimizing cases, at every point.
PD_TARGET = 0.1
#: Statuses that fail ``--check``.
_BAD_STATUSES = ("inaccurate", "error")


@attrs.frozen(kw_only=True)
class FormulationCase:
    """One benchmark case: a power-minimizing designer against the SDR on a configuration.

    Attributes
    ----------
    label : str
    fields : dict
        :class:`~isacsim.scenario.ScenarioConfig` fields.
    designer : str
        Registered name of the designer timed against ``sdr``.
    per_antenna : float or None
        Each antenna's budget as a fraction of an equal share ``P_max / Nt``
        of its BS's budget (None: no per-antenna budgets).
    target_ratio : float
        Largest acceptable ratio of its median time to the SDR's.
    variants : tuple of (str, bool)
        ``(receiver name, synchronized)`` pairs solved per instance.
    """

    label: str
    fields: dict
    designer: str = "power-min"
    per_antenna: float | None = None
    target_ratio: float = 1.2
    variants: tuple = tuple((receiver, synchronized) for receiver in ("type-i", "type-ii") for synchronized in (True, False))

    def problems(self, seed):
        """The seeded instance ``seed``: the paper's problem (for the SDR) and with this case's requirements."""
        from ..scenario import ScenarioConfig, realization_rng

        paper = ScenarioConfig(**self.fields).build(realization_rng(seed, 0))
        problem = paper.evolve(pd_target=PD_TARGET)
        if self.per_antenna is not None:
            share = self.per_antenna * problem.p_max[:, None] / problem.n_tx
            problem = problem.evolve(p_antenna=np.repeat(share, problem.n_tx, axis=1))
        return problem, paper


#: The paper-size cases of ``isacsim bench``.
PAPER_CASES = (
    FormulationCase(label="power-min, K=3, Nt=32", fields=dict(n_users_per_cell=3, n_tx=32, n_rx=32)),
    FormulationCase(label="power-min + antennas", fields=dict(n_users_per_cell=3, n_tx=32, n_rx=32), per_antenna=1.0, target_ratio=2.0),
    FormulationCase(label="power-min + tight antennas", fields=dict(n_users_per_cell=3, n_tx=32, n_rx=32), per_antenna=0.7, target_ratio=2.0),
)
#: The large-network case of ``isacsim bench --scale`` (Type-II, Scenario I, as the scale sweeps).
SCALE_CASES = (
    FormulationCase(
        label="power-min, L=19", fields=dict(n_cells=19, n_users_per_cell=4, n_tx=64, n_rx=64, points_per_side=7), variants=(("type-ii", True),)
    ),
)


@attrs.frozen(kw_only=True)
class FormulationComparison:
    """A case's solves: the formulation's and the SDR's, aligned by instance and variant.

    Attributes
    ----------
    case : FormulationCase
    seconds, sdr_seconds : tuple of float
        Wall time of each design call [s].
    statuses, sdr_statuses : tuple of str
    """

    case: FormulationCase
    seconds: tuple = attrs.field(converter=as_tuple)
    sdr_seconds: tuple = attrs.field(converter=as_tuple)
    statuses: tuple = attrs.field(converter=as_tuple)
    sdr_statuses: tuple = attrs.field(converter=as_tuple)

    @property
    def label(self):
        return self.case.label

    @property
    def ratio(self):
        """Median over solves of the formulation's time / the SDR's (NaN without a solve)."""
        return _median_finite(new / old for new, old in zip(self.seconds, self.sdr_seconds))

    def failures(self):
        """What the case misses (empty when it meets everything): the ratio target, or a bad status."""
        missed = []
        if not self.ratio <= self.case.target_ratio:
            missed.append(f"time ratio x{self.ratio:.2f} over the x{self.case.target_ratio:g} target")
        bad = [status for status in self.statuses if status in _BAD_STATUSES]
        if bad:
            missed.append(f"{self.case.designer} returned {format_statuses(bad)}")
        return missed


def compare_case(case, n_instances):
    """Both designers on ``n_instances`` seeded instances x the case's variants, interleaved."""
    from ..detection import Detector
    from ..plugins import get_designer, get_receiver

    designers = {"new": get_designer(case.designer)(), "sdr": get_designer("sdr")()}
    variants = [(get_receiver(receiver)(), Detector(synchronized=synchronized)) for receiver, synchronized in case.variants]
    runs = {key: ([], []) for key in designers}
    for seed in range(n_instances):
        problems = dict(zip(designers, case.problems(seed)))
        for receiver, detector in variants:
            for key, designer in designers.items():
                seconds, design = timed(functools.partial(designer.design, problems[key], receiver, detector))
                runs[key][0].append(seconds)
                runs[key][1].append(design.status)
    return FormulationComparison(case=case, seconds=runs["new"][0], sdr_seconds=runs["sdr"][0], statuses=runs["new"][1], sdr_statuses=runs["sdr"][1])


def run_formulation_cases(cases, n_instances=10, print_line=print):
    """Time every case and print one table line each.

    Returns
    -------
    list of FormulationComparison
        For :func:`~isacsim.bench.compare.check_failures`.
    """
    print_line(
        f"new formulations against the SDR (default solver, same instances; pD* = {PD_TARGET:g} at every point): "
        f"{n_instances} seeded instances x the variants (4 at paper size: Type-I/II x sync/unsync); ratio = median of per-solve ratios"
    )
    print_line(f"  {'case':<24} {'formulation':>11} {'sdr':>10} {'ratio':>8} {'target':>8} {'verdict':<7}  statuses: formulation | sdr")
    comparisons = []
    for case in cases:
        comparison = compare_case(case, n_instances)
        comparisons.append(comparison)
        ratio = f"x{comparison.ratio:.2f}" if math.isfinite(comparison.ratio) else "-"
        verdict = "MISSES" if comparison.failures() else "meets"
        print_line(
            f"  {case.label:<24} {_format_seconds(_median_finite(comparison.seconds)):>11} {_format_seconds(_median_finite(comparison.sdr_seconds)):>10} "
            f"{ratio:>8} {'x' + format(case.target_ratio, 'g'):>8} {verdict:<7}  "
            f"{format_statuses(comparison.statuses)} | {format_statuses(comparison.sdr_statuses)}"
        )
    return comparisons
