"""optuna.samplers: every sampler Optuna users construct, with Optuna's arguments."""

from __future__ import annotations

import warnings

import pytest

import tftune as optuna
from tftune.distributions import FloatDistribution
from tftune.samplers import (
    BruteForceSampler,
    CmaEsSampler,
    GPSampler,
    GridSampler,
    PartialFixedSampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)
from tftune.trial import TrialState


def _objective(trial):
    return (trial.suggest_float("x", -2, 2) - 1) ** 2 + trial.suggest_int("k", 0, 3)


@pytest.mark.parametrize(
    "make",
    [
        lambda: RandomSampler(seed=0),
        lambda: TPESampler(seed=0, n_startup_trials=3),
        lambda: TPESampler(seed=0, n_startup_trials=3, multivariate=False, constant_liar=False),
        lambda: GPSampler(seed=0, n_startup_trials=3),
        lambda: GPSampler(seed=0, n_startup_trials=3, deterministic_objective=True),
        lambda: QMCSampler(seed=0),
        lambda: QMCSampler(seed=0, qmc_type="halton", scramble=True),
    ],
)
def test_samplers_search_inside_the_space(make):
    study = optuna.create_study(sampler=make())
    study.optimize(_objective, n_trials=8)
    assert all(-2 <= t.params["x"] <= 2 and 0 <= t.params["k"] <= 3 for t in study.trials)
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 8


def test_seeded_samplers_repeat_themselves():
    for make in (lambda: TPESampler(seed=5, n_startup_trials=2), lambda: QMCSampler(seed=5)):
        runs = []
        for _ in range(2):
            study = optuna.create_study(sampler=make())
            study.optimize(_objective, n_trials=5)
            runs.append([t.params for t in study.trials])
        assert runs[0] == runs[1]


def test_tpe_accepts_optunas_arguments_and_warns_when_they_change_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TPESampler(
            consider_prior=True,
            consider_magic_clip=True,
            consider_endpoints=False,
            group=False,
            warn_independent_sampling=True,
            prior_weight=1.0,
            n_ei_candidates=24,
        )
    with pytest.warns(UserWarning, match=r"consider_endpoints=True\) has no effect"):
        TPESampler(consider_endpoints=True)
    with pytest.warns(UserWarning, match=r"group=True\) has no effect"):
        TPESampler(group=True)
    with pytest.warns(UserWarning, match="weights"):
        TPESampler(weights=lambda n: [1.0] * n)


def test_gp_and_qmc_use_the_independent_sampler():
    class Recording(RandomSampler):
        calls = 0

        def sample_independent(self, study, trial, name, distribution):
            Recording.calls += 1
            return super().sample_independent(study, trial, name, distribution)

    for sampler in (
        GPSampler(independent_sampler=Recording(seed=0), n_startup_trials=2),
        QMCSampler(independent_sampler=Recording(seed=0)),
    ):
        Recording.calls = 0
        optuna.create_study(sampler=sampler).optimize(_objective, n_trials=3)
        assert Recording.calls >= 2  # the first trial's parameters at least
    with pytest.raises(TypeError, match="independent_sampler"):
        GPSampler(independent_sampler="random")
    with pytest.raises(ValueError, match="qmc_type"):
        QMCSampler(qmc_type="lhs")


def test_grid_sampler_runs_the_grid_and_stops():
    sampler = GridSampler({"x": [-1.0, 0.0, 1.0], "k": [0, 3]})
    study = optuna.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=20)
    assert sorted((t.params["x"], t.params["k"]) for t in study.trials) == sorted(
        (x, k) for x in (-1.0, 0.0, 1.0) for k in (0, 3)
    )


def _conditional(trial):
    kind = trial.suggest_categorical("kind", ["float", "int"])
    if kind == "float":
        return trial.suggest_float("x", 1, 3, step=0.5)
    a = trial.suggest_int("a", 1, 3)
    b = trial.suggest_int("b", a, 3)
    return a + b


