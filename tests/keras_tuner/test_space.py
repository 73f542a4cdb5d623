"""Discovering a hypermodel's space before the search, and the grid a GridSearch walks."""

from __future__ import annotations

import tftune.keras_tuner as kt
from tftune.keras_tuner._space import default_params, discover_space, grid
from tftune.keras_tuner.errors import FailedTrialError


def _build(hp: kt.HyperParameters) -> None:
    model_type = hp.Choice("type", ["mlp", "cnn"])
    with hp.conditional_scope("type", ["mlp"]):
        if model_type == "mlp":
            hp.Int("units", 32, 96, step=32)
    with hp.conditional_scope("type", ["cnn"]):
        if model_type == "cnn":
            hp.Int("filters", 8, 32, step=2, sampling="log")
    hp.Boolean("dropout")
    hp.Fixed("epochs_hint", 2)


def test_conditional_branches_are_found_as_keras_tuner_finds_them() -> None:
    builds: list[dict[str, object]] = []

    def build(hp: kt.HyperParameters) -> None:
        _build(hp)
        builds.append(dict(hp.values))

    space = discover_space(build, None)
    assert [h.name for h in space.space] == ["type", "units", "dropout", "epochs_hint", "filters"]
    assert builds[1]["type"] == "cnn"  # a second build opened the never-active scope
    assert space.values == {"type": "mlp", "units": 32, "dropout": False, "epochs_hint": 2}
    assert default_params(space) == {"type": "mlp", "units": 32, "dropout": False}


def test_grid_has_one_sub_grid_per_branch_defaults_first() -> None:
    space = discover_space(_build, None)
    assert grid(space) == [
        {"type": ["mlp"], "dropout": [False, True], "units": [32, 64, 96]},
        {"type": ["cnn"], "dropout": [False, True], "filters": [8, 16, 32]},
    ]


def test_declared_hyperparameters_come_first_and_rejected_builds_are_skipped() -> None:
    declared = kt.HyperParameters()
    declared.Float("lr", 1e-3, 1e-1, sampling="log")

    def build(hp: kt.HyperParameters) -> None:
        hp.Int("units", 1, 4)
        raise FailedTrialError("too big")

    space = discover_space(build, declared)
    assert [h.name for h in space.space] == ["lr", "units"]
    assert grid(space)[0]["units"] == [1, 2, 3, 4]
