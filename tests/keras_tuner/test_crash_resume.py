"""A KerasTuner-style search killed hard mid-pack, then run again with the same code: the
finished trials are kept (never trained again), the killed ones run again with their
parameters, and the search ends at ``max_trials`` (a real SIGKILL-like exit, SQLite)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tftune.storages._callbacks import RETRY_OF_KEY
from tftune.trial import TrialState

pytestmark = pytest.mark.slow

SEARCH = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    import keras
    import tftune.keras_tuner as kt
    from tftune.storages import RDBStorage
    from tftune.trial import Trial

    directory, die_at, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    real_report = Trial.report
    reports = []

    def report_then_maybe_die(self, value, step):  # an injected hard kill: no cleanup runs
        real_report(self, value, step)
        with open(log, "a") as out:
            out.write(f"{self.number} {step}\\n")
        reports.append(self.number)
        if len(reports) == die_at:
            os._exit(9)

    Trial.report = report_then_maybe_die

    def build_model(hp):
        model = keras.Sequential([
            keras.Input((4,)),
            keras.layers.Dense(hp.Int("units", 2, 8, step=2), activation="relu"),
            keras.layers.Dense(1),
        ])
        model.compile(keras.optimizers.Adam(hp.Float("lr", 1e-3, 1e-1, sampling="log")), "mse")
        return model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = x[:, :1] - x[:, 1:2]
    url = f"sqlite:///{directory}/study.db"
    tuner = kt.RandomSearch(
        build_model, objective="val_loss", max_trials=6, seed=0, directory=directory,
        project_name="p", pack_size=2,
        storage=RDBStorage(url, heartbeat_interval=0.2, grace_period=1.0),
    )
    tuner.search(x, y, epochs=2, validation_split=0.25)
    """
)


def _run(directory: str, die_at: int, log: str) -> int:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    command = [sys.executable, "-c", SEARCH, directory, str(die_at), log]
    return subprocess.run(command, env=env, timeout=240, check=False).returncode


def _reports(log: str) -> list[tuple[int, int]]:
    with open(log) as lines:
        return [(int(a), int(b)) for a, b in (line.split() for line in lines)]


def test_a_killed_search_reruns_only_what_did_not_finish(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import time

    import tftune
    from tftune.storages import RDBStorage

    first_log, second_log = str(tmp_path / "first.log"), str(tmp_path / "second.log")
    # Packs of two trials, two epochs each: the 6th report ends the second pack's first epoch.
    assert _run(str(tmp_path), 6, first_log) == 9, "the search did not die"
    time.sleep(1.5)  # past the grace period: the dead worker's trials are stale
    assert _run(str(tmp_path), 0, second_log) == 0

    observer = RDBStorage(f"sqlite:///{tmp_path}/study.db", heartbeat_interval=None)
    try:
        trials = tftune.load_study("p", observer).trials
    finally:
        observer.close()
    finished_before = {n for n, step in _reports(first_log) if step == 1}
    assert finished_before == {0, 1}
    retrained = {n for n, _ in _reports(second_log)}
    assert not retrained & finished_before  # nothing that finished trained again
    killed = [t for t in trials if t.state == TrialState.FAIL]
    assert sorted(t.number for t in killed) == [2, 3]
    assert all("heartbeat" in t.system_attrs["fail_reason"] for t in killed)
    retries = {t.system_attrs[RETRY_OF_KEY]: t for t in trials if RETRY_OF_KEY in t.system_attrs}
    assert sorted(retries) == [2, 3]
    for trial in killed:
        assert retries[trial.number].params == trial.params
        assert retries[trial.number].state == TrialState.COMPLETE
    fresh = [t for t in trials if RETRY_OF_KEY not in t.system_attrs]
    assert len(fresh) == 6  # max_trials configurations, the killed ones counted once
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(complete) == 6
    best = min(complete, key=lambda t: (t.value, t.number))
    assert os.path.exists(best.user_attrs["weights_path"])
    assert np.isfinite(best.value)
