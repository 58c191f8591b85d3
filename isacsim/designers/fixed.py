"""Designers whose information beams have fixed directions (powers optimized)."""
from __future__ import annotations

from typing import TYPE_CHECKING
import numpy as np

import attrs

from .base import Designer

if TYPE_CHECKING:
    from ..problem import DesignProblem

__all__ = ["FixedDirectionDesigner"]


@attrs.frozen(kw_only=True)
class FixedDirectionDesigner(Designer):
    """Base for beam-direction heuristics with optimal powers and R.

    Subclass and implement :meth:`directions`; the power of every beam and
    the sensing covariances are then optimized exactly (ZF1.1-ZF4.1 style),
    through the same solvers, verification and certificate as the SDR.
    """

    def directions(self, problem: DesignProblem) -> np.ndarray:
        """Unit beam directions, shape (L, K, Nt) (to be implemented)."""
        raise NotImplementedError(f"{type(self).__name__} must implement directions(problem)")
