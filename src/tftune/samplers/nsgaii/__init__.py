"""NSGA-II's crossovers and mutations, where Optuna users import them
(``optuna.samplers.nsgaii``)."""

from tftune.samplers._nsgaii import (
    BaseCrossover,
    BLXAlphaCrossover,
    SBXCrossover,
    SPXCrossover,
    UNDXCrossover,
    UniformCrossover,
    VSBXCrossover,
)
from tftune.samplers._nsgaii._mutations import BaseMutation, PolynomialMutation

__all__ = [
    "BLXAlphaCrossover",
    "BaseCrossover",
    "BaseMutation",
    "PolynomialMutation",
    "SBXCrossover",
    "SPXCrossover",
    "UNDXCrossover",
    "UniformCrossover",
    "VSBXCrossover",
]
