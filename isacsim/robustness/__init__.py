"""The ``robustness`` study: the paper's designs under fluctuating targets, clutter and partial synchronization.

:class:`RobustnessStudy` is the job (:mod:`.study`), :class:`RobustnessFigure`
its figure (:mod:`.figure`); ``isacsim reproduce robustness`` runs both.
"""
from .figure import RobustnessFigure, plot_robustness
from .study import RobustnessStudy, summarize_robustness

__all__ = ["RobustnessStudy", "RobustnessFigure", "summarize_robustness", "plot_robustness"]
