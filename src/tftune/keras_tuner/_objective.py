"""KerasTuner's objectives: a metric and a direction, or a list of them summed into one score."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

#: Metric names (without ``val_``/``weighted_``) KerasTuner knows the direction of.
_MINIMIZED = frozenset(
    {
        "loss",
        "crossentropy",
        "ce",
        "mse",
        "mae",
        "mape",
        "msle",
        "mean_squared_error",
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "mean_squared_logarithmic_error",
        "root_mean_squared_error",
        "binary_crossentropy",
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        "kl_divergence",
        "kld",
        "kullback_leibler_divergence",
        "poisson",
        "hinge",
        "squared_hinge",
        "categorical_hinge",
        "logcosh",
        "log_cosh",
        "huber",
        "cosine_similarity_loss",
    }
)
_MAXIMIZED = frozenset(
    {
        "acc",
        "accuracy",
        "binary_accuracy",
        "categorical_accuracy",
        "sparse_categorical_accuracy",
        "top_k_categorical_accuracy",
        "sparse_top_k_categorical_accuracy",
        "auc",
        "precision",
        "recall",
        "f1_score",
        "fbeta_score",
        "r2_score",
        "iou",
        "mean_iou",
        "cosine_similarity",
    }
)
_DIRECTIONS = ("min", "max")


class Objective:
    """A metric to optimize: ``Objective("val_accuracy", direction="max")``."""

    def __init__(self, name: str, direction: str) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"`Objective` name must be a non-empty str, got {name!r}.")
        if direction not in _DIRECTIONS:
            raise ValueError(
                f"`Objective` direction must be 'min' or 'max', got {direction!r} "
                f"for objective {name!r}."
            )
        self.name = name
        self.direction = direction

    def has_value(self, logs: Mapping[str, Any]) -> bool:
        return self.name in logs

    def get_value(self, logs: Mapping[str, Any]) -> float:
        return float(logs[self.name])

    def better_than(self, a: float, b: float) -> bool:
        return a > b if self.direction == "max" else a < b

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Objective)
            and other.name == self.name
            and other.direction == self.direction
        )

    def __hash__(self) -> int:
        return hash((self.name, self.direction))

    def __repr__(self) -> str:
        return f'Objective(name="{self.name}", direction="{self.direction}")'

    __str__ = __repr__


class DefaultObjective(Objective):
    """No objective given: the value ``run_trial``/``fit`` returns, minimized."""

    def __init__(self) -> None:
        super().__init__("default_objective", "min")


class MultiObjective(Objective):
    """KerasTuner's list of objectives: one score, the sum of the minimized metrics minus the
    maximized ones (a weighted sum, not a Pareto front; ``tftune.create_study(directions=...)``
    is the true multi-objective study)."""

    def __init__(self, objectives: Sequence[Objective]) -> None:
        super().__init__("multi_objective", "min")
        self.objectives = list(objectives)

    def has_value(self, logs: Mapping[str, Any]) -> bool:
        return all(objective.name in logs for objective in self.objectives)

    def get_value(self, logs: Mapping[str, Any]) -> float:
        total = 0.0
        for objective in self.objectives:
            value = float(logs[objective.name])
            total += value if objective.direction == "min" else -value
        return total

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MultiObjective) and set(other.objectives) == set(self.objectives)

    def __hash__(self) -> int:
        return hash(frozenset(self.objectives))

    def __repr__(self) -> str:
        inner = ", ".join(map(repr, self.objectives))
        return f'MultiObjective(name="multi_objective", direction="min"): [{inner}]'

    __str__ = __repr__


def infer_metric_direction(metric: str) -> str | None:
    """``"min"``/``"max"`` for a metric name KerasTuner knows, else ``None``."""
    name = metric.removeprefix("val_").removeprefix("weighted_")
    if name in _MINIMIZED:
        return "min"
    if name in _MAXIMIZED:
        return "max"
    return None


def create_objective(objective: Any) -> Objective:
    """An :class:`Objective` from ``None``, a metric name, an ``Objective`` or a list."""
    if objective is None:
        return DefaultObjective()
    if isinstance(objective, list):
        return MultiObjective([create_objective(item) for item in objective])
    if isinstance(objective, Objective):
        return objective
    if not isinstance(objective, str):
        raise TypeError(
            f"`objective` not understood, expected str or `Objective` object, found: {objective!r}"
        )
    direction = infer_metric_direction(objective)
    if direction is None:
        raise ValueError(
            f'Could not infer optimization direction ("min" or "max") for unknown metric '
            f'"{objective}". Specify the objective as a `keras_tuner.Objective`, for example '
            f'`keras_tuner.Objective("{objective}", direction="min")`.'
        )
    return Objective(objective, direction)


def score(objective: Objective, metrics: Mapping[str, float]) -> float:
    """The trial's score under ``objective`` (NaN when a metric is missing)."""
    if not objective.has_value(metrics):
        return math.nan
    return objective.get_value(metrics)
