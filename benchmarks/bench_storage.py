"""Core-engine benchmark: tftune against Optuna, side by side in the same run.

Measures
  1. per-trial overhead of ``study.optimize`` with a trivial objective on SQLite and PostgreSQL;
  2. four worker processes optimizing one study at once (SQLite file, PostgreSQL): throughput,
     errors ("database is locked" above all) and the integrity of the trial numbers;
  3. in-memory ``ask`` + ``tell`` with one float parameter.

Every measurement interleaves the two libraries (the order alternates each repeat) and uses a
fresh database per repeat. Results go to ``benchmarks/results/core_storage.{md,json}``
(``--quick``: ``core_storage.quick.{md,json}``, so a quick run never replaces the full results).

Run:  .venv/bin/python benchmarks/bench_storage.py [--quick] [--no-postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import gc
import importlib
import json
import logging
import multiprocessing
import os
import platform
import queue
import sqlite3
import statistics
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from _environment import cpu_model, git as _git  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
REPO = HERE.parent
LIBS = ("tftune", "optuna")
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# The goals (all for tftune).
GOAL_MS_PER_TRIAL = 1.0
GOAL_ASK_TELL_US = 100.0
OPTUNA_EARLIER_MS_PER_TRIAL = 25.0


@dataclasses.dataclass(frozen=True)
class Config:
    quick: bool
    postgres_url: str | None  # None: PostgreSQL measurements are skipped
    trials: int  # benchmark 1: timed trials per repeat
    warmup_trials: int
    repeats: int
    workers: int  # benchmark 2
    trials_per_worker: int
    concurrency_repeats: int
    worker_timeout_s: float
    ask_tell_iterations: int  # benchmark 3
    ask_tell_repeats: int
    ask_tell_warmup: int
    seed: int = 42

    @classmethod
    def make(cls, quick: bool, postgres_url: str | None) -> Config:
        return cls(
            quick=quick,
            postgres_url=postgres_url,
            trials=100 if quick else 300,
            warmup_trials=10,
            repeats=3 if quick else 5,
            workers=4,
            trials_per_worker=40 if quick else 100,
            concurrency_repeats=2 if quick else 3,
            worker_timeout_s=180.0 if quick else 300.0,
            ask_tell_iterations=5000 if quick else 20000,
            ask_tell_repeats=5,
            ask_tell_warmup=200,
        )


# --- the two libraries -----------------------------------------------------------------------
def load_lib(name: str) -> Any:
    """Import ``tftune`` or ``optuna`` with its logging silenced to WARNING."""
    lib = importlib.import_module(name)
    if name == "optuna":
        lib.logging.set_verbosity(lib.logging.WARNING)
    else:
        lib.logging.set_verbosity(logging.WARNING)
    return lib


def make_sampler(lib: Any, seed: int) -> Any:
    return lib.samplers.RandomSampler(seed=seed)


def open_storage(lib: Any, url: str) -> Any:
    """Each library's RDBStorage with its default settings."""
    return lib.storages.RDBStorage(url)


def close_storage(lib: Any, storage: Any) -> None:
    if lib.__name__ == "optuna":
        storage.remove_session()
        storage.engine.dispose()
    else:
        storage.close()


def objective(trial: Any) -> float:
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", 0, 10)
    trial.suggest_categorical("c", ["a", "b", "c"])
    return x * x + y


FINISHED_STATES = ("COMPLETE", "PRUNED", "FAIL")


def lib_order(repeat: int) -> tuple[str, ...]:
    """tftune first on even repeats, Optuna first on odd ones."""
    return LIBS if repeat % 2 == 0 else LIBS[::-1]


# --- fresh databases -------------------------------------------------------------------------
@contextlib.contextmanager
def fresh_sqlite() -> Iterator[str]:
    """A SQLite file in a new temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="tftune-bench-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


def _admin_engine(base_url: str) -> Any:
    import sqlalchemy as sa

    return sa.create_engine(base_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


@contextlib.contextmanager
def fresh_postgres_schema(base_url: str) -> Iterator[str]:
    """A new PostgreSQL schema, selected through the URL's ``search_path``; dropped afterwards."""
    import sqlalchemy as sa

    schema = f"tftune_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine(base_url)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = sa.make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        admin.dispose()


