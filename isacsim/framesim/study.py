"""`FiniteNStudy`: detection and SINR of designs against the frame length N.

A job for :func:`isacsim.simulation.run`: for every channel realization and
every N it designs each scheme (designer x receiver x scenario) on the same
channels as the paper's figures (:func:`isacsim.scenario.realization_rng`)
and simulates its frames with :func:`~isacsim.framesim.simulate_frames`.
Every random stream of the frames derives from ``(seed, realization, N,
scheme)`` through ``numpy.random.SeedSequence`` (:func:`frame_seed`), so the
results do not depend on the number of workers or on task order.

``results.csv`` has two kinds of rows per (realization, N, scheme):

* ``kind == "point"``, one per sample point: closed-form E and pD, and per
  threshold (asymptotic, calibrated, per-frame) the frames over threshold
  under H1 (``detections_*``) and H0 (``false_alarms_*``) out of
  ``n_trials``, with the conditional-probability estimates ``p_d_conditional_*``
  and ``p_fa_conditional_*``; ``worst_point`` marks the point of lowest
  closed-form pD (the design's objective);
* ``kind == "user"``, one per user and evaluated receiver (``cu_receiver``:
  Type-I, no cancellation; Type-II, the sensing waveform cancelled): the
  closed-form SINR of eq. (3)/(4) and the distribution of the empirical
  SINR over the frames.
"""
from __future__ import annotations

import math
import zlib
from collections import defaultdict

import attrs
import numpy as np

from .. import __version__
from ..designers.design import USABLE_STATUSES
from ..errors import InputError
from ..guard import run_designer
from .. import validation as v
from ..receivers import TypeI, TypeII
from ..scenario import ScenarioConfig, realization_rng, realization_seed
from ..simulation.aggregate import as_float
from ..simulation.schemes import Scheme, describe_schemes, require_schemes
from ..stats import wilson_interval
from ..units import linear_to_db
from .lrt import THRESHOLDS
from .registry import get_alphabet, get_sensing
from .simulate import frame_seed, simulate_frames

__all__ = ["FiniteNStudy", "PROPOSED_SCHEMES", "FRAME_LENGTHS"]

#: The study's frame lengths N.
FRAME_LENGTHS = (16, 64, 256, 1024, 4096)
#: The proposed design for both receivers, in both scenarios.
PROPOSED_SCHEMES = tuple(Scheme("sdr", receiver, synchronized) for synchronized in (True, False) for receiver in ("type-i", "type-ii"))
#: The receivers whose empirical SINR every design reports.
CU_RECEIVERS = (TypeI(), TypeII())
#: First ``SeedSequence`` key of the frames (channel draws use ``(seed, r)``).
_FRAME_KEY = 0x46524D

_KEYS = ("task", "realization", "seed", "n_symbols", "scenario", "designer", "receiver", "status", "reason", "kind", "index", "method")
_COLUMN = {name: name.replace("-", "_") for name in THRESHOLDS}
_POINT = (
    "worst_point", "reflected_power_w", "p_d_closed", "n_trials",
    *(f"threshold_{_COLUMN[name]}_w" for name in THRESHOLDS if name != "per-frame"),
    *(f"{field}_{_COLUMN[name]}" for name in THRESHOLDS for field in ("detections", "false_alarms", "p_d_conditional", "p_fa_conditional")),
)
_USER = ("cu_receiver", "sinr_target_db", "sinr_closed_db", "sinr_mean_db", "sinr_median_db", "sinr_p05_db", "frames_below_target")


def _as_lengths(values):
    try:
        lengths = tuple(int(x) for x in values if int(x) == x)
    except (TypeError, ValueError):
        lengths = ()
    if not lengths or len(lengths) != len(values) or min(lengths) < 1:
        raise InputError(f"n_symbols: expected a non-empty sequence of integers >= 1, got {v.shown(values)}")
    return lengths


