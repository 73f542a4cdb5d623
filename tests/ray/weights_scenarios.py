"""Scenarios of best weights without a shared directory and of packs that fit no node, run
inside the sandbox (see benchmarks/_ray_sandbox.py) on a head node and one worker node, one CPU
each. The workers' temporary directory is one of their own (``worker_tmp``): what they write
there the driver never reads. Prints one RESULT line that tests/ray/test_ray_weights.py
asserts on.

Usage (inside the sandbox):  python weights_scenarios.py all
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest
import ray
import tiny_keras
from _ray_sandbox import LocalCluster, network_report, print_result, run_scenarios
from tiny_keras import data, search_on_ray

import tftune
from tftune.keras._best_weights import WEIGHTS_ATTR

WORKDIR = Path(os.environ["TFTUNE_SANDBOX_DIR"])
WORKER_TMP = WORKDIR / "worker_tmp"
N_TRIALS, EPOCHS = 6, 2


def weights_through_ray() -> dict[str, Any]:
    """A packed search whose best weights reach the driver through Ray's object store."""
    arrays = data(192, seed=1)
    _, _, xv, yv = arrays
    directory = WORKDIR / "driver"
    tuner = tiny_keras.tuner(directory, "w", seed=4, pack_size=3)
    search_on_ray(tuner, arrays, epochs=EPOCHS, batch_size=32, n_trials=N_TRIALS, max_retries=0)
    best = tuner.best_trial
    loss = float(tuner.best_model().evaluate(xv, yv, verbose=0))
    trials = tuner.study.get_trials()
    result = {
        "states": [t.state.name for t in trials],
        "pids": [t.user_attrs.get("pid") for t in trials],
        "worker_tmps": sorted({str(t.user_attrs.get("tmp")) for t in trials}),
        "driver_pid": os.getpid(),
        "best_value": best.value,
        "best_weights": best.user_attrs.get(WEIGHTS_ATTR),
        "best_model_loss": loss,
        "project_files": sorted(p.name for p in (directory / "w").glob("trial_*.weights.h5")),
        "left_in_worker_tmp": sorted(str(p) for p in WORKER_TMP.rglob("*.weights.h5")),
        "project_dir": str(directory / "w"),
    }
    tuner.close()
    return result


def too_big() -> dict[str, Any]:
    """Packs (and trials) asking for more than any node has: a clear error, at once."""
    arrays = data(192, seed=1)
    begin = time.perf_counter()
    with tiny_keras.tuner(WORKDIR / "big", "b", seed=0, pack_size=2) as tuner:
        with pytest.raises(
            ValueError,
            match=r"`resources_per_pack` must fit on one node of the Ray cluster, got "
            r"\{'cpu': 64\.0\} per pack; no node has that much, its nodes have .*'CPU': 1\.0",
        ):
            search_on_ray(tuner, arrays, epochs=1, n_trials=2, resources_per_pack={"cpu": 64})
        n_trials = len(tuner.study.get_trials())
    study = tftune.create_study()
    with pytest.raises(
        ValueError, match=r"`resources_per_trial` must fit on one node.*\{'gpu': 1\.0\} per trial"
    ):
        study.optimize(lambda t: 0.0, n_trials=1, backend="ray", resources_per_trial={"gpu": 1})
    return {"seconds": time.perf_counter() - begin, "n_trials": n_trials}


def run_all() -> None:
    WORKER_TMP.mkdir()
    cluster = LocalCluster(head_cpus=1, worker_cpus=(1,))
    result: dict[str, Any] = {}
    try:
        # The workers' temporary directory is theirs alone (the driver keeps its own).
        ray.init(
            address=cluster.address,
            logging_level="WARNING",
            runtime_env={"env_vars": {"TMPDIR": str(WORKER_TMP)}},
        )
        result["network"] = network_report()
        result["driver_tmp"] = tempfile.gettempdir()
        run_scenarios({"weights": weights_through_ray, "too_big": too_big}, result)
        ray.shutdown()
    finally:
        result["left_running_after_close"] = cluster.close()
    print_result(result)


if __name__ == "__main__":
    if sys.argv[1] == "all":
        run_all()
    else:
        raise SystemExit(f"unknown scenario {sys.argv[1]!r}")
