"""The storages' read caches: a study's trials are read incrementally, never stale.

Every storage runs these (``storage``); the tests with a second storage object on the same
database (another worker) run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math

import pytest

from tftune.distributions import FloatDistribution
from tftune.exceptions import StudyNotFoundError
from tftune.storages import RDBStorage
from tftune._direction import StudyDirection
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

MIN = [StudyDirection.MINIMIZE]
DIST = FloatDistribution(0.0, 1.0)


@pytest.fixture(params=["sqlite", "postgres"])
def two_workers(request):
    """Two RDBStorage objects on one database: two workers of one study."""
    url = request.getfixturevalue(f"{request.param}_url")
    first, second = RDBStorage(url), RDBStorage(url)
    yield first, second
    first.close()
    second.close()


def _new(storage, study_id: int) -> int:
    trial = storage.create_new_trial(study_id)
    assert trial is not None
    return trial.trial_id


def test_open_trial_updates_are_seen(storage) -> None:
    study_id = storage.create_new_study(MIN, "s")
    trial_id = _new(storage, study_id)
    assert storage.get_all_trials(study_id)[0].params == {}
    storage.set_trial_param(trial_id, "x", 0.25, DIST)
    storage.set_trial_intermediate_value(trial_id, 3, 1.5)
    storage.set_trial_attr(trial_id, "note", "hi")
    (trial,) = storage.get_all_trials(study_id, deepcopy=False)
    assert trial.params == {"x": 0.25}
    assert trial.intermediate_values == {3: 1.5}
    assert trial.user_attrs == {"note": "hi"}
    assert trial.state == TrialState.RUNNING
    storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [2.0])
    (trial,) = storage.get_all_trials(study_id, deepcopy=False)
    assert trial.state == TrialState.COMPLETE and trial.values == [2.0]
    assert storage.get_n_trials(study_id, states=(TrialState.COMPLETE,)) == 1
    assert storage.get_n_trials(study_id, states=(TrialState.RUNNING,)) == 0


def test_states_filter_and_counts(storage) -> None:
    study_id = storage.create_new_study(MIN, "s")
    ids = [_new(storage, study_id) for _ in range(6)]
    storage.enqueue_trials(study_id, [FrozenTrial(number=-1, state=TrialState.WAITING)])
    finals = [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.COMPLETE]
    # finish out of number order: the lists stay ordered by number
    for trial_id, state in reversed(list(zip(ids, finals, strict=False))):
        values = [float(trial_id)] if state == TrialState.COMPLETE else None
        storage.set_trial_state_values(trial_id, state, values)
    by_state = {
        state: [t.number for t in storage.get_all_trials(study_id, states=(state,))]
        for state in TrialState
    }
    assert by_state == {
        TrialState.COMPLETE: [0, 3],
        TrialState.PRUNED: [1],
        TrialState.FAIL: [2],
        TrialState.RUNNING: [4, 5],
        TrialState.WAITING: [6],
    }
    mixed = storage.get_all_trials(study_id, states=(TrialState.RUNNING, TrialState.COMPLETE))
    assert [t.number for t in mixed] == [0, 3, 4, 5]
    assert [t.number for t in storage.get_all_trials(study_id)] == list(range(7))
    assert storage.get_all_trials(study_id, states=()) == []
    for state, numbers in by_state.items():
        assert storage.get_n_trials(study_id, states=(state,)) == len(numbers)
    assert storage.get_n_trials(study_id) == 7


def test_best_trial_follows_the_sql_order(storage) -> None:
    study_id = storage.create_new_study([StudyDirection.MAXIMIZE], "s")
    with pytest.raises(ValueError):
        storage.get_best_trial(study_id)
    for value in [1.0, math.nan, 3.0, -math.inf, 3.0]:
        storage.set_trial_state_values(_new(storage, study_id), TrialState.COMPLETE, [value])
    assert storage.get_best_trial(study_id).number == 2  # ties go to the earliest
    storage.set_trial_state_values(_new(storage, study_id), TrialState.COMPLETE, [math.inf])
    assert storage.get_best_trial(study_id).number == 5


def test_mutating_returned_trials_does_not_corrupt_the_cache(storage) -> None:
    study_id = storage.create_new_study(MIN, "s")
    trial_id = _new(storage, study_id)
    storage.set_trial_param(trial_id, "x", 0.5, DIST)
    storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0])
    for copy in (
        storage.get_all_trials(study_id)[0],
        storage.get_trial(trial_id),
        storage.get_best_trial(study_id),
    ):
        copy.params["x"] = 99.0
        copy.user_attrs["evil"] = True
        copy.values = [-1.0]
    (trial,) = storage.get_all_trials(study_id, deepcopy=False)
    assert trial.params == {"x": 0.5} and trial.user_attrs == {} and trial.values == [1.0]
    assert storage.get_best_trial(study_id).values == [1.0]


def test_deleted_study(storage) -> None:
    study_id = storage.create_new_study(MIN, "s")
    storage.set_trial_state_values(_new(storage, study_id), TrialState.COMPLETE, [1.0])
    assert len(storage.get_all_trials(study_id)) == 1
    storage.delete_study(study_id)
    with pytest.raises(StudyNotFoundError):
        storage.get_all_trials(study_id)
    with pytest.raises(StudyNotFoundError):
        storage.get_n_trials(study_id)
    again = storage.create_new_study(MIN, "s")
    assert storage.get_all_trials(again) == []


def test_another_workers_trials_become_visible(two_workers) -> None:
    mine, other = two_workers
    study_id = mine.create_new_study(MIN, "s")
    assert mine.get_all_trials(study_id) == []
    theirs = _new(other, study_id)
    (seen,) = mine.get_all_trials(study_id, deepcopy=False)
    assert seen.state == TrialState.RUNNING and seen.params == {}
    other.set_trial_param(theirs, "x", 0.75, DIST)
    other.set_trial_intermediate_value(theirs, 0, 2.0)
    assert mine.get_all_trials(study_id)[0].params == {"x": 0.75}
    assert mine.get_all_trials(study_id)[0].intermediate_values == {0: 2.0}
    other.set_trial_state_values(theirs, TrialState.COMPLETE, [0.5])
    assert mine.get_n_trials(study_id, states=(TrialState.COMPLETE,)) == 1
    assert mine.get_all_trials(study_id, states=(TrialState.COMPLETE,))[0].values == [0.5]
    assert mine.get_best_trial(study_id).number == 0
    # a queued trial claimed by the other worker, and trials interleaved by both
    mine.enqueue_trials(study_id, [FrozenTrial(number=-1, state=TrialState.WAITING)])
    assert mine.get_n_trials(study_id, states=(TrialState.WAITING,)) == 1
    claimed = other.create_new_trial(study_id, create=False)
    assert claimed is not None
    assert mine.get_n_trials(study_id, states=(TrialState.WAITING,)) == 0
    assert mine.get_n_trials(study_id, states=(TrialState.RUNNING,)) == 1
    for i in range(4):
        worker = (mine, other)[i % 2]
        worker.set_trial_state_values(_new(worker, study_id), TrialState.PRUNED)
    other.set_trial_state_values(claimed.trial_id, TrialState.FAIL)
    for reader in (mine, other):
        trials = reader.get_all_trials(study_id)
        assert [t.number for t in trials] == list(range(6))
        assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.FAIL] + [
            TrialState.PRUNED
        ] * 4


def test_study_deleted_by_another_worker(two_workers) -> None:
    mine, other = two_workers
    study_id = mine.create_new_study(MIN, "s")
    _new(mine, study_id)
    assert len(mine.get_all_trials(study_id)) == 1
    other.delete_study(study_id)
    with pytest.raises(StudyNotFoundError):
        mine.get_all_trials(study_id)
    with pytest.raises(StudyNotFoundError):
        mine.get_best_trial(study_id)