def fresh_database(backend: str, cfg: Config) -> contextlib.AbstractContextManager[str]:
    if backend == "sqlite":
        return fresh_sqlite()
    assert cfg.postgres_url is not None
    return fresh_postgres_schema(cfg.postgres_url)


def postgres_problem(url: str) -> str | None:
    """None when PostgreSQL at ``url`` answers, else why not."""
    import sqlalchemy as sa

    try:
        admin = _admin_engine(url)
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        admin.dispose()
        return None
    except Exception as error:  # noqa: BLE001 - any failure means "skip PostgreSQL"
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"


# --- statistics helpers ----------------------------------------------------------------------
def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def error_record(error: BaseException) -> dict[str, str]:
    return {
        "type": type(error).__name__,
        "message": str(error)[:2000],
        "traceback": "".join(traceback.format_exception(error))[-6000:],
    }


# --- 1. per-trial overhead -------------------------------------------------------------------
def time_optimize(lib_name: str, url: str, cfg: Config, seed: int) -> dict[str, Any]:
    """One repeat: warm up, then time ``optimize(n_trials=cfg.trials)`` on a fresh database."""
    lib = load_lib(lib_name)
    storage = open_storage(lib, url)
    try:
        study = lib.create_study(
            storage=storage, sampler=make_sampler(lib, seed), direction="minimize"
        )
        study.optimize(objective, n_trials=cfg.warmup_trials)
        gc.collect()
        cpu_start, start = time.process_time(), time.perf_counter()
        study.optimize(objective, n_trials=cfg.trials)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        n_complete = sum(t.state.name == "COMPLETE" for t in study.get_trials(deepcopy=False))
    finally:
        close_storage(lib, storage)
    expected = cfg.trials + cfg.warmup_trials
    if n_complete != expected:
        raise RuntimeError(
            f"{lib_name}: the study holds {n_complete} complete trials, expected {expected}."
        )
    # cpu_ms_per_trial: this process's CPU time (less sensitive to a busy machine; excludes the
    # PostgreSQL server's work and time spent waiting for the disk).
    return {
        "seconds": elapsed,
        "ms_per_trial": elapsed * 1000 / cfg.trials,
        "cpu_ms_per_trial": cpu * 1000 / cfg.trials,
        "loadavg_1m": os.getloadavg()[0],
    }


def bench_per_trial(backend: str, cfg: Config) -> dict[str, Any]:
    """Median ms per trial of ``study.optimize`` for both libraries on ``backend``."""
    runs: dict[str, list[dict[str, Any]]] = {lib: [] for lib in LIBS}
    errors: dict[str, list[dict[str, str]]] = {lib: [] for lib in LIBS}
    for repeat in range(cfg.repeats):
        for lib_name in lib_order(repeat):
            try:
                with fresh_database(backend, cfg) as url:
                    runs[lib_name].append(time_optimize(lib_name, url, cfg, cfg.seed + repeat))
            except Exception as error:  # noqa: BLE001 - recorded and reported, never fatal
                errors[lib_name].append(error_record(error))
    result: dict[str, Any] = {
        "backend": backend,
        "trials": cfg.trials,
        "warmup_trials": cfg.warmup_trials,
        "repeats": cfg.repeats,
    }
    for lib_name in LIBS:
        per_trial = [run["ms_per_trial"] for run in runs[lib_name]]
        result[lib_name] = {
            "ms_per_trial": per_trial,
            "errors": errors[lib_name],
            "cpu_ms_per_trial": [run["cpu_ms_per_trial"] for run in runs[lib_name]],
            **({"summary": summary(per_trial)} if per_trial else {}),
        }
    result["optuna_over_tftune"] = ratio(
        _median_of(result, "optuna"), _median_of(result, "tftune")
    )
    return result


def _median_of(result: dict[str, Any], lib_name: str) -> float | None:
    return result[lib_name].get("summary", {}).get("median")


