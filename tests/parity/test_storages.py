"""optuna.storages: in-memory and RDB storages, Optuna's per-field accessors, heartbeats."""

from __future__ import annotations

import time

import pytest

import tftune as optuna
from tftune.distributions import CategoricalDistribution, FloatDistribution
from tftune.storages import (
    InMemoryStorage,
    RDBStorage,
    RetryFailedTrialCallback,
    RetryHeartbeatStaleTrialCallback,
    fail_stale_trials,
    get_storage,
)
from tftune.study import StudyDirection
from tftune.trial import TrialState


@pytest.fixture(params=["memory", "sqlite"])
def storage(request, tmp_path):
    if request.param == "memory":
        return InMemoryStorage()
    return RDBStorage(f"sqlite:///{tmp_path / 's.db'}")


def test_per_field_accessors(storage):
    study = optuna.create_study(study_name="s", storage=storage, direction="maximize")
    study_id = storage.get_study_id_from_name("s")
    assert storage.get_study_name_from_id(study_id) == "s"
    assert storage.get_study_directions(study_id) == [StudyDirection.MAXIMIZE]
    storage.set_study_user_attr(study_id, "u", 1)
    storage.set_study_system_attr(study_id, "s", [2])
    assert storage.get_study_user_attrs(study_id) == {"u": 1}
    assert storage.get_study_system_attrs(study_id)["s"] == [2]

    def objective(trial):
        trial.set_user_attr("tag", "a")
        return trial.suggest_float("x", 0, 1) + len(trial.suggest_categorical("c", ["p", "qq"]))

    study.optimize(objective, n_trials=3)
    trial = study.trials[1]
    trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, 1)
    assert storage.get_trial_number_from_id(trial_id) == 1
    assert storage.get_trial(trial_id).params == trial.params
    assert storage.get_trial_params(trial_id) == trial.params
    assert storage.get_trial_param(trial_id, "c") == ["p", "qq"].index(trial.params["c"])
    assert storage.get_trial_param(trial_id, "x") == trial.params["x"]
    assert storage.get_trial_user_attrs(trial_id) == {"tag": "a"}
    assert isinstance(storage.get_trial_system_attrs(trial_id), dict)
    assert storage.get_n_trials(study_id) == 3
    assert storage.get_n_trials(study_id, states=(TrialState.COMPLETE,)) == 3
    assert storage.get_best_trial(study_id).value == study.best_value
    assert len(storage.get_all_trials(study_id)) == 3
    assert [s.study_name for s in storage.get_all_studies()] == ["s"]
    with pytest.raises(optuna.exceptions.UpdateFinishedTrialError, match="COMPLETE"):
        storage.check_trial_is_updatable(trial_id, TrialState.COMPLETE)
    with pytest.raises(optuna.exceptions.UpdateFinishedTrialError):
        storage.set_trial_user_attr(trial_id, "late", 1)
    storage.remove_session()


def test_setters_on_a_running_trial(storage):
    study = optuna.create_study(study_name="r", storage=storage)
    trial = study.ask()
    study_id = storage.get_study_id_from_name("r")
    trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
    storage.set_trial_user_attr(trial_id, "k", "v")
    storage.set_trial_system_attr(trial_id, "s", 1)
    storage.set_trial_param(trial_id, "c", 1.0, CategoricalDistribution(["a", "b"]))
    storage.set_trial_intermediate_value(trial_id, 0, 0.5)
    storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0])
    (frozen,) = study.trials
    assert frozen.user_attrs == {"k": "v"} and frozen.system_attrs["s"] == 1
    assert frozen.params == {"c": "b"} and frozen.intermediate_values == {0: 0.5}
    assert frozen.state == TrialState.COMPLETE and frozen.value == 1.0


