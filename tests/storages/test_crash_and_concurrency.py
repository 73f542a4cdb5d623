"""Real processes on one SQLite file or one PostgreSQL database: SIGKILL and contention."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import tftune
from tftune.storages import RDBStorage, RetryFailedTrialCallback
from tftune.trial import TrialState

pytestmark = pytest.mark.slow

WORKER = textwrap.dedent(
    """
    import sys, time, logging, tftune
    from tftune.storages import RDBStorage
    tftune.logging.set_verbosity(logging.WARNING)
    url, name, n_trials, block_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    storage = RDBStorage(url, heartbeat_interval=0.2, grace_period=float(sys.argv[5]))
    study = tftune.load_study(name, storage)

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        for step in range(3):
            trial.report(x + step / 10, step)
            if trial.number == block_at:
                time.sleep(600)  # the parent kills us here
        return x

    study.optimize(objective, n_trials=n_trials)
    """
)


def _start_worker(
    url: str, name: str, n_trials: int, block_at: int = -1, grace: float = 1.0
) -> subprocess.Popen:
    """A worker process; ``grace``: seconds before another worker fails its silent trials."""
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, url, name, str(n_trials), str(block_at), str(grace)]
    )


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the worker")
        time.sleep(0.05)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request) -> str:
    return request.getfixturevalue(f"{request.param}_url")


def test_sigkill_mid_study_loses_nothing_and_the_study_continues(db_url):
    tftune.create_study(study_name="crash", storage=db_url)
    worker = _start_worker(db_url, "crash", n_trials=20, block_at=5)
    observer = RDBStorage(db_url, heartbeat_interval=None)
    study_id = observer.get_study_id_from_name("crash")

    def blocked_trial_reported() -> bool:
        running = observer.get_all_trials(study_id, states=(TrialState.RUNNING,))
        return any(t.number == 5 and 0 in t.intermediate_values for t in running)

    _wait_for(blocked_trial_reported)
    os.kill(worker.pid, signal.SIGKILL)
    assert worker.wait(timeout=30) == -signal.SIGKILL

    storage = RDBStorage(
        db_url,
        heartbeat_interval=0.2,
        grace_period=1.0,
        failed_trial_callback=RetryFailedTrialCallback(),
    )
    study = tftune.load_study("crash", storage)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 5 + [TrialState.RUNNING]
    for trial in trials[:5]:
        x = trial.params["x"]
        assert trial.values == [x]
        assert trial.intermediate_values == {
            0: x,
            1: pytest.approx(x + 0.1),
            2: pytest.approx(x + 0.2),
        }
    killed = trials[5]
    assert killed.intermediate_values == {0: killed.params["x"]}

    time.sleep(1.3)  # longer than the grace period: the killed trial's heartbeat is stale
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    trials = study.trials
    assert trials[5].state == TrialState.FAIL
    assert "heartbeat stopped" in trials[5].system_attrs["fail_reason"]
    retry = trials[6]
    assert retry.state == TrialState.COMPLETE
    assert retry.params == killed.params
    assert RetryFailedTrialCallback.retried_trial_number(retry) == 5
    assert [t.state for t in trials[7:]] == [TrialState.COMPLETE] * 2
    storage.close()
    observer.close()


def test_a_live_trial_is_not_failed_by_another_worker(sqlite_url):
    storage = RDBStorage(sqlite_url, heartbeat_interval=0.1, grace_period=0.5)
    study = tftune.create_study(study_name="live", storage=storage)
    trial = study.ask()
    time.sleep(0.8)  # the heartbeat thread keeps the trial alive
    other = tftune.load_study(
        "live", RDBStorage(sqlite_url, heartbeat_interval=0.1, grace_period=0.5)
    )
    other._fail_stale_trials(force=True)
    assert study.trials[0].state == TrialState.RUNNING
    study.tell(trial, 1.0)
    storage.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_four_processes_share_one_study(kind, request):
    url = request.getfixturevalue(f"{kind}_url")
    tftune.create_study(study_name="shared", storage=url)
    # a long grace: on two busy cores a live worker's heartbeat can lag a second behind
    workers = [_start_worker(url, "shared", n_trials=25, grace=60.0) for _ in range(4)]
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0, 0]
    trials = tftune.load_study("shared", RDBStorage(url, heartbeat_interval=None)).trials
    assert len(trials) == 100
    assert sorted(t.number for t in trials) == list(range(100))
    assert all(t.state == TrialState.COMPLETE and len(t.intermediate_values) == 3 for t in trials)


def test_postgres_connections_killed_by_the_server_are_replaced(postgres_url):
    import sqlalchemy as sa

    url = f"{postgres_url}&application_name=tftune_kill_test"
    storage = RDBStorage(url, heartbeat_interval=None)
    study = tftune.create_study(study_name="restart", storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    admin = sa.create_engine(postgres_url)
    with admin.begin() as conn:
        killed = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'tftune_kill_test'"
            )
        ).scalar()
    admin.dispose()
    assert killed >= 1  # the pooled connections are now dead
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 6
    storage.close()
