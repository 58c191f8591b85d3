"""JSON that is always JSON: every non-finite number becomes ``null``.

Python's :mod:`json` writes NaN and infinity as the bare words ``NaN`` and
``Infinity``, which no standard JSON parser accepts, and refuses NumPy
numbers and arrays. :func:`dumps` converts both first and then writes with
``allow_nan=False``, so a value that slipped through would fail loudly
instead of producing invalid JSON.
"""
from __future__ import annotations

import json
import math

import numpy as np

__all__ = ["finite", "dumps"]


def finite(value):
    """``value`` with NumPy numbers and arrays made plain and every NaN or infinity made None.

    Parameters
    ----------
    value : object
        Nested dicts, lists, tuples, NumPy arrays and scalars, numbers,
        strings, booleans and None.

    Returns
    -------
    object
        The same structure of plain Python values (tuples and arrays become
        lists), without a non-finite float anywhere.
    """
    if isinstance(value, np.ndarray):
        return finite(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, complex):
        return finite([value.real, value.imag])
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value


def dumps(value, **kwargs):
    """:func:`json.dumps` of :func:`finite` ``(value)``, with ``allow_nan=False``."""
    return json.dumps(finite(value), allow_nan=False, **kwargs)
