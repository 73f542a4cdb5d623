"""KerasTuner's oracles (``keras_tuner.oracles.RandomSearchOracle`` and the others)."""

from tftune.keras_tuner._oracles import (
    BayesianOptimizationOracle,
    GridSearchOracle,
    HyperbandOracle,
    Oracle,
    RandomSearchOracle,
)

__all__ = [
    "BayesianOptimizationOracle",
    "GridSearchOracle",
    "HyperbandOracle",
    "Oracle",
    "RandomSearchOracle",
]
