"""The Ray backend's scenarios, run inside the sandbox (see benchmarks/_ray_sandbox.py) on one
local cluster: a head node and one worker node, one CPU each. Prints one RESULT line that
tests/ray/test_ray_backend.py asserts on.

Usage (inside the sandbox):  python scenarios.py all POSTGRES_URL
                             python scenarios.py resume-driver ADDRESS SQLITE_URL
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import ray
from _ray_sandbox import LocalCluster, network_report, print_result, run_scenarios

import tftune
from tftune._ray._lost_worker import LOST_WORKER_RETRIED_KEY
from tftune.samplers import GridSampler, RandomSampler, TPESampler
from tftune.storages import RDBStorage, RetryFailedTrialCallback
from tftune.trial import TrialState

WORKDIR = Path(os.environ["TFTUNE_SANDBOX_DIR"])
RESUME_TRIALS = 8
TIMEOUT = 5.0
BATCHED_TRIALS, BATCH_RAISES_AT = 60, 30


def where(trial: tftune.Trial) -> None:
    trial.set_user_attr("pid", os.getpid())
    trial.set_user_attr("node", ray.get_runtime_context().get_node_id())


def quadratic(trial: tftune.Trial) -> float:
    where(trial)
    return (trial.suggest_float("x", -2.0, 2.0) - 0.5) ** 2


def slow_quadratic(trial: tftune.Trial) -> float:
    x = trial.suggest_float("x", -2.0, 2.0)
    where(trial)
    time.sleep(0.4)
    return (x - 0.5) ** 2


def summary(study: tftune.Study) -> dict[str, Any]:
    trials = study.get_trials()
    return {
        "numbers": [t.number for t in trials],
        "states": [t.state.name for t in trials],
        "params": [t.params for t in trials],
        "pids": [t.user_attrs.get("pid") for t in trials],
        "nodes": [t.user_attrs.get("node") for t in trials],
        "retry_of": [t.system_attrs.get("retry_of") for t in trials],
        "lost_marks": [t.system_attrs.get(LOST_WORKER_RETRIED_KEY) for t in trials],
        "fail_reasons": [t.system_attrs.get("fail_reason") for t in trials],
        "completed_at": [
            t.datetime_complete.timestamp() if t.datetime_complete else None for t in trials
        ],
    }


def define_by_run(url: str | None, name: str) -> dict[str, Any]:
    calls: list[int] = []
    study = tftune.create_study(study_name=name, storage=url, sampler=TPESampler(seed=1))
    start = time.perf_counter()
    study.optimize(
        quadratic,
        n_trials=10,
        n_jobs=2,
        backend="ray",
        callbacks=[lambda _study, trial: calls.append(trial.number)],
    )
    return summary(study) | {
        "seconds": time.perf_counter() - start,
        "callback_numbers": sorted(calls),
        "driver_pid": os.getpid(),
        "best_value": study.best_value,
    }


def grid(url: str) -> dict[str, Any]:
    space = {"a": [1, 2, 3], "b": [10, 20, 30]}

    def objective(trial: tftune.Trial) -> float:
        where(trial)
        return trial.suggest_categorical("a", space["a"]) * trial.suggest_categorical(
            "b", space["b"]
        )

    study = tftune.create_study(study_name="grid", storage=url, sampler=GridSampler(space))
    study.optimize(objective, n_jobs=2, backend="ray")
    again = tftune.load_study("grid", url, sampler=GridSampler(space))
    again.optimize(objective, n_trials=5, n_jobs=2, backend="ray")  # nothing left
    return summary(again)


def errors(url: str) -> dict[str, Any]:
    def boom(trial: tftune.Trial) -> float:
        trial.suggest_float("x", 0.0, 1.0)
        raise ValueError(f"boom in trial {trial.number}")

    raised = tftune.create_study(study_name="raises", storage=url)
    try:
        raised.optimize(boom, n_trials=4, n_jobs=2, backend="ray")
        error = None
    except ValueError as caught:
        error = {"type": type(caught).__name__, "message": str(caught)}
    caught_study = tftune.create_study(study_name="caught", storage=url)
    caught_study.optimize(boom, n_trials=4, n_jobs=2, backend="ray", catch=(ValueError,))
    return {"raised": error, "raised_study": summary(raised), "caught": summary(caught_study)}


def timeout(url: str) -> dict[str, Any]:
    study = tftune.create_study(study_name="timeout", storage=url, sampler=RandomSampler())
    start, began = time.perf_counter(), time.time()
    study.optimize(slow_quadratic, timeout=TIMEOUT, n_jobs=2, backend="ray")
    started_at = [t.datetime_start.timestamp() - began for t in study.get_trials()]
    return summary(study) | {"seconds": time.perf_counter() - start, "started_at": started_at}


def fast(trial: tftune.Trial) -> float:
    """A trial far shorter than a Ray call: the driver sends such trials a few per call."""
    x = trial.suggest_float("x", -2.0, 2.0)
    if trial.number == BATCH_RAISES_AT and trial.study.study_name == "batch-raises":
        raise ValueError(f"boom in trial {trial.number}")
    trial.set_user_attr("task", ray.get_runtime_context().get_task_id())
    return x**2


def batched(url: str) -> dict[str, Any]:
    study = tftune.create_study(study_name="batched", storage=url, sampler=RandomSampler(3))
    study.optimize(fast, n_trials=BATCHED_TRIALS, n_jobs=1, backend="ray")
    raises = tftune.create_study(study_name="batch-raises", storage=url, sampler=RandomSampler())
    try:
        raises.optimize(fast, n_trials=BATCHED_TRIALS, n_jobs=1, backend="ray")
        error = None
    except ValueError as caught:
        error = str(caught)
    tasks = [t.user_attrs.get("task") for t in study.get_trials()]
    raised = summary(raises) | {"tasks": [t.user_attrs.get("task") for t in raises.get_trials()]}
    return summary(study) | {"tasks": tasks, "raised": error, "raised_study": raised}


def node_killed(url: str, cluster: LocalCluster) -> dict[str, Any]:
    """Kill the worker node (its raylet and workers, by PID) while it runs a trial; from a
    callback, so the moment is deterministic."""
    worker = cluster.workers[0]
    worker_id = cluster.node_id(worker)
    killed: dict[str, Any] = {}

    def kill_once(study: tftune.Study, trial: Any) -> None:
        if killed or sum(t.state == TrialState.COMPLETE for t in study.trials) < 2:
            return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            running = study.get_trials(states=(TrialState.RUNNING,))
            on_worker = [t.number for t in running if t.user_attrs.get("node") == worker_id]
            if on_worker:
                killed.update(pids=cluster.kill_node(worker), at=time.time(), running=on_worker)
                return
            time.sleep(0.05)

    study = tftune.create_study(study_name="node-killed", storage=url, sampler=RandomSampler(0))
    start = time.perf_counter()
    study.optimize(slow_quadratic, n_trials=8, n_jobs=2, backend="ray", callbacks=[kill_once])
    return summary(study) | {
        "killed": killed,
        "worker_node": worker_id,
        "seconds": time.perf_counter() - start,
    }


def tune_adapter(url: str) -> dict[str, Any]:
    """A small Ray Tune experiment whose suggestions come from a tftune study."""
    from ray import tune

    from tftune.integration.ray import TftuneSearch

    def trainable(config: dict[str, Any]) -> None:
        for step in range(2):
            loss = (config["x"] - 0.5) ** 2 + config["nested"]["k"] + (1 - step)
            tune.report({"loss": loss})

    search = TftuneSearch(
        metric="loss", mode="min", sampler=TPESampler(seed=2), study_name="tune", storage=url
    )
    tuner = tune.Tuner(
        tune.with_resources(trainable, {"cpu": 1}),
        param_space={"x": tune.uniform(-2.0, 2.0), "nested": {"k": tune.randint(1, 4)}},
        tune_config=tune.TuneConfig(search_alg=search, num_samples=6, max_concurrent_trials=2),
        run_config=tune.RunConfig(storage_path=str(WORKDIR / "tune"), name="tune", verbose=0),
    )
    results = tuner.fit()
    study = tftune.load_study("tune", url)
    return summary(study) | {
        "tune_losses": sorted(r.metrics["loss"] for r in results),
        "tune_configs": [r.config for r in results],
        "values": [t.value for t in study.get_trials()],
        "intermediate": [sorted(t.intermediate_values) for t in study.get_trials()],
    }


def resumable_storage(url: str) -> RDBStorage:
    return RDBStorage(
        url,
        heartbeat_interval=0.5,
        grace_period=1.5,
        failed_trial_callback=RetryFailedTrialCallback(max_retry=3),
    )


def resume_driver(address: str, url: str) -> None:
    """A user's script: continue the study until it has RESUME_TRIALS complete trials."""
    ray.init(address=address, logging_level="WARNING")
    study = tftune.create_study(
        study_name="resume",
        storage=resumable_storage(url),
        sampler=TPESampler(seed=5),
        load_if_exists=True,
    )
    done = len(study.get_trials(states=(TrialState.COMPLETE,)))
    study.optimize(slow_quadratic, n_trials=RESUME_TRIALS - done, n_jobs=2, backend="ray")
    print_result({"pid": os.getpid()})