# --- 2. concurrent worker processes ----------------------------------------------------------
def concurrent_worker(
    lib_name: str,
    url: str,
    study_name: str,
    n_trials: int,
    seed: int,
    ready: Any,
    go: Any,
    results: Any,
    max_errors: int,
) -> None:
    """One worker process: load the study, wait for the start signal, run ``n_trials`` trials.

    An exception from ``optimize`` (e.g. "database is locked") is recorded and the worker goes
    on with the trials it still owes, up to ``max_errors`` exceptions.
    """
    report: dict[str, Any] = {
        "seed": seed,
        "completed": 0,
        "errors": [],
        "end": None,
        "setup_error": None,
    }
    try:
        lib = load_lib(lib_name)
        study = lib.load_study(
            study_name=study_name, storage=open_storage(lib, url), sampler=make_sampler(lib, seed)
        )
    except Exception as error:  # noqa: BLE001
        report["setup_error"] = error_record(error)
        study = None
    ready.wait()
    go.wait()
    if study is not None:
        completed = [0]

        def count(_study: Any, _trial: Any) -> None:
            completed[0] += 1

        while completed[0] < n_trials and len(report["errors"]) < max_errors:
            try:
                study.optimize(objective, n_trials=n_trials - completed[0], callbacks=[count])
            except Exception as error:  # noqa: BLE001
                report["errors"].append(error_record(error))
        report["completed"] = completed[0]
    report["end"] = time.monotonic()  # CLOCK_MONOTONIC: comparable across processes
    results.put(report)


def study_integrity(lib_name: str, url: str, study_name: str, expected: int) -> dict[str, Any]:
    """Whether the study holds exactly ``expected`` finished trials numbered 0..expected-1."""
    lib = load_lib(lib_name)
    storage = open_storage(lib, url)
    try:
        trials = lib.load_study(study_name=study_name, storage=storage).get_trials(deepcopy=False)
    finally:
        close_storage(lib, storage)
    states: dict[str, int] = {}
    for trial in trials:
        states[trial.state.name] = states.get(trial.state.name, 0) + 1
    numbers = [trial.number for trial in trials]
    finished = sum(n for name, n in states.items() if name in FINISHED_STATES)
    distinct = len(set(numbers)) == len(numbers)
    contiguous = sorted(numbers) == list(range(len(numbers)))
    return {
        "n_trials": len(trials),
        "states": states,
        "distinct_numbers": distinct,
        "contiguous_numbers": contiguous,
        "ok": len(trials) == expected
        and finished == expected
        and states.get("COMPLETE", 0) == expected
        and distinct
        and contiguous,
    }


def run_concurrent_once(lib_name: str, backend: str, cfg: Config, seed: int) -> dict[str, Any]:
    """One repeat: ``cfg.workers`` spawned processes optimize one fresh study at once."""
    ctx = multiprocessing.get_context("spawn")
    study_name = f"concurrent-{uuid.uuid4().hex[:8]}"
    with fresh_database(backend, cfg) as url:
        lib = load_lib(lib_name)
        storage = open_storage(lib, url)
        try:
            lib.create_study(study_name=study_name, storage=storage, direction="minimize")
        finally:
            close_storage(lib, storage)
        ready, go, results = ctx.Barrier(cfg.workers + 1), ctx.Event(), ctx.Queue()
        procs = [
            ctx.Process(
                target=concurrent_worker,
                daemon=True,
                args=(
                    lib_name,
                    url,
                    study_name,
                    cfg.trials_per_worker,
                    seed * 100 + i,
                    ready,
                    go,
                    results,
                    20,
                ),
            )
            for i in range(cfg.workers)
        ]
        for proc in procs:
            proc.start()
        try:
            ready.wait(timeout=cfg.worker_timeout_s)
            start = time.monotonic()
            go.set()
            reports = _collect(results, cfg.workers, start + cfg.worker_timeout_s)
        finally:
            for proc in procs:
                proc.join(timeout=10)
                if proc.is_alive():
                    proc.terminate()
                    proc.join()
        expected = cfg.workers * cfg.trials_per_worker
        integrity = study_integrity(lib_name, url, study_name, expected)
    return _concurrency_summary(reports, start, expected, integrity, [p.exitcode for p in procs])


