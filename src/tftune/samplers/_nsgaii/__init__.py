"""NSGA-II: the sampler, its crossovers and its generations."""

from tftune.samplers._nsgaii._crossovers import (
    BaseCrossover,
    BLXAlphaCrossover,
    SBXCrossover,
    SPXCrossover,
    UNDXCrossover,
    UniformCrossover,
    VSBXCrossover,
)
from tftune.samplers._nsgaii._sampler import NSGAIISampler

__all__ = [
    "BLXAlphaCrossover",
    "BaseCrossover",
    "NSGAIISampler",
    "SBXCrossover",
    "SPXCrossover",
    "UNDXCrossover",
    "UniformCrossover",
    "VSBXCrossover",
]
