"""TftuneSearch's conversion of Ray Tune's param_space (no cluster needed: nothing starts)."""

from __future__ import annotations

import pytest
from ray import tune

from tftune.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tftune.integration.ray import TftuneSearch, convert_search_space


def test_ray_domains_become_tftune_distributions_with_nested_names():
    space = convert_search_space(
        {
            "lr": tune.loguniform(1e-4, 1e-1),
            "dropout": tune.quniform(0.0, 0.5, 0.1),
            "model": {"units": tune.randint(8, 65), "width": tune.lograndint(2, 33)},
            "activation": tune.choice(["relu", "tanh"]),
            "momentum": FloatDistribution(0.0, 0.9),
            "fixed": 3,
        }
    )
    assert space == {
        "lr": FloatDistribution(1e-4, 1e-1, log=True),
        "dropout": FloatDistribution(0.0, 0.5, step=0.1),
        "model/units": IntDistribution(8, 64),  # Ray's upper bound is exclusive
        "model/width": IntDistribution(2, 32, log=True),
        "activation": CategoricalDistribution(["relu", "tanh"]),
        "momentum": FloatDistribution(0.0, 0.9),
    }


def test_grid_search_is_refused_with_the_parameter_named():
    with pytest.raises(ValueError, match=r"must not use tune.grid_search .* \['units'\]"):
        convert_search_space({"units": tune.grid_search([8, 16])})


def test_an_unsupported_domain_is_refused_with_its_name():
    message = r"`space\['x'\]` is a Float sampled by _?Normal, which TftuneSearch cannot"
    with pytest.raises(ValueError, match=message):
        convert_search_space({"x": tune.randn(0.0, 1.0)})


def test_a_bad_mode_is_refused():
    with pytest.raises(ValueError, match=r"`mode` must be 'min' or 'max', got 'maximize'"):
        TftuneSearch({"x": tune.uniform(0, 1)}, metric="loss", mode="maximize")


def test_suggestions_are_nested_like_the_param_space_and_told_back():
    search = TftuneSearch(
        {"x": tune.uniform(0.0, 1.0), "model": {"units": tune.randint(8, 65)}},
        metric="loss",
        mode="min",
    )
    config = search.suggest("trial-a")
    assert set(config) == {"x", "model"} and 8 <= config["model"]["units"] <= 64
    search.on_trial_result("trial-a", {"loss": 2.0, "training_iteration": 1})
    search.on_trial_complete("trial-a", {"loss": 1.5, "training_iteration": 2})
    search.suggest("trial-b")
    search.on_trial_complete("trial-b", error=True)
    first, second = search.study.trials
    assert (first.value, first.intermediate_values, first.state.name) == (
        1.5,
        {1: 2.0},
        "COMPLETE",
    )
    assert second.state.name == "FAIL"
