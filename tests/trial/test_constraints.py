"""Constraints: stored on the trial where Optuna keeps them, read back by one rule, and
honoured by ``best_trial`` / ``best_trials``."""

from __future__ import annotations

import math

import pytest

import tftune
from tftune.trial._constraints import (
    CONSTRAINTS_KEY,
    constraints_from_attrs,
    is_feasible,
    violation,
)
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

# The deprecated `constraints_func` is still what most of these tests exercise.
pytestmark = pytest.mark.filterwarnings("ignore:`constraints_func` of the samplers:FutureWarning")


def _quiet() -> None:
    tftune.logging.set_verbosity(tftune.logging.WARNING)


def test_constraints_are_read_from_the_list_and_from_named_attributes() -> None:
    attrs = {CONSTRAINTS_KEY: [0.5, -1.0], "constraints:latency": 2.0, "other": 1}
    assert constraints_from_attrs(attrs) == {"0": 0.5, "1": -1.0, "latency": 2.0}
    assert constraints_from_attrs({CONSTRAINTS_KEY: None}) == {}


def test_feasibility_rule_zero_is_feasible_positive_is_a_violation() -> None:
    def trial(values: list[float] | None) -> FrozenTrial:
        attrs = {} if values is None else {CONSTRAINTS_KEY: values}
        return FrozenTrial(number=0, state=TrialState.COMPLETE, values=[1.0], system_attrs=attrs)

    assert is_feasible(trial(None)) and violation(trial(None)) == 0.0
    assert is_feasible(trial([0.0, -3.0]))
    assert not is_feasible(trial([0.0, 1e-9]))
    assert violation(trial([2.0, -5.0, 0.5])) == pytest.approx(2.5)
    assert trial([0.25]).constraints == {"0": 0.25}


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@pytest.mark.parametrize("sampler_name", ["TPESampler", "NSGAIISampler", "AutoSampler"])
def test_constraints_round_trip_through_memory_and_sqlite(sqlite_url, kind, sampler_name) -> None:
    _quiet()
    storage_url = sqlite_url if kind == "sqlite" else None
    sampler = getattr(tftune.samplers, sampler_name)(
        seed=0, constraints_func=lambda t: [t.params["x"] - 0.5, -1.0]
    )
    study = tftune.create_study(storage=storage_url, sampler=sampler, directions=["minimize"] * 2)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=4)
    if storage_url is not None:
        study = tftune.load_study(study_name=study.study_name, storage=storage_url)
    for trial in study.trials:
        expected = [trial.params["x"] - 0.5, -1.0]
        assert trial.system_attrs[CONSTRAINTS_KEY] == pytest.approx(expected)
        assert trial.constraints == {"0": pytest.approx(expected[0]), "1": -1.0}


def test_failed_trials_get_no_constraints_and_nan_is_refused() -> None:
    _quiet()
    sampler = tftune.samplers.TPESampler(constraints_func=lambda t: [math.nan])
    study = tftune.create_study(sampler=sampler)

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if x >= 0:  # always: the first trial fails in the objective
            raise RuntimeError("boom")
        return x

    study.optimize(objective, n_trials=1, catch=(RuntimeError,))
    assert CONSTRAINTS_KEY not in study.trials[0].system_attrs
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    with pytest.raises(ValueError, match="Constraint values cannot be NaN"):
        study.tell(trial, 0.5)


def test_constraints_func_must_be_callable() -> None:
    for sampler in (tftune.samplers.TPESampler, tftune.samplers.NSGAIISampler):
        with pytest.raises(TypeError, match="`constraints_func` must be None or a callable"):
            sampler(constraints_func=[1.0])


def test_best_trial_is_the_best_feasible_one() -> None:
    _quiet()
    sampler = tftune.samplers.RandomSampler(seed=0)
    study = tftune.create_study(sampler=sampler, direction="maximize")
    for x, c in [(5.0, 1.0), (3.0, -1.0), (4.0, 0.0), (9.0, 0.1)]:
        trial = study.ask()
        trial.set_system_attr(CONSTRAINTS_KEY, [c])
        study.tell(trial, x)
    assert study.best_trial.value == 4.0
    assert study.best_value == 4.0


def test_best_trial_without_a_feasible_trial_raises() -> None:
    _quiet()
    study = tftune.create_study()
    trial = study.ask()
    trial.set_system_attr(CONSTRAINTS_KEY, [1.0])
    study.tell(trial, 0.0)
    with pytest.raises(ValueError, match="No feasible trials are completed yet"):
        study.best_trial  # noqa: B018


def test_best_trials_is_the_pareto_front_of_the_feasible_trials() -> None:
    _quiet()
    study = tftune.create_study(directions=["minimize", "minimize"])
    for values, c in [((0.0, 0.0), 1.0), ((1.0, 2.0), -1.0), ((2.0, 1.0), 0.0), ((3.0, 3.0), 0.0)]:
        trial = study.ask()
        trial.set_system_attr(CONSTRAINTS_KEY, [c])
        study.tell(trial, values)
    assert sorted(t.values for t in study.best_trials) == [[1.0, 2.0], [2.0, 1.0]]


def test_best_trials_is_empty_when_nothing_is_feasible() -> None:
    _quiet()
    study = tftune.create_study(directions=["minimize", "maximize"])
    trial = study.ask()
    trial.set_system_attr(CONSTRAINTS_KEY, [0.5])
    study.tell(trial, (1.0, 1.0))
    assert study.best_trials == []


@pytest.mark.parametrize(
    "make",
    [
        lambda f: tftune.samplers.NSGAIISampler(constraints_func=f),
        lambda f: tftune.samplers.NSGAIIISampler(constraints_func=f),
        lambda f: tftune.samplers.TPESampler(constraints_func=f),
        lambda f: tftune.samplers.GPSampler(constraints_func=f),
    ],
    ids=["nsgaii", "nsgaiii", "tpe", "gp"],
)
def test_a_samplers_constraints_func_is_deprecated_but_still_works(make) -> None:
    _quiet()
    with pytest.warns(
        FutureWarning,
        match=r"`constraints_func` of the samplers is deprecated.*"
        r"Trial\.set_constraint",
    ) as record:
        sampler = make(lambda t: [t.params["x"] - 0.5])
    assert {w.filename for w in record if w.category is FutureWarning} == {__file__}
    study = tftune.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert all(t.system_attrs[CONSTRAINTS_KEY] == [t.params["x"] - 0.5] for t in study.trials)


def test_no_constraints_func_no_warning(recwarn) -> None:
    tftune.samplers.NSGAIISampler()
    assert not [w for w in recwarn if issubclass(w.category, FutureWarning)]


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_a_nan_constraint_stops_optimize_but_the_complete_trial_is_kept() -> None:
    _quiet()
    sampler = tftune.samplers.NSGAIISampler(
        population_size=2, constraints_func=lambda t: (math.nan,)
    )
    study = tftune.create_study(directions=["minimize"] * 2, sampler=sampler)
    with pytest.raises(ValueError, match="Constraint values cannot be NaN"):
        study.optimize(lambda t: [t.suggest_float(f"x{i}", 0, 1) for i in range(2)], n_trials=4)
    (trial,) = study.trials
    assert trial.state == TrialState.COMPLETE
    assert trial.values == list(trial.params.values())
    assert trial.constraints == {}