def driver_killed(address: str, url: str) -> dict[str, Any]:
    """Start the user's script, SIGKILL it after 3 complete trials, run it again."""
    command = [sys.executable, __file__, "resume-driver", address, url]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    complete_at_kill = 0
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline and first.poll() is None:
            try:
                study = tftune.load_study("resume", url)
                complete_at_kill = len(study.get_trials(states=(TrialState.COMPLETE,)))
            except Exception:  # noqa: BLE001 - not created yet
                complete_at_kill = 0
            if complete_at_kill >= 3:
                break
            time.sleep(0.1)
    finally:
        if first.poll() is None:
            os.kill(first.pid, signal.SIGKILL)
        first_output = first.communicate()[0].decode(errors="replace")
    if first.returncode != -signal.SIGKILL:  # it ended on its own: say how, for the test
        return {"first_exit": first.returncode, "first_output": first_output[-3000:]}
    before = summary(tftune.load_study("resume", url))
    second = subprocess.run(command, capture_output=True, text=True, timeout=120)
    after = tftune.load_study("resume", url)
    return {
        "complete_at_kill": complete_at_kill,
        "before": before,
        "after": summary(after),
        "rerun_exit": second.returncode,
        "rerun_output": second.stdout[-3000:] + second.stderr[-3000:],
    }


