"""`RobustnessStudy`: the paper's designs beyond its target, clutter and synchronization models.

A job for :func:`isacsim.simulation.run`. On the channels of the paper's
figures (:func:`isacsim.scenario.realization_rng`), it designs every scheme
(designer x receiver x scenario) and evaluates it under models the paper
leaves out:

``part == "target"`` (task ``r{r}-g{i}``, one per SINR target)
    pD (minimum over the sample points) under the deterministic, the
    Swerling I and the per-link Swerling I target (:mod:`isacsim.fluctuation`);
``part == "sync"`` (at the study's fixed SINR target)
    pD of every Scenario I design under residual phase errors of spread
    ``s`` (:mod:`isacsim.sync_errors`), with the error-aware and the
    error-blind detector;
``part == "crossover"`` (at the fixed SINR target)
    per Scenario I scheme and detector, the phase spread at which its pD
    falls to that of the same designer and receiver designed for Scenario
    II (found by a root finder on the closed forms; empty if it never
    does): where the cross links stop paying;
``part == "roc"`` (at the fixed SINR target)
    the area's ROC of the proposed Type-II designs under the three target
    models, and in realization 0 the Monte Carlo counts at the worst point
    (:mod:`isacsim.roc`);
``part == "clutter"`` (task ``r{r}-c{i}``, one per clutter level)
    with a clutter patch of total power ``clutter_to_target_db`` relative
    to the target's (:mod:`isacsim.clutter`): pD with the whitened detector
    and with the clutter-blind one (threshold that holds pFA), the pFA of the
    paper's threshold, and the pD guaranteed by the SCNR bound, for the
    paper's (clutter-blind) designs and the clutter-aware design
    (:mod:`isacsim.designers.clutter_aware`).

Every random stream derives from ``(seed, realization, ...)``, so the
results do not depend on the number of workers or on task order; no timing
is recorded, so two runs write the same files.
"""
from __future__ import annotations

import math
import zlib
from collections import defaultdict

import attrs
import numpy as np

from .. import __version__
from .. import validation as v
from ..blas import single_threaded_blas
from ..clutter import COHERENCES, ClutterEchoes, ClutterScene
from ..clutter.scnr import clutter_statistics
from ..designers.design import USABLE_STATUSES, reported_detection_probability
from ..detection import Detector
from ..errors import InputError
from ..fluctuation import TARGET_MODELS
from ..guard import run_designer
from ..roc import roc_curve
from ..scenario import ScenarioConfig, realization_rng
from ..simulation.aggregate import as_float
from ..simulation.schemes import PAPER_SCHEMES, Scheme
from ..stats import mean_interval, q_function, q_inverse, wilson_interval
from ..sync_errors import SyncErrors
from ..units import linear_to_db

__all__ = ["RobustnessStudy", "CLUTTER_AWARE_SCHEMES", "ROC_SCHEMES", "PHASE_SPREADS", "CLUTTER_RATIOS_DB", "ROC_P_FA"]

#: Phase spreads s of the synchronization part (0: Scenario I; 1: uniform phases).
PHASE_SPREADS = tuple(round(0.1 * k, 1) for k in range(11))
#: Clutter-to-target power ratios [dB].
CLUTTER_RATIOS_DB = (-10.0, 0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0)
#: The clutter-aware design for both receivers, in both scenarios.
CLUTTER_AWARE_SCHEMES = tuple(Scheme("clutter-aware", r, s) for s in (True, False) for r in ("type-i", "type-ii"))
#: The designs whose ROC is recorded.
ROC_SCHEMES = (Scheme("sdr", "type-ii", True), Scheme("sdr", "type-ii", False))
#: pFA grid of the ROC part.
ROC_P_FA = (1e-6, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.2, 0.3, 0.5)
#: The synchronization part's two detectors.
SYNC_DETECTORS = ("aware", "blind")
#: First ``SeedSequence`` key of the Monte Carlo streams (channels use ``(seed, r)``).
_MC_KEY = 0x524F43

