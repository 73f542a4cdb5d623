"""RDBStorage.apply_writes: a batch of trial writes in one transaction, on real SQLite and
PostgreSQL databases; and ``apply_writes``, which hands a batch whole only to a storage that
declares it can take one (a ``BatchWriter``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from tftune._direction import StudyDirection
from tftune.distributions import FloatDistribution
from tftune.exceptions import UpdateFinishedTrialError
from tftune.storages import InMemoryStorage, RDBStorage
from tftune.storages._base import BaseStorage
from tftune.storages._batch_writer import BatchWriter
from tftune.storages._remote import apply_trials_writes, apply_writes
from tftune.trial import TrialState


@pytest.fixture(params=["sqlite", "postgres"])
def storage(request: Any) -> Iterator[RDBStorage]:
    """A database storage on each kind of database (the shared ``*_url`` fixtures)."""
    opened = RDBStorage(request.getfixturevalue(f"{request.param}_url"), heartbeat_interval=None)
    yield opened
    opened.close()


@dataclasses.dataclass
class Trials:
    """A study with three trials: ``first`` running, ``done`` failed, ``later`` running."""

    study_id: int
    first: int
    done: int
    later: int


def three_trials(storage: BaseStorage) -> Trials:
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "s")
    first, done = new_trial(storage, study_id), new_trial(storage, study_id)
    storage.set_trial_state_values(done, TrialState.FAIL)
    return Trials(study_id, first, done, new_trial(storage, study_id))


@pytest.fixture
def trials(storage: RDBStorage) -> Trials:
    """:func:`three_trials` in the database storage."""
    return three_trials(storage)


def writes_of(trial_id: int, value: float) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    return [
        ("set_trial_param", (trial_id, "x", 0.25, FloatDistribution(0.0, 1.0)), {}),
        ("set_trial_attr", (trial_id, "node", "n1"), {}),
        ("set_trial_intermediate_value", (trial_id, 0, 3.0), {}),
        ("set_trial_state_values", (trial_id, TrialState.COMPLETE, [value]), {}),
    ]


def new_trial(storage: BaseStorage, study_id: int) -> int:
    trial = storage.create_new_trial(study_id)
    assert trial is not None
    return trial.trial_id


def transactions(storage: RDBStorage) -> list[int]:
    """A counter of the connections the storage takes from its pool (one per transaction)."""
    counted = [0]

    def taken(*_: Any) -> None:
        counted[0] += 1

    sa.event.listen(storage.engine.pool, "checkout", taken)
    return counted


def test_a_batch_of_two_trials_writes_is_stored_in_one_commit(storage, trials):
    counted = transactions(storage)
    storage.apply_writes(writes_of(trials.first, 0.5) + writes_of(trials.later, 0.75))
    assert counted[0] == 1
    third = new_trial(storage, trials.study_id)
    counted[0] = 0
    for method, args, kwargs in writes_of(third, 0.5):  # the same writes one call each
        getattr(storage, method)(*args, **kwargs)
    assert counted[0] == 4
    for trial_id, value in ((trials.first, 0.5), (trials.later, 0.75)):
        stored = storage.get_trial(trial_id)
        assert stored.state == TrialState.COMPLETE and stored.values == [value]
        assert stored.params == {"x": 0.25} and stored.user_attrs == {"node": "n1"}
        assert stored.intermediate_values == {0: 3.0}


def test_apply_writes_hands_the_batch_whole_to_a_batch_writer_only(storage, trials):
    assert isinstance(storage, BatchWriter)  # declared: one transaction for the batch
    counted = transactions(storage)
    with pytest.raises(UpdateFinishedTrialError):
        apply_writes(storage, writes_of(trials.first, 0.5) + writes_of(trials.done, 0.1))
    assert counted[0] == 1 and storage.get_trial(trials.first).state == TrialState.RUNNING
    memory = InMemoryStorage()  # not one: one call per write, those before the refused stored
    assert not isinstance(memory, BatchWriter)
    kept = three_trials(memory)
    with pytest.raises(UpdateFinishedTrialError):
        apply_writes(memory, writes_of(kept.first, 0.5) + writes_of(kept.done, 0.1))
    assert memory.get_trial(kept.first).state == TrialState.COMPLETE


def test_a_write_to_a_finished_trial_rolls_the_whole_batch_back_and_raises(storage, trials):
    first, done, later = trials.first, trials.done, trials.later
    counted = transactions(storage)
    with pytest.raises(UpdateFinishedTrialError, match="only a running trial can be changed"):
        storage.apply_writes(writes_of(first, 0.5) + writes_of(done, 0.1) + writes_of(later, 0.2))
    assert counted[0] == 1  # no second try of its own
    for trial_id, state in ((first, TrialState.RUNNING), (done, TrialState.FAIL)):
        assert storage.get_trial(trial_id).state == state  # nothing of the batch stored
        assert storage.get_trial(trial_id).params == {}
    assert storage.get_trial(later).state == TrialState.RUNNING


def test_trials_writes_refused_as_a_batch_are_stored_trial_by_trial_once(storage, trials):
    first, done, later = trials.first, trials.done, trials.later
    counted = transactions(storage)
    batches = [writes_of(first, 0.5), writes_of(done, 0.1), writes_of(later, 0.2)]
    refused = apply_trials_writes(storage, batches)
    assert counted[0] == 1 + 3  # the batch, then one transaction per trial
    assert refused[0] is None and refused[2] is None
    assert isinstance(refused[1], UpdateFinishedTrialError)
    assert storage.get_trial(first).values == [0.5] and storage.get_trial(later).values == [0.2]
    assert storage.get_trial(done).state == TrialState.FAIL  # the storage's state wins
    assert storage.get_trial(done).params == {}
    fresh = new_trial(storage, trials.study_id)
    counted[0] = 0
    assert apply_trials_writes(storage, [writes_of(fresh, 1.0)]) == [None]
    assert counted[0] == 1  # its writes: no fallback


def test_trials_writes_on_a_storage_without_transactions_keep_the_stored_state():
    storage = InMemoryStorage()
    trials = three_trials(storage)
    refused = apply_trials_writes(
        storage, [writes_of(trials.first, 0.5), writes_of(trials.done, 0.1)]
    )
    # the first trial's writes were stored by the batch; again, they find it finished
    assert [error is None for error in refused] == [False, False]
    assert storage.get_trial(trials.first).state == TrialState.COMPLETE
    assert storage.get_trial(trials.first).values == [0.5]
    assert storage.get_trial(trials.done).state == TrialState.FAIL


def test_a_batch_holds_only_trial_writes(storage, trials):
    with pytest.raises(ValueError, match="'delete_study' is not a trial write"):
        storage.apply_writes(
            writes_of(trials.first, 0.5) + [("delete_study", (trials.study_id,), {})]
        )
    assert storage.get_trial(trials.first).state == TrialState.RUNNING  # nothing of it was run


def test_of_the_proxies_only_rays_declares_it_takes_a_batch_in_one_call():
    """The Ray proxy sends a batch to its server as one call; a proxy that only forwards
    each call (the base of the gRPC one) runs it one write at a time, and does not declare it."""
    from tftune._ray._storage_proxy import RayStorageProxy
    from tftune.storages._grpc._proxy import GrpcStorageProxy
    from tftune.storages._remote import ForwardingStorage

    assert issubclass(RayStorageProxy, BatchWriter)
    assert not issubclass(ForwardingStorage, BatchWriter)
    assert not issubclass(GrpcStorageProxy, BatchWriter)
