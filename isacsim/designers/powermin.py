"""Power minimization for a detection target: the least transmit power that serves users and area.

The power-minimizing forms of the paper's three designs. Each finds the
minimum total transmit power (optionally weighted per BS) at which every
user meets its SINR target and every sample point is detected with at
least the problem's ``pd_target`` (a reflected-power floor per point, eqs.
(26)/(29)), within the per-BS budgets and every other requirement of the
problem (per-antenna budgets, a statistical CSI error):

* :class:`PowerMinDesigner` (``power-min``): free beams, the SDR with the
  rank-one construction of Propositions 1/2, which keeps the relaxed
  optimum for these rows too (every floor, budget and per-antenna row
  depends on the beams through each BS's transmit covariance only);
* :class:`PowerMinZFDesigner` (``power-min-zf``): coordinated ZF beam
  directions, eq. (44), with optimal powers and sensing covariances;
* :class:`PowerMinSensingOnlyDesigner` (``power-min-sensing-only``): only
  the dedicated sensing signals' echoes count toward the floors.

An unreachable target is certified ``infeasible``: the Farkas certificate
names the users and sample points (and budgets) that cannot be served
together.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import attrs
import numpy as np

from ..errors import InputError
from ..solvers.formulation import min_total_power
from .base import Designer
from .compose import requirement_rows
from .sensing_only import SensingOnlyDesigner
from .zf import ZFDesigner

if TYPE_CHECKING:
    from ..detection import Detector
    from ..problem import DesignProblem
    from ..receivers import Receiver
    from ..solvers.formulation import Objective, RowSet

__all__ = ["PowerMinDesigner", "PowerMinZFDesigner", "PowerMinSensingOnlyDesigner"]


def _weights(value):
    if value is None:
        return None
    weights = tuple(float(x) for x in np.ravel(value))
    if not all(np.isfinite(weights)) or any(x < 0 for x in weights) or not any(x > 0 for x in weights):
        raise InputError(f"weights: expected finite nonnegative per-BS weights, not all zero, got {value!r}")
    return weights


@attrs.frozen(kw_only=True)
class PowerMinDesigner(Designer):
    """Minimum total transmit power for the problem's SINR and detection targets.

    Parameters
    ----------
    weights : sequence of float or None, shape (L,)
        Weight of each BS's transmit power in the objective (default: all 1,
        the total power).
    solver, options, randomizations
        As for :class:`~isacsim.designers.Designer`.

    Notes
    -----
    The problem must carry a detection target (``problem.pd_target``, or
    ``isacsim solve --pd-target P``); its floors use the detector's
    false-alarm probability. A target at or below the false-alarm
    probability asks for no power at all (floor 0).
    """

    name: ClassVar[str] = "power-min"
    weights: tuple | None = attrs.field(default=None, converter=_weights)

    def objective(self, problem: DesignProblem) -> Objective:
        """Minimize ``sum_l weights[l] P_l`` [W]."""
        if self.weights is not None and len(self.weights) != problem.n_bs:
            raise InputError(f"weights: expected one weight per BS ({problem.n_bs}), got {len(self.weights)}")
        return min_total_power(problem, self.weights)

    def rows(self, problem: DesignProblem, receiver: Receiver, detector: Detector) -> tuple[RowSet, ...]:
        """The problem's requirements, floors of its detection target included (no echo rows: no max-min)."""
        if problem.pd_target is None:
            raise InputError(
                f"pd_target: the {self.name} designer minimizes the power for a detection target, and the problem has none; "
                "set DesignProblem.pd_target (or the .npz field pd_target), or give isacsim solve --pd-target P"
            )
        return requirement_rows(problem, receiver, detector)


@attrs.frozen(kw_only=True)
class PowerMinZFDesigner(PowerMinDesigner, ZFDesigner):
    """:class:`PowerMinDesigner` with coordinated ZF information beams (eq. (44)); needs Nt >= LK."""

    name: ClassVar[str] = "power-min-zf"


@attrs.frozen(kw_only=True)
class PowerMinSensingOnlyDesigner(PowerMinDesigner, SensingOnlyDesigner):
    """:class:`PowerMinDesigner` whose floors count the dedicated sensing signals' echoes only (eqs. (45)-(48))."""

    name: ClassVar[str] = "power-min-sensing-only"
