"""Symbol alphabets and sensing-waveform generators of a frame.

Both kinds are plugins (:mod:`isacsim.framesim.registry`): a class with a
unique ``name``, created with no arguments. An **alphabet** draws the i.i.d.
information symbols ``s_{l,i}[n]``; a **sensing waveform** generator draws
the ``r_t`` dedicated sensing sequences ``s^r_{l,k}[n]`` of one BS, eq. (1).
Both must have unit average power (``E|s|^2 = 1``) and zero mean.

``gaussian = True`` declares that the samples are i.i.d. ``CN(0, 1)`` over
streams and symbols; when both kinds used in a simulation declare it, the
matched-filter statistics are drawn from their exact Wishart law instead of
materializing the frame (:mod:`isacsim.framesim.grams`). A generator of
structured sequences (a chirp, OFDM) leaves it False.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

__all__ = [
    "SymbolAlphabet",
    "SensingWaveform",
    "GaussianSymbols",
    "QPSKSymbols",
    "QAM16Symbols",
    "GaussianSensing",
    "QPSKSensing",
    "complex_gaussian",
]


def complex_gaussian(rng, shape):
    """i.i.d. ``CN(0, 1)`` samples.

    Parameters
    ----------
    rng : numpy.random.Generator
    shape : tuple of int

    Returns
    -------
    numpy.ndarray, complex, shape ``shape``
    """
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * np.sqrt(0.5)


def _constellation(rng, points, shape):
    """Points drawn uniformly and independently from ``points`` (normalized to unit power)."""
    points = np.asarray(points, dtype=complex)
    points = points / np.sqrt(np.mean(np.abs(points) ** 2))
    return points[rng.integers(points.size, size=shape)]


class SymbolAlphabet:
    """Base of the information-symbol alphabets.

    Attributes
    ----------
    name : str
        Registry name (class attribute).
    gaussian : bool
        True only if :meth:`symbols` draws i.i.d. ``CN(0, 1)``.
    """

    name: ClassVar[str] = ""
    gaussian: ClassVar[bool] = False

    def symbols(self, rng, shape):
        """Draw i.i.d. unit-power symbols.

        Parameters
        ----------
        rng : numpy.random.Generator
        shape : tuple of int
            ``(n_trials, n_streams, n_symbols)``.

        Returns
        -------
        numpy.ndarray, complex, shape ``shape``
        """
        raise NotImplementedError


class SensingWaveform:
    """Base of the dedicated sensing-waveform generators.

    Attributes
    ----------
    name : str
        Registry name (class attribute).
    gaussian : bool
        True only if :meth:`waveforms` draws i.i.d. ``CN(0, 1)`` samples.
    """

    name: ClassVar[str] = ""
    gaussian: ClassVar[bool] = False

    def waveforms(self, rng, n_trials, n_waveforms, n_symbols):
        """Draw the sensing sequences of one BS for every trial.

        Parameters
        ----------
        rng : numpy.random.Generator
        n_trials, n_waveforms, n_symbols : int
            Frames, sequences per BS (``r_t``) and symbols per frame N.

        Returns
        -------
        numpy.ndarray, complex, shape (n_trials, n_waveforms, n_symbols)
            Zero-mean sequences of unit average power, mutually independent
            (pseudorandom) for different waveforms, BSs and frames.
        """
        raise NotImplementedError


class GaussianSymbols(SymbolAlphabet):
    """Circularly symmetric complex Gaussian symbols, ``CN(0, 1)``."""

    name: ClassVar[str] = "gaussian"
    gaussian: ClassVar[bool] = True

    def symbols(self, rng, shape):
        """i.i.d. ``CN(0, 1)``; see :meth:`SymbolAlphabet.symbols`."""
        return complex_gaussian(rng, shape)


class QPSKSymbols(SymbolAlphabet):
    """QPSK, ``(+-1 +- 1j) / sqrt(2)``, equiprobable."""

    name: ClassVar[str] = "qpsk"

    def symbols(self, rng, shape):
        """Uniform QPSK points; see :meth:`SymbolAlphabet.symbols`."""
        return _constellation(rng, [1 + 1j, 1 - 1j, -1 + 1j, -1 - 1j], shape)


class QAM16Symbols(SymbolAlphabet):
    """Square 16-QAM, ``{+-1, +-3}^2 / sqrt(10)``, equiprobable."""

    name: ClassVar[str] = "16qam"

    def symbols(self, rng, shape):
        """Uniform 16-QAM points; see :meth:`SymbolAlphabet.symbols`."""
        levels = np.array([-3.0, -1.0, 1.0, 3.0])
        return _constellation(rng, (levels[:, None] + 1j * levels[None, :]).ravel(), shape)


class GaussianSensing(SensingWaveform):
    """Pseudorandom complex Gaussian sequences, i.i.d. ``CN(0, 1)``."""

    name: ClassVar[str] = "gaussian"
    gaussian: ClassVar[bool] = True

    def waveforms(self, rng, n_trials, n_waveforms, n_symbols):
        """i.i.d. ``CN(0, 1)``; see :meth:`SensingWaveform.waveforms`."""
        return complex_gaussian(rng, (n_trials, n_waveforms, n_symbols))


class QPSKSensing(SensingWaveform):
    """Pseudorandom constant-envelope sequences: i.i.d. QPSK chips."""

    name: ClassVar[str] = "qpsk"

    def waveforms(self, rng, n_trials, n_waveforms, n_symbols):
        """Uniform QPSK chips; see :meth:`SensingWaveform.waveforms`."""
        return QPSKSymbols().symbols(rng, (n_trials, n_waveforms, n_symbols))
