"""Terminator and TerminatorCallback on real studies: a smooth function stops early, an
improving one goes on, and nothing stops before ``min_n_trials``."""

from __future__ import annotations

import pytest

import tftune
from tftune.terminator import (
    BestValueStagnationEvaluator,
    CrossValidationErrorEvaluator,
    RegretBoundEvaluator,
    StaticErrorEvaluator,
    Terminator,
    TerminatorCallback,
    report_cross_validation_scores,
)


def test_a_smooth_function_stops_before_its_budget():
    def objective(trial):
        x = trial.suggest_float("x", -3, 3)
        value = (x - 1.0) ** 2
        # the spread of a 3-fold cross-validation: error sqrt(5/6 * 2/3 * 1e-4) = 7.5e-3
        report_cross_validation_scores(trial, [value - 0.01, value, value + 0.01])
        return value

    study = tftune.create_study(sampler=tftune.samplers.GPSampler(seed=0))
    terminator = Terminator(RegretBoundEvaluator(seed=0), CrossValidationErrorEvaluator())
    study.optimize(objective, n_trials=100, callbacks=[TerminatorCallback(terminator)])
    assert 20 <= len(study.trials) < 100
    assert study.best_value < 0.01


def test_an_improving_study_is_not_stopped():
    def objective(trial):
        trial.suggest_float("x", -3, 3)
        return -float(trial.number)  # every trial beats the last by 1

    study = tftune.create_study(sampler=tftune.samplers.RandomSampler(seed=0))
    terminator = Terminator(RegretBoundEvaluator(seed=0), StaticErrorEvaluator(0.01))
    study.optimize(objective, n_trials=35, callbacks=[TerminatorCallback(terminator)])
    assert len(study.trials) == 35


def test_nothing_stops_before_min_n_trials():
    study = tftune.create_study()
    callback = TerminatorCallback(Terminator(BestValueStagnationEvaluator(0), min_n_trials=12))
    study.optimize(lambda t: 1.0, n_trials=50, callbacks=[callback])  # stagnant from trial 1
    assert len(study.trials) == 12


def test_stagnation_pairs_with_a_zero_error_by_default():
    terminator = Terminator(BestValueStagnationEvaluator(3), min_n_trials=1)
    study = tftune.create_study()
    for value in [5.0, 4.0, 4.0, 4.0, 4.0]:
        study.add_trial(tftune.create_trial(value=value))
        stop = terminator.should_terminate(study)
    assert stop is False  # 3 since the best: 3 - 3 = 0, not below 0
    study.add_trial(tftune.create_trial(value=4.0))
    assert terminator.should_terminate(study) is True


def test_the_default_error_needs_cross_validation_scores():
    study = tftune.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    with pytest.raises(ValueError, match="report_cross_validation_scores"):
        Terminator(min_n_trials=1).should_terminate(study)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"`min_n_trials` must be an int >= 1, got 0"):
        Terminator(min_n_trials=0)
    with pytest.raises(TypeError, match=r"`terminator` must be a BaseTerminator, got 3"):
        TerminatorCallback(3)  # type: ignore[arg-type]
    study = tftune.create_study(directions=["minimize", "minimize"])
    with pytest.raises(ValueError, match="Terminator supports studies with one objective"):
        Terminator().should_terminate(study)
