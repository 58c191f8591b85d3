"""The power-min study: the least transmit power that meets a detection target.

:class:`PowerMinStudy` is the job (:func:`isacsim.simulation.run`),
:class:`PowerMinFigure` its figure (``isacsim reproduce power-min``).
"""
from typing import TYPE_CHECKING

from ..lazy import lazy_exports

_EXPORTS = {
    "PowerMinStudy": ".study",
    "summarize_power_min": ".study",
    "PowerMinFigure": ".figure",
    "plot_power_min": ".figure",
}
if TYPE_CHECKING:  # what type checkers see; at run time each name is imported on first use
    from .figure import PowerMinFigure, plot_power_min
    from .study import PowerMinStudy, summarize_power_min

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["PowerMinStudy", "summarize_power_min", "PowerMinFigure", "plot_power_min"]