def test_get_storage_takes_none_a_url_or_a_storage(tmp_path):
    assert isinstance(get_storage(None), InMemoryStorage)
    assert isinstance(get_storage(f"sqlite:///{tmp_path / 'x.db'}"), RDBStorage)
    memory = InMemoryStorage()
    assert get_storage(memory) is memory


def test_rdb_storage_engine_and_skip_compatibility_check(tmp_path):
    url = f"sqlite:///{tmp_path / 'e.db'}"
    storage = RDBStorage(url, skip_compatibility_check=True)
    assert storage.engine.dialect.name == "sqlite"
    with storage.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    optuna.create_study(study_name="e", storage=storage)
    assert optuna.get_all_study_names(RDBStorage(url, skip_table_creation=True)) == ["e"]


def test_heartbeat_fail_stale_trials_and_retry_callback(tmp_path):
    assert RetryHeartbeatStaleTrialCallback is RetryFailedTrialCallback
    url = f"sqlite:///{tmp_path / 'h.db'}"
    storage = RDBStorage(
        url,
        heartbeat_interval=1,
        grace_period=1,
        failed_trial_callback=RetryFailedTrialCallback(max_retry=1),
    )
    study = optuna.create_study(study_name="h", storage=storage)
    study.enqueue_trial({"x": 0.5})
    stale = study.ask()
    stale.suggest_float("x", 0, 1)
    storage.close()  # its worker "dies": the heartbeat stops
    reopened = RDBStorage(
        url,
        heartbeat_interval=1,
        grace_period=1,
        failed_trial_callback=RetryFailedTrialCallback(max_retry=1),
    )
    again = optuna.load_study(study_name="h", storage=reopened)
    deadline = time.monotonic() + 10
    while again.trials[0].state == TrialState.RUNNING and time.monotonic() < deadline:
        time.sleep(0.5)
        fail_stale_trials(again)
    first, retry = again.trials
    assert first.state == TrialState.FAIL
    assert retry.state == TrialState.WAITING
    assert RetryFailedTrialCallback.retried_trial_number(retry) == 0
    assert RetryFailedTrialCallback.retry_history(retry) == [0]
    again.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert again.trials[1].params == {"x": 0.5}
    reopened.close()


def test_study_objects_accept_storage_urls_and_objects(tmp_path):
    url = f"sqlite:///{tmp_path / 'u.db'}"
    optuna.create_study(study_name="a", storage=url).optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=2
    )
    assert len(optuna.load_study(study_name="a", storage=RDBStorage(url)).trials) == 2
    assert (
        FloatDistribution(0, 1)
        == optuna.load_study(study_name="a", storage=url).trials[0].distributions["x"]
    )


@pytest.fixture
def redis_url(tmp_path):
    """A real Redis server on a free loopback port, stopped by its PID afterwards."""
    import shutil
    import socket
    import subprocess
    import time

    server = shutil.which("redis-server")
    assert server, "redis-server is missing: `make setup` installs it (apt package redis-server)"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            server,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            raise AssertionError(f"redis-server did not listen on 127.0.0.1:{port} in 20 s")
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_journal_redis_backend_round_trips_a_study(redis_url):
    from tftune.storages import JournalStorage
    from tftune.storages.journal import JournalRedisBackend

    backend = JournalRedisBackend(redis_url, prefix="p")
    study = optuna.create_study(storage=JournalStorage(backend), study_name="r")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    other = JournalRedisBackend(redis_url, prefix="p")
    loaded = optuna.load_study(study_name="r", storage=JournalStorage(other))
    assert [t.params for t in loaded.trials] == [t.params for t in study.trials]
    assert backend.key == "p:tftune-journal"
    unprefixed = JournalRedisBackend(redis_url)
    with pytest.raises(KeyError, match="r"):
        optuna.load_study(study_name="r", storage=JournalStorage(unprefixed))
    with pytest.raises(TypeError, match="`url` must be a Redis URL string, got None"):
        JournalRedisBackend(None)  # type: ignore[arg-type]
