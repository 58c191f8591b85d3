"""Beamforming designers: the paper's optimal SDR, its benchmarks and their power-minimizing forms.

Each designer has a unique ``name`` and ``design(problem, receiver, detector)
-> Design``. They are registered through the plugin hooks
(:mod:`isacsim.plugins`); third-party designers subclass :class:`ClosedFormDesigner` (beams by a
formula; isacsim verifies them), :class:`FixedDirectionDesigner` (beam
directions; powers and R optimized) or :class:`Designer` (the SDR).
"""
from typing import TYPE_CHECKING

from ..lazy import lazy_exports

_EXPORTS = {
    "Designer": ".base",
    "Certificate": ".design",
    "ClosedFormDesigner": ".closed_form",
    "ClutterAwareDesigner": ".clutter_aware",
    "Design": ".design",
    "NoBeamDirection": ".design",
    "FixedDirectionDesigner": ".fixed",
    "PowerMinDesigner": ".powermin",
    "PowerMinZFDesigner": ".powermin",
    "PowerMinSensingOnlyDesigner": ".powermin",
    "SolverMemoryError": "..solvers.memory",
    "SDRDesigner": ".sdr",
    "SensingOnlyDesigner": ".sensing_only",
    "ZFDesigner": ".zf",
}
if TYPE_CHECKING:  # what type checkers see; at run time each name is imported on first use
    from ..solvers.memory import SolverMemoryError
    from .base import Designer
    from .closed_form import ClosedFormDesigner
    from .clutter_aware import ClutterAwareDesigner
    from .design import Certificate, Design, NoBeamDirection
    from .fixed import FixedDirectionDesigner
    from .powermin import PowerMinDesigner, PowerMinSensingOnlyDesigner, PowerMinZFDesigner
    from .sdr import SDRDesigner
    from .sensing_only import SensingOnlyDesigner
    from .zf import ZFDesigner

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "Designer",
    "Design",
    "Certificate",
    "ClosedFormDesigner",
    "ClutterAwareDesigner",
    "NoBeamDirection",
    "FixedDirectionDesigner",
    "PowerMinDesigner",
    "PowerMinZFDesigner",
    "PowerMinSensingOnlyDesigner",
    "SolverMemoryError",
    "SDRDesigner",
    "SensingOnlyDesigner",
    "ZFDesigner",
]
