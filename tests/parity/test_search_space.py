"""optuna.search_space: the space every complete trial shares."""

from __future__ import annotations

import pytest

import tftune as optuna
from tftune.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tftune.search_space import IntersectionSearchSpace, intersection_search_space
from tftune.trial import TrialState, create_trial


def test_intersection_search_space_of_trials():
    x, y = FloatDistribution(0, 1), IntDistribution(0, 5)
    trials = [
        create_trial(value=1.0, params={"y": 1, "x": 0.5}, distributions={"y": y, "x": x}),
        create_trial(value=1.0, params={"x": 0.1, "y": 2}, distributions={"x": x, "y": y}),
        create_trial(state=TrialState.FAIL),
    ]
    space = intersection_search_space(trials)
    assert space == {"x": x, "y": y} and list(space) == ["x", "y"]  # sorted by name
    other = FloatDistribution(0, 2)
    trials.append(create_trial(value=1.0, params={"x": 0.1}, distributions={"x": other}))
    assert intersection_search_space(trials) == {}
    pruned = create_trial(state=TrialState.PRUNED, params={"x": 0.3}, distributions={"x": x})
    assert intersection_search_space(trials[:2] + [pruned]) == {"x": x, "y": y}
    assert intersection_search_space(trials[:2] + [pruned], include_pruned=True) == {"x": x}
    assert intersection_search_space([]) == {}


def test_intersection_search_space_of_a_study():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial):
        kind = trial.suggest_categorical("kind", ["a", "b"])
        if kind == "a":
            trial.suggest_int("depth", 1, 3)
        return trial.suggest_float("lr", 1e-3, 1e-1, log=True)

    study.enqueue_trial({"kind": "a"})
    study.enqueue_trial({"kind": "b"})
    study.optimize(objective, n_trials=2)
    assert IntersectionSearchSpace().calculate(study) == {
        "kind": CategoricalDistribution(["a", "b"]),
        "lr": FloatDistribution(1e-3, 1e-1, log=True),
    }


def test_an_intersection_search_space_object_serves_one_study():
    space = IntersectionSearchSpace()
    first, second = optuna.create_study(), optuna.create_study()
    assert space.calculate(first) == {}
    assert space.calculate(first) == {}  # the same study again is fine
    with pytest.raises(ValueError, match=r"serves one study: it was used with study '.*', got"):
        space.calculate(second)