_KEYS = ("task", "realization", "seed", "part", "scenario", "designer", "receiver", "status", "reason")
_COLUMNS = _KEYS + (
    "sinr_target_db", "target_model", "phase_spread", "sync_detector", "clutter_to_target_db", "p_fa",
    "p_d", "worst_point", "p_d_matched", "p_fa_paper_threshold", "p_d_guaranteed", "scnr_bound_db", "steps",
    "mc_trials", "mc_detections", "mc_false_alarms",
)
_SUMMARY = (
    "part", "scenario", "designer", "receiver", "variant", "x_name", "x", "n_realizations", "n_ok", "n_infeasible", "n_error",
    "p_d_mean", "p_d_low", "p_d_high", "p_d_matched_mean", "p_fa_paper_threshold_mean", "p_d_guaranteed_mean",
    "scnr_bound_db_mean", "steps_mean", "crossover_mean", "crossover_low", "crossover_high", "n_crossing", "p_d_first",
    "mc_trials", "mc_p_d", "mc_p_d_low", "mc_p_d_high", "mc_p_fa", "mc_p_fa_low", "mc_p_fa_high",
)


def _floats(name):
    def convert(values):
        try:
            out = tuple(float(x) for x in values)
        except (TypeError, ValueError):
            raise InputError(f"{name}: expected a sequence of numbers, got {values!r}") from None
        if not out or not all(math.isfinite(x) for x in out):
            raise InputError(f"{name}: expected a non-empty sequence of finite numbers, got {values!r}")
        return out

    return convert


def _spreads(instance, attribute, value):
    if not all(0.0 <= s <= 1.0 for s in value):
        raise InputError(f"{attribute.name}: expected spreads in [0, 1], got {value!r}")


def _probabilities(instance, attribute, value):
    if not all(0.0 < p < 1.0 for p in value):
        raise InputError(f"{attribute.name}: expected probabilities in (0, 1), got {value!r}")


def _coherence(instance, attribute, value):
    if value not in COHERENCES:
        raise InputError(f"{attribute.name}: expected one of {', '.join(COHERENCES)}, got {value!r}")


def _key(*parts):
    """A stable integer of some names, for the Monte Carlo streams."""
    return zlib.crc32("/".join(str(p) for p in parts).encode())


