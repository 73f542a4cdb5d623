"""optuna.pruners: every pruner, the way an objective uses it."""

from __future__ import annotations

import math

import pytest

import tftune as optuna
from tftune.pruners import (
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PatientPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
    WilcoxonPruner,
)
from tftune.trial import TrialState


def _run(pruner, curves):
    """One trial per curve, reporting it step by step; returns the states. The study's name
    is fixed: Hyperband draws each trial's bracket from it."""
    study = optuna.create_study(study_name="curves", pruner=pruner)
    for curve in curves:
        trial = study.ask()
        state = TrialState.COMPLETE
        for step, value in enumerate(curve):
            trial.report(value, step)
            if trial.should_prune():
                state = TrialState.PRUNED
                break
        study.tell(trial, curve[-1] if state == TrialState.COMPLETE else None, state=state)
    return [t.state for t in study.trials]


GOOD = [1.0, 0.8, 0.6, 0.5]
BAD = [5.0, 5.0, 5.0, 5.0]


@pytest.mark.parametrize(
    "pruner",
    [
        MedianPruner(n_startup_trials=1),
        PercentilePruner(50.0, n_startup_trials=1),
        SuccessiveHalvingPruner(min_resource=1, reduction_factor=2),
        HyperbandPruner(min_resource=1, max_resource=4, reduction_factor=2),
    ],
)
def test_a_clearly_worse_curve_is_pruned(pruner):
    # enough trials that each Hyperband bracket sees good curves before bad ones (with this
    # study name always; with 299 of 300 names tried)
    states = _run(pruner, [GOOD] * 6 + [BAD] * 8)
    assert TrialState.PRUNED in states[6:]


def test_nop_pruner_never_prunes():
    assert _run(NopPruner(), [GOOD, BAD, BAD]) == [TrialState.COMPLETE] * 3


def test_threshold_pruner_and_nan():
    assert _run(ThresholdPruner(upper=2.0), [GOOD, BAD]) == [
        TrialState.COMPLETE,
        TrialState.PRUNED,
    ]
    assert _run(ThresholdPruner(lower=0.0), [[1.0, math.nan]])[0] == TrialState.PRUNED


def test_median_pruner_prunes_nan_reports():
    states = _run(MedianPruner(n_startup_trials=1), [GOOD, [math.nan] * 4])
    assert states[1] == TrialState.PRUNED


def test_patient_pruner_waits():
    pruner = PatientPruner(ThresholdPruner(upper=2.0), patience=10)
    assert _run(pruner, [BAD]) == [TrialState.COMPLETE]


def test_wilcoxon_pruner_prunes_a_trial_worse_on_every_instance():
    instances = [0.1 * i for i in range(10)]
    study = optuna.create_study(pruner=WilcoxonPruner(p_threshold=0.1))

    def objective(trial):
        offset = trial.suggest_float("offset", 0, 1)
        for i, base in enumerate(instances):
            trial.report(base + offset, i)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return sum(instances) / len(instances) + offset

    study.enqueue_trial({"offset": 0.0})
    study.enqueue_trial({"offset": 0.9})
    study.enqueue_trial({"offset": -0.0})
    study.optimize(objective, n_trials=3)
    assert [t.state for t in study.trials] == [
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.COMPLETE,
    ]
    assert len(study.trials[1].intermediate_values) < len(instances)


def test_wilcoxon_pruner_does_not_prune_on_nan_or_before_startup():
    study = optuna.create_study(pruner=WilcoxonPruner(n_startup_steps=3))
    best = study.ask()
    for i in range(5):
        best.report(0.0, i)
    study.tell(best, 0.0)
    trial = study.ask()
    trial.report(9.0, 0)
    trial.report(9.0, 1)
    assert not trial.should_prune()  # two common steps < n_startup_steps
    trial.report(math.nan, 2)
    with pytest.warns(UserWarning, match="NaN or infinite"):
        assert not trial.should_prune()


def test_wilcoxon_pruner_arguments():
    with pytest.raises(ValueError, match="p_threshold"):
        WilcoxonPruner(p_threshold=2.0)
    with pytest.raises(ValueError, match="n_startup_steps"):
        WilcoxonPruner(n_startup_steps=-1)


def test_custom_pruner_subclassing_base_pruner():
    class EveryOther(optuna.pruners.BasePruner):
        def prune(self, study, trial):
            return trial.number % 2 == 1

    assert _run(EveryOther(), [GOOD, GOOD]) == [TrialState.COMPLETE, TrialState.PRUNED]
