"""Gaussian-process Bayesian optimization (NumPy/SciPy only)."""

from tftune.samplers._gp._sampler import GPSampler

__all__ = ["GPSampler"]
