"""JournalStorage over a journal file: the storage contract, real concurrent processes, torn
and half-written lines, and stale locks."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import time

import pytest
import test_storage_contract as contract  # the same contract, run over a journal file

import tftune
from tftune.storages import JournalStorage
from tftune.storages.journal import (
    JournalFileBackend,
    JournalFileOpenLock,
    JournalFileSymlinkLock,
)
from tftune.trial import TrialState


@pytest.fixture
def storage(tmp_path):
    return JournalStorage(JournalFileBackend(str(tmp_path / "journal.log")))


for _name in dir(contract):
    if _name.startswith("test_"):
        globals()[f"{_name}_on_a_journal"] = getattr(contract, _name)


def _reopen(path, lock=None):
    return JournalStorage(JournalFileBackend(str(path), lock_obj=lock))


def test_a_second_process_view_replays_the_same_state(tmp_path):
    path = tmp_path / "j.log"
    study = tftune.create_study(study_name="s", storage=_reopen(path))
    study.enqueue_trial({"x": 0.25})

    def objective(trial):
        trial.report(0.5, 0)
        trial.set_user_attr("u", 1)
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=3)
    again = tftune.load_study(
        study_name="s", storage=_reopen(path, JournalFileOpenLock(str(path)))
    )
    assert [t.params for t in again.trials] == [t.params for t in study.trials]
    assert [t.datetime_start for t in again.trials] == [t.datetime_start for t in study.trials]
    assert again.trials[0].params == {"x": 0.25}
    assert again.best_value == study.best_value
    trial = again.ask()
    again.tell(trial, 0.0)
    with pytest.raises(tftune.exceptions.UpdateFinishedTrialError, match="COMPLETE"):
        study.tell(trial.number, 1.0)  # the other view learns from the log that it finished
    assert study.best_value == 0.0


_WORKER = textwrap.dedent(
    """
    import sys, tftune
    from tftune.storages import JournalStorage
    from tftune.storages.journal import (
        JournalFileBackend, JournalFileOpenLock, JournalFileSymlinkLock)
    path, lock_kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lock = (JournalFileSymlinkLock if lock_kind == "symlink" else JournalFileOpenLock)(path)
    tftune.logging.set_verbosity(tftune.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(path, lock_obj=lock))
    study = tftune.load_study(study_name="shared", storage=storage)
    def objective(trial):
        x = trial.suggest_int("x", 0, 10**6)
        trial.set_user_attr("worker", lock_kind)
        trial.report(float(x), 0)
        return float(x)
    study.optimize(objective, n_trials=n)
    """
)


@pytest.mark.slow
def test_concurrent_processes_lose_no_write(tmp_path):
    path = tmp_path / "shared.log"
    study = tftune.create_study(study_name="shared", storage=_reopen(path))
    for i in range(3):
        study.enqueue_trial({"x": i})  # each claimed by exactly one worker
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(path), kind, "8"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for kind in ("symlink", "open", "symlink")
    ]
    try:
        for worker in workers:
            _, err = worker.communicate(timeout=240)
            assert worker.returncode == 0, err[-2000:]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    trials = tftune.load_study(study_name="shared", storage=_reopen(path)).trials
    assert len(trials) == 24
    assert sorted(t.number for t in trials) == list(range(24))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert all(t.value == t.params["x"] == t.intermediate_values[0] for t in trials)
    assert sorted(t.params["x"] for t in trials[:3]) == [0, 1, 2]
    assert {t.user_attrs["worker"] for t in trials} == {"symlink", "open"}
    assert not os.path.exists(f"{path}.lock")


def test_a_half_written_line_waits_and_a_torn_line_is_skipped(tmp_path, caplog):
    path = tmp_path / "j.log"
    writer = _reopen(path)
    study = tftune.create_study(study_name="s", storage=writer)
    with open(path, "ab") as file:
        file.write(b'{"op":"set_study_attr","id":"x:0","time":1.0,"study_id":0,')
    reader = _reopen(path)  # a line still being written is not parsed yet
    assert reader.get_study_attrs(0) == {}
    with open(path, "ab") as file:
        file.write(b'"key":"k","value":1,"system":false}\n')
    assert reader.get_study_attrs(0) == {"k": 1}
    with open(path, "ab") as file:
        file.write(b'{"op":"set_study_attr","id":"dead:0","time":1.0,"stu')  # writer died
    study.set_user_attr("after", 2)  # the next writer ends the torn line first
    with caplog.at_level(logging.WARNING):
        fresh = _reopen(path)
        assert fresh.get_study_attrs(0) == {"k": 1, "after": 2}
    assert "Skipped a damaged line" in caplog.text
    assert reader.get_study_attrs(0) == {"k": 1, "after": 2}


@pytest.mark.parametrize("lock_class", [JournalFileSymlinkLock, JournalFileOpenLock])
def test_a_stale_lock_is_broken_and_a_held_one_waited_for(tmp_path, lock_class):
    target = str(tmp_path / "j.log")
    holder = lock_class(target, grace_period=1)
    holder.acquire()
    os.utime(f"{target}.lock", (time.time() - 5, time.time() - 5), follow_symlinks=False)
    started = time.monotonic()
    with lock_class(target, grace_period=1):
        assert time.monotonic() - started < 2
    with pytest.raises(ValueError, match="grace_period"):
        lock_class(target, grace_period=0)


def test_bad_backend_is_refused():
    with pytest.raises(TypeError, match="journal backend"):
        JournalStorage("journal.log")
