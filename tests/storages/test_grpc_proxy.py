"""GrpcStorageProxy and run_grpc_proxy_server: the storage contract through a real gRPC server,
worker processes sharing one server, a killed worker's trial failed by heartbeat, and messages
that may not construct anything but data."""

from __future__ import annotations

import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

import tftune
from tftune.exceptions import DuplicatedStudyError, UpdateFinishedTrialError
from tftune.storages import GrpcStorageProxy, InMemoryStorage, RDBStorage
from tftune.storages._grpc import get_server
from tftune.storages._grpc._codec import dumps, loads
from tftune.storages._remote import dispatch
from tftune.trial import TrialState
from tests.storages import test_storage_contract as contract


def _serve(storage):
    server = get_server(storage, host="127.0.0.1", port=0)
    server.start()
    return server


@pytest.fixture
def served(tmp_path):
    """A server over a SQLite file, and the file's URL."""
    url = f"sqlite:///{tmp_path / 'served.db'}"
    backend = RDBStorage(url, heartbeat_interval=0.2, grace_period=1.0)
    server = _serve(backend)
    yield server, url
    server.stop(grace=None).wait()
    backend.close()


@pytest.fixture
def storage(served):
    """What the contract tests run on: a proxy to the served SQLite storage."""
    proxy = GrpcStorageProxy(host="127.0.0.1", port=served[0].tftune_port)
    proxy.wait_server_ready(timeout=10)
    yield proxy
    proxy.close()


for _name in dir(contract):
    if _name.startswith("test_"):
        globals()[f"{_name}_through_grpc"] = getattr(contract, _name)


def test_a_study_through_the_proxy_is_the_servers_study(storage, served):
    study = tftune.create_study(study_name="s", storage=storage, direction="maximize")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=12)
    direct = tftune.load_study(study_name="s", storage=served[1])
    assert [t.value for t in direct.trials] == [t.value for t in study.trials]
    assert direct.best_trial.number == study.best_trial.number
    assert storage.heartbeat_interval == 0.2 and storage.grace_period == 1.0
    with pytest.raises(DuplicatedStudyError, match="'s'"):
        tftune.create_study(study_name="s", storage=storage)
    trial = study.trials[0]
    with pytest.raises(UpdateFinishedTrialError, match="COMPLETE"):
        storage.set_trial_intermediate_value(trial._trial_id, 0, 1.0)


def test_reads_follow_trials_that_other_clients_start_and_finish(served):
    port = served[0].tftune_port
    writer, reader = GrpcStorageProxy(port=port), GrpcStorageProxy(port=port)
    study_id = writer.create_new_study([tftune.study.StudyDirection.MINIMIZE], "shared")
    first = writer.create_new_trial(study_id)
    assert [t.state for t in reader.get_all_trials(study_id)] == [TrialState.RUNNING]
    writer.set_trial_state_values(first.trial_id, TrialState.COMPLETE, [1.0])
    second = writer.create_new_trial(study_id)
    seen = reader.get_all_trials(study_id)
    assert [(t.number, t.state) for t in seen] == [
        (0, TrialState.COMPLETE),
        (1, TrialState.RUNNING),
    ]
    writer.set_trial_state_values(second.trial_id, TrialState.PRUNED)
    assert reader.get_n_trials(study_id, states=(TrialState.PRUNED,)) == 1
    assert [t.number for t in reader.get_finished_trials(study_id)] == [0, 1]
    assert [t.number for t in reader.get_all_trials(study_id, states=(TrialState.PRUNED,))] == [1]
    copies = reader.get_all_trials(study_id)
    copies[0].user_attrs["mine"] = 1  # deepcopy=True: the reader's copy is the caller's own
    assert "mine" not in reader.get_all_trials(study_id)[0].user_attrs


WORKER = textwrap.dedent(
    """
    import sys, time, logging, tftune
    from tftune.storages import GrpcStorageProxy
    tftune.logging.set_verbosity(logging.WARNING)
    port, n_trials, block_at = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    study = tftune.load_study(study_name="w", storage=GrpcStorageProxy(port=port))

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.report(x, 0)
        if trial.number == block_at:
            time.sleep(600)  # the parent kills us here
        return x

    study.optimize(objective, n_trials=n_trials)
    """
)


def _worker(port: int, n_trials: int, block_at: int = -1) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(port), str(n_trials), str(block_at)]
    )


