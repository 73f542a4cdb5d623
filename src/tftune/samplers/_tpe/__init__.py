"""The Tree-structured Parzen Estimator sampler."""

from tftune.samplers._tpe._sampler import TPESampler

__all__ = ["TPESampler"]
