"""optimize leaves no trial RUNNING: not when finishing one fails, not when it is interrupted."""

from __future__ import annotations

import _thread
import os
import signal
import threading
import time

import pytest

import tftune
from tftune.exceptions import StorageError
from tftune.storages import RDBStorage
from tftune.trial import TrialState


@pytest.fixture
def beating_storage(sqlite_url):
    """A SQLite storage whose heartbeats go stale after half a second."""
    storage = RDBStorage(sqlite_url, heartbeat_interval=0.1, grace_period=0.5)
    yield storage
    storage.close()


def _refuse(*args, **kwargs):
    raise StorageError("the database refused the write")


def test_a_trial_the_storage_refuses_to_finish_stops_beating_and_goes_stale(
    beating_storage, monkeypatch
):
    study = tftune.create_study(storage=beating_storage)
    monkeypatch.setattr(beating_storage, "set_trial_state_values", _refuse)
    with pytest.raises(StorageError, match="the database refused the write"):
        study.optimize(lambda trial: 1.0, n_trials=3)
    monkeypatch.undo()
    (trial,) = study.trials
    assert trial.state == TrialState.RUNNING  # every write was refused, the FAIL one too
    assert trial.trial_id not in beating_storage._heartbeat.ids()
    deadline = time.monotonic() + 10
    while study.trials[0].state == TrialState.RUNNING and time.monotonic() < deadline:
        time.sleep(0.1)
        study._fail_stale_trials(force=True)
    (trial,) = study.trials
    assert trial.state == TrialState.FAIL
    assert "heartbeat stopped" in trial.system_attrs["fail_reason"]


@pytest.mark.parametrize("outcome", ["value", "exception", "pruned"])
def test_a_trial_whose_finish_fails_once_is_marked_fail(beating_storage, monkeypatch, outcome):
    study = tftune.create_study(storage=beating_storage)
    original = beating_storage.set_trial_state_values
    calls = []

    def refuse_once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            _refuse()
        return original(*args, **kwargs)

    def objective(trial):
        if outcome == "exception":
            raise ZeroDivisionError("bad fold")
        if outcome == "pruned":
            raise tftune.TrialPruned()
        return 1.0

    monkeypatch.setattr(beating_storage, "set_trial_state_values", refuse_once)
    with pytest.raises(StorageError, match="the database refused the write"):
        study.optimize(objective, n_trials=3, catch=(ZeroDivisionError,))
    (trial,) = study.trials
    assert trial.state == TrialState.FAIL
    assert trial.system_attrs["fail_reason"] == (
        "The trial could not be finished: StorageError: the database refused the write"
    )
    assert beating_storage._heartbeat.ids() == set()


def test_an_interrupt_of_the_main_thread_fails_the_worker_threads_trials(storage_url):
    study = tftune.create_study(storage=storage_url)
    both_running = threading.Barrier(2, timeout=10)
    release = threading.Event()

    def objective(trial):
        trial.suggest_float("x", 0, 1)
        both_running.wait()
        if trial.number == 0:
            _thread.interrupt_main()  # Ctrl-C while both trials run
        release.wait(10)
        return 1.0

    try:
        with pytest.raises(KeyboardInterrupt):
            study.optimize(objective, n_trials=4, n_jobs=2)
        trials = study.trials
        assert [t.state for t in trials] == [TrialState.FAIL] * 2
        for trial in trials:
            assert trial.system_attrs["fail_reason"] == (
                "The study was interrupted (KeyboardInterrupt in the thread that called "
                "optimize) while this trial ran."
            )
    finally:
        release.set()
    for thread in threading.enumerate():
        if thread.name.startswith("tftune-worker-"):
            thread.join(10)
            assert not thread.is_alive()
    # the workers' objectives returned: they neither changed those trials nor started others
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 2


class _CtrlCWhileAsking(tftune.samplers.RandomSampler):
    """Ctrl-C (a real SIGINT to this process) after the storage created trial #1, while the
    study is still asking for it: the narrowest window of a one-thread optimize."""

    def before_trial(self, study, trial):
        super().before_trial(study, trial)
        if trial.number == 1:
            os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_while_a_trial_is_being_asked_for_leaves_no_trial_running(storage_url):
    study = tftune.create_study(storage=storage_url, sampler=_CtrlCWhileAsking(seed=0))
    with pytest.raises(KeyboardInterrupt):
        study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=5)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL]
    assert "KeyboardInterrupt" in study.trials[1].system_attrs["fail_reason"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_custom_sigint_handler_is_left_alone(storage_url):
    calls = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: calls.append(signum))
    try:
        study = tftune.create_study(storage=storage_url, sampler=_CtrlCWhileAsking(seed=0))
        study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=3)
        assert calls == [signal.SIGINT]  # the user's handler ran, and the study went on
        assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3
    finally:
        signal.signal(signal.SIGINT, previous)