def _scheme_key(scheme):
    """A stable integer of a scheme for its random streams (independent of its position)."""
    return zlib.crc32(f"{scheme.designer}/{scheme.receiver}/{scheme.scenario}".encode())


@attrs.frozen(kw_only=True)
class FiniteNStudy:
    """pD, pFA and the users' SINR of designs against the frame length N.

    Parameters
    ----------
    config : ScenarioConfig
        The fixed setting (the study uses Fig. 3's at Gamma = 15 dB).
    n_symbols : tuple of int
        Frame lengths N.
    schemes : tuple of Scheme
        Designs to simulate.
    n_realizations : int
        Channel realizations.
    n_trials : int
        Frames per hypothesis, realization, N and scheme (and as many H0
        frames to calibrate the threshold).
    alphabet, sensing : str
        Registered symbol alphabet and sensing waveform.
    seed : int
        Root seed of channels and frames.
    confidence : float
        Level of the Wilson intervals in the summary.
    """

    config: ScenarioConfig = attrs.field(factory=ScenarioConfig)
    n_symbols: tuple = attrs.field(default=FRAME_LENGTHS, converter=_as_lengths)
    schemes: tuple = attrs.field(default=PROPOSED_SCHEMES, converter=v.as_tuple)
    n_realizations: int = attrs.field(default=20, validator=v.integer_at_least(1))
    n_trials: int = attrs.field(default=10_000, validator=v.integer_at_least(1))
    alphabet: str = "gaussian"
    sensing: str = "gaussian"
    seed: int = attrs.field(default=2024, validator=v.integer_at_least(0))
    confidence: float = attrs.field(default=0.999, validator=v.open_unit_interval)

    columns = _KEYS + _POINT + _USER
    summary_columns = (
        "scenario", "designer", "receiver", "n_symbols", "n_realizations", "n_ok", "p_d_closed",
        *(f"{rate}_{_COLUMN[name]}{suffix}" for name in THRESHOLDS for rate in ("p_d", "p_fa") for suffix in ("", "_low", "_high", "_conditional")),
        "p_d_gap", "p_d_gap_low", "p_d_gap_high", "p_d_gap_conditional", "sinr_target_db",
        *(f"{field}_{r.name.replace('-', '_')}" for r in CU_RECEIVERS
          for field in ("sinr_closed_db", "sinr_mean_db", "sinr_p05_db", "sinr_p05_min_db", "frames_below_target")),
    )

    def __attrs_post_init__(self):
        require_schemes(self.schemes)
        get_alphabet(self.alphabet), get_sensing(self.sensing)  # unknown names fail now, not in every task
        for scheme in self.schemes:
            scheme.make()

    def describe(self):
        """JSON-friendly description; equal descriptions mean equal results."""
        return {
            "kind": "finite-n",
            "config": self.config.as_dict(),
            "n_symbols": list(self.n_symbols),
            **describe_schemes(self.schemes, others=(("alphabet", self.alphabet), ("sensing", self.sensing))),
            "n_realizations": self.n_realizations,
            "n_trials": self.n_trials,
            "alphabet": self.alphabet,
            "sensing": self.sensing,
            "seed": self.seed,
            "confidence": self.confidence,
            "isacsim": __version__,
        }

    # ------------------------------------------------------------------ tasks
    def tasks(self):
        """Task ids ``"r{realization}-n{N}"``."""
        return [f"r{r}-n{n}" for r in range(self.n_realizations) for n in self.n_symbols]

    def size(self):
        """``(tasks, result rows)`` of the whole study, counted without listing them."""
        n_tasks = self.n_realizations * len(self.n_symbols)
        return n_tasks, n_tasks * self.rows_per_task("")

    def _shape(self):
        config = self.config
        return config.points_per_side**2, config.n_cells * config.n_users_per_cell

    def rows_per_task(self, task):
        """Per scheme: one row per sample point and one per user and evaluated receiver."""
        n_points, n_users = self._shape()
        return len(self.schemes) * (n_points + n_users * len(CU_RECEIVERS))

    def run_task(self, task):
        """Design every scheme on realization r and simulate its frames of N symbols.

        Returns
        -------
        list of dict
            :meth:`rows_per_task` rows; a scheme whose design failed or was
            infeasible gets rows with that status and no numbers.
        """
        realization, n_symbols = (int(part) for part in task[1:].split("-n"))
        problem = self.config.build(realization_rng(self.seed, realization))
        rows = []
        for scheme in self.schemes:
            base = {"task": task, "realization": realization, "seed": realization_seed(self.seed, realization), "n_symbols": n_symbols,
                    "scenario": scheme.scenario, "designer": scheme.designer, "receiver": scheme.receiver}
            try:
                designer, receiver, detector = scheme.make()
                design = run_designer(designer, problem, receiver, detector)
                if not design.usable:
                    rows.extend(self._empty_rows({**base, "status": design.status, "reason": design.reason}))
                    continue
                result = simulate_frames(
                    problem, design, n_symbols=n_symbols, n_trials=self.n_trials, alphabet=self.alphabet, sensing=self.sensing,
                    receivers=CU_RECEIVERS, seed=frame_seed(self.seed, _FRAME_KEY, realization, n_symbols, _scheme_key(scheme)),
                )
            except Exception as error:  # noqa: BLE001 - a failed point never kills the study
                rows.extend(self._empty_rows({**base, "status": "error", "reason": f"{type(error).__name__}: {error}"}))
                continue
            base.update(status=design.status, reason=design.reason, method=result.method)
            rows.extend(_point_rows(base, result))
            rows.extend(_user_rows(base, result, problem))
        return rows

    def _empty_rows(self, base):
        n_points, n_users = self._shape()
        points = [{**base, "kind": "point", "index": q} for q in range(n_points)]
        users = [{**base, "kind": "user", "index": u, "cu_receiver": r.name} for u in range(n_users) for r in CU_RECEIVERS]
        return points + users

    def summarize(self, rows):
        """One summary row per (scenario, designer, receiver, N); see :func:`summarize_finite_n`."""
        return summarize_finite_n(rows, self.confidence)


