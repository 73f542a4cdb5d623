"""The storage contract: every storage (memory, SQLite, PostgreSQL) behaves the same."""

from __future__ import annotations

import math

import pytest

from tftune.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tftune.exceptions import DuplicatedStudyError, StudyNotFoundError, UpdateFinishedTrialError
from tftune.storages._base import FIXED_PARAMS_KEY
from tftune.study import StudyDirection
from tftune.trial import FrozenTrial, TrialState

MIN, MAX = StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE


def _finished(storage, study_id, value, state=TrialState.COMPLETE):
    trial = storage.create_new_trial(study_id)
    storage.set_trial_state_values(trial.trial_id, state, None if value is None else [value])
    return trial.trial_id


def test_study_identity_and_directions(storage):
    study_id = storage.create_new_study([MIN, MAX], "s1")
    assert storage.get_study_id_from_name("s1") == study_id
    assert storage.get_study_name_from_id(study_id) == "s1"
    assert storage.get_study_directions(study_id) == [MIN, MAX]


def test_duplicate_and_missing_studies(storage):
    storage.create_new_study([MIN], "taken")
    with pytest.raises(DuplicatedStudyError, match="'taken' already exists"):
        storage.create_new_study([MIN], "taken")
    with pytest.raises(StudyNotFoundError, match="'nope'"):
        storage.get_study_id_from_name("nope")


def test_study_attrs_round_trip_json(storage):
    study_id = storage.create_new_study([MIN], "attrs")
    storage.set_study_attr(study_id, "dataset", {"name": "iris", "rows": [1, 2]})
    storage.set_study_attr(study_id, "dataset", {"name": "wine"})
    storage.set_study_attr(study_id, "grid:abc", True, system=True)
    assert storage.get_study_attrs(study_id) == {"dataset": {"name": "wine"}}
    assert storage.get_study_attrs(study_id, system=True) == {"grid:abc": True}


def test_trial_numbers_params_and_values(storage):
    study_id = storage.create_new_study([MIN], "trials")
    first, second = storage.create_new_trial(study_id), storage.create_new_trial(study_id)
    assert (first.number, second.number) == (0, 1)
    assert first.state == TrialState.RUNNING and first.datetime_start is not None
    dist_x, dist_c = (
        FloatDistribution(0.001, 1.0, log=True),
        CategoricalDistribution(["relu", None, 3]),
    )
    storage.set_trial_param(first.trial_id, "x", 0.01, dist_x)
    storage.set_trial_param(first.trial_id, "act", 1.0, dist_c)
    storage.set_trial_param(first.trial_id, "n", 4.0, IntDistribution(1, 8))
    storage.set_trial_state_values(first.trial_id, TrialState.COMPLETE, [0.25])
    loaded = storage.get_trial(first.trial_id)
    assert loaded.params == {"x": 0.01, "act": None, "n": 4}
    assert isinstance(loaded.params["n"], int)
    assert loaded.distributions == {"x": dist_x, "act": dist_c, "n": IntDistribution(1, 8)}
    assert loaded.values == [0.25] and loaded.state == TrialState.COMPLETE
    assert loaded.datetime_complete >= loaded.datetime_start


def test_finished_trials_cannot_change(storage):
    study_id = storage.create_new_study([MIN], "frozen")
    trial_id = _finished(storage, study_id, 1.0)
    with pytest.raises(UpdateFinishedTrialError, match="#0 is COMPLETE"):
        storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [2.0])
    with pytest.raises(UpdateFinishedTrialError, match="#0 is COMPLETE"):
        storage.set_trial_param(trial_id, "x", 1.0, FloatDistribution(0, 2))
    with pytest.raises(UpdateFinishedTrialError):
        storage.set_trial_intermediate_value(trial_id, 0, 1.0)
    with pytest.raises(UpdateFinishedTrialError):
        storage.set_trial_attr(trial_id, "k", 1)
    assert storage.get_trial(trial_id).values == [1.0]


def test_non_finite_values_round_trip(storage):
    study_id = storage.create_new_study([MIN, MAX], "inf")
    trial = storage.create_new_trial(study_id)
    for step, value in enumerate([0.5, math.inf, -math.inf, math.nan]):
        storage.set_trial_intermediate_value(trial.trial_id, step, value)
    storage.set_trial_intermediate_value(trial.trial_id, 0, 0.75)  # a repeated step overwrites
    storage.set_trial_state_values(trial.trial_id, TrialState.COMPLETE, [math.inf, -math.inf])
    loaded = storage.get_trial(trial.trial_id)
    assert loaded.values == [math.inf, -math.inf]
    assert loaded.intermediate_values[0] == 0.75
    assert loaded.intermediate_values[1] == math.inf and loaded.intermediate_values[2] == -math.inf
    assert math.isnan(loaded.intermediate_values[3])


