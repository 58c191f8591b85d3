"""Clutter: static scatterers, their echoes, and detection and design in them.

* :class:`ClutterScene`: the scatterers (positions, reflection coefficients,
  a patch sampled into points);
* :class:`ClutterEchoes`: what a network sees of them (steering, gains,
  range gating), the arrays a :class:`~isacsim.Detector` takes as ``clutter``;
* :mod:`isacsim.clutter.scnr`: the whitened and the clutter-blind detectors'
  laws and the SCNR bound the clutter-aware designer maximizes.
"""
from .echoes import ClutterEchoes
from .scene import COHERENCES, ClutterScene

__all__ = ["ClutterScene", "ClutterEchoes", "COHERENCES"]
