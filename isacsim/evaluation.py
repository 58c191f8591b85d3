"""Performance of a design: SINRs, powers, reflected power and detection."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from .errors import InputError, InputTypeError
from .stack import ProblemStack, group_equal, stack_problems
from .units import linear_to_db

if TYPE_CHECKING:
    from .designers.design import Design
    from .problem import DesignProblem

__all__ = ["Evaluation", "evaluate", "evaluate_designs", "evaluate_each", "transmit_power", "antenna_powers"]


def transmit_power(w: np.ndarray, R: np.ndarray) -> npt.NDArray[np.float64]:
    """Per-BS transmit power ``sum_i ||w_li||^2 + tr R_l``.

    Parameters
    ----------
    w : numpy.ndarray, complex, shape (L, K, Nt)
    R : numpy.ndarray, complex, shape (L, Nt, Nt)
        (Or stacks of them, with the same leading batch axes.)

    Returns
    -------
    numpy.ndarray, float, shape (L,)
        [W].
    """
    return (np.abs(w) ** 2).sum(axis=(-2, -1)) + np.einsum("...lnn->...l", R).real


def antenna_powers(w: np.ndarray, R: np.ndarray) -> npt.NDArray[np.float64]:
    """Diagonal of every BS's transmit covariance ``sum_i w_li w_li^H + R_l``.

    Parameters
    ----------
    w : numpy.ndarray, complex, shape (L, K, Nt)
    R : numpy.ndarray, complex, shape (L, Nt, Nt)

    Returns
    -------
    numpy.ndarray, float, shape (L, Nt)
        Power radiated by each antenna [W].
    """
    return (np.abs(w) ** 2).sum(axis=-2) + np.einsum("...lnn->...ln", R).real


@attrs.frozen(kw_only=True)
class Evaluation:
    """What a design achieves on a problem, recomputed from ``w`` and ``R``.

    Attributes
    ----------
    reflected_power_w : numpy.ndarray, shape (Q,)
        Reflected power E at each sample point [W], eq. (20)/(28) (R only for
        the sensing-only detector), ``n_rx`` included.
    detection_probability : numpy.ndarray, shape (Q,)
        Closed-form p_D at each point, eq. (26)/(29).
    sinr_db : numpy.ndarray, shape (L, K)
        SINR of every user [dB].
    tx_power_w : numpy.ndarray, shape (L,)
        Transmit power of every BS [W].
    """

    reflected_power_w: np.ndarray
    detection_probability: np.ndarray
    sinr_db: np.ndarray
    tx_power_w: np.ndarray

    @property
    def min_reflected_power_w(self) -> float:
        """Minimum of E over the sample points [W]."""
        return float(self.reflected_power_w.min())

    @property
    def min_detection_probability(self) -> float:
        """Minimum p_D over the sample points."""
        return float(self.detection_probability.min())


def _check_sizes(problem, design):
    """Refuse to evaluate a design on a problem of other sizes than the one it was made for."""
    if not hasattr(problem, "n_users_per_cell"):
        raise InputTypeError(f"problem: expected a DesignProblem, got {type(problem).__name__}")
    sizes = (problem.n_bs, problem.n_users_per_cell, problem.n_tx)
    made_for = tuple(np.shape(design.w))
    if made_for != sizes or np.shape(design.R) != (problem.n_bs, problem.n_tx, problem.n_tx):
        raise InputError(
            f"problem: this design has w of shape {made_for} (L, K, Nt) and R of shape {tuple(np.shape(design.R))}, "
            f"made for another problem; this one has L = {sizes[0]}, K = {sizes[1]}, Nt = {sizes[2]}"
        )


def evaluate(problem: DesignProblem, design: Design) -> Evaluation:
    """Evaluate a design with the receiver and detector it was made for.

    A design without beams (infeasible or failed) evaluates to zero
    reflected power and ``p_D = p_FA``.

    Parameters
    ----------
    problem : DesignProblem
    design : Design

    Returns
    -------
    Evaluation
        The same, bit for bit, as :func:`evaluate_designs` gives it in any
        stack.

    Raises
    ------
    ValueError
        If the design was made for a problem of other sizes (naming them).
    """
    _check_sizes(problem, design)
    return evaluate_designs([problem], [design])[0]


def evaluate_designs(problems: Sequence[DesignProblem] | ProblemStack, designs: Sequence[Design]) -> list[Evaluation]:
    """Evaluate designs of one receiver and detector on problems of one shape, in one vectorized pass.

    Parameters
    ----------
    problems : sequence of DesignProblem, or ProblemStack
        Of one shape (:func:`isacsim.stack.stack_problems`).
    designs : sequence of Design
        One per problem, all made for one receiver and one detector.

    Returns
    -------
    list of Evaluation
        One per design, in order, each as :func:`evaluate` gives it.

    Raises
    ------
    InputError
        If the designs were made for more than one receiver or detector.
    """
    designs = list(designs)
    stack = problems if isinstance(problems, ProblemStack) else stack_problems(problems)
    receiver, detector = designs[0].receiver, designs[0].detector
    if any(d.receiver != receiver or d.detector != detector for d in designs):
        raise InputError("designs: expected one receiver and one detector for a stack, got several")
    w = np.stack([np.asarray(d.w, dtype=complex) for d in designs])  # np.stack: C-contiguous
    R = np.stack([np.asarray(d.R, dtype=complex) for d in designs])
    with np.errstate(divide="ignore"):
        sinr_db = linear_to_db(receiver.sinr(stack, w, R))
    reflected = detector.reflected_power(stack, w, R)
    probability = detector.detection_probability(stack, w, R)
    power = transmit_power(w, R)
    return [
        Evaluation(reflected_power_w=reflected[b], detection_probability=probability[b], sinr_db=sinr_db[b], tx_power_w=power[b])
        for b in range(len(designs))
    ]


def evaluate_each(problems: Sequence[DesignProblem], designs: Sequence[Design | Exception]) -> list[Evaluation | Exception]:
    """Evaluate many designs, those of one receiver and detector in one pass, a failure alone.

    Parameters
    ----------
    problems : sequence of DesignProblem
        Of one shape.
    designs : sequence of Design or Exception
        One per problem; an exception stands for a design that failed.

    Returns
    -------
    list of Evaluation or Exception
        One per design, in order, each as :func:`evaluate` gives it; a
        failed design stays its exception, and an evaluation that raises is
        the exception of its own design alone.
    """
    problems = list(problems)
    out: list[Any] = list(designs)  # each design then replaced by its evaluation
    made: dict[int, Design] = {i: design for i, design in enumerate(designs) if not isinstance(design, Exception)}
    for _, members in group_equal(((design.receiver, design.detector), i) for i, design in made.items()):
        try:
            evaluations = evaluate_designs([problems[i] for i in members], [made[i] for i in members])
        except Exception:  # noqa: BLE001 - one by one, so that a failure is its own design's
            evaluations = [_evaluate_alone(problems[i], designs[i]) for i in members]
        for i, evaluation in zip(members, evaluations):
            out[i] = evaluation
    return out


def _evaluate_alone(problem, design):
    try:
        return evaluate(problem, design)
    except Exception as error:  # noqa: BLE001 - this design's failure
        return error
