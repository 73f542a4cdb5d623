"""Study.tell refuses trials of other studies, changing nothing; the wrong number of values fails
the trial with a warning (Optuna's rule), or is refused when COMPLETE was asked for."""

from __future__ import annotations

import re

import pytest

import tftune
from tftune.trial import TrialState


def test_a_trial_of_another_in_memory_study_is_refused():
    a, b = tftune.create_study(study_name="a"), tftune.create_study(study_name="b")
    a.ask()
    b_trial = b.ask()  # trial ids restart at 0 in each storage: the same id as a's trial 0
    with pytest.raises(
        ValueError, match=r"`trial` must be a trial of study 'a', got trial #0 of study 'b'"
    ):
        a.tell(b_trial, 123.0)
    assert [t.state for t in a.trials] == [TrialState.RUNNING]
    assert [t.state for t in b.trials] == [TrialState.RUNNING]
    assert b.tell(b_trial, 1.0).values == [1.0]


def test_a_trial_of_another_study_in_the_same_database_is_refused(storage_url):
    storage = tftune.storages.get_storage(storage_url)
    single = tftune.create_study(study_name="single", storage=storage)
    double = tftune.create_study(
        study_name="double", storage=storage, directions=["minimize", "maximize"]
    )
    single.ask()
    double_trial = double.ask()
    with pytest.raises(ValueError, match=r"got trial #0 of study 'double'"):
        single.tell(double_trial, 1.0)
    assert [t.state for t in double.trials] == [TrialState.RUNNING]
    assert [t.state for t in single.trials] == [TrialState.RUNNING]
    double.tell(double_trial, [1.0, 2.0])
    assert [t.values for t in double.best_trials] == [[1.0, 2.0]]


def test_the_same_study_loaded_twice_can_tell_each_others_trials(sqlite_url):
    first = tftune.create_study(study_name="shared", storage=sqlite_url)
    second = tftune.load_study("shared", sqlite_url)
    assert second.tell(first.ask(), 0.5).state == TrialState.COMPLETE
    assert first.trials[0].values == [0.5]


def test_a_trial_number_that_does_not_exist_is_refused(storage_url):
    study = tftune.create_study(storage=storage_url)
    study.ask()
    with pytest.raises(
        ValueError,
        match=r"`trial` must be a Trial of this study or the number of one of its 1 trial\(s\), "
        r"got 5",
    ):
        study.tell(5, 1.0)
    with pytest.raises(ValueError, match="got -1"):
        study.tell(-1, 1.0)
    assert [t.state for t in study.trials] == [TrialState.RUNNING]


@pytest.mark.parametrize(
    "directions, values",
    [
        (["minimize"], [1.0, 2.0]),
        (["minimize", "maximize"], 1.0),
        (["minimize", "maximize"], (1.0,)),
    ],
)
def test_the_wrong_number_of_values_fails_the_trial_with_a_warning(
    storage_url, directions, values
):
    study = tftune.create_study(storage=storage_url, directions=directions)
    trial = study.ask()
    count = len(values) if isinstance(values, (list, tuple)) else 1
    message = (
        f"Trial #0 failed: The values given to tell were {count} value(s) ({values!r}) but "
        f"the study has {len(directions)} objective(s)."
    )
    with pytest.warns(UserWarning, match=re.escape(message)):
        frozen = study.tell(trial, values)
    assert frozen.state == TrialState.FAIL and frozen.values is None
    assert study.trials[0].state == TrialState.FAIL


@pytest.mark.parametrize(
    "directions, values",
    [(["minimize"], [1.0, 2.0]), (["minimize", "maximize"], 1.0)],
)
def test_the_wrong_number_of_values_is_refused_when_complete_is_asked_for(
    storage_url, directions, values
):
    study = tftune.create_study(storage=storage_url, directions=directions)
    trial = study.ask()
    with pytest.raises(
        ValueError,
        match=r"tell\(state=COMPLETE\) needs one finite number per objective; The values given "
        r"to tell were \d value\(s\) .* The trial is still running\.",
    ):
        study.tell(trial, values, state=TrialState.COMPLETE)
    assert [t.state for t in study.trials] == [TrialState.RUNNING]
    assert study.storage.get_trial(trial.trial_id).state == TrialState.RUNNING
    frozen = study.tell(trial, [0.5] * len(directions))
    assert frozen.state == TrialState.COMPLETE and frozen.values == [0.5] * len(directions)


def test_the_wrong_number_of_values_from_the_objective_says_the_objective_returned(caplog):
    study = tftune.create_study()
    study.optimize(lambda t: [1.0, 2.0], n_trials=1)
    assert study.trials[0].state == TrialState.FAIL
    message = "Trial 0 failed: The objective returned 2 value(s) ([1.0, 2.0]) but the study "
    assert [r.getMessage() for r in caplog.records if message in r.getMessage()]


@pytest.mark.parametrize("state", [TrialState.PRUNED, TrialState.FAIL])
def test_values_with_a_pruned_or_failed_state_are_refused(state):
    study = tftune.create_study()
    trial = study.ask()
    with pytest.raises(
        ValueError, match=rf"`values` must be None when `state` is {state.name}, got 1\.0\."
    ):
        study.tell(trial, 1.0, state=state)
    assert study.trials[0].state == TrialState.RUNNING
    assert study.tell(trial, state=state).state == state


def test_one_value_in_a_list_is_accepted_for_one_objective():
    study = tftune.create_study()
    assert study.tell(study.ask(), [0.25]).values == [0.25]


def test_a_waiting_trial_cannot_be_told():
    study = tftune.create_study()
    study.enqueue_trial({})
    number = study.trials[-1].number
    with pytest.raises(ValueError, match=r"Trial #0 is WAITING \(enqueued, not started\)"):
        study.tell(number, 1.0)
    with pytest.raises(tftune.exceptions.UpdateFinishedTrialError):
        study.tell(number, 1.0)
    assert study.trials[0].state == TrialState.WAITING
