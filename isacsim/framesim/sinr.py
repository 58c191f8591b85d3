"""Users' empirical SINR over a frame, eq. (2) measured instead of averaged.

Over the N symbols of a frame, user k of cell m receives its desired term
``h_{m,m,k}^H w_{m,k} s_{m,k}[n]``, the other information streams plus its
noise, and the sensing streams. Its empirical SINR is the frame energy of
the desired term over the frame energy of everything else that remains:

* Type-I (no cancellation): the other information streams, the noise and
  the sensing streams;
* Type-II: the user knows the pseudorandom sensing waveforms and their
  effective channels and subtracts them exactly before decoding, leaving the
  other information streams and the noise;
* a :class:`isacsim.Receiver` with ``sensing_leakage`` lambda in (0, 1)
  subtracts ``1 - sqrt(lambda)`` of the sensing term's amplitude, leaving the
  fraction lambda of its power as eq. (3)/(4) model it.

As ``N -> infinity`` every frame energy tends to its mean and the empirical
SINR to eqs. (3)/(4).
"""
from __future__ import annotations

import numpy as np

__all__ = ["empirical_sinr"]


def empirical_sinr(grams, sensing_leakage):
    """Empirical SINR of each frame from a user's probe Gram matrices.

    Parameters
    ----------
    grams : numpy.ndarray, complex, shape (..., 3, 3)
        Gram matrix of the user's probes: desired, information interference
        plus noise, sensing interference (:class:`~isacsim.framesim.layout.FrameLayout`) [W].
    sensing_leakage : float
        Fraction in [0, 1] of the sensing term's power left after
        cancellation (1: Type-I, 0: Type-II).

    Returns
    -------
    numpy.ndarray, float, shape (...)
        Linear SINR.
    """
    leak = np.sqrt(sensing_leakage)
    signal = grams[..., 0, 0].real
    residual = grams[..., 1, 1].real + sensing_leakage * grams[..., 2, 2].real + 2.0 * leak * grams[..., 1, 2].real
    return signal / residual
