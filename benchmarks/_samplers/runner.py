"""One optimisation run, and the per-ask overhead measurement.

``run_job`` is what the worker processes execute: it builds the task and the contender in the
worker, runs the budget and returns plain lists (picklable, JSON-able).
"""

from __future__ import annotations

import dataclasses
import gc
import math
import os
import statistics
import time
import traceback
from typing import Any

import numpy as np


@dataclasses.dataclass(frozen=True)
class Job:
    task: str
    contender: str
    seed: int
    budget: int
    batch: int = (
        1  # 1: sequential; 8: ask x 8, evaluate, tell x 8 (the Bayesmark challenge's batches)
    )
    est_s: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.task}|{self.contender}|{self.seed}|{self.budget}|{self.batch}"


_REGISTRY: Any = None


def _registry() -> Any:
    global _REGISTRY
    if _REGISTRY is None:
        from _samplers.peers import build_registry

        _REGISTRY = build_registry()[0]
    return _REGISTRY


def worker_init() -> None:
    """Each worker uses one thread for BLAS/OpenMP/PyTorch: two workers share two cores."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    try:
        import threadpoolctl

        threadpoolctl.threadpool_limits(1)
    except Exception:  # noqa: BLE001
        pass
    try:
        import torch

        torch.set_num_threads(1)
    except Exception:  # noqa: BLE001
        pass


def run_job(job: Job) -> dict[str, Any]:
    """Run ``job``; a failure is returned (with its traceback) rather than raised."""
    from _samplers.tasks import get_task

    started = time.perf_counter()
    try:
        task = get_task(job.task)
        driver = _registry()[job.contender](job.seed)
        driver.start(task.space)
        task.reset(job.seed)
        observed: list[float] = []
        true: list[float] = []
        opt_s = eval_s = 0.0
        while len(observed) < job.budget:
            size = min(job.batch, job.budget - len(observed))
            t0 = time.perf_counter()
            asked = [driver.ask() for _ in range(size)]
            opt_s += time.perf_counter() - t0
            results = []
            for _token, params in asked:
                t0 = time.perf_counter()
                results.append(task.evaluate(params))
                eval_s += time.perf_counter() - t0
            t0 = time.perf_counter()
            for (token, _params), (obs, _tru) in zip(asked, results, strict=True):
                driver.tell(token, obs)
            opt_s += time.perf_counter() - t0
            for obs, tru in results:
                observed.append(float(obs))
                true.append(float(tru))
        return {
            "job": dataclasses.asdict(job),
            "observed": observed,
            "true": true,
            "optimizer_s": opt_s,
            "eval_s": eval_s,
            "wall_s": time.perf_counter() - started,
            "error": None,
        }
    except Exception as error:  # noqa: BLE001 - reported in the results, never fatal
        return {
            "job": dataclasses.asdict(job),
            "observed": [],
            "true": [],
            "wall_s": time.perf_counter() - started,
            "error": f"{type(error).__name__}: {error}",
            "traceback": traceback.format_exc()[-4000:],
        }


# --- overhead: milliseconds per ask -----------------------------------------------------------
def _prefill_tftune(storage: Any, n: int, d: int, seed: int) -> str:
    import tftune

    study = tftune.create_study(
        storage=storage, sampler=tftune.samplers.RandomSampler(seed=seed), direction="minimize"
    )
    for _ in range(n):
        trial = study.ask()
        xs = [trial.suggest_float(f"x{j}", -5.0, 5.0) for j in range(d)]
        study.tell(trial, sum(x * x for x in xs))
    return study.study_name


def _prefill_optuna(study: Any, n: int, d: int, seed: int) -> None:
    import optuna

    rng = np.random.default_rng(seed)
    dists = {f"x{j}": optuna.distributions.FloatDistribution(-5.0, 5.0) for j in range(d)}
    trials = []
    for _ in range(n):
        x = rng.uniform(-5.0, 5.0, d)
        trials.append(
            optuna.trial.create_trial(
                params={f"x{j}": float(x[j]) for j in range(d)},
                distributions=dists,
                value=float(np.sum(x * x)),
            )
        )
    study.add_trials(trials)


def time_asks(contender: str, n: int, d: int, n_asks: int, seed: int = 0) -> dict[str, Any]:
    """Median ms per ask (``study.ask()`` + ``d`` ``suggest_float`` calls, not the objective or
    tell) on a study that already holds ``n`` complete random trials of a ``d``-dim sphere.

    tftune's study is prefilled through ask/tell with its RandomSampler and reopened with
    ``load_study(sampler=...)`` on the same in-memory storage; Optuna's through its own
    ``add_trials(create_trial(...))``. Each timed ask is told its sphere value (untimed), so the
    study grows by ``n_asks`` trials during the measurement.
    """
    from _samplers.peers import load_lib, study_lib

    lib_name = study_lib(contender)
    lib = load_lib(lib_name)  # type: ignore[arg-type]
    driver = _registry()[contender](seed)
    t0 = time.perf_counter()
    if lib_name == "tftune":
        storage = lib.storages.InMemoryStorage()
        name = _prefill_tftune(storage, n, d, seed + 1)
        study = lib.load_study(study_name=name, storage=storage, sampler=driver.sampler)
    else:
        study = lib.create_study(sampler=driver.sampler, direction="minimize")
        _prefill_optuna(study, n, d, seed + 1)
    prefill_s = time.perf_counter() - t0
    gc.collect()
    times = []
    cpu_times = []
    for _ in range(n_asks):
        c0, t0 = time.process_time(), time.perf_counter()
        trial = study.ask()
        xs = [trial.suggest_float(f"x{j}", -5.0, 5.0) for j in range(d)]
        times.append((time.perf_counter() - t0) * 1000)
        cpu_times.append((time.process_time() - c0) * 1000)
        study.tell(trial, sum(x * x for x in xs))
    return {
        "contender": contender,
        "n": n,
        "d": d,
        "n_asks": n_asks,
        "median_ms": statistics.median(times),
        "median_cpu_ms": statistics.median(cpu_times),
        "first_ms": times[0],
        "min_ms": min(times),
        "max_ms": max(times),
        "all_ms": times,
        "prefill_s": prefill_s,
        "loadavg_1m": os.getloadavg()[0],
    }


def _timed_study(contender: str, n: int, d: int, seed: int) -> Any:
    from _samplers.peers import load_lib, study_lib

    lib_name = study_lib(contender)
    lib = load_lib(lib_name)  # type: ignore[arg-type]
    driver = _registry()[contender](seed)
    if lib_name == "tftune":
        storage = lib.storages.InMemoryStorage()
        name = _prefill_tftune(storage, n, d, seed + 1)
        return lib.load_study(study_name=name, storage=storage, sampler=driver.sampler)
    study = lib.create_study(sampler=driver.sampler, direction="minimize")
    _prefill_optuna(study, n, d, seed + 1)
    return study


def time_asks_interleaved(
    contenders: list[str], n: int, d: int, n_asks: int, seed: int = 0
) -> list[dict[str, Any]]:
    """As ``time_asks``, but every contender's study is prefilled first and the asks
    alternate (A, B, A, B, ...), so a change of the machine's load hits all of them alike."""
    studies = {c: _timed_study(c, n, d, seed) for c in contenders}
    gc.collect()
    times: dict[str, list[float]] = {c: [] for c in contenders}
    cpu: dict[str, list[float]] = {c: [] for c in contenders}
    for _ in range(n_asks):
        for contender, study in studies.items():
            c0, t0 = time.process_time(), time.perf_counter()
            trial = study.ask()
            xs = [trial.suggest_float(f"x{j}", -5.0, 5.0) for j in range(d)]
            times[contender].append((time.perf_counter() - t0) * 1000)
            cpu[contender].append((time.process_time() - c0) * 1000)
            study.tell(trial, sum(x * x for x in xs))
    return [
        {
            "contender": c,
            "n": n,
            "d": d,
            "n_asks": n_asks,
            "median_ms": statistics.median(times[c]),
            "median_cpu_ms": statistics.median(cpu[c]),
            "min_ms": min(times[c]),
            "max_ms": max(times[c]),
            "loadavg_1m": os.getloadavg()[0],
            "interleaved": True,
        }
        for c in contenders
    ]


def nan_to_none(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value
