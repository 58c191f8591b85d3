"""Conversions between decibel and linear scales.

Every quantity inside isacsim is linear (watts, power ratios); decibels only
appear at the API boundary, in parameter names ending in ``_db`` or ``_dbm``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["db_to_linear", "linear_to_db", "dbm_to_watt", "watt_to_dbm"]


def db_to_linear(value_db: npt.ArrayLike) -> Any:
    """Power ratio in dB -> linear power ratio.

    Parameters
    ----------
    value_db : float or array_like
        Ratio [dB].

    Returns
    -------
    float or numpy.ndarray
        ``10 ** (value_db / 10)`` [linear], same shape as the input.
    """
    return np.power(10.0, np.asarray(value_db, dtype=float) / 10.0)[()]


def linear_to_db(value: npt.ArrayLike) -> Any:
    """Linear power ratio -> dB.

    Parameters
    ----------
    value : float or array_like
        Positive power ratio [linear].

    Returns
    -------
    float or numpy.ndarray
        ``10 log10(value)`` [dB]; ``-inf`` for zero.
    """
    with np.errstate(divide="ignore"):
        return (10.0 * np.log10(np.asarray(value, dtype=float)))[()]


def dbm_to_watt(value_dbm: npt.ArrayLike) -> Any:
    """Power in dBm -> watts.

    Parameters
    ----------
    value_dbm : float or array_like
        Power [dBm].

    Returns
    -------
    float or numpy.ndarray
        Power [W]: ``1e-3 * 10 ** (value_dbm / 10)``.
    """
    return 1e-3 * db_to_linear(value_dbm)


def watt_to_dbm(value_w: npt.ArrayLike) -> Any:
    """Power in watts -> dBm.

    Parameters
    ----------
    value_w : float or array_like
        Power [W].

    Returns
    -------
    float or numpy.ndarray
        Power [dBm].
    """
    return linear_to_db(np.asarray(value_w, dtype=float) * 1e3)
