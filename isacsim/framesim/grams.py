"""Gram matrices of probes of a frame: the sufficient statistics of a finite-N simulation.

For probes ``y = V s`` of the frame's streams ``s[n]`` (rows of
:class:`~isacsim.framesim.layout.FrameLayout`), everything the receivers
compute is a function of the normalized Gram matrix

    ``Ghat = (1/N) sum_n y[n] y[n]^H = V (S S^H / N) V^H``,

a (P, P) matrix whatever N. Two samplers give it:

* :func:`wishart_grams`, exact when every stream is i.i.d. ``CN(0, 1)``:
  the columns ``y[n]`` are then i.i.d. ``CN(0, V V^H)``, so ``N Ghat`` is
  complex Wishart with N degrees of freedom and scale ``V V^H``, drawn by
  the Bartlett decomposition in O(P^2) random numbers per frame,
  independent of N. It draws each probe set separately: exact marginals, no
  joint law across probe sets (points, users).
* :func:`stream_grams`, for any alphabet or waveform generator: it
  materializes the streams of every frame, shifts each BS's block by its
  clock offset, and forms the full stream Gram ``S S^H / N`` (joint over
  everything); :func:`project` then gives each probe set's Gram.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from .waveforms import complex_gaussian

__all__ = ["bartlett_wishart", "wishart_grams", "stream_grams", "project", "cyclic_shift"]


def bartlett_wishart(rng, n_trials, dim, dof):
    """Standard complex Wishart matrices ``W = X X^H``, ``X`` (dim, dof) i.i.d. ``CN(0, 1)``.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_trials, dim, dof : int
        Draws, dimension and degrees of freedom (N).

    Returns
    -------
    numpy.ndarray, complex, shape (n_trials, dim, dim)
        ``E[W] = dof I``. For ``dof >= dim``, the Bartlett factor: lower
        triangular ``T`` with ``T_ii^2 ~ Gamma(dof - i, 1)`` and ``CN(0, 1)``
        below the diagonal, ``W = T T^H``; otherwise ``X`` itself is drawn.
    """
    if dof < dim:
        x = complex_gaussian(rng, (n_trials, dim, dof))
        return x @ np.conj(np.swapaxes(x, 1, 2))
    factor = np.zeros((n_trials, dim, dim), dtype=complex)
    rows, cols = np.tril_indices(dim, k=-1)
    factor[:, rows, cols] = complex_gaussian(rng, (n_trials, rows.size))
    diagonal = np.arange(dim)
    factor[:, diagonal, diagonal] = np.sqrt(rng.standard_gamma(dof - diagonal, size=(n_trials, dim)))
    return factor @ np.conj(np.swapaxes(factor, 1, 2))


def _factor(covariance, rtol=1e-12):
    """``F`` (P, r) with ``F F^H = covariance``, r its numerical rank."""
    values, vectors = np.linalg.eigh(covariance)
    keep = values > rtol * max(float(values.max(initial=0.0)), np.finfo(float).tiny)
    return vectors[:, keep] * np.sqrt(values[keep])


def wishart_grams(rng, probes, n_symbols, n_trials):
    """Gram matrices of Gaussian-stream probes, drawn from their Wishart law.

    Parameters
    ----------
    rng : numpy.random.Generator
    probes : numpy.ndarray, complex, shape (P, n_streams)
        Probe rows ``V`` over i.i.d. ``CN(0, 1)`` streams.
    n_symbols : int
        Frame length N.
    n_trials : int
        Frames.

    Returns
    -------
    numpy.ndarray, complex, shape (n_trials, P, P)
        ``V (S S^H / N) V^H`` for independent frames.
    """
    factor = _factor(probes @ probes.conj().T)
    wishart = bartlett_wishart(rng, n_trials, factor.shape[1], n_symbols)
    return factor @ wishart @ factor.conj().T / n_symbols


def cyclic_shift(streams, offsets):
    """Delay every frame's streams cyclically by its own offset.

    Parameters
    ----------
    streams : numpy.ndarray, shape (n_trials, n_streams, N)
    offsets : numpy.ndarray, int, shape (n_trials,)
        Delay of each frame [symbols].

    Returns
    -------
    numpy.ndarray, shape (n_trials, n_streams, N)
        ``out[t, :, n] = streams[t, :, (n - offsets[t]) mod N]``.
    """
    n_symbols = streams.shape[-1]
    index = (np.arange(n_symbols)[None, :] - np.asarray(offsets)[:, None]) % n_symbols
    return np.take_along_axis(streams, index[:, None, :], axis=2)


def stream_grams(rng, layout, alphabet, sensing, n_symbols, n_trials, offsets=None):
    """Full stream Gram matrices of materialized frames.

    Parameters
    ----------
    rng : numpy.random.Generator
    layout : FrameLayout
    alphabet : SymbolAlphabet
        Draws the information streams.
    sensing : SensingWaveform
        Draws each BS's sensing streams.
    n_symbols, n_trials : int
        Frame length N and frames.
    offsets : numpy.ndarray, int, shape (n_trials, L), or None
        Clock offset of every BS in every frame [symbols]; each BS's
        streams are delayed cyclically by it (Scenario II). ``None``: no
        offsets (Scenario I).

    Returns
    -------
    numpy.ndarray, complex, shape (n_trials, D + L K, D + L K)
        ``S S^H / N``; the receiver-noise streams are i.i.d. ``CN(0, 1)``.

    Raises
    ------
    InputError
        If a plugin's generator returns the wrong shape or non-finite values.
    """
    n_bs = layout.target.shape[1]
    streams = np.empty((n_trials, layout.n_streams, n_symbols), dtype=complex)
    information = np.flatnonzero(~layout.stream_is_sensing)
    shape = (n_trials, information.size, n_symbols)
    streams[:, information] = _checked(alphabet.symbols(rng, shape), shape, alphabet)
    for l, count in enumerate(layout.sensing_counts()):
        if count:
            rows = np.flatnonzero(layout.stream_is_sensing & (layout.stream_bs == l))
            streams[:, rows] = _checked(sensing.waveforms(rng, n_trials, rows.size, n_symbols), (n_trials, rows.size, n_symbols), sensing)
    noise = slice(layout.n_signal_streams, layout.n_streams)
    streams[:, noise] = complex_gaussian(rng, (n_trials, layout.n_streams - layout.n_signal_streams, n_symbols))
    if offsets is not None:
        for l in range(n_bs):
            rows = np.flatnonzero(layout.stream_bs == l)
            streams[:, rows] = cyclic_shift(streams[:, rows], offsets[:, l])
    return streams @ np.conj(np.swapaxes(streams, 1, 2)) / n_symbols


def _checked(values, shape, generator):
    """A generator's output, if it has ``shape`` and finite values."""
    values = np.asarray(values)
    if values.shape != shape or not np.all(np.isfinite(values)):
        raise InputError(
            f"{generator.name}: the waveform plugin returned shape {values.shape} or non-finite values, expected finite samples of shape {shape}"
        )
    return values


def project(grams, probes):
    """Gram matrices of probes from stream Gram matrices.

    Parameters
    ----------
    grams : numpy.ndarray, complex, shape (n_trials, S, S)
    probes : numpy.ndarray, complex, shape (..., P, S)

    Returns
    -------
    numpy.ndarray, complex, shape (n_trials, ..., P, P)
        ``V G V^H`` for every leading index of ``probes``.
    """
    return np.einsum("...as,tsr,...br->t...ab", probes, grams, probes.conj(), optimize=True)
