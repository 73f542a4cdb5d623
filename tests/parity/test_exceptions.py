"""optuna.exceptions: Optuna's names catch tftune's errors."""

from __future__ import annotations

import warnings

import pytest

import tftune as optuna


def test_optuna_names_are_aliases_of_tftune_errors():
    exc = optuna.exceptions
    assert exc.OptunaError is exc.TftuneError
    assert exc.StorageInternalError is exc.StorageError
    for name in (
        "TrialPruned",
        "DuplicatedStudyError",
        "UpdateFinishedTrialError",
        "StorageInternalError",
        "CLIUsageError",
    ):
        assert issubclass(getattr(exc, name), exc.OptunaError), name
    assert optuna.TrialPruned is exc.TrialPruned
    assert issubclass(exc.UpdateFinishedTrialError, RuntimeError)
    # Optuna's category: a plain Warning, so a filter on UserWarning leaves it alone.
    assert issubclass(exc.ExperimentalWarning, Warning)
    assert not issubclass(exc.ExperimentalWarning, UserWarning)


def test_duplicated_study_error_is_caught_by_optuna_name():
    storage = optuna.storages.InMemoryStorage()
    optuna.create_study(study_name="s", storage=storage)
    with pytest.raises(optuna.exceptions.DuplicatedStudyError, match="already exists"):
        optuna.create_study(study_name="s", storage=storage)
    with pytest.raises(optuna.exceptions.OptunaError, match="already exists"):
        optuna.create_study(study_name="s", storage=storage)


def test_trial_pruned_raised_in_objective_prunes_the_trial():
    study = optuna.create_study()

    def objective(trial):
        trial.report(1.0, 0)
        raise optuna.exceptions.TrialPruned()

    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.PRUNED] * 2


def test_telling_a_finished_trial_raises_update_finished_trial_error():
    study = optuna.create_study()
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(optuna.exceptions.UpdateFinishedTrialError, match="skip_if_finished"):
        study.tell(trial, 2.0)


def test_experimental_warning_can_be_filtered():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=optuna.exceptions.ExperimentalWarning)
        warnings.warn("x", optuna.exceptions.ExperimentalWarning, stacklevel=1)