def _collect(results: Any, n: int, deadline: float) -> list[dict[str, Any]]:
    reports = []
    while len(reports) < n:
        try:
            reports.append(results.get(timeout=max(0.1, deadline - time.monotonic())))
        except queue.Empty:
            break
    return reports


def _concurrency_summary(
    reports: list[dict[str, Any]],
    start: float,
    expected: int,
    integrity: dict[str, Any],
    exitcodes: list[int | None],
) -> dict[str, Any]:
    errors = [e for r in reports for e in r["errors"]] + [
        r["setup_error"] for r in reports if r["setup_error"]
    ]
    ends = [r["end"] for r in reports if r["end"] is not None]
    wall = (max(ends) - start) if ends else float("nan")
    completed = sum(r["completed"] for r in reports)
    return {
        "wall_s": wall,
        "completed": completed,
        "expected": expected,
        "trials_per_s": completed / wall if ends and wall > 0 else None,
        "workers_reported": len(reports),
        "exitcodes": exitcodes,
        "errors_per_worker": [len(r["errors"]) + bool(r["setup_error"]) for r in reports],
        "lock_errors_per_worker": [
            sum("locked" in e["message"].lower() for e in r["errors"]) for r in reports
        ],
        "n_errors": len(errors),
        "n_lock_errors": sum("locked" in e["message"].lower() for e in errors),
        "error_samples": errors[:3],
        "integrity": integrity,
        "loadavg_1m": os.getloadavg()[0],
    }


def bench_concurrency(backend: str, cfg: Config) -> dict[str, Any]:
    """Aggregate trials/s, errors and integrity of ``cfg.workers`` processes on ``backend``."""
    runs: dict[str, list[dict[str, Any]]] = {lib: [] for lib in LIBS}
    failures: dict[str, list[dict[str, str]]] = {lib: [] for lib in LIBS}
    for repeat in range(cfg.concurrency_repeats):
        for lib_name in lib_order(repeat):
            try:
                runs[lib_name].append(
                    run_concurrent_once(lib_name, backend, cfg, cfg.seed + repeat)
                )
            except Exception as error:  # noqa: BLE001 - the harness itself failed this repeat
                failures[lib_name].append(error_record(error))
    result: dict[str, Any] = {
        "backend": backend,
        "workers": cfg.workers,
        "trials_per_worker": cfg.trials_per_worker,
        "repeats": cfg.concurrency_repeats,
    }
    for lib_name in LIBS:
        rates = [run["trials_per_s"] for run in runs[lib_name] if run["trials_per_s"] is not None]
        result[lib_name] = {
            "runs": runs[lib_name],
            "harness_errors": failures[lib_name],
            "trials_per_s": rates,
            **({"summary": summary(rates)} if rates else {}),
            "total_errors": sum(run["n_errors"] for run in runs[lib_name]),
            "total_lock_errors": sum(run["n_lock_errors"] for run in runs[lib_name]),
            "integrity_ok": bool(runs[lib_name])
            and all(run["integrity"]["ok"] for run in runs[lib_name])
            and not failures[lib_name],
        }
    result["tftune_over_optuna"] = ratio(
        _median_of(result, "tftune"), _median_of(result, "optuna")
    )
    return result


