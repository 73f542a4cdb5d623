"""The evaluators' values on cases computed by hand, and their errors for bad input."""

from __future__ import annotations

import math
import sys

import pytest

import tftune
from tftune.study import StudyDirection
from tftune.terminator import (
    BestValueStagnationEvaluator,
    CrossValidationErrorEvaluator,
    MedianErrorEvaluator,
    RegretBoundEvaluator,
    StaticErrorEvaluator,
    report_cross_validation_scores,
)
from tftune.terminator._regret_bound import confidence_beta
from tftune.trial import TrialState, create_trial
from tftune.distributions import FloatDistribution

MIN, MAX = StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE


def _trials(values, xs=None):
    xs = xs if xs is not None else [i / max(len(values), 1) for i in range(len(values))]
    return [
        create_trial(value=value, params={"x": x}, distributions={"x": FloatDistribution(-5, 5)})
        for value, x in zip(values, xs, strict=True)
    ]


# --- BestValueStagnationEvaluator -----------------------------------------------------------
def test_stagnation_counts_complete_trials_since_the_best():
    trials = _trials([3.0, 1.0, 2.0, 2.0])
    assert BestValueStagnationEvaluator(2).evaluate(trials, MIN) == 0.0  # best #1, 2 since
    assert BestValueStagnationEvaluator(2).evaluate(trials, MAX) == -1.0  # best #0, 3 since
    failed = create_trial(state=TrialState.FAIL)
    assert BestValueStagnationEvaluator(2).evaluate([*trials, failed], MIN) == 0.0


def test_stagnation_errors():
    with pytest.raises(ValueError, match=r"`max_stagnation_trials` must be an int >= 0, got -1"):
        BestValueStagnationEvaluator(-1)
    with pytest.raises(ValueError, match="No trial is complete yet"):
        BestValueStagnationEvaluator().evaluate([], MIN)


# --- error evaluators -----------------------------------------------------------------------
def test_cross_validation_error_of_the_best_trial():
    study = tftune.create_study(direction="maximize")
    for value, scores in [(2.0, [1.0, 2.0, 3.0]), (1.0, [0.0, 10.0])]:
        trial = study.ask()
        report_cross_validation_scores(trial, scores)
        study.tell(trial, value)
    # k = 3, var = 2/3: sqrt((1/3 + 1/2) * 2/3) = sqrt(5/9)
    error = CrossValidationErrorEvaluator().evaluate(study.trials, study.direction)
    assert error == pytest.approx(math.sqrt(5 / 9))
    assert study.trials[0].system_attrs["terminator:cv_scores"] == [1.0, 2.0, 3.0]


def test_cross_validation_error_needs_reported_scores():
    study = tftune.create_study()
    study.optimize(lambda t: 1.0, n_trials=1)
    with pytest.raises(ValueError, match=r"Trial #0 \(the best\) has no cross-validation scores"):
        CrossValidationErrorEvaluator().evaluate(study.trials, MIN)
    with pytest.raises(ValueError, match="No trial is complete yet"):
        CrossValidationErrorEvaluator().evaluate([], MIN)


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ([1.0], r"`scores` must hold at least 2 numbers, got \[1\.0\]"),
        ("12", r"`scores` must hold at least 2 numbers, got '12'"),
        ([1.0, "a"], r"`scores` must hold finite numbers, got 'a' at index 1"),
        ([1.0, float("nan")], r"`scores` must hold finite numbers, got nan at index 1"),
    ],
)
def test_report_cross_validation_scores_errors(scores, message):
    trial = tftune.create_study().ask()
    with pytest.raises(ValueError, match=message):
        report_cross_validation_scores(trial, scores)


def test_static_error():
    assert StaticErrorEvaluator(0.25).evaluate([], MIN) == 0.25
    with pytest.raises(ValueError, match=r"`constant` must be a finite number, got inf"):
        StaticErrorEvaluator(float("inf"))