def run_all(postgres_url: str) -> None:
    sqlite_url = f"sqlite:///{WORKDIR / 'study.db'}"
    started = time.perf_counter()
    cluster = LocalCluster(head_cpus=1, worker_cpus=(1,))
    result: dict[str, Any] = {"cluster_start_seconds": time.perf_counter() - started}
    scenarios = {
        "sqlite": lambda: define_by_run(sqlite_url, "dbr-sqlite"),
        "postgres": lambda: define_by_run(postgres_url, "dbr-postgres"),
        "memory": lambda: define_by_run(None, "dbr-memory"),
        "grid": lambda: grid(sqlite_url),
        "errors": lambda: errors(sqlite_url),
        "timeout": lambda: timeout(sqlite_url),
        "batched": lambda: batched(sqlite_url),
        "node_killed": lambda: node_killed(sqlite_url, cluster),
        "tune_adapter": lambda: tune_adapter(sqlite_url),
    }
    try:
        ray.init(address=cluster.address, logging_level="WARNING")
        result["network"] = network_report()
        run_scenarios(scenarios, result)
        ray.shutdown()
        begin = time.perf_counter()
        result["driver_killed"] = driver_killed(cluster.address, f"sqlite:///{WORKDIR / 'r.db'}")
        result["driver_killed"]["wall_seconds"] = time.perf_counter() - begin
    finally:
        result["left_running_after_close"] = cluster.close()
    print_result(result)


if __name__ == "__main__":
    if sys.argv[1] == "all":
        run_all(sys.argv[2])
    elif sys.argv[1] == "resume-driver":
        resume_driver(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(f"unknown scenario {sys.argv[1]!r}")
