"""KerasTuner's objectives: directions from names, explicit ones, lists summed into one score."""

from __future__ import annotations

import math

import pytest

import tftune.keras_tuner as kt
from tftune.keras_tuner._objective import (
    DefaultObjective,
    MultiObjective,
    create_objective,
    score,
)


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        ("val_loss", "min"),
        ("loss", "min"),
        ("val_accuracy", "max"),
        ("acc", "max"),
        ("val_auc", "max"),
        ("val_mean_absolute_error", "min"),
        ("weighted_mse", "min"),
        ("val_precision", "max"),
    ],
)
def test_direction_is_inferred_from_the_metric_name(name: str, direction: str) -> None:
    objective = create_objective(name)
    assert (objective.name, objective.direction) == (name, direction)


def test_unknown_metric_names_and_bad_objectives_are_rejected() -> None:
    with pytest.raises(ValueError, match=r'Could not infer optimization direction.*"val_custom"'):
        create_objective("val_custom")
    with pytest.raises(TypeError, match=r"`objective` not understood.*42"):
        create_objective(42)
    with pytest.raises(ValueError, match=r"direction must be 'min' or 'max', got 'up'.*'m'"):
        kt.Objective("m", "up")


def test_no_objective_minimizes_the_returned_value() -> None:
    objective = create_objective(None)
    assert isinstance(objective, DefaultObjective)
    assert (objective.name, objective.direction) == ("default_objective", "min")


def test_a_list_of_objectives_is_keras_tuners_sum() -> None:
    objective = create_objective(["val_loss", kt.Objective("val_accuracy", "max")])
    assert isinstance(objective, MultiObjective)
    assert objective.direction == "min"
    assert score(objective, {"val_loss": 0.5, "val_accuracy": 0.75, "loss": 9.0}) == -0.25
    assert math.isnan(score(objective, {"val_loss": 0.5}))
    assert objective == create_objective([kt.Objective("val_accuracy", "max"), "val_loss"])
    assert kt.Objective("a", "max").better_than(2.0, 1.0)
    assert kt.Objective("a", "min").better_than(1.0, 2.0)
