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
from tftune.samplers._nsgaii._mutations import BaseMutation, PolynomialMutation
from tftune.samplers._nsgaii._sampler import NSGAIISampler

__all__ = [
    "BLXAlphaCrossover",
    "BaseCrossover",
    "BaseMutation",
    "NSGAIISampler",
    "PolynomialMutation",
    "SBXCrossover",
    "SPXCrossover",
    "UNDXCrossover",
    "UniformCrossover",
    "VSBXCrossover",
]
