"""Benchmark: joint detection via the dedicated sensing signals only, eqs. (45)-(48)."""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import attrs

from .base import Designer

if TYPE_CHECKING:
    from ..detection import Detector

__all__ = ["SensingOnlyDesigner"]


@attrs.frozen(kw_only=True)
class SensingOnlyDesigner(Designer):
    """Maximize the echo power of the dedicated sensing signals alone.

    The BSs matched-filter only their sensing waveforms, so the objective and
    the reported reflected power count only ``R`` (eqs. (47)/(48)); the
    information beams just meet the SINR targets. The returned design carries
    the detector with ``information_echoes=False``.
    """

    name: ClassVar[str] = "sensing-only"
    label: ClassVar[str] = "Sensing-only"

    def detector_for(self, detector: Detector) -> Detector:
        """The same detector, matched-filtering the sensing waveforms only."""
        return attrs.evolve(detector, information_echoes=False)
