"""TPE and GP learn: on a function with a known optimum they beat random search."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tftune
from tftune.samplers import AutoSampler, GPSampler, RandomSampler, TPESampler
from tftune.samplers._gp._sampler import log_expected_improvement

BRANIN_OPTIMUM = 0.397887


def branin(trial):
    x, y = trial.suggest_float("x", -5, 10), trial.suggest_float("y", 0, 15)
    return (
        (y - 5.1 / (4 * math.pi**2) * x * x + 5 / math.pi * x - 6) ** 2
        + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x)
        + 10
    )


def regret(sampler, n_trials):
    study = tftune.create_study(sampler=sampler)
    study.optimize(branin, n_trials=n_trials)
    return study.best_value - BRANIN_OPTIMUM


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gp_beats_random_search_on_branin(seed):
    random = regret(RandomSampler(seed=seed), 40)
    assert regret(GPSampler(seed=seed), 40) < min(0.05, random)


def test_tpe_beats_random_search_on_branin():
    # Compared over six seeds: one seed's random search can land near an optimum by luck
    # (seed 0 reaches 0.70 at trial 38), and TPE must win on the whole, not on every draw.
    tpe = np.array([regret(TPESampler(seed=seed), 40) for seed in range(6)])
    random = np.array([regret(RandomSampler(seed=seed), 40) for seed in range(6)])
    assert np.median(tpe) < 0.1 < np.median(random)
    assert np.sum(tpe < random) >= 5


def test_mixed_space_with_int_log_and_categorical():
    def objective(trial):
        units = trial.suggest_int("units", 1, 256, log=True)
        act = trial.suggest_categorical("act", ["relu", "tanh", "sigmoid"])
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        return abs(math.log2(units) - 5) + (act != "tanh") + abs(math.log10(lr) + 3)

    for sampler in (GPSampler(seed=0), TPESampler(seed=0)):
        study = tftune.create_study(sampler=sampler)
        study.optimize(objective, n_trials=50)
        best = study.best_params
        assert best["act"] == "tanh", type(sampler).__name__
        assert 16 <= best["units"] <= 64 and 1e-4 <= best["lr"] <= 1e-2, (
            type(sampler).__name__,
            best,
        )


def test_gp_spreads_parallel_workers_with_the_kriging_believer():
    study = tftune.create_study(sampler=GPSampler(seed=0, n_startup_trials=5))
    study.optimize(branin, n_trials=5)
    first, second = study.ask(), study.ask()  # the second sees the first running
    assert (first.suggest_float("x", -5, 10), first.suggest_float("y", 0, 15)) != (
        second.suggest_float("x", -5, 10),
        second.suggest_float("y", 0, 15),
    )


def test_log_expected_improvement_is_finite_at_both_ends():
    mean = np.array([0.0, 5.0, 40.0, -1.0, 0.0])
    std = np.array([1.0, 1.0, 1.0, 1e-3, 1e-3])
    values = log_expected_improvement(mean, std, best=0.0)
    assert np.all(np.isfinite(values))
    assert values[0] > values[1] > values[2]
    assert values[0] == pytest.approx(math.log(1 / math.sqrt(2 * math.pi)))  # EI(z=0) = phi(0)
    assert values[3] == pytest.approx(math.log(1.0), abs=1e-6)  # z = 1000: EI = best - mean = 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_startup_trials": 0}, r"`n_startup_trials` must be a positive int, got 0"),
        ({"max_fit_points": 5}, r"`max_fit_points` must be an int >= 10, got 5"),
    ],
)
def test_gp_arguments_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GPSampler(**kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_startup_trials": -1}, r"`n_startup_trials` must be a non-negative int, got -1"),
        ({"n_ei_candidates": 0}, r"`n_ei_candidates` must be a positive int, got 0"),
        ({"prior_weight": 0}, r"`prior_weight` must be > 0, got 0"),
    ],
)
def test_tpe_arguments_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TPESampler(**kwargs)


def test_auto_sampler_uses_the_gp_first_then_tpe():
    sampler = AutoSampler(seed=0, gp_max_trials=15)
    study = tftune.create_study(sampler=sampler)
    study.optimize(branin, n_trials=12)
    space = sampler.tpe.infer_relative_search_space(study, study.trials[-1])
    assert sampler.choose(study, space) is sampler.gp
    study.optimize(branin, n_trials=5)
    assert sampler.choose(study, space) is sampler.tpe
    assert sampler.choose(study, {}) is sampler.tpe  # nothing shared (yet): TPE per parameter


def test_auto_sampler_gives_every_second_trial_to_tpe_while_the_gp_is_in_use():
    sampler = AutoSampler(seed=0, gp_max_trials=15)
    study = tftune.create_study(sampler=sampler)
    study.optimize(branin, n_trials=12)
    space = sampler.tpe.infer_relative_search_space(study, study.trials[-1])
    assert [sampler.choose(study, space, number) for number in range(12, 16)] == [
        sampler.gp,
        sampler.tpe,
        sampler.gp,
        sampler.tpe,
    ]
    gp_only = AutoSampler(seed=0, gp_max_trials=15, tpe_every=None)
    assert {gp_only.choose(study, space, number) for number in range(12, 16)} == {gp_only.gp}


@pytest.mark.parametrize("value", [0, -2, 1.5, True])
def test_auto_sampler_checks_tpe_every(value):
    with pytest.raises(
        ValueError, match=rf"`tpe_every` must be None or an int >= 1, got {value!r}"
    ):
        AutoSampler(tpe_every=value)
