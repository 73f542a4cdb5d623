"""optimize's backend arguments are checked before anything starts (no Ray needed)."""

from __future__ import annotations

import pytest

import tftune


def _objective(trial: tftune.Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


@pytest.mark.parametrize("backend", ["dask", "Ray", "", None, 1])
def test_an_unknown_backend_is_refused_by_name(backend):
    study = tftune.create_study()
    with pytest.raises(ValueError, match=r"`backend` must be 'threads' or 'ray', got "):
        study.optimize(_objective, n_trials=1, backend=backend)
    assert study.trials == []


def test_threads_stay_the_default_backend():
    study = tftune.create_study()
    study.optimize(_objective, n_trials=3, n_jobs=2)
    assert len(study.trials) == 3


def test_resources_per_trial_need_the_ray_backend():
    with pytest.raises(ValueError, match=r"`resources_per_trial` applies to backend='ray' only"):
        tftune.create_study().optimize(_objective, n_trials=1, resources_per_trial={"cpu": 1})


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        ([("cpu", 1)], r"`resources_per_trial` must be a dict .* got \[\('cpu', 1\)\]"),
        ({"cpu": -1}, r"`resources_per_trial\['cpu'\]` must be a number >= 0, got -1"),
        ({"gpu": "a quarter"}, r"`resources_per_trial\['gpu'\]` must be a number >= 0"),
        ({"gpu": True}, r"`resources_per_trial\['gpu'\]` must be a number >= 0, got True"),
        ({"": 1}, r"`resources_per_trial` keys must be resource names, got ''"),
    ],
)
def test_bad_resources_are_refused_before_ray_starts(resources, message):
    study = tftune.create_study()
    with pytest.raises(ValueError, match=message):
        study.optimize(_objective, n_trials=1, backend="ray", resources_per_trial=resources)
    assert study.trials == []


@pytest.mark.parametrize("max_retries", [-1, 1.5, True])
def test_max_retries_must_be_a_non_negative_int(max_retries):
    with pytest.raises(ValueError, match=r"`max_retries` must be a non-negative int, got "):
        tftune.create_study().optimize(_objective, n_trials=1, max_retries=max_retries)
