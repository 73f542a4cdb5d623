"""KerasTuner's oracles (``keras_tuner.oracles.RandomSearchOracle`` and the others)."""

from tftune.keras_tuner._oracles import (
    BayesianOptimizationOracle,
    GridSearchOracle,
    HyperbandOracle,
    Oracle,
    RandomSearchOracle,
)

# KerasTuner's older names for the same oracles.
BayesianOptimization = BayesianOptimizationOracle
GridSearch = GridSearchOracle
Hyperband = HyperbandOracle
RandomSearch = RandomSearchOracle

__all__ = [
    "BayesianOptimization",
    "GridSearch",
    "Hyperband",
    "RandomSearch",
    "BayesianOptimizationOracle",
    "GridSearchOracle",
    "HyperbandOracle",
    "Oracle",
    "RandomSearchOracle",
]