def test_trial_attrs_and_fail_reason(storage):
    study_id = storage.create_new_study([MIN], "attrs")
    trial = storage.create_new_trial(study_id)
    storage.set_trial_attr(trial.trial_id, "note", {"a": [1, 2.5, "x"]})
    storage.set_trial_attr(trial.trial_id, "seen", 1, system=True)
    storage.set_trial_state_values(
        trial.trial_id, TrialState.FAIL, system_attrs={"fail_reason": "boom"}
    )
    loaded = storage.get_trial(trial.trial_id)
    assert loaded.user_attrs == {"note": {"a": [1, 2.5, "x"]}}
    assert loaded.system_attrs == {"seen": 1, "fail_reason": "boom"}
    assert loaded.state == TrialState.FAIL and loaded.values is None


def test_enqueued_trials_are_claimed_in_order_once(storage):
    study_id = storage.create_new_study([MIN], "queue")
    templates = [
        FrozenTrial(
            number=-1,
            state=TrialState.WAITING,
            system_attrs={FIXED_PARAMS_KEY: {"x": i}},
            user_attrs={"i": i},
        )
        for i in range(3)
    ]
    assert storage.enqueue_trials(study_id, templates, once_key="grid:1") is True
    assert storage.enqueue_trials(study_id, templates, once_key="grid:1") is False
    assert storage.get_n_trials(study_id, states=(TrialState.WAITING,)) == 3
    claimed = [storage.create_new_trial(study_id) for _ in range(3)]
    assert [t.system_attrs[FIXED_PARAMS_KEY]["x"] for t in claimed] == [0, 1, 2]
    assert [t.user_attrs["i"] for t in claimed] == [0, 1, 2]
    assert all(t.state == TrialState.RUNNING for t in claimed)
    assert storage.create_new_trial(study_id, create=False) is None
    assert storage.create_new_trial(study_id).number == 3


def test_listing_counting_and_filtering(storage):
    study_id = storage.create_new_study([MIN], "list")
    other = storage.create_new_study([MIN], "other")
    _finished(storage, study_id, 3.0)
    _finished(storage, study_id, None, TrialState.PRUNED)
    storage.create_new_trial(study_id)
    _finished(storage, other, 1.0)
    trials = storage.get_all_trials(study_id)
    assert [t.number for t in trials] == [0, 1, 2]
    assert [t.state for t in trials] == [
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.RUNNING,
    ]
    complete = storage.get_all_trials(study_id, states=(TrialState.COMPLETE,))
    assert [t.values for t in complete] == [[3.0]]
    assert storage.get_n_trials(study_id) == 3
    assert storage.get_n_trials(study_id, states=(TrialState.RUNNING, TrialState.PRUNED)) == 2
    trials[0].params["changed"] = 1  # a deep copy: the storage is not touched
    assert "changed" not in storage.get_all_trials(study_id)[0].params


@pytest.mark.parametrize("direction, expected", [(MIN, -math.inf), (MAX, 7.0)])
def test_best_trial(storage, direction, expected):
    study_id = storage.create_new_study([direction], "best")
    with pytest.raises(ValueError, match="No trial is complete"):
        storage.get_best_trial(study_id)
    for value in (3.0, 7.0, -math.inf, 1.0):
        _finished(storage, study_id, value)
    _finished(storage, study_id, None, TrialState.FAIL)
    assert storage.get_best_trial(study_id).values == [expected]


@pytest.mark.parametrize("direction", [MIN, MAX])
def test_ties_for_the_best_trial_go_to_the_earliest_number(storage, direction):
    study_id = storage.create_new_study([direction], "ties")
    trials = [storage.create_new_trial(study_id) for _ in range(4)]
    worse = 9.0 if direction == MIN else -9.0
    for number, value in ((3, 0.5), (0, worse), (2, 0.5), (1, 0.5)):  # finished out of order
        storage.set_trial_state_values(trials[number].trial_id, TrialState.COMPLETE, [value])
    assert storage.get_best_trial(study_id).number == 1


def test_delete_study_removes_its_trials(storage):
    study_id = storage.create_new_study([MIN], "gone")
    keep = storage.create_new_study([MIN], "kept")
    _finished(storage, study_id, 1.0)
    _finished(storage, keep, 2.0)
    storage.delete_study(study_id)
    with pytest.raises(StudyNotFoundError):
        storage.get_study_id_from_name("gone")
    assert [s.study_name for s in storage.get_all_studies()] == ["kept"]
    assert storage.get_n_trials(keep) == 1


def test_study_summaries(storage):
    study_id = storage.create_new_study([MAX], "summary")
    for value in (0.5, 0.9):
        _finished(storage, study_id, value)
    storage.create_new_trial(study_id)
    (summary,) = storage.get_all_studies()
    assert (summary.study_name, summary.directions) == ("summary", [MAX])
    assert (summary.n_trials, summary.n_complete, summary.best_values) == (3, 2, [0.9])


def test_ids_are_never_reused_after_a_delete(storage):
    # Processes cache finished trials by id, so a new trial must never get a deleted one's id.
    study_id = storage.create_new_study([MIN], "first")
    old_trial = _finished(storage, study_id, 1.0)
    storage.delete_study(study_id)
    new_study = storage.create_new_study([MAX], "second")
    assert new_study != study_id
    assert storage.create_new_trial(new_study).trial_id != old_trial
    assert storage.get_study_directions(new_study) == [MAX]