def _point_rows(base, result):
    worst = int(np.argmin(result.p_d_closed))
    rows = []
    for q in range(result.p_d_closed.size):
        row = {**base, "kind": "point", "index": q, "worst_point": q == worst, "reflected_power_w": result.reflected_power[q],
               "p_d_closed": result.p_d_closed[q], "n_trials": result.n_trials}
        for name, values in result.thresholds.items():
            row[f"threshold_{_COLUMN[name]}_w"] = values[q]
        for name in result.detections:
            column = _COLUMN[name]
            row.update({
                f"detections_{column}": int(result.detections[name][q]),
                f"false_alarms_{column}": int(result.false_alarms[name][q]),
                f"p_d_conditional_{column}": result.p_d_conditional[name][q],
                f"p_fa_conditional_{column}": result.p_fa_conditional[name][q],
            })
        rows.append(row)
    return rows


def _user_rows(base, result, problem):
    rows = []
    gamma = problem.gamma.ravel()
    for receiver in CU_RECEIVERS:
        samples = result.sinr[receiver.name].reshape(result.n_trials, -1)
        closed = result.sinr_closed[receiver.name].ravel()
        for u in range(samples.shape[1]):
            values = samples[:, u]
            rows.append({
                **base, "kind": "user", "index": u, "cu_receiver": receiver.name,
                "sinr_target_db": float(linear_to_db(gamma[u])),
                "sinr_closed_db": float(linear_to_db(closed[u])),
                "sinr_mean_db": float(linear_to_db(values.mean())),
                "sinr_median_db": float(linear_to_db(np.median(values))),
                "sinr_p05_db": float(linear_to_db(np.percentile(values, 5))),
                "frames_below_target": float(np.mean(values < gamma[u])),
            })
    return rows


