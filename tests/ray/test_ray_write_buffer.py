"""The Ray worker's write buffer (tftune._ray._write_buffer) on a real in-memory storage: a
trial's writes are held back and come out in one batch, or are sent after the delay."""

from __future__ import annotations

import time

import pytest

from tftune._direction import StudyDirection
from tftune._ray._write_buffer import TrialWriteBuffer
from tftune.distributions import FloatDistribution
from tftune.exceptions import UpdateFinishedTrialError
from tftune.storages import InMemoryStorage
from tftune.storages._remote import apply_writes
from tftune.trial import TrialState


def setup(delay: float = 60.0) -> tuple[InMemoryStorage, TrialWriteBuffer, int, int]:
    storage = InMemoryStorage()
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "s")
    trial = storage.create_new_trial(study_id)
    assert trial is not None
    return storage, TrialWriteBuffer(storage, delay=delay), study_id, trial.trial_id


def write_trial(buffer: TrialWriteBuffer, trial_id: int) -> None:
    buffer.set_trial_param(trial_id, "x", 0.25, FloatDistribution(0.0, 1.0))
    buffer.set_trial_attr(trial_id, "node", "n1")
    buffer.set_trial_intermediate_value(trial_id, 0, 3.0)
    buffer.set_trial_state_values(trial_id, TrialState.COMPLETE, [0.5])


def test_a_held_trials_writes_come_out_in_one_batch_and_store_as_written():
    storage, buffer, _, trial_id = setup()
    buffer.hold(trial_id)
    write_trial(buffer, trial_id)
    held = storage.get_trial(trial_id)
    assert held.state == TrialState.RUNNING and held.params == {} and held.user_attrs == {}
    writes = buffer.release(send=False)
    assert [method for method, _, _ in writes] == [
        "set_trial_param",
        "set_trial_attr",
        "set_trial_intermediate_value",
        "set_trial_state_values",
    ]
    apply_writes(storage, writes)
    stored = storage.get_trial(trial_id)
    assert stored.state == TrialState.COMPLETE and stored.values == [0.5]
    assert stored.params == {"x": 0.25} and stored.user_attrs == {"node": "n1"}
    assert stored.intermediate_values == {0: 3.0}


def test_writes_of_a_long_trial_are_sent_after_the_delay_while_it_runs():
    storage, buffer, _, trial_id = setup(delay=0.05)
    buffer.hold(trial_id)
    buffer.set_trial_param(trial_id, "x", 0.25, FloatDistribution(0.0, 1.0))
    deadline = time.monotonic() + 5
    while storage.get_trial(trial_id).params == {} and time.monotonic() < deadline:
        time.sleep(0.01)
    running = storage.get_trial(trial_id)
    assert running.state == TrialState.RUNNING and running.params == {"x": 0.25}
    buffer.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0])
    assert buffer.release(send=False) == [
        ("set_trial_state_values", (trial_id, TrialState.COMPLETE, [1.0]), {"system_attrs": None})
    ]


def test_release_with_send_stores_the_writes_itself():
    storage, buffer, _, trial_id = setup()
    buffer.hold(trial_id)
    write_trial(buffer, trial_id)
    assert buffer.release(send=True) == []
    assert storage.get_trial(trial_id).state == TrialState.COMPLETE


def test_other_trials_and_reads_go_straight_to_the_storage():
    storage, buffer, study_id, trial_id = setup()
    other = storage.create_new_trial(study_id)
    assert other is not None
    buffer.hold(trial_id)
    buffer.set_trial_attr(other.trial_id, "k", 1)
    assert storage.get_trial(other.trial_id).user_attrs == {"k": 1}
    assert [t.trial_id for t in buffer.get_all_trials(study_id)] == [trial_id, other.trial_id]
    assert buffer.release(send=False) == []


def test_a_batch_that_could_not_be_sent_raises_at_release():
    storage, buffer, _, trial_id = setup(delay=0.02)
    storage.set_trial_state_values(trial_id, TrialState.FAIL)  # failed meanwhile elsewhere
    buffer.hold(trial_id)
    buffer.set_trial_attr(trial_id, "k", 1)
    time.sleep(0.3)
    with pytest.raises(UpdateFinishedTrialError):
        buffer.release(send=False)


def test_a_batch_holds_only_trial_writes():
    storage, _, study_id, _ = setup()
    with pytest.raises(ValueError, match="'delete_study' is not a trial write"):
        apply_writes(storage, [("delete_study", (study_id,), {})])
