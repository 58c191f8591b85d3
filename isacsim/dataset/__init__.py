"""Datasets of verified optimal designs, to train and test learning-based beamformers.

``isacsim dataset --n N --out DIR`` (or :func:`generate`) writes N problems
of a scenario with their designs and certificates, in shards that a killed
run resumes; :func:`load` reads them back with NumPy alone.

>>> from isacsim.dataset import DatasetConfig, generate, load
>>> report = generate(DatasetConfig(n=1000), "data/paper")   # doctest: +SKIP
>>> data = load("data/paper")                                 # doctest: +SKIP
>>> data["H"].shape, data["w"].shape, data["status"][:2]      # doctest: +SKIP
((1000, 3, 3, 1, 32), (1000, 3, 1, 32), array(['optimal', 'optimal'], dtype='<U7'))
"""
from typing import TYPE_CHECKING

from ..lazy import lazy_exports

_EXPORTS = {
    "load": ".files",
    "FIELDS": ".files",
    "DatasetConfig": ".job",
    "generate": ".generate",
    "DatasetReport": ".generate",
}
if TYPE_CHECKING:  # what type checkers see; at run time each name is imported on first use
    from .files import FIELDS, load
    from .generate import DatasetReport, generate
    from .job import DatasetConfig

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["load", "FIELDS", "DatasetConfig", "generate", "DatasetReport"]
