"""The paper's optimal design: SDR1.1-SDR4.1 with rank-one construction."""
from __future__ import annotations

from typing import ClassVar

import attrs

from .base import Designer

__all__ = ["SDRDesigner"]


@attrs.frozen(kw_only=True)
class SDRDesigner(Designer):
    """Optimal coordinated beamforming by semidefinite relaxation (Section IV).

    Solves (SDR1.1)/(SDR2.1) (synchronized) or (SDR3.1)/(SDR4.1)
    (unsynchronized) for the given receiver, then constructs optimal rank-one
    beams (Propositions 1/2). Every W_li may use the whole span of BS l's
    steering vectors and channels, which contains an optimal solution.
    """

    name: ClassVar[str] = "sdr"
    label: ClassVar[str] = "Proposed"
