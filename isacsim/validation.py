"""Input checks that name the offending field and say what was expected.

Used by the attrs value objects (as ``validator=`` callables) and by
:class:`isacsim.DesignProblem`. Every failure is a :class:`ValueError` (or a
:class:`TypeError` for a wrong kind of object) whose message starts with the
field name, so that a user never sees a bare numpy or solver traceback.
"""
from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np
from .errors import InputError, InputTypeError

__all__ = [
    "shown",
    "positive",
    "non_negative",
    "open_unit_interval",
    "integer_at_least",
    "finite",
    "as_point",
    "point",
    "as_array",
    "require_real",
    "require_positive",
    "require_point",
    "require_probability",
    "as_beams",
]


class _Text(str):
    """Text shown as it is by :func:`shown` (its ``repr`` is itself)."""

    def __repr__(self):
        return str(self)


def _plain(value):
    """``value`` with NumPy scalars and arrays made plain Python values, inside lists, tuples and dicts too."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return _plain(value.tolist()) if value.size <= 12 else _Text(f"an array of shape {value.shape} and dtype {value.dtype}")
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        return type(value)(_plain(item) for item in value)
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    return value


def shown(value):
    """``value`` for a message: its ``repr``, with NumPy values shown as plain numbers and lists.

    ``shown(np.float64(-31.6))`` is ``'-31.6'``, not ``'np.float64(-31.6)'``;
    an array of more than 12 entries is described by its shape and dtype.
    """
    return repr(_plain(value))


def _fail(name, expected, value):
    raise InputError(f"{name}: expected {expected}, got {shown(value)}")


def _check_real(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputTypeError(f"{name}: expected a real number, got {type(value).__name__} {shown(value)}")
    if not np.isfinite(value):
        _fail(name, "a finite number", value)


def require_real(name, value):
    """Check that ``value`` is a finite real number; errors name ``name``."""
    _check_real(name, value)
    return value


def require_positive(name, value):
    """Check that ``value`` is a finite real number > 0; errors name ``name``."""
    _check_real(name, value)
    if not value > 0:
        _fail(name, "a number > 0", value)
    return value


def require_point(name, value):
    """``value`` as a position ``(x, y)`` of two finite floats [m]; errors name ``name``."""
    converted = as_point(value)
    if not (isinstance(converted, tuple) and all(np.isfinite(converted))):
        _fail(name, "a position (x, y) of two finite numbers [m]", value)
    return converted


def require_probability(name, value):
    """Check that ``value`` is a finite real number with 0 < value < 1; errors name ``name``."""
    _check_real(name, value)
    if not 0 < value < 1:
        _fail(name, "a probability with 0 < p < 1", value)
    return value


def positive(instance, attribute, value):
    """attrs validator: a finite real number > 0."""
    require_positive(attribute.name, value)


def non_negative(instance, attribute, value):
    """attrs validator: a finite real number >= 0."""
    _check_real(attribute.name, value)
    if not value >= 0:
        _fail(attribute.name, "a number >= 0", value)


def finite(instance, attribute, value):
    """attrs validator: a finite real number."""
    _check_real(attribute.name, value)


def open_unit_interval(instance, attribute, value):
    """attrs validator: a probability strictly between 0 and 1."""
    require_probability(attribute.name, value)


def integer_at_least(minimum):
    """attrs validator factory: an integer >= ``minimum``."""

    def check(instance, attribute, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise InputTypeError(f"{attribute.name}: expected an integer, got {type(value).__name__} {shown(value)}")
        if value < minimum:
            _fail(attribute.name, f"an integer >= {minimum}", value)

    return check


def as_point(value):
    """attrs converter: any 2-sequence of finite reals -> ``(x, y)`` floats [m].

    Raises
    ------
    ValueError
        If the value is not two finite numbers. The attrs field name is added
        by :func:`point_validator`; this converter only normalises.
    """
    try:
        point = np.asarray(value, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        return value  # left for the validator to reject with the field name
    if point.shape != (2,):
        return value
    return (float(point[0]), float(point[1]))


def point(instance, attribute, value):
    """attrs validator: a 2-tuple of finite coordinates [m]."""
    if not (isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, float) for v in value)):
        _fail(attribute.name, "a position (x, y) of two numbers [m]", value)
    if not all(np.isfinite(value)):
        _fail(attribute.name, "finite coordinates", value)


def as_array(name, value, *, kind, shape, positive=False, non_negative=False):
    """Validate one array field of a :class:`~isacsim.DesignProblem`.

    Parameters
    ----------
    name : str
        Field name used in the error message.
    value : array_like
        The candidate array.
    kind : {"complex", "float", "int"}
        Expected number kind. Real input is accepted for ``"complex"``.
    shape : tuple of int or None
        Expected shape; ``None`` entries match any length.
    positive, non_negative : bool
        Require every entry > 0 (>= 0).

    Returns
    -------
    numpy.ndarray
        A contiguous array of dtype complex128, float64 or int64.

    Raises
    ------
    ValueError
        Naming ``name`` and what was expected.
    """
    dtypes = {"complex": np.complex128, "float": np.float64, "int": np.int64}
    try:
        raw = np.asarray(value)
    except Exception:  # noqa: BLE001 - any conversion failure is a bad input
        _fail(name, f"a {kind} array", type(value).__name__)
    if raw.dtype == bool:  # a True is no channel, power or antenna count
        raise InputTypeError(f"{name}: expected numbers, got booleans")
    if raw.dtype == object or raw.dtype.kind not in "biufc":
        raise InputError(f"{name}: expected a numeric {kind} array, got dtype {raw.dtype}")
    if kind != "complex" and raw.dtype.kind == "c":
        if np.any(np.imag(raw) != 0):
            raise InputError(f"{name}: expected a real {kind} array, got complex values")
        raw = np.real(raw)
    if kind == "int" and raw.dtype.kind == "f":
        if not np.all(np.isfinite(raw)) or np.any(raw != np.round(raw)) or np.any(np.abs(raw) > 2**62):
            raise InputError(f"{name}: expected integers, got {shown(raw)}")
    if kind == "int" and raw.dtype.kind == "u" and raw.size and raw.max() > np.iinfo(np.int64).max:
        raise InputError(f"{name}: expected integers below 2**63, got {shown(raw.max())}")  # int64 would wrap it round
    array = np.asarray(raw, dtype=dtypes[kind], order="C")
    if len(shape) != array.ndim or any(s is not None and s != a for s, a in zip(shape, array.shape)):
        expected = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
        raise InputError(f"{name}: expected shape {expected}, got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InputError(f"{name}: expected finite values, found NaN or inf")
    if positive and not np.all(array > 0):
        raise InputError(f"{name}: expected every value > 0, smallest is {shown(array.min())}")
    if non_negative and not np.all(array >= 0):
        raise InputError(f"{name}: expected every value >= 0, smallest is {shown(array.min())}")
    return array


def as_beams(problem, w, R):
    """``w`` and ``R`` as complex arrays of the shapes ``problem`` needs; errors name them.

    Parameters
    ----------
    problem : DesignProblem or ProblemStack
        Gives L, K and Nt (and, for a stack, its leading batch axes).
    w, R : array_like, complex
        Information beams (L, K, Nt) and sensing covariances (L, Nt, Nt),
        with a stack's leading axes.

    Returns
    -------
    w, R : numpy.ndarray, complex128

    Raises
    ------
    InputTypeError
        If ``problem`` is not a DesignProblem, or ``w`` or ``R`` is not numeric.
    InputError
        If ``w`` or ``R`` has another shape than the problem's.
    """
    try:
        n_bs, n_users, n_tx = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    except AttributeError:
        raise InputTypeError(f"problem: expected a DesignProblem, got {type(problem).__name__}") from None
    batch = tuple(np.shape(problem.H)[:-4])  # () for one problem; (B,) for a stack
    lead = "B, " * len(batch)
    arrays = []
    for name, value, shape, axes in (("w", w, batch + (n_bs, n_users, n_tx), f"({lead}L, K, Nt)"), ("R", R, batch + (n_bs, n_tx, n_tx), f"({lead}L, Nt, Nt)")):
        try:
            array = np.asarray(value, dtype=complex)
        except (TypeError, ValueError):
            raise InputTypeError(f"{name}: expected a complex array of shape {axes} = {shape}, got {type(value).__name__}") from None
        if array.shape != shape:
            raise InputError(f"{name}: expected shape {axes} = {shape} for this problem, got {array.shape}")
        arrays.append(array)
    return tuple(arrays)


def as_tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    """``tuple(values)``, as an attrs converter that type checkers follow (``converter=tuple`` is generic to them)."""
    return tuple(values)