@attrs.frozen(kw_only=True)
class RobustnessStudy:
    """The paper's designs under fluctuating targets, clutter and partial synchronization.

    Parameters
    ----------
    config : ScenarioConfig
        The setting; its ``sinr_target_db`` is the fixed SINR target of the
        synchronization, ROC and clutter parts (and must be one of
        ``sinr_values_db``).
    sinr_values_db : tuple of float
        SINR targets of the target part [dB].
    phase_spreads : tuple of float
        Phase spreads s in [0, 1].
    clutter_ratios_db : tuple of float
        Total clutter power relative to the target's (``sum_c rcs_c^2 /
        rcs^2``) [dB].
    clutter_side_m, clutter_points_per_side, clutter_exclude_m : float, int, float
        The clutter patch: a square of this side around the target area,
        sampled into a grid, without the points inside a centred square of
        side ``clutter_exclude_m`` (:meth:`ClutterScene.patch`).
    clutter_symbol_rate_hz : float
        Symbol rate for the range gating of the clutter (0: none).
    clutter_coherence : {"common", "links"}
    schemes : tuple of Scheme
        The clutter-blind designs (the paper's).
    clutter_aware_schemes : tuple of Scheme
        Designs made for the clutter (part ``clutter`` only).
    roc_schemes : tuple of Scheme
    roc_p_fa : tuple of float
    roc_trials : int
        Monte Carlo trials per hypothesis and point of the ROC (realization 0).
    clutter_aware_options : dict
        Fields of the clutter-aware designer (e.g. its ``solver``).
    n_realizations : int
    seed : int
    """

    config: ScenarioConfig = attrs.field(factory=lambda: ScenarioConfig(sinr_target_db=15.0))
    # Converters made by a factory: mypy's attrs plugin follows only named functions and
    # lambdas, so these fields' __init__ parameters are typed Any.
    sinr_values_db: tuple = attrs.field(default=(0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0), converter=_floats("sinr_values_db"))  # type: ignore[misc]
    phase_spreads: tuple = attrs.field(default=PHASE_SPREADS, converter=_floats("phase_spreads"), validator=_spreads)  # type: ignore[misc]
    clutter_ratios_db: tuple = attrs.field(default=CLUTTER_RATIOS_DB, converter=_floats("clutter_ratios_db"))  # type: ignore[misc]
    clutter_side_m: float = attrs.field(default=20.0, validator=v.positive)
    clutter_points_per_side: int = attrs.field(default=9, validator=v.integer_at_least(2))
    clutter_exclude_m: float = attrs.field(default=2.5, validator=v.non_negative)
    clutter_symbol_rate_hz: float = attrs.field(default=20e6, validator=v.non_negative)
    clutter_coherence: str = attrs.field(default="common", validator=_coherence)
    schemes: tuple = attrs.field(default=PAPER_SCHEMES, converter=v.as_tuple)
    clutter_aware_schemes: tuple = attrs.field(default=CLUTTER_AWARE_SCHEMES, converter=v.as_tuple)
    roc_schemes: tuple = attrs.field(default=ROC_SCHEMES, converter=v.as_tuple)
    roc_p_fa: tuple = attrs.field(default=ROC_P_FA, converter=_floats("roc_p_fa"), validator=_probabilities)  # type: ignore[misc]
    roc_trials: int = attrs.field(default=100_000, validator=v.integer_at_least(1))
    clutter_aware_options: dict = attrs.field(factory=dict, converter=lambda value: dict(value or {}))
    n_realizations: int = attrs.field(default=20, validator=v.integer_at_least(1))
    seed: int = attrs.field(default=2024, validator=v.integer_at_least(0))

    columns = _COLUMNS
    summary_columns = _SUMMARY

    def __attrs_post_init__(self):
        if self.config.sinr_target_db not in self.sinr_values_db:
            raise InputError(f"config.sinr_target_db: expected one of sinr_values_db {self.sinr_values_db}, "
                             f"got {self.config.sinr_target_db!r}")
        for scheme in (*self.schemes, *self.clutter_aware_schemes, *self.roc_schemes):
            scheme.make()  # unknown names fail now, not in every task
        self._clutter_designer()

    def describe(self):
        """JSON-friendly description; equal descriptions mean equal results."""
        fields = attrs.asdict(self, recurse=False)
        fields.update(config=self.config.as_dict(), kind="robustness", isacsim=__version__)
        for name in ("schemes", "clutter_aware_schemes", "roc_schemes"):
            fields[name] = [attrs.asdict(s) for s in fields[name]]
        for name in ("sinr_values_db", "phase_spreads", "clutter_ratios_db", "roc_p_fa"):
            fields[name] = list(fields[name])
        return fields

    # ------------------------------------------------------------------ tasks
    def tasks(self):
        """``r{r}-g{i}`` (the i-th SINR target) and ``r{r}-c{i}`` (the i-th clutter level) for every realization."""
        return [f"r{r}-{kind}{i}" for r in range(self.n_realizations)
                for kind, values in (("g", self.sinr_values_db), ("c", self.clutter_ratios_db)) for i in range(len(values))]

    @staticmethod
    def _parse(task):
        realization, rest = task[1:].split("-", 1)
        return int(realization), rest[0], int(rest[1:])

    def _fixed(self, index):
        return self.sinr_values_db[index] == self.config.sinr_target_db

    def _sync_schemes(self):
        return [s for s in self.schemes if s.synchronized]

    def rows_per_task(self, task):
        """See the module notes: per scheme and model, spread, pFA or clutter level."""
        _, kind, index = self._parse(task)
        if kind == "c":
            return len(self.schemes) + len(self.clutter_aware_schemes)
        rows = len(self.schemes) * len(TARGET_MODELS)
        if self._fixed(index):
            rows += len(self._sync_schemes()) * (len(self.phase_spreads) + 1) * len(SYNC_DETECTORS)
            rows += len(self.roc_schemes) * len(TARGET_MODELS) * len(self.roc_p_fa)
        return rows

    def run_task(self, task):
        """Design and evaluate one realization at one SINR target or clutter level."""
        realization, kind, index = self._parse(task)
        base = {"task": task, "realization": realization, "seed": self.seed}
        with single_threaded_blas():  # many small matrices: threads only cost (the workers are the parallelism)
            if kind == "c":
                return self._clutter_rows(base, realization, self.clutter_ratios_db[index])
            return self._target_rows(base, realization, self.sinr_values_db[index], self._fixed(index))

    # --------------------------------------------------------------- designs
    def _designs(self, problem, schemes, detector_of=None):
        """``{scheme: (design or None, status, reason)}``; a failure never escapes."""
        out = {}
        for scheme in schemes:
            try:
                designer, receiver, detector = scheme.make()
                if detector_of is not None:
                    designer, detector = detector_of(scheme, detector)
                design = run_designer(designer, problem, receiver, detector)
                out[scheme] = (design if design.status in USABLE_STATUSES else None, design.status, design.reason)
            except Exception as error:  # noqa: BLE001 - a failed point never kills the study
                out[scheme] = (None, "error", f"{type(error).__name__}: {error}")
        return out

    @staticmethod
    def _scheme_fields(scheme, status, reason):
        return {"scenario": scheme.scenario, "designer": scheme.designer, "receiver": scheme.receiver, "status": status, "reason": reason}

    def _target_rows(self, base, realization, sinr_db, fixed):
        problem = self.config.evolve(sinr_target_db=sinr_db).build(realization_rng(self.seed, realization))
        designs = self._designs(problem, self.schemes)
        rows = []
        for scheme, (design, status, reason) in designs.items():
            for model in TARGET_MODELS:
                row = {**base, **self._scheme_fields(scheme, status, reason), "part": "target", "sinr_target_db": sinr_db, "target_model": model}
                rows.append(self._evaluated(row, design, status, problem, Detector(synchronized=scheme.synchronized, target=model)))
        if not fixed:
            return rows
        for scheme in self._sync_schemes():
            design, status, reason = designs[scheme]
            for spread in self.phase_spreads:
                for name in SYNC_DETECTORS:
                    detector = Detector(sync_errors=SyncErrors(phase_spread=spread, aware=name == "aware"))
                    row = {**base, **self._scheme_fields(scheme, status, reason), "part": "sync", "sinr_target_db": sinr_db,
                           "phase_spread": spread, "sync_detector": name}
                    rows.append(self._evaluated(row, design, status, problem, detector))
            partner = designs.get(attrs.evolve(scheme, synchronized=False)) or self._designs(problem, [attrs.evolve(scheme, synchronized=False)])[
                attrs.evolve(scheme, synchronized=False)]
            for name in SYNC_DETECTORS:
                row = {**base, **self._scheme_fields(scheme, status, reason), "part": "crossover", "sinr_target_db": sinr_db,
                       "sync_detector": name}
                rows.append(self._crossover(row, design, partner, problem, name == "aware"))
        for scheme in self.roc_schemes:
            design, status, reason = designs.get(scheme) or self._designs(problem, [scheme])[scheme]
            for model in TARGET_MODELS:
                rows.extend(self._roc_rows(base, realization, scheme, model, design, status, reason, problem, sinr_db))
        return rows

    def _evaluated(self, row, design, status, problem, detector):
        """``row`` with the minimum pD of ``design`` under ``detector`` (or the status's convention)."""
        if design is None:
            return {**row, "p_d": reported_detection_probability(status, math.nan)}
        try:
            p_d = detector.detection_probability(problem, design.w, design.R)
        except Exception as error:  # noqa: BLE001
            return {**row, "status": "error", "reason": f"{type(error).__name__}: {error}", "p_d": math.nan}
        return {**row, "p_d": float(p_d.min()), "worst_point": int(np.argmin(p_d))}

    @staticmethod
    def _crossover(row, design, partner, problem, aware):
        """``row`` with the phase spread where ``design``'s pD falls to its Scenario II ``partner``'s (``p_d``)."""
        from scipy.optimize import brentq

        other, other_status, _ = partner
        if design is None or other is None:
            status = row["status"] if design is None else other_status
            return {**row, "status": status if status != "optimal" else "error", "reason": row["reason"] or "no Scenario II partner design"}
        level = float(Detector(synchronized=False).detection_probability(problem, other.w, other.R).min())

        def excess(spread):
            detector = Detector(sync_errors=SyncErrors(phase_spread=spread, aware=aware))
            return float(detector.detection_probability(problem, design.w, design.R).min()) - level

        row = {**row, "p_d": level}
        if excess(1.0) >= 0.0:  # never falls below: the cross links pay at every spread
            return row
        if excess(0.0) <= 0.0:
            return {**row, "phase_spread": 0.0}
        return {**row, "phase_spread": brentq(excess, 0.0, 1.0, xtol=1e-5)}

    def _roc_rows(self, base, realization, scheme, model, design, status, reason, problem, sinr_db):
        fields = {**base, **self._scheme_fields(scheme, status, reason), "part": "roc", "sinr_target_db": sinr_db, "target_model": model}
        if design is None:
            return [{**fields, "p_fa": p, "p_d": reported_detection_probability(status, math.nan)} for p in self.roc_p_fa]
        detector = Detector(synchronized=scheme.synchronized, target=model)
        curve = roc_curve(detector, problem, design.w, design.R, self.roc_p_fa)
        counts = None
        if realization == 0:  # Monte Carlo at the worst point of each pFA, one channel draw
            from ..detector_mc import simulate_statistics

            stream = np.random.SeedSequence(self.seed, spawn_key=(_MC_KEY, realization, _key(scheme.designer, scheme.receiver, scheme.scenario, model)))
            counts = simulate_statistics(detector, problem, design.w, design.R, curve.thresholds, n_trials=self.roc_trials,
                                         rng=np.random.default_rng(stream))
        rows = []
        for column, p in enumerate(self.roc_p_fa):
            worst = int(curve.worst_point[column])
            row = {**fields, "p_fa": p, "p_d": float(curve.area_p_d[column]), "worst_point": worst}
            if counts is not None:
                row.update(mc_trials=counts.n_trials, mc_detections=int(counts.alternative[worst, column]),
                           mc_false_alarms=int(counts.null[worst, column]))
            rows.append(row)
        return rows

    # ---------------------------------------------------------------- clutter
    def clutter_scene(self):
        """The clutter patch at unit total power (the target's ``rcs^2`` is ``config.rcs^2``)."""
        return ClutterScene.patch(side=self.clutter_side_m, n_per_side=self.clutter_points_per_side, total_power=1.0,
                                  exclude_side=self.clutter_exclude_m, coherence=self.clutter_coherence)

    def clutter_echoes(self, ratio_db):
        """The clutter's arrays at ``ratio_db`` (clutter power over the target's [dB])."""
        rate = self.clutter_symbol_rate_hz
        echoes = ClutterEchoes.from_config(self.config, self.clutter_scene(), symbol_duration=1.0 / rate if rate > 0 else None)
        return echoes.scaled(self.config.rcs**2 * 10.0 ** (ratio_db / 10.0))

    def _clutter_designer(self):
        from ..designers.clutter_aware import ClutterAwareDesigner

        try:
            return ClutterAwareDesigner(**self.clutter_aware_options)
        except TypeError as error:
            raise InputError(f"clutter_aware_options: {error}") from None

    def _clutter_rows(self, base, realization, ratio_db):
        problem = self.config.build(realization_rng(self.seed, realization))
        echoes = self.clutter_echoes(ratio_db)
        designer = self._clutter_designer()
        blind = self._designs(problem, self.schemes)
        aware = self._designs(problem, self.clutter_aware_schemes,
                              lambda scheme, detector: (designer, attrs.evolve(detector, clutter=echoes)))
        rows = []
        for scheme, (design, status, reason) in {**blind, **aware}.items():
            row = {**base, **self._scheme_fields(scheme, status, reason), "part": "clutter", "sinr_target_db": self.config.sinr_target_db,
                   "clutter_to_target_db": ratio_db}
            if scheme in aware and design is not None:
                row["steps"] = design.certificate.iterations
            rows.append(self._clutter_evaluated(row, design, status, problem, echoes, scheme))
        return rows

    def _clutter_evaluated(self, row, design, status, problem, echoes, scheme):
        if design is None:
            return {**row, "p_d": reported_detection_probability(status, math.nan)}
        p_fa = problem.p_fa
        try:
            detector = Detector(synchronized=scheme.synchronized, clutter=echoes)
            stats = clutter_statistics(problem, echoes, detector, design.w, design.R)
            p_d, matched = (law.p_detect(law.threshold(p_fa))
                            for law in (detector.clutter_law(stats), attrs.evolve(detector, clutter_aware=False).clutter_law(stats)))
        except Exception as error:  # noqa: BLE001
            return {**row, "status": "error", "reason": f"{type(error).__name__}: {error}", "p_d": math.nan}
        paper_threshold = q_inverse(p_fa) * np.sqrt(problem.sigma_d2 * stats.energy / (problem.sigma_d2 * stats.energy + stats.clutter_at_filter))
        return {
            **row,
            "p_d": float(p_d.min()),
            "worst_point": int(np.argmin(p_d)),
            "p_d_matched": float(matched.min()),
            "p_fa_paper_threshold": float(q_function(paper_threshold).max()),
            "p_d_guaranteed": float(q_function(q_inverse(p_fa) - np.sqrt(2.0 * stats.scnr_bound)).min()),
            "scnr_bound_db": float(linear_to_db(stats.scnr_bound.min())),
        }

    # --------------------------------------------------------------- summary
    def summarize(self, rows):
        """Summary rows; see :func:`summarize_robustness`."""
        return summarize_robustness(rows)


