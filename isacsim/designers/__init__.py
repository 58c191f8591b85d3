"""Beamforming designers: the paper's optimal SDR, its benchmarks and their power-minimizing forms.

Each designer has a unique ``name`` and ``design(problem, receiver, detector)
-> Design``. They are registered through the plugin hooks
(:mod:`isacsim.plugins`); third-party designers subclass :class:`Designer` or
:class:`FixedDirectionDesigner`.
"""
from ..lazy import lazy_exports

_EXPORTS = {
    "Designer": ".base",
    "Certificate": ".design",
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
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "Designer",
    "Design",
    "Certificate",
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