# --- 3. in-memory ask + tell -----------------------------------------------------------------
def time_ask_tell(lib_name: str, iterations: int, warmup: int, seed: int) -> dict[str, Any]:
    """One repeat: ``iterations`` ask + suggest_float + tell on a new in-memory study."""
    lib = load_lib(lib_name)
    warm = lib.create_study(sampler=make_sampler(lib, seed))
    for _ in range(warmup):
        trial = warm.ask()
        warm.tell(trial, trial.suggest_float("x", -10, 10) ** 2)
    study = lib.create_study(sampler=make_sampler(lib, seed))
    laps = [0] * iterations
    clock = time.perf_counter_ns
    gc.collect()
    start = clock()
    for i in range(iterations):
        t0 = clock()
        trial = study.ask()
        x = trial.suggest_float("x", -10, 10)
        study.tell(trial, x * x)
        laps[i] = clock() - t0
    total = clock() - start
    tenth = max(1, iterations // 10)
    return {
        "mean_us": total / 1000 / iterations,
        "p50_us": statistics.median(laps) / 1000,
        "p99_us": sorted(laps)[int(0.99 * (iterations - 1))] / 1000,
        "first_tenth_mean_us": sum(laps[:tenth]) / tenth / 1000,
        "last_tenth_mean_us": sum(laps[-tenth:]) / tenth / 1000,
        "loadavg_1m": os.getloadavg()[0],
    }


def bench_ask_tell(cfg: Config) -> dict[str, Any]:
    """Median over repeats of the mean µs per ask + tell, in memory, both libraries."""
    runs: dict[str, list[dict[str, Any]]] = {lib: [] for lib in LIBS}
    errors: dict[str, list[dict[str, str]]] = {lib: [] for lib in LIBS}
    for repeat in range(cfg.ask_tell_repeats):
        for lib_name in lib_order(repeat):
            try:
                runs[lib_name].append(
                    time_ask_tell(
                        lib_name, cfg.ask_tell_iterations, cfg.ask_tell_warmup, cfg.seed + repeat
                    )
                )
            except Exception as error:  # noqa: BLE001
                errors[lib_name].append(error_record(error))
    result: dict[str, Any] = {
        "iterations": cfg.ask_tell_iterations,
        "repeats": cfg.ask_tell_repeats,
    }
    for lib_name in LIBS:
        means = [run["mean_us"] for run in runs[lib_name]]
        result[lib_name] = {
            "runs": runs[lib_name],
            "errors": errors[lib_name],
            "mean_us": means,
            **({"summary": summary(means)} if means else {}),
        }
    result["optuna_over_tftune"] = ratio(
        _median_of(result, "optuna"), _median_of(result, "tftune")
    )
    return result


# --- environment -----------------------------------------------------------------------------
def _filesystem_of(path: str) -> str:
    best, fstype = "", "unknown"
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) > 2 and path.startswith(parts[1]) and len(parts[1]) > len(best):
                best, fstype = parts[1], parts[2]
    except OSError:
        pass
    return fstype


def postgres_version(url: str | None) -> str | None:
    if url is None:
        return None
    import sqlalchemy as sa

    admin = _admin_engine(url)
    try:
        with admin.connect() as conn:
            return conn.execute(sa.text("SHOW server_version")).scalar()
    finally:
        admin.dispose()


def environment(cfg: Config) -> dict[str, Any]:
    import optuna
    import sqlalchemy

    import tftune

    dirty = _git("status", "--porcelain", "--", "src")
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model(),
        "loadavg_start": list(os.getloadavg()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tftune": tftune.__version__,
        "optuna": optuna.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(cfg.postgres_url),
        "psycopg": _version_of("psycopg"),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "src_uncommitted_changes": None if dirty is None else bool(dirty),
        "tmp_dir": tempfile.gettempdir(),
        "tmp_filesystem": _filesystem_of(tempfile.gettempdir()),
        "mode": "quick" if cfg.quick else "full",
    }


def _version_of(module: str) -> str | None:
    try:
        return importlib.import_module(module).__version__
    except Exception:  # noqa: BLE001
        return None


# --- goals and the Markdown report -----------------------------------------------------------
def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _goal_cell(value: float | None, goal: float, lower_is_better: bool = True) -> tuple[str, str]:
    """('met'/'missed', value ÷ goal) for a tftune number against its goal."""
    if value is None:
        return "n/a", "—"
    met = value <= goal if lower_is_better else value >= goal
    return ("met" if met else "**missed**"), f"{value / goal:.2f}× goal"


