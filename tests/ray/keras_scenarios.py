"""Scenarios of ``Tuner.search(..., backend="ray")``, run inside the sandbox (see
benchmarks/_ray_sandbox.py) on one local cluster: a head node and one worker node, one CPU
each, each node's processes working in a directory of their own (``NODE_DIRS``) and the driver
in another. Prints one RESULT line that tests/ray/test_keras_ray.py asserts on.

Usage (inside the sandbox):  python keras_scenarios.py all
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import ray
import tiny_keras
from _ray_sandbox import LocalCluster, network_report, print_result, run_scenarios
from tiny_keras import data, search_on_ray

import tftune
from tftune._ray._lost_worker import LOST_WORKER_RETRIED_KEY
from tftune.keras import Tuner
from tftune.keras._best_weights import WEIGHTS_ATTR
from tftune.keras._tuner import promotion_template
from tftune._ray._epoch_store import PAUSED, DirectoryEpochStore
from tftune.keras._pack_job import RESUMED_AT_KEY
from tftune.pruners import SuccessiveHalvingPruner
from tftune.pruners._successive_halving import CHECKPOINT_KEY, RESUME_OF_KEY
from tftune.trial import TrialState

WORKDIR = Path(os.environ["TFTUNE_SANDBOX_DIR"])
#: Where each node works (see ``LocalCluster``); the driver works in ``DRIVER_DIR``.
NODE_DIRS, DRIVER_DIR = WORKDIR / "nodes", WORKDIR / "driver"
N_TRIALS, EPOCHS = 8, 2
KILL_TRIALS, KILL_EPOCHS = 4, 4
ASHA_TRIALS, ASHA_EPOCHS = 12, 4
LATER_EPOCHS = 3  # (later_searches: the promotion still trains on after its rung)


def summary(study: tftune.Study) -> dict[str, Any]:
    trials = study.get_trials()
    return {
        "numbers": [t.number for t in trials],
        "states": [t.state.name for t in trials],
        "params": [t.params for t in trials],
        "values": [t.value for t in trials],
        "pids": [t.user_attrs.get("pid") for t in trials],
        "start_epochs": [t.system_attrs.get(RESUMED_AT_KEY, 0) for t in trials],
        "retry_of": [t.system_attrs.get("retry_of") for t in trials],
        "resume_of": [t.system_attrs.get(RESUME_OF_KEY) for t in trials],
        "fail_reasons": [t.system_attrs.get("fail_reason") for t in trials],
        "intermediate": [
            [[step, value] for step, value in sorted(t.intermediate_values.items())]
            for t in trials
        ],
        "completed_at": [
            t.datetime_complete.timestamp() if t.datetime_complete else None for t in trials
        ],
    }


def search() -> dict[str, Any]:
    """A tiny search: 8 trials in packs of 4 on two one-CPU workers; best_model() here."""
    arrays = data()
    _, _, xv, yv = arrays
    directory = WORKDIR / "search"
    tuner = tiny_keras.tuner(directory, "tiny", seed=3)
    start = time.perf_counter()
    search_on_ray(tuner, arrays, epochs=EPOCHS, batch_size=32, n_trials=N_TRIALS)
    seconds = time.perf_counter() - start
    best = tuner.best_model()
    loss = float(best.evaluate(xv, yv, verbose=0))
    result = summary(tuner.study) | {
        "seconds": seconds,
        "packs": tuner.last_packs,
        "driver_pid": os.getpid(),
        "best_number": tuner.best_trial.number,
        "best_value": tuner.best_trial.value,
        "best_model_loss": loss,
        "weight_files": sorted(p.name for p in (directory / "tiny").glob("trial_*.weights.h5")),
        "epoch_files_left": DirectoryEpochStore(tuner.checkpoint_dir).names(),
    }
    tuner.close()
    return result


def asha(directory: Path, shared_dir: Path | None) -> tuple[Tuner, dict[str, Any]]:
    """ASHA on Ray: pruned copies pause (checkpoint in ``shared_dir``, or through the checkpoint
    actor without one), the driver enqueues promotions, and later packs, on any worker, resume
    them. (12 trials in packs of 4, one pack at a time so that the rung decisions do not hang
    on which pack reports first: the first pack's configurations learn fast, and those that
    report after a better one pause at the first rungs; the second pack's learn slowly, which
    puts the paused ones in the top half: their promotions join the third pack, on whichever
    worker it runs.) Returns the tuner (open) and the result."""
    arrays = data()
    _, _, xv, yv = arrays
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    tuner = tiny_keras.tuner(directory, "asha", seed=0, pruner=pruner)
    for lr in (3e-2, 2.5e-2, 2e-2, 1.5e-2):
        tuner.study.enqueue_trial({"units": 16, "lr": lr})
    for units in (4, 5, 6, 7):
        tuner.study.enqueue_trial({"units": units, "lr": 1e-3})
    search_on_ray(
        tuner,
        arrays,
        epochs=ASHA_EPOCHS,
        n_trials=ASHA_TRIALS,
        n_jobs=1,
        shared_dir=shared_dir,
    )
    trials = tuner.study.get_trials()
    result = summary(tuner.study) | {
        "packs": tuner.last_packs,
        "checkpoints": [t.system_attrs.get(CHECKPOINT_KEY) for t in trials],
        "weights": [t.user_attrs.get(WEIGHTS_ATTR) for t in trials],
        "best_model_loss": float(tuner.best_model().evaluate(xv, yv, verbose=0)),
        "best_value": tuner.best_trial.value,
    }
    return tuner, result


def promotions() -> dict[str, Any]:
    """:func:`asha` with a shared directory: the paused checkpoints are files there."""
    tuner, result = asha(WORKDIR / "asha", WORKDIR / "asha-shared")
    tuner.close()
    return result | {"shared_dir": str(WORKDIR / "asha-shared")}


def promotions_unshared() -> dict[str, Any]:
    """:func:`asha` with no shared directory, under a relative project directory: it names
    another place in every node's processes (each works in a directory of its own, see
    ``NODE_DIRS``) than here, so anything written by path on a worker is not seen here."""
    tuner, result = asha(Path("asha-unshared"), None)
    files = sorted(
        str(path.relative_to(NODE_DIRS)) for path in NODE_DIRS.rglob("*") if path.is_file()
    )
    checkpoint_dir = tuner.checkpoint_dir.absolute()
    tuner.close()
    return result | {
        "paused_kept": DirectoryEpochStore(checkpoint_dir, prefix=PAUSED).chains(),
        "checkpoint_files": sorted(path.name for path in checkpoint_dir.iterdir()),
        "node_files": files,
    }


def later_searches() -> dict[str, Any]:
    """Two searches whose trials run one at a time (a Keras callback), on the head node only
    (after :func:`killed`). The first, with no shared directory, pauses a slow configuration
    (the second of two, worse at the first rung) through the checkpoint actor; the second
    passes ``shared_dir`` and runs its promotion (enqueued as the tuner does): its worker reads
    the checkpoint from the driver, where the record says it is, not from the shared
    directory."""
    import keras

    arrays = data()
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2, extrapolate_curves=False)
    tuner = tiny_keras.tuner(Path("later"), "later", seed=0, pruner=pruner)
    study, options = tuner.study, dict(epochs=LATER_EPOCHS, n_jobs=1)
    options["callbacks"] = [keras.callbacks.TerminateOnNaN()]
    study.enqueue_trial({"units": 16, "lr": 3e-2})  # learns fast
    study.enqueue_trial({"units": 4, "lr": 1e-3})  # slow: worse at the first rung
    search_on_ray(tuner, arrays, n_trials=2, **options)
    paused = study.trials[1]
    kept = DirectoryEpochStore(tuner.checkpoint_dir, prefix=PAUSED)
    result: dict[str, Any] = {"paused": 1, "kept_after_first": kept.chains()}
    shared = WORKDIR / "later-shared"
    if paused.state == TrialState.PRUNED:
        study.storage.enqueue_trials(
            study.study_id,
            [promotion_template(paused, paused.system_attrs[CHECKPOINT_KEY])],
            once_key="promote:1",  # (the tuner's template and key: enqueued once)
        )
        search_on_ray(tuner, arrays, n_trials=1, shared_dir=shared, **options)
    trials = study.get_trials()
    result |= summary(study) | {
        "checkpoints": [t.system_attrs.get(CHECKPOINT_KEY) for t in trials],
        "kept_after_second": kept.chains(),
        "shared_files": sorted(p.name for p in shared.rglob("*") if p.is_file()),
    }
    tuner.close()
    return result


def failing_build(trial: tftune.Trial) -> Any:
    trial.suggest_int("units", 4, 16)
    raise ValueError(f"no model for trial {trial.number}")


def errors() -> dict[str, Any]:
    """Every build fails: the trials fail with the worker's traceback, and the driver's
    failure count stops the search with its error."""
    tuner = tiny_keras.tuner(WORKDIR / "errors", "errors", seed=0, build=failing_build)
    try:
        search_on_ray(tuner, data(), n_trials=8)
        raised = None
    except RuntimeError as error:
        raised = str(error)
    result = summary(tuner.study) | {"raised": raised}
    tuner.close()
    return result


def dying_build(trial: tftune.Trial) -> Any:
    trial.suggest_int("units", 4, 16)
    os.kill(os.getpid(), signal.SIGKILL)  # (on a Ray worker: the pack's worker dies)


def lost_every_time() -> dict[str, Any]:
    """Every pack's worker dies (SIGKILL, in the build): the trial is retried once and its
    retry dies too; the retried one does not count as a failure, the retry (its chain's last)
    does, and stops the search with the failure count's error."""
    tuner = tiny_keras.tuner(
        WORKDIR / "lost",
        "lost",
        seed=0,
        build=dying_build,
        pack_size=1,
        max_consecutive_failures=1,
    )
    try:
        search_on_ray(tuner, data(), n_trials=1, max_retries=1)
        raised = None
    except RuntimeError as error:
        raised = str(error)
    trials = tuner.study.get_trials()
    result = summary(tuner.study) | {
        "raised": raised,
        "marks": [t.system_attrs.get(LOST_WORKER_RETRIED_KEY) for t in trials],
    }
    tuner.close()
    return result


def killed(cluster: LocalCluster) -> dict[str, Any]:
    """Two packs train at once, one on each node. As soon as each of a pack's trials has a
    checkpointed epoch, its worker is stopped (SIGSTOP) until both are; then kill (SIGKILL, by
    the PID its trials stored) the worker process of the head node's pack, and the whole
    worker node (its raylet and every process under it, by PID): the trials of both packs
    are failed and retried from there, on the head node.

    The checkpoints reach the driver's disk through the checkpoint actor; the killer reads
    them there, with both packs' workers stopped so the epoch it sees is their last (a pack
    ready first cannot finish while the other starts late).
    A trial's ``tmp`` attribute (its process's temp dir) tells its node."""
    arrays = data(2048)
    _, _, xv, yv = arrays
    tuner = tiny_keras.tuner(WORKDIR / "killed", "killed", seed=4, pack_size=2)
    store = DirectoryEpochStore(tuner.checkpoint_dir)
    node, node_tmp = cluster.workers[0], str(NODE_DIRS / "node1")
    kills: dict[str, Any] = {}
    stop = threading.Event()

    def kill_both() -> None:
        study = tftune.load_study("killed", f"sqlite:///{WORKDIR / 'killed/killed/study.db'}")
        stopped: dict[bool, tuple[int, list[int]]] = {}  # packs stopped, by node (True: node1)
        deadline = time.monotonic() + 120
        while not stop.is_set() and time.monotonic() < deadline and len(stopped) < 2:
            by_pid: dict[int, list[Any]] = {}
            for trial in study.get_trials(states=(TrialState.RUNNING,)):
                if "pid" in trial.user_attrs:
                    by_pid.setdefault(int(trial.user_attrs["pid"]), []).append(trial)
            for pid, trials in by_pid.items():
                if len(trials) != 2 or any("tmp" not in t.user_attrs for t in trials):
                    continue  # (its attributes not all stored yet)
                on_node = trials[0].user_attrs["tmp"] == node_tmp
                if on_node not in stopped and all(store.latest(t.number) for t in trials):
                    # ready (each trial saved an epoch): stopped until the kill, so it can
                    # neither finish nor checkpoint again while the other pack gets ready
                    os.kill(pid, signal.SIGSTOP)
                    stopped[on_node] = (pid, sorted(t.number for t in trials))
            time.sleep(0.05)
        kills["stopped"] = {str(k): v for k, v in stopped.items()}
        if len(stopped) < 2:  # (the test names what was missed)
            for pid, _ in stopped.values():
                os.kill(pid, signal.SIGCONT)
            return
        (node_pid, on_node), (head_pid, on_head) = stopped[True], stopped[False]
        time.sleep(1.0)  # a checkpoint on its way through the actor is stored meanwhile
        saved = {n: found[0].epoch for n in on_node + on_head if (found := store.latest(n))}
        os.kill(head_pid, signal.SIGKILL)
        kills["worker"] = dict(pid=head_pid, at=time.time(), running=on_head)
        pids = cluster.kill_node(node)
        kills["node"] = dict(pids=pids, pack_pid=node_pid, at=time.time(), running=on_node)
        kills["epochs"] = saved

    def killer_reporting() -> None:
        try:
            kill_both()
        except Exception:  # noqa: BLE001 - the test shows it
            kills["error"] = traceback.format_exc()

    killer = threading.Thread(target=killer_reporting, daemon=True)
    killer.start()
    start = time.perf_counter()
    try:
        search_on_ray(tuner, arrays, epochs=KILL_EPOCHS, batch_size=16, n_trials=KILL_TRIALS)
    finally:
        stop.set()
        killer.join(timeout=5)
    trials = tuner.study.get_trials()
    result = summary(tuner.study) | {
        "seconds": time.perf_counter() - start,
        "killed": kills,
        "node_tmp": node_tmp,
        "tmps": [t.user_attrs.get("tmp") for t in trials],
        "packs": tuner.last_packs,
        "best_model_loss": float(tuner.best_model().evaluate(xv, yv, verbose=0)),
        "best_value": tuner.best_trial.value,
        "epoch_files_left": store.names(),
    }
    tuner.close()
    return result


def run_all() -> None:
    started = time.perf_counter()
    cluster = LocalCluster(head_cpus=1, worker_cpus=(1,), node_dirs=NODE_DIRS)
    result: dict[str, Any] = {"cluster_start_seconds": time.perf_counter() - started}
    DRIVER_DIR.mkdir()
    os.chdir(DRIVER_DIR)
    try:
        ray.init(address=cluster.address, logging_level="WARNING")
        result["network"] = network_report()
        scenarios = {
            "search": search,
            "promotions": promotions,
            "promotions_unshared": promotions_unshared,
            "errors": errors,
            "lost_every_time": lost_every_time,
            "killed": lambda: killed(cluster),  # (the worker node is gone after it)
            "later_searches": later_searches,  # (on the head node only)
        }
        run_scenarios(scenarios, result)
        ray.shutdown()
    finally:
        result["left_running_after_close"] = cluster.close()
    print_result(result)


if __name__ == "__main__":
    if sys.argv[1] == "all":
        run_all()
    else:
        raise SystemExit(f"unknown scenario {sys.argv[1]!r}")
