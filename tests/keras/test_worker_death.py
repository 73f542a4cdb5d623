"""A Tuner process killed mid-pack: its trials run again elsewhere, promoted ones from their
checkpoint (a real SIGKILL of a real search process, SQLite, short heartbeats)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

import tftune
from tftune.keras import Tuner
from tftune.pruners._successive_halving import CHECKPOINT_KEY, RESUME_OF_KEY
from tftune.storages import RDBStorage
from tftune.storages._callbacks import RETRY_OF_KEY
from tftune.trial import TrialState

pytestmark = pytest.mark.slow

SEARCH = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, sys.argv[6])
    from worker_death_model import build, data, pruner
    import tftune
    from tftune.keras import Tuner
    from tftune.storages import RDBStorage
    from tftune.trial import Trial

    url, directory, epochs, n_trials = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    die_when = sys.argv[5]
    real_report = Trial.report

    def report_then_maybe_die(self, value, step):  # an injected SIGKILL: no cleanup runs
        real_report(self, value, step)
        resuming = "resume_of" in self.system_attrs
        if die_when == "second_epoch" and step == 1:
            os._exit(9)
        if die_when == "resumed_trial_trains" and resuming:
            if step > self.system_attrs["checkpoint"]["epoch"]:
                os._exit(9)

    Trial.report = report_then_maybe_die
    storage = RDBStorage(url, heartbeat_interval=0.2, grace_period=1.0)
    x, y, xv, yv = data()
    tuner = Tuner(build, objective="val_loss", storage=storage, directory=directory,
                  project_name="p", pack_size=4, pruner=pruner(),
                  sampler=tftune.samplers.RandomSampler(seed=0))
    tuner.search(x, y, validation_data=(xv, yv), epochs=epochs, n_trials=n_trials)
    """
)

MODEL = textwrap.dedent(
    """
    import keras
    import numpy as np
    import tftune

    def data():
        from sklearn.datasets import load_breast_cancer
        from sklearn.preprocessing import StandardScaler
        x, y = load_breast_cancer(return_X_y=True)
        x = StandardScaler().fit_transform(x[:200]).astype("float32")
        y = y[:200].astype("float32")
        return x[:150], y[:150], x[150:], y[150:]

    def build(trial):
        model = keras.Sequential([keras.layers.Dense(trial.suggest_int("units", 4, 16),
                                                     activation="relu"),
                                  keras.layers.Dense(1, activation="sigmoid")])
        rate = trial.suggest_float("lr", 1e-3, 1e-1, log=True)
        model.compile(keras.optimizers.Adam(rate), "binary_crossentropy")
        return model

    def pruner():
        return tftune.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    """
)


@pytest.fixture
def search_files(tmp_path):
    (tmp_path / "worker_death_model.py").write_text(MODEL)
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    sys.modules.pop("worker_death_model", None)


def run_until_killed(url, directory, epochs, n_trials, die_when, code_dir):
    """Run a search in its own process until it dies (hard, as if SIGKILLed) at ``die_when``;
    return the stored trials at its death."""
    command = [sys.executable, "-c", SEARCH, url, str(directory), str(epochs), str(n_trials)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    process = subprocess.run([*command, die_when, str(code_dir)], env=env, timeout=300)
    assert process.returncode == 9, f"the search did not die at {die_when!r}"
    observer = RDBStorage(url, heartbeat_interval=None)
    try:
        return tftune.load_study("p", observer).trials
    finally:
        observer.close()


def resume(url, directory, epochs, n_trials):
    """A second worker on the same study: after the grace period, it fails and retries."""
    from worker_death_model import build, data, pruner

    time.sleep(1.5)
    x, y, xv, yv = data()
    storage = RDBStorage(url, heartbeat_interval=0.2, grace_period=1.0)
    with Tuner(
        build,
        objective="val_loss",
        storage=storage,
        directory=directory,
        project_name="p",
        pack_size=4,
        pruner=pruner(),
    ) as tuner:
        tuner.search(x, y, validation_data=(xv, yv), epochs=epochs, n_trials=n_trials)
        return tuner.study.trials


def test_the_pack_of_a_killed_worker_runs_again_elsewhere(tmp_path, search_files):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    killed = run_until_killed(url, tmp_path, 10, 4, "second_epoch", search_files)
    assert [t.state for t in killed] == [TrialState.RUNNING] * 4  # one pack, mid-training
    trials = resume(url, tmp_path, 2, 4)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert sorted(t.number for t in failed) == sorted(t.number for t in killed)
    assert all("heartbeat" in t.system_attrs["fail_reason"] for t in failed)
    retries = {t.system_attrs[RETRY_OF_KEY]: t for t in trials if RETRY_OF_KEY in t.system_attrs}
    assert sorted(retries) == sorted(t.number for t in killed)
    for trial in failed:
        retry = retries[trial.number]
        assert retry.params == trial.params
        assert retry.state in (TrialState.COMPLETE, TrialState.PRUNED)


def test_a_killed_promoted_trial_resumes_from_its_checkpoint_again(tmp_path, search_files):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    killed = run_until_killed(url, tmp_path, 8, 40, "resumed_trial_trains", search_files)
    victims = [
        t for t in killed if t.state == TrialState.RUNNING and RESUME_OF_KEY in t.system_attrs
    ]
    checkpoint = victims[0].system_attrs[CHECKPOINT_KEY]
    assert os.path.exists(checkpoint["path"])  # kept until the resumed trial is told
    unfinished = [t for t in killed if not t.state.is_finished()]  # queued ones run first
    trials = resume(url, tmp_path, 8, len(unfinished))
    retry = next(t for t in trials if t.system_attrs.get(RETRY_OF_KEY) == victims[0].number)
    assert retry.system_attrs[RESUME_OF_KEY] == victims[0].system_attrs[RESUME_OF_KEY]
    assert retry.state in (TrialState.COMPLETE, TrialState.PRUNED)
    # it went on from the checkpoint's epoch: the epochs before it are the paused trial's
    first_trained = checkpoint["epoch"] + 1
    assert len(retry.user_attrs["history"]["loss"]) > first_trained
    assert not os.path.exists(checkpoint["path"])  # consumed once the retry was told