def goal_rows(results: dict[str, Any]) -> list[list[str]]:
    """One row per headline number: what, backend, tftune, optuna, speed-up, goal, met, vs goal."""
    rows = []
    for key, backend in (("per_trial_sqlite", "SQLite"), ("per_trial_postgres", "PostgreSQL")):
        res = results.get(key)
        if res is None:
            continue
        if res.get("skipped"):
            rows.append(
                [
                    "1. ms per trial, optimize()",
                    backend,
                    "skipped",
                    "skipped",
                    "—",
                    "≤ 1 ms",
                    "n/a",
                    "—",
                ]
            )
            continue
        t, o = _median_of(res, "tftune"), _median_of(res, "optuna")
        goal = "≤ 1 ms" if backend == "SQLite" else "≤ 1 ms (SQLite goal, for reference)"
        met, vs = _goal_cell(t, GOAL_MS_PER_TRIAL)
        rows.append(
            [
                f"1. ms per trial, optimize() (N={res['trials']}, median of {res['repeats']})",
                backend,
                _fmt(t, 3),
                _fmt(o, 2),
                _fmt(res["optuna_over_tftune"], 1) + "×",
                goal,
                met,
                vs,
            ]
        )
    for key, backend in (("concurrency_sqlite", "SQLite"), ("concurrency_postgres", "PostgreSQL")):
        res = results.get(key)
        if res is None:
            continue
        if res.get("skipped"):
            rows.append(["2. 4 processes", backend, "skipped", "skipped", "—", "—", "n/a", "—"])
            continue
        t, o = res["tftune"], res["optuna"]
        label = f"{res['workers']}×{res['trials_per_worker']} trials, median of {res['repeats']}"
        rows.append(
            [
                f"2. trials/s, {label}",
                backend,
                _fmt(_median_of(res, "tftune"), 1),
                _fmt(_median_of(res, "optuna"), 1),
                _fmt(res["tftune_over_optuna"], 1) + "×",
                "—",
                "—",
                "—",
            ]
        )
        rows.append(
            [
                "2. lock errors / all errors (all repeats)",
                backend,
                f"{t['total_lock_errors']} / {t['total_errors']}",
                f"{o['total_lock_errors']} / {o['total_errors']}",
                "—",
                "0 lock errors",
                "met" if t["total_lock_errors"] == 0 else "**missed**",
                "—",
            ]
        )
        rows.append(
            [
                f"2. study holds exactly {res['workers'] * res['trials_per_worker']} finished "
                "trials, distinct numbers",
                backend,
                "yes" if t["integrity_ok"] else "**no**",
                "yes" if o["integrity_ok"] else "**no**",
                "—",
                "yes",
                "met" if t["integrity_ok"] else "**missed**",
                "—",
            ]
        )
    res = results.get("ask_tell_memory")
    if res:
        t, o = _median_of(res, "tftune"), _median_of(res, "optuna")
        met, vs = _goal_cell(t, GOAL_ASK_TELL_US)
        rows.append(
            [
                f"3. µs per ask+tell, in memory ({res['iterations']} iterations, median of "
                f"{res['repeats']})",
                "memory",
                _fmt(t, 1),
                _fmt(o, 1),
                _fmt(res["optuna_over_tftune"], 1) + "×",
                "≤ 100 µs",
                met,
                vs,
            ]
        )
    return rows


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _spread_rows(results: dict[str, Any]) -> list[list[str]]:
    rows = []
    specs = (
        ("per_trial_sqlite", "1. ms/trial", "SQLite", 3),
        ("per_trial_postgres", "1. ms/trial", "PostgreSQL", 3),
        ("concurrency_sqlite", "2. trials/s", "SQLite", 1),
        ("concurrency_postgres", "2. trials/s", "PostgreSQL", 1),
        ("ask_tell_memory", "3. µs/ask+tell", "memory", 1),
    )
    for key, what, backend, digits in specs:
        res = results.get(key)
        if not res or res.get("skipped"):
            continue
        for lib_name in LIBS:
            values = (
                res[lib_name].get("ms_per_trial")
                or res[lib_name].get("trials_per_s")
                or res[lib_name].get("mean_us")
                or []
            )
            rows.append(
                [what, backend, lib_name, ", ".join(_fmt(v, digits) for v in values) or "—"]
            )
        if key.startswith("per_trial"):
            for lib_name in LIBS:
                values = res[lib_name].get("cpu_ms_per_trial") or []
                rows.append(
                    [
                        "1. client CPU ms/trial",
                        backend,
                        lib_name,
                        ", ".join(_fmt(v, digits) for v in values) or "—",
                    ]
                )
    return rows