_X = {"target": ("sinr_target_db", "target_model"), "sync": ("phase_spread", "sync_detector"),
      "crossover": ("sinr_target_db", "sync_detector"), "roc": ("p_fa", "target_model"), "clutter": ("clutter_to_target_db", None)}


def summarize_robustness(rows):
    """One summary row per (part, scheme, variant, swept value), and the sync crossovers.

    ``p_d_mean`` is the mean over realizations of each design's minimum pD
    (infeasible designs count 0, errors are left out) with its 95 % t
    interval; the ROC part's ``p_d_first`` is the first realization's
    closed form, which its Monte Carlo rates (99.9 % Wilson intervals) check. For every Scenario I scheme and synchronization
    detector, a ``crossover`` row gives in ``x`` the phase spread at which
    its mean pD falls to that of the same designer and receiver designed for
    Scenario II (linear interpolation; NaN if it never does): where the
    cross links stop paying.

    Parameters
    ----------
    rows : iterable of dict
        ``results.csv`` rows (typed, or strings as read back).

    Returns
    -------
    list of dict
    """
    groups = defaultdict(list)
    for row in rows:
        x_name, variant_name = _X[row["part"]]
        groups[row["part"], row["scenario"], row["designer"], row["receiver"], row[variant_name] if variant_name else "whitened",
               x_name, as_float(row[x_name])].append(row)
    order = {"target": 0, "sync": 1, "crossover": 2, "roc": 3, "clutter": 4}
    summary = []
    for key in sorted(groups, key=lambda k: (order[k[0]], k[1], k[2], k[3], str(k[4]), k[6])):
        group = sorted(groups[key], key=lambda r: int(r["realization"]))
        part, scenario, designer, receiver, variant, x_name, x = key
        status = [r["status"] for r in group]
        counted = [reported_detection_probability(s, as_float(r["p_d"])) for r, s in zip(group, status) if s != "error"]
        mean, low, high = mean_interval(counted)
        usable = [r for r, s in zip(group, status) if s in ("optimal", "inaccurate")]
        entry = {"part": part, "scenario": scenario, "designer": designer, "receiver": receiver, "variant": variant,
                 "x_name": x_name, "x": x, "n_realizations": len(group), "n_ok": status.count("optimal"),
                 "n_infeasible": status.count("infeasible"), "n_error": status.count("error"),
                 "p_d_mean": mean, "p_d_low": _clip(low), "p_d_high": _clip(high)}
        for field in ("p_d_matched", "p_fa_paper_threshold", "p_d_guaranteed", "scnr_bound_db", "steps"):
            values = [as_float(r[field]) for r in usable if r.get(field, "") not in ("", None)]
            entry[f"{field}_mean"] = float(np.mean(values)) if values else math.nan
        entry["p_d_first"] = as_float(group[0]["p_d"]) if part == "roc" else math.nan
        crossings = [as_float(r["phase_spread"]) for r in usable if part == "crossover" and r.get("phase_spread", "") not in ("", None)]
        entry["crossover_mean"], entry["crossover_low"], entry["crossover_high"] = mean_interval(crossings)
        entry["n_crossing"] = len(crossings) if part == "crossover" else math.nan
        counted_mc = [r for r in usable if r.get("mc_trials", "") not in ("", None)]
        entry["mc_trials"] = sum(int(as_float(r["mc_trials"])) for r in counted_mc) if counted_mc else math.nan
        for rate, field in (("mc_p_d", "mc_detections"), ("mc_p_fa", "mc_false_alarms")):
            if counted_mc:
                hits, trials = sum(int(as_float(r[field])) for r in counted_mc), sum(int(as_float(r["mc_trials"])) for r in counted_mc)
                interval = wilson_interval(hits, trials, 0.999)
                entry.update({rate: hits / trials, f"{rate}_low": float(interval[0]), f"{rate}_high": float(interval[1])})
            else:
                entry.update({rate: math.nan, f"{rate}_low": math.nan, f"{rate}_high": math.nan})
        summary.append(entry)
    return summary


def _clip(bound):
    return min(max(bound, 0.0), 1.0) if math.isfinite(bound) else bound