def test_worker_processes_share_one_server(served):
    server, url = served
    tftune.create_study(study_name="w", storage=url)
    workers = [_worker(server.tftune_port, 8) for _ in range(3)]
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0]
    trials = tftune.load_study(study_name="w", storage=url).trials
    assert len(trials) == 24 and sorted(t.number for t in trials) == list(range(24))
    assert all(t.state == TrialState.COMPLETE for t in trials)


def test_a_killed_workers_trial_is_failed_by_its_silent_heartbeat(served):
    server, url = served
    tftune.create_study(study_name="w", storage=url)
    worker = _worker(server.tftune_port, 5, block_at=2)
    observer = RDBStorage(url, heartbeat_interval=None)
    study_id = observer.get_study_id_from_name("w")
    deadline = time.monotonic() + 60
    while not any(
        t.number == 2 and t.intermediate_values
        for t in observer.get_all_trials(study_id, states=(TrialState.RUNNING,))
    ):
        assert time.monotonic() < deadline, "the worker never reached its blocking trial"
        time.sleep(0.05)
    os.kill(worker.pid, signal.SIGKILL)
    assert worker.wait(timeout=30) == -signal.SIGKILL
    time.sleep(1.5)  # past the served storage's grace period of 1 s
    study = tftune.load_study(study_name="w", storage=GrpcStorageProxy(port=server.tftune_port))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    states = {t.number: t.state for t in observer.get_all_trials(study_id)}
    assert states[2] == TrialState.FAIL and states[0] == states[1] == TrialState.COMPLETE
    assert list(states.values()).count(TrialState.COMPLETE) == 3
    observer.close()


class _Touch:
    """A pickle that would create a file when loaded."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_messages_may_only_carry_data(served, tmp_path):
    planted = tmp_path / "planted"
    with pytest.raises(pickle.UnpicklingError, match=r"may not construct io.open"):
        loads(pickle.dumps(_Touch(str(planted))))
    with pytest.raises(pickle.UnpicklingError, match=r"may not construct posix.system"):
        loads(pickle.dumps((os.system, ("true",))))
    # Sent raw to the server, the same bytes are refused there too and nothing runs.
    import grpc

    channel = grpc.insecure_channel(f"127.0.0.1:{served[0].tftune_port}")
    call = channel.unary_unary("/tftune.StorageProxy/Call")
    ok, error = loads(call(pickle.dumps(("get_all_studies", (_Touch(str(planted)),), {}))))
    channel.close()
    assert not ok and "may not construct io.open" in str(error)
    assert not planted.exists()
    trial = tftune.create_trial(params={}, distributions={}, value=1.0)
    assert loads(dumps([trial, {"a": (1, 2.5, None)}]))[0].value == 1.0


def test_only_public_storage_methods_can_be_called():
    storage = InMemoryStorage()
    for name in ("close", "__class__", "_lock", "remove_session"):
        with pytest.raises(ValueError, match=rf"'{name}' is not a storage method a proxy"):
            dispatch(storage, name, (), {})
    assert dispatch(storage, "get_all_studies", (), {}) == []


class _Broken(InMemoryStorage):
    def get_all_studies(self):
        raise sqlite3.OperationalError("disk I/O error")


def test_errors_that_cannot_cross_arrive_described():
    server = _serve(_Broken())
    proxy = GrpcStorageProxy(host="127.0.0.1", port=server.tftune_port)
    try:
        with pytest.raises(RuntimeError, match=r"raised sqlite3.OperationalError: disk I/O error"):
            proxy.get_all_studies()
    finally:
        proxy.close()
        server.stop(grace=None).wait()


def test_an_absent_server_is_named():
    server = _serve(InMemoryStorage())
    port = server.tftune_port
    server.stop(grace=None).wait()
    proxy = GrpcStorageProxy(host="127.0.0.1", port=port, timeout=2.0)
    with pytest.raises(TimeoutError, match=rf"No storage server answered at 127.0.0.1:{port}"):
        proxy.wait_server_ready(timeout=0.5)
    with pytest.raises(ConnectionError, match=rf"127.0.0.1:{port} did not answer describe"):
        proxy.get_all_studies()
    proxy.close()


def test_bad_addresses_are_refused():
    with pytest.raises(ValueError, match=r"`port` must be an int in \[1, 65535\], got 0"):
        GrpcStorageProxy(port=0)
    with pytest.raises(ValueError, match=r"`port` must be an int in \[0, 65535\], got 'x'"):
        get_server(InMemoryStorage(), port="x")


def test_the_proxy_pickles_to_worker_processes(storage):
    copy = pickle.loads(pickle.dumps(storage))
    assert (copy.host, copy.port) == (storage.host, storage.port)
    assert copy.get_all_studies() == storage.get_all_studies()
    copy.close()