def _problem_lines(results: dict[str, Any]) -> list[str]:
    lines = []
    for key, res in results.items():
        if not isinstance(res, dict):
            continue
        if res.get("skipped"):
            lines.append(f"- `{key}` skipped: {res['skipped']}")
            continue
        for lib_name in LIBS:
            part = res.get(lib_name, {})
            for err in part.get("errors", []) if isinstance(part.get("errors"), list) else []:
                lines.append(
                    f"- `{key}` {lib_name}: {err['type']}: {err['message'].splitlines()[0][:300]}"
                )
            for err in part.get("harness_errors", []):
                lines.append(
                    f"- `{key}` {lib_name} (harness): {err['type']}: "
                    f"{err['message'].splitlines()[0][:300]}"
                )
            for i, run in enumerate(part.get("runs", [])):
                if not isinstance(run, dict) or "integrity" not in run:
                    continue
                for err in run["error_samples"]:
                    lines.append(
                        f"- `{key}` {lib_name} repeat {i + 1}: {err['type']}: "
                        f"{err['message'].splitlines()[0][:300]}"
                    )
                if not run["integrity"]["ok"]:
                    lines.append(
                        f"- `{key}` {lib_name} repeat {i + 1}: integrity check failed: "
                        f"{json.dumps(run['integrity'])}"
                    )
    return lines


def render_markdown(env: dict[str, Any], results: dict[str, Any], cfg: Config) -> str:
    header = [
        f"# Core engine: tftune vs Optuna ({env['mode']} run)",
        "",
        f"- Date: {env['date']}",
        f"- Machine: {env['nproc']} CPUs ({env['cpus_usable']} usable), {env['cpu_model']}; "
        f"load average at start {', '.join(f'{x:.2f}' for x in env['loadavg_start'])}"
        + (
            f", at end {', '.join(f'{x:.2f}' for x in env['loadavg_end'])}"
            if env.get("loadavg_end")
            else ""
        ),
        f"- Python {env['python']} ({env['platform']})",
        f"- tftune {env['tftune']} (git {env['git_commit']}"
        + (", with uncommitted changes in src/" if env["src_uncommitted_changes"] else "")
        + f"), "
        f"Optuna {env['optuna']}, SQLAlchemy {env['sqlalchemy']}, SQLite {env['sqlite']}, "
        f"PostgreSQL {env['postgresql'] or 'not used'}, psycopg {env['psycopg']}",
        f"- SQLite files in {env['tmp_dir']} ({env['tmp_filesystem']}); PostgreSQL on "
        f"{_pg_host(cfg)}",
        f"- Total benchmark time: {env.get('total_s', float('nan')):.0f} s",
        "",
        "Both libraries run with their default storage settings and `RandomSampler(seed)`, "
        "interleaved (the order alternates each repeat), each repeat on a fresh SQLite file or "
        "PostgreSQL schema. Objective: `suggest_float`, `suggest_int`, `suggest_categorical`, "
        f"return `x*x + y`. Optuna was measured earlier at ~{OPTUNA_EARLIER_MS_PER_TRIAL:.0f} "
        "ms/trial on SQLite. The machine is shared and noisy: see the spread below and the raw "
        "repeats in `core_storage" + (".quick" if cfg.quick else "") + ".json`.",
        "",
        "## Results against the goals",
        "",
    ]
    table = _table(
        [
            "Measurement",
            "Backend",
            "tftune",
            "Optuna",
            "tftune speed-up",
            "Goal (tftune)",
            "Met / missed",
            "tftune ÷ goal",
        ],
        goal_rows(results),
    )
    spread = _table(
        ["Measurement", "Backend", "Library", "Every repeat (in run order)"], _spread_rows(results)
    )
    problems = _problem_lines(results)
    parts = header + [
        table,
        "",
        "Speed-up is Optuna ÷ tftune for times and tftune ÷ Optuna for throughput.",
        "",
        "## Every repeat",
        "",
        "Client CPU ms/trial is the benchmark process's own CPU time (not the PostgreSQL "
        "server's, not disk waits); it varies less than wall time on a busy machine.",
        "",
        spread,
        "",
        "## Errors and skipped measurements",
        "",
    ]
    parts += problems or ["None."]
    return "\n".join(parts) + "\n"


