"""``isacsim bench --clutter``: the clutter-aware designer against the SDR, at paper size.

On the same seeded paper-size instances (L = 3, Q = 9, K = 1, Nt = 32, Fig. 3's
setting at Gamma = 15 dB) and the robustness study's clutter patch at three
clutter powers, it times the clutter-aware designer (a bisection of certified
convex steps, :mod:`isacsim.designers.clutter_aware`) and the paper's SDR
designer for the same receiver and scenario, interleaved. The table gives
both medians, the median over solves of the per-solve ratio (which a noisy
machine disturbs less than a ratio of medians), the target (at most
:data:`TARGET_RATIO` times the SDR), the bisection steps and the statuses.
"""
from __future__ import annotations

import functools
import statistics

import attrs

from .compare import format_statuses, peak_rss_mib, timed

__all__ = ["TARGET_RATIO", "CLUTTER_LEVELS_DB", "ClutterTiming", "run_clutter_benchmark"]

#: The clutter-aware designer may take at most this many times the SDR's time.
TARGET_RATIO = 10.0
#: Clutter-to-target power ratios of the benchmark [dB].
CLUTTER_LEVELS_DB = (0.0, 10.0, 20.0)


@attrs.frozen(kw_only=True)
class ClutterTiming:
    """Both designers' solves of one clutter level.

    Attributes
    ----------
    ratio_db : float
        Clutter-to-target power ratio [dB].
    seconds, baseline_seconds : tuple of float
        Per solve: the clutter-aware designer's and the SDR's wall time [s].
    steps : tuple of int
        Bisection steps per clutter-aware solve.
    statuses, baseline_statuses : tuple of str
    """

    ratio_db: float
    seconds: tuple
    baseline_seconds: tuple
    steps: tuple
    statuses: tuple
    baseline_statuses: tuple

    @property
    def ratio(self):
        """Median over solves of the clutter-aware time over the SDR's."""
        return statistics.median(a / b for a, b in zip(self.seconds, self.baseline_seconds))

    def failures(self):
        """What misses the target (slower than :data:`TARGET_RATIO`, or not optimal)."""
        out = []
        if self.ratio > TARGET_RATIO:
            out.append(f"clutter {self.ratio_db:g} dB: {self.ratio:.1f}x the SDR's time (target <= {TARGET_RATIO:g}x)")
        if any(status != "optimal" for status in self.statuses):
            out.append(f"clutter {self.ratio_db:g} dB: statuses {format_statuses(self.statuses)}")
        return out


def run_clutter_benchmark(n_instances=5, solver="structured", print_line=print, levels=CLUTTER_LEVELS_DB, study=None):
    """Time the clutter-aware designer against the SDR and print the table.

    Parameters
    ----------
    n_instances : int
        Seeded instances per clutter level; each is solved for Type-I and
        Type-II users in both scenarios by both designers.
    solver : str
        The clutter-aware designer's step solver.
    print_line : callable
    levels : sequence of float
        Clutter-to-target power ratios [dB].
    study : RobustnessStudy or None
        Its setting and clutter patch (default: the study's, at paper size).

    Returns
    -------
    list of ClutterTiming
    """
    from ..designers import ClutterAwareDesigner, SDRDesigner
    from ..detection import Detector
    from ..receivers import TypeI, TypeII
    from ..robustness import RobustnessStudy
    from ..scenario import realization_rng

    study = RobustnessStudy() if study is None else study
    aware, sdr = ClutterAwareDesigner(solver=solver), SDRDesigner()
    variants = [(receiver, synchronized) for receiver in (TypeI(), TypeII()) for synchronized in (True, False)]
    print_line(
        f"clutter-aware design time against the SDR's, L={study.config.n_cells}, Q={study.config.points_per_side ** 2}, "
        f"K={study.config.n_users_per_cell}, Nt={study.config.n_tx}, Gamma={study.config.sinr_target_db:g} dB, "
        f"{study.clutter_scene().n_scatterers} scatterers: {n_instances} instances x 4 variants per level; medians; "
        f"ratio = median of per-solve ratios (target <= {TARGET_RATIO:g}x); step solver {solver!r}"
    )
    print_line(f"{'clutter [dB]':>12} | {'SDR [s]':>8} | {'aware [s]':>9} | {'ratio':>6} | {'steps':>5} | statuses")
    timings = []
    for ratio_db in levels:
        echoes = study.clutter_echoes(ratio_db)
        runs = {"seconds": [], "baseline_seconds": [], "steps": [], "statuses": [], "baseline_statuses": []}
        for seed in range(n_instances):
            problem = study.config.build(realization_rng(seed, 0))
            for receiver, synchronized in variants:
                detector = Detector(synchronized=synchronized, clutter=echoes)
                seconds, design = timed(functools.partial(aware.design, problem, receiver, detector))
                baseline, blind = timed(functools.partial(sdr.design, problem, receiver, Detector(synchronized=synchronized)))
                runs["seconds"].append(seconds)
                runs["baseline_seconds"].append(baseline)
                runs["steps"].append(design.certificate.iterations)
                runs["statuses"].append(design.status)
                runs["baseline_statuses"].append(blind.status)
        timing = ClutterTiming(ratio_db=ratio_db, **{key: tuple(value) for key, value in runs.items()})
        timings.append(timing)
        print_line(f"{ratio_db:>12g} | {statistics.median(timing.baseline_seconds):>8.4f} | {statistics.median(timing.seconds):>9.4f} | "
                   f"{timing.ratio:>5.1f}x | {statistics.median(timing.steps):>5g} | {format_statuses(timing.statuses)}")
    print_line(f"peak memory (max RSS of this process): {peak_rss_mib():.0f} MiB")
    return timings