def test_median_error_is_a_ratio_of_the_early_bounds_median():
    evaluator = MedianErrorEvaluator(
        BestValueStagnationEvaluator(10), warm_up_trials=1, n_initial_trials=3, threshold_ratio=0.5
    )
    trials = _trials([5.0, 4.0, 3.0, 3.0, 0.0])
    assert evaluator.evaluate(trials[:3], MIN) == -sys.float_info.min  # too few yet: never stop
    # without the warm-up trial: [4] -> 10, [4, 3] -> 10, [4, 3, 3] -> 9; median 10, times 0.5
    assert evaluator.evaluate(trials[:4], MIN) == 5.0
    assert evaluator.evaluate(trials, MIN) == 5.0  # fixed once computed


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"warm_up_trials": -1}, r"`warm_up_trials` must be an int >= 0, got -1"),
        ({"n_initial_trials": 0}, r"`n_initial_trials` must be an int >= 1, got 0"),
        ({"threshold_ratio": 0.0}, r"`threshold_ratio` must be a finite number > 0, got 0\.0"),
    ],
)
def test_median_error_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MedianErrorEvaluator(BestValueStagnationEvaluator(), **kwargs)
    with pytest.raises(TypeError, match="`paired_improvement_evaluator` must be a Base"):
        MedianErrorEvaluator(StaticErrorEvaluator(1.0))  # type: ignore[arg-type]


# --- RegretBoundEvaluator -------------------------------------------------------------------
def test_confidence_beta_by_hand():
    assert confidence_beta(1, 10) == pytest.approx(2 * math.log(100 * math.pi**2 / 0.6) / 5)


def _quadratic(n, scale=1.0):
    xs = [-3 + 6 * i / (n - 1) for i in range(n)]
    return _trials([scale * (x - 1.0) ** 2 for x in xs], xs)


def test_regret_bound_is_in_the_objectives_units_and_direction_free():
    bound = RegretBoundEvaluator(seed=0).evaluate(_quadratic(15), MIN)
    assert bound > 0
    scaled = RegretBoundEvaluator(seed=0).evaluate(_quadratic(15, scale=10.0), MIN)
    assert scaled == pytest.approx(10 * bound, rel=1e-2)  # the fit sees the same data
    flipped = RegretBoundEvaluator(seed=0).evaluate(_quadratic(15, scale=-1.0), MAX)
    assert flipped == pytest.approx(bound, rel=1e-2)


def test_regret_bound_shrinks_as_the_optimum_is_pinned_down():
    few = RegretBoundEvaluator(seed=0).evaluate(_quadratic(6), MIN)
    many = RegretBoundEvaluator(seed=0).evaluate(_quadratic(40), MIN)
    assert many < few


def test_regret_bound_errors():
    with pytest.raises(ValueError, match="No trial is complete yet"):
        RegretBoundEvaluator().evaluate([create_trial(state=TrialState.FAIL)], MIN)
    with pytest.raises(ValueError, match="intersection search space is empty"):
        RegretBoundEvaluator().evaluate([create_trial(value=1.0)], MIN)
    with pytest.raises(
        ValueError, match=r"`top_trials_ratio` must be a number in \(0, 1\], got 0"
    ):
        RegretBoundEvaluator(top_trials_ratio=0)
    with pytest.raises(ValueError, match=r"`min_n_trials` must be an int >= 1, got 0"):
        RegretBoundEvaluator(min_n_trials=0)


def test_regret_bound_on_a_mixed_space():
    study = tftune.create_study(sampler=tftune.samplers.RandomSampler(seed=0))

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        units = trial.suggest_int("units", 8, 64, step=8)
        act = trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
        return (math.log10(lr) + 2) ** 2 + units / 64 + (act == "tanh")

    study.optimize(objective, n_trials=25)
    bound = RegretBoundEvaluator(seed=0).evaluate(study.trials, MIN)
    assert math.isfinite(bound) and bound > 0
    # the GP's inputs: two numbers on [0, 1] (log lr, stepped units), one category index
    from tftune.samplers._gp._model import unit_inputs

    u_num, x_cat = unit_inputs(study.trials[0].distributions, [study.trials[0].params])
    assert u_num.shape == (1, 2) and x_cat.shape == (1, 1)
    assert ((u_num >= 0) & (u_num <= 1)).all() and x_cat[0, 0] in (0, 1, 2)