def _safe_url(url: str | None) -> str | None:
    if url is None:
        return None
    import sqlalchemy as sa

    return sa.make_url(url).render_as_string(hide_password=True)


def _pg_host(cfg: Config) -> str:
    if cfg.postgres_url is None:
        return "(skipped)"
    import sqlalchemy as sa

    url = sa.make_url(cfg.postgres_url)
    return f"{url.host}:{url.port or 5432}/{url.database}"


# --- main ------------------------------------------------------------------------------------
def run_benchmarks(
    cfg: Config, skip_reason: str | None, only: set[str] | None, log: Callable[[str], None]
) -> dict[str, Any]:
    plan: list[tuple[str, Callable[[], dict[str, Any]], bool]] = [
        ("per_trial_sqlite", lambda: bench_per_trial("sqlite", cfg), False),
        ("per_trial_postgres", lambda: bench_per_trial("postgres", cfg), True),
        ("concurrency_sqlite", lambda: bench_concurrency("sqlite", cfg), False),
        ("concurrency_postgres", lambda: bench_concurrency("postgres", cfg), True),
        ("ask_tell_memory", lambda: bench_ask_tell(cfg), False),
    ]
    results: dict[str, Any] = {}
    for name, bench, needs_pg in plan:
        if only and name not in only:
            continue
        if needs_pg and skip_reason:
            results[name] = {"skipped": skip_reason}
            continue
        started = time.perf_counter()
        log(f"[bench_storage] {name} ...")
        results[name] = bench()
        results[name]["elapsed_s"] = time.perf_counter() - started
        log(
            f"[bench_storage] {name} done in {results[name]['elapsed_s']:.1f} s: "
            f"{_one_line(results[name])}"
        )
    return results


def _one_line(res: dict[str, Any]) -> str:
    parts = []
    for lib_name in LIBS:
        med = res.get(lib_name, {}).get("summary", {}).get("median")
        parts.append(f"{lib_name}={_fmt(med, 3)}")
    return ", ".join(parts)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer trials and repeats (under ~3 minutes)"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TFTUNE_BENCH_POSTGRES_URL", DEFAULT_PG_URL),
        help="PostgreSQL URL (default: %(default)s; env TFTUNE_BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--no-postgres", action="store_true", help="skip the PostgreSQL measurements"
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only this measurement (repeatable): per_trial_sqlite, per_trial_postgres, "
        "concurrency_sqlite, concurrency_postgres, ask_tell_memory",
    )
    parser.add_argument(
        "--output-dir", type=Path, default=RESULTS_DIR, help="where to write the results"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    skip_reason = "--no-postgres" if args.no_postgres else postgres_problem(args.postgres_url)
    cfg = Config.make(args.quick, None if skip_reason else args.postgres_url)
    if skip_reason:
        print(f"[bench_storage] PostgreSQL measurements skipped: {skip_reason}", flush=True)
    began = time.perf_counter()
    env = environment(cfg)
    results = run_benchmarks(
        cfg,
        skip_reason,
        set(args.only) if args.only else None,
        lambda line: print(line, flush=True),
    )
    env["total_s"] = time.perf_counter() - began
    env["loadavg_end"] = list(os.getloadavg())
    stem = "core_storage.quick" if cfg.quick else "core_storage"
    args.output_dir.mkdir(parents=True, exist_ok=True)
    markdown = render_markdown(env, results, cfg)
    (args.output_dir / f"{stem}.md").write_text(markdown)
    config = dataclasses.asdict(cfg)
    config["postgres_url"] = _safe_url(cfg.postgres_url)
    payload = {"environment": env, "config": config, "results": results}
    (args.output_dir / f"{stem}.json").write_text(
        json.dumps(payload, indent=2, default=str) + "\n"
    )
    print(markdown)
    print(
        f"[bench_storage] wrote {args.output_dir / stem}.md and .json in {env['total_s']:.0f} s",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
