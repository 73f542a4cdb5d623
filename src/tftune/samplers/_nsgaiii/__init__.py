"""NSGA-III: NSGA-II with reference points in place of crowding distance."""

from tftune.samplers._nsgaiii._sampler import NSGAIIISampler

__all__ = ["NSGAIIISampler"]