@pytest.mark.parametrize("avoid_premature_stop", [False, True])
def test_brute_force_tries_every_combination_once_then_stops(avoid_premature_stop, tmp_path):
    sampler = BruteForceSampler(seed=0, avoid_premature_stop=avoid_premature_stop)
    study = optuna.create_study(sampler=sampler, storage=f"sqlite:///{tmp_path / 'b.db'}")
    study.optimize(_conditional, n_trials=50)
    combos = [tuple(sorted(t.params.items())) for t in study.trials]
    assert len(combos) == 5 + 6 == len(set(combos))  # 5 floats; (a, b) with b >= a: 6


def test_brute_force_needs_a_finite_space():
    study = optuna.create_study(sampler=BruteForceSampler())
    with pytest.raises(ValueError, match=r"finite search space.*'x'.*step"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)


def test_brute_force_with_enqueued_trial_skips_it():
    study = optuna.create_study(sampler=BruteForceSampler(seed=1))
    study.enqueue_trial({"x": 2})
    study.optimize(lambda t: t.suggest_int("x", 0, 3), n_trials=10)
    assert sorted(t.params["x"] for t in study.trials) == [0, 1, 2, 3]


def test_partial_fixed_sampler():
    sampler = PartialFixedSampler({"k": 2}, TPESampler(seed=0, n_startup_trials=2))
    study = optuna.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=6)
    assert {t.params["k"] for t in study.trials} == {2}
    assert len({t.params["x"] for t in study.trials}) == 6
    with pytest.warns(UserWarning, match="lies outside"):
        PartialFixedSampler({"k": 9}, RandomSampler()).sample_independent(
            study, study.trials[0], "k", optuna.distributions.IntDistribution(0, 3)
        )
    with pytest.raises(TypeError, match="base_sampler"):
        PartialFixedSampler({"k": 2}, "tpe")


def test_custom_sampler_subclassing_base_sampler():
    class Midpoint(optuna.samplers.BaseSampler):
        def sample_independent(self, study, trial, name, distribution):
            return (distribution.low + distribution.high) / 2

    study = optuna.create_study(sampler=Midpoint())
    study.optimize(lambda t: t.suggest_float("x", 0, 4), n_trials=2)
    assert [t.params["x"] for t in study.trials] == [2.0, 2.0]
    assert FloatDistribution(0, 4) == study.trials[0].distributions["x"]


def _sphere(trial):
    x = [trial.suggest_float(f"x{i}", -3, 3) for i in range(4)]
    k = trial.suggest_int("k", -5, 5)
    trial.suggest_categorical("kind", ["a", "b"])
    return sum((v - 1) ** 2 for v in x) + (k - 2) ** 2


def test_cmaes_sampler_converges_where_random_search_does_not():
    cma = optuna.create_study(sampler=CmaEsSampler(seed=0))
    cma.optimize(_sphere, n_trials=80)
    rand = optuna.create_study(sampler=RandomSampler(seed=0))
    rand.optimize(_sphere, n_trials=80)
    assert cma.best_value < rand.best_value / 3
    late = [t.value for t in cma.trials[-16:]]
    assert sorted(late)[len(late) // 2] < sorted(t.value for t in cma.trials[:16])[8]
    assert all(t.params["kind"] in ("a", "b") and -5 <= t.params["k"] <= 5 for t in cma.trials)


def test_cmaes_sampler_is_reproducible_and_takes_x0_and_popsize():
    runs = []
    for _ in range(2):
        study = optuna.create_study(
            sampler=CmaEsSampler(x0={"x0": 1.0, "x1": 1.0}, sigma0=0.1, seed=3, popsize=6),
            direction="maximize",
        )
        study.optimize(
            lambda t: -abs(t.suggest_float("x0", -3, 3)) - t.suggest_float("x1", -3, 3) ** 2,
            n_trials=14,
        )
        runs.append([t.params for t in study.trials])
    assert runs[0] == runs[1]
    assert all(abs(p["x0"] - 1.0) < 1.5 for p in runs[0][1:7])  # the first generation near x0


def test_cmaes_sampler_refuses_what_it_does_not_implement():
    with pytest.raises(ValueError, match=r"restart_strategy='ipop'\) is not implemented"):
        CmaEsSampler(restart_strategy="ipop")
    with pytest.raises(ValueError, match=r"lr_adapt=True\) is not implemented"):
        CmaEsSampler(lr_adapt=True)
    with pytest.raises(ValueError, match="popsize"):
        CmaEsSampler(popsize=1)
