"""BruteForceSampler: the search space must not change between trials, parallel asks split
the values, and the study is told to stop once every combination was tried."""

from __future__ import annotations

import pytest

import tftune
from tftune.distributions import FloatDistribution
from tftune.exceptions import ExperimentalWarning
from tftune.samplers import BruteForceSampler

pytestmark = pytest.mark.filterwarnings("ignore::tftune.exceptions.ExperimentalWarning")


@pytest.fixture(autouse=True)
def _quiet() -> None:
    tftune.logging.set_verbosity(tftune.logging.WARNING)


def test_a_range_that_changes_between_trials_is_refused() -> None:
    study = tftune.create_study(sampler=BruteForceSampler(seed=0))
    with pytest.raises(ValueError, match=r"parameter 'x' is IntDistribution\(.*high=1"):
        study.optimize(lambda t: t.suggest_int("x", -1, t.number), n_trials=10)


def test_a_different_step_for_the_same_parameter_is_refused() -> None:
    study = tftune.create_study(sampler=BruteForceSampler())
    study.ask({"x": FloatDistribution(0.0, 0.3, step=0.1)})
    with pytest.raises(ValueError, match="needs the same search space in every trial: after the"):
        study.ask({"x": FloatDistribution(0.0, 0.4, step=0.2)})


def test_a_complete_trial_may_not_end_where_another_goes_on() -> None:
    study = tftune.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(lambda t: t.suggest_int("a", 0, 1) + t.suggest_int("b", 0, 1), n_trials=1)
    first = study.trials[0].params["a"]
    with pytest.raises(ValueError, match=rf"a trial ended after a={first}, another went on"):
        study.enqueue_trial({"a": first})
        study.optimize(lambda t: t.suggest_int("a", 0, 1), n_trials=1)


def test_a_failed_trial_that_stopped_early_does_not_conflict() -> None:
    """It holds its branch (as in Optuna, a failed combination is not tried again)."""
    study = tftune.create_study(sampler=BruteForceSampler(seed=0))

    def objective(trial: tftune.Trial) -> float:
        a = trial.suggest_int("a", 0, 1)
        if trial.number == 0:
            raise RuntimeError("stops before b")
        return a + trial.suggest_int("b", 0, 1)

    study.optimize(objective, catch=(RuntimeError,))
    failed_a = study.trials[0].params["a"]
    complete = [t.params for t in study.trials[1:]]
    assert sorted(p["b"] for p in complete) == [0, 1]
    assert all(p["a"] == 1 - failed_a for p in complete)


def test_two_asks_before_any_suggestion_take_different_values() -> None:
    study = tftune.create_study(sampler=BruteForceSampler())
    first, second = study.ask(), study.ask()
    values = {
        first.suggest_categorical("x", ["a", "b"]),
        second.suggest_categorical("x", ["a", "b"]),
    }
    assert values == {"a", "b"}


def test_the_study_is_told_to_stop_once_every_combination_is_held() -> None:
    # Running trials hold their combination: the first tell already finds none left.
    study = tftune.create_study(sampler=BruteForceSampler())
    trials = [study.ask() for _ in range(2)]
    assert {trial.suggest_int("x", 0, 1) for trial in trials} == {0, 1}
    study.tell(trials[0], 0.0)
    assert study.stop_requested


def test_with_avoid_premature_stop_only_finished_trials_count() -> None:
    study = tftune.create_study(sampler=BruteForceSampler(avoid_premature_stop=True))
    for k in range(2):
        trial = study.ask()
        trial.suggest_int("x", 0, 1)
        study.tell(trial, 0.0)
        assert study.stop_requested == (k == 1)


def test_brute_force_is_experimental() -> None:
    with pytest.warns(ExperimentalWarning, match="BruteForceSampler is experimental"):
        BruteForceSampler()