def summarize_finite_n(rows, confidence=0.999):
    """Summary rows, one per (scenario, designer, receiver, N).

    Detection numbers are those of each realization's worst point (lowest
    closed-form pD, the design's objective), pooled over the realizations
    with a design: ``p_d_closed`` is the mean closed form; ``p_d_*`` and
    ``p_fa_*`` the pooled rates with their Wilson intervals at
    ``confidence`` (conservative for the mean over realizations), and
    ``*_conditional`` the mean conditional-probability estimates;
    ``p_d_gap`` is ``p_d_asymptotic - p_d_closed`` with the Wilson bounds
    shifted alike. SINR numbers average the per-user, per-realization
    frame statistics (``sinr_p05_min_db``: the worst user's 5th percentile).

    Parameters
    ----------
    rows : iterable of dict
        ``results.csv`` rows (typed, or strings as read back).
    confidence : float

    Returns
    -------
    list of dict
    """
    groups = defaultdict(list)
    for row in rows:
        groups[row["scenario"], row["designer"], row["receiver"], int(row["n_symbols"])].append(row)
    order = {"sync": 0, "unsync": 1}
    summary = []
    for key in sorted(groups, key=lambda k: (order.get(k[0], 2), k[1], k[2], k[3])):
        group = sorted(groups[key], key=lambda r: (int(r["realization"]), r["kind"], int(r["index"]), r.get("cu_receiver", "")))
        realizations = {int(r["realization"]) for r in group}
        usable = [r for r in group if r["status"] in USABLE_STATUSES]
        worst = [r for r in usable if r["kind"] == "point" and str(r["worst_point"]) == "True"]
        entry = dict(zip(("scenario", "designer", "receiver", "n_symbols"), key))
        entry.update(n_realizations=len(realizations), n_ok=len(worst))
        entry.update(_detection_summary(worst, confidence))
        users = [r for r in usable if r["kind"] == "user"]
        entry["sinr_target_db"] = float(np.mean([as_float(r["sinr_target_db"]) for r in users])) if users else math.nan
        for receiver in CU_RECEIVERS:
            mine = [r for r in users if r["cu_receiver"] == receiver.name]
            suffix = receiver.name.replace("-", "_")
            for field in ("sinr_closed_db", "sinr_mean_db", "sinr_p05_db", "frames_below_target"):
                entry[f"{field}_{suffix}"] = float(np.mean([as_float(r[field]) for r in mine])) if mine else math.nan
            entry[f"sinr_p05_min_db_{suffix}"] = float(min(as_float(r["sinr_p05_db"]) for r in mine)) if mine else math.nan
        summary.append(entry)
    return summary


def _detection_summary(worst, confidence):
    out = {"p_d_closed": float(np.mean([as_float(r["p_d_closed"]) for r in worst])) if worst else math.nan}
    trials = sum(int(as_float(r["n_trials"])) for r in worst)
    for name in THRESHOLDS:
        column = _COLUMN[name]
        for rate, counted in (("p_d", "detections"), ("p_fa", "false_alarms")):
            counts = [as_float(r.get(f"{counted}_{column}", "")) for r in worst]
            if not worst or any(math.isnan(c) for c in counts):
                out.update({f"{rate}_{column}{s}": math.nan for s in ("", "_low", "_high", "_conditional")})
                continue
            low, high = wilson_interval(sum(counts), trials, confidence)
            out[f"{rate}_{column}"] = sum(counts) / trials
            out[f"{rate}_{column}_low"], out[f"{rate}_{column}_high"] = float(low), float(high)
            out[f"{rate}_{column}_conditional"] = float(np.mean([as_float(r[f"{rate}_conditional_{column}"]) for r in worst]))
    out["p_d_gap"] = out["p_d_asymptotic"] - out["p_d_closed"]
    out["p_d_gap_low"] = out["p_d_asymptotic_low"] - out["p_d_closed"]
    out["p_d_gap_high"] = out["p_d_asymptotic_high"] - out["p_d_closed"]
    out["p_d_gap_conditional"] = out["p_d_asymptotic_conditional"] - out["p_d_closed"]
    return out
