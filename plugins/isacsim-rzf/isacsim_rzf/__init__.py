"""Regularized zero-forcing ISAC designer, an isacsim plugin."""
from .designer import RZFDesigner, regularized_zero_forcing

__all__ = ["RZFDesigner", "regularized_zero_forcing"]
