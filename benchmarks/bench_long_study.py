"""Long-study benchmark: does the per-trial cost of storage and bookkeeping stay flat?

One study per (backend, sampler, size) runs ``size`` trials of a trivial objective (two floats
and a categorical). Each trial's wall time is the gap between consecutive trial-finished
callbacks; the sampler's own model time is the time spent in its ``sample_relative`` and
``sample_independent`` (the sampler is wrapped to time them). Storage + bookkeeping is the rest:
creating, writing and finishing the trial, the reads of the samplers' search-space inference,
the optimize loop. (A sampler's reads of the study inside ``sample_relative`` count as model
time here; they are cached and small.) Reported per window: the first and the last 10 % of the
trials, as means (ms per trial) and the median of the window.

Optuna runs side by side when it is importable (``pip install optuna==5.0.0``); else it is
skipped with a note.

Results: ``benchmarks/results/long_study.{md,json}`` (``--quick``: ``long_study.quick.*``).

Run:  .venv/bin/python benchmarks/bench_long_study.py [--quick] [--sizes 1000,10000]
      [--backends memory,sqlite,postgresql] [--samplers default,random]
      [--pruners none,median,asha,hyperband] [--no-optuna] [--output STEM]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib
import itertools
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from _environment import cpu_model, dist_version, git  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GOAL_MS = 2.0  # storage + bookkeeping per trial at 20,000 trials on SQLite, default sampler
FULL_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 5_000)
PG_MAX_SIZE = 10_000
STEPS = 9  # reports per trial when a pruner runs


def _import(lib: str) -> Any | None:
    try:
        return importlib.import_module(lib)
    except ImportError:
        return None


class _Timer:
    """Accumulates the seconds spent in the wrapped sampler's model, per trial number."""

    def __init__(self) -> None:
        self.by_number: dict[int, float] = {}

    def wrap(self, number: int, call: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        try:
            return call()
        finally:
            spent = time.perf_counter() - start
            self.by_number[number] = self.by_number.get(number, 0.0) + spent


def _timed_sampler(lib: Any, inner: Any, timer: _Timer) -> Any:
    """A sampler of ``lib`` delegating to ``inner``, timing sample_relative/independent."""
    base = lib.samplers.BaseSampler

    class Timed(base):  # type: ignore[misc, valid-type]
        def __getattr__(self, name: str) -> Any:
            return getattr(inner, name)

        def prepare(self, study: Any) -> None:
            if hasattr(inner, "prepare"):
                inner.prepare(study)

        def is_exhausted(self, study: Any) -> bool:
            return bool(getattr(inner, "is_exhausted", lambda _study: False)(study))

        def infer_relative_search_space(self, study: Any, trial: Any) -> Any:
            return inner.infer_relative_search_space(study, trial)

        def sample_relative(self, study: Any, trial: Any, space: Any) -> Any:
            return timer.wrap(trial.number, lambda: inner.sample_relative(study, trial, space))

        def sample_independent(self, study: Any, trial: Any, name: str, dist: Any) -> Any:
            return timer.wrap(
                trial.number, lambda: inner.sample_independent(study, trial, name, dist)
            )

        def before_trial(self, study: Any, trial: Any) -> None:
            inner.before_trial(study, trial)

        def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
            inner.after_trial(study, trial, state, values)

        def reseed_rng(self) -> None:
            inner.reseed_rng()

    return Timed()


def _objective(trial: Any) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_float("y", 1e-3, 10.0, log=True)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    return x * x + y + (0.5 if c == "b" else 0.0)


def reporting_objective(lib: Any) -> Callable[[Any], float]:
    """The objective with a learning curve of ``STEPS`` reports, each asking the pruner."""

    def objective(trial: Any) -> float:
        final = _objective(trial)
        for step in range(STEPS):
            trial.report(final + 1.0 / (step + 1), step)
            if trial.should_prune():
                raise lib.TrialPruned()
        return final

    return objective


def make_pruner(lib: Any, pruner: str) -> Any:
    """The pruner named ``pruner`` (median, asha or hyperband) of ``lib``."""
    if pruner == "median":
        return lib.pruners.MedianPruner()
    if pruner == "asha":
        return lib.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    if pruner == "hyperband":
        return lib.pruners.HyperbandPruner(min_resource=1, max_resource=STEPS, reduction_factor=3)
    raise ValueError(f"--pruners: unknown pruner {pruner!r}")


@contextlib.contextmanager
def _storage_url(backend: str, pg_url: str) -> Iterator[str | None]:
    if backend == "memory":
        yield None
    elif backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="tftune_long_") as tmp:
            yield f"sqlite:///{tmp}/study.db"
    else:
        from bench_storage import fresh_postgres_schema  # one home for the schema set-up

        with fresh_postgres_schema(pg_url) as url:
            yield url


def _make_sampler(lib_name: str, lib: Any, sampler: str) -> Any:
    if sampler == "random":
        return lib.samplers.RandomSampler(seed=0)
    if lib_name == "tftune":
        return lib.samplers.AutoSampler(seed=0)  # create_study's default for one objective
    return lib.samplers.TPESampler(seed=0)  # Optuna's default for one objective


def run_one(
    lib_name: str, backend: str, sampler: str, size: int, pg_url: str, pruner: str = "none"
) -> dict[str, Any]:
    lib = importlib.import_module(lib_name)
    logging.getLogger(lib_name).setLevel(logging.WARNING)
    if lib_name == "optuna":
        lib.logging.set_verbosity(lib.logging.WARNING)
    timer = _Timer()
    stamps: list[float] = []
    with _storage_url(backend, pg_url) as url:
        kwargs: dict[str, Any] = {}
        if url is not None:
            kwargs["storage"] = url
        objective: Callable[[Any], float] = _objective
        if pruner != "none":
            kwargs["pruner"] = make_pruner(lib, pruner)
            objective = reporting_objective(lib)
        study = lib.create_study(
            sampler=_timed_sampler(lib, _make_sampler(lib_name, lib, sampler), timer), **kwargs
        )
        start = time.perf_counter()
        stamps.append(start)
        study.optimize(
            objective,
            n_trials=size,
            callbacks=[lambda _study, _trial: stamps.append(time.perf_counter())],
            gc_after_trial=False,
        )
        total = time.perf_counter() - start
        if url is not None and hasattr(study.storage, "close"):
            with contextlib.suppress(Exception):
                study.storage.close()
    per_trial = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    model = [timer.by_number.get(n, 0.0) for n in range(len(per_trial))]
    window = max(1, len(per_trial) // 10)

    def stats(values: list[float]) -> dict[str, float]:
        return {
            "mean_ms": 1e3 * statistics.fmean(values),
            "median_ms": 1e3 * statistics.median(values),
        }

    out: dict[str, Any] = {
        "library": lib_name,
        "backend": backend,
        "sampler": sampler,
        "pruner": pruner,
        "trials": size,
        "total_s": total,
    }
    for name, part in (("first", slice(0, window)), ("last", slice(-window, None))):
        wall, spent = per_trial[part], model[part]
        out[name] = {
            "total": stats(wall),
            "sampler": stats(spent),
            "storage": stats([w - m for w, m in zip(wall, spent, strict=True)]),
        }
    return out


def _environment(pg_url: str | None) -> dict[str, Any]:
    status = git("status", "--porcelain", "src")
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} CPUs, {cpu_model()}",
        "load_average": list(os.getloadavg()),
        "python": f"{platform.python_version()} ({platform.platform()})",
        "tftune_git": (git("rev-parse", "--short", "HEAD") or "?")
        + (", with uncommitted changes in src/" if status else ""),
        "versions": {
            name: dist_version(name) for name in ("optuna", "sqlalchemy", "numpy", "psycopg")
        },
        "postgres_url": pg_url,
    }


def _markdown(env: dict[str, Any], results: list[dict[str, Any]], notes: list[str]) -> str:
    lines = [
        "# Long studies: per-trial cost as the study grows",
        "",
        f"- Date: {env['date']}",
        f"- Machine: {env['machine']}; load average at start "
        + ", ".join(f"{x:.2f}" for x in env["load_average"]),
        f"- Python {env['python']}",
        f"- tftune git {env['tftune_git']}; "
        + ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v),
        "",
        "Per-trial wall time in ms, split into the sampler's model time (its `sample_relative` "
        "and `sample_independent`) and storage + bookkeeping (everything else). *first* / "
        "*last*: mean over the first / last 10 % of the trials (median in brackets). Default "
        "sampler: tftune's AutoSampler (GP, then TPE after 200 complete trials), Optuna's TPE. "
        f"Goal: storage + bookkeeping ≤ {GOAL_MS:g} ms per trial at 20,000 trials on SQLite "
        "with the default sampler, flat as the study grows. With a pruner, each trial reports "
        f"{STEPS} steps and asks the pruner after each (until pruned): its reads and decisions "
        "count as storage + bookkeeping.",
        "",
        "| Library | Backend | Sampler | Pruner | Trials | Storage first | Storage last "
        "| Sampler first | Sampler last | Total last | Run (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        f, last = r["first"], r["last"]

        def cell(part: dict[str, Any], key: str) -> str:
            return f"{part[key]['mean_ms']:.2f} ({part[key]['median_ms']:.2f})"

        lines.append(
            f"| {r['library']} | {r['backend']} | {r['sampler']} | {r.get('pruner', 'none')} "
            f"| {r['trials']:,} "
            f"| {cell(f, 'storage')} | {cell(last, 'storage')} | {cell(f, 'sampler')} "
            f"| {cell(last, 'sampler')} | {cell(last, 'total')} | {r['total_s']:.0f} |"
        )
    if notes:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 5k trials")
    parser.add_argument("--sizes", help="comma-separated trial counts (overrides the default)")
    parser.add_argument("--backends", default="memory,sqlite,postgresql")
    parser.add_argument("--samplers", default="default,random")
    parser.add_argument(
        "--pruners", default="none", help="comma-separated: none, median, asha, hyperband"
    )
    parser.add_argument("--postgres-url", default=os.environ.get("TFTUNE_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--no-optuna", action="store_true")
    parser.add_argument("--output", help="results file stem (default: long_study[.quick])")
    args = parser.parse_args(argv)
    sizes = (
        tuple(int(s) for s in args.sizes.split(","))
        if args.sizes
        else (QUICK_SIZES if args.quick else FULL_SIZES)
    )
    notes: list[str] = []
    libs = ["tftune"]
    if not args.no_optuna and _import("optuna") is not None:
        libs.append("optuna")
    elif not args.no_optuna:
        notes.append("Optuna is not importable here, so it was skipped.")
    else:
        notes.append("Optuna was skipped (--no-optuna).")
    backends = args.backends.split(",")
    if "postgresql" in backends:
        try:
            import sqlalchemy as sa

            sa.create_engine(args.postgres_url, poolclass=sa.pool.NullPool).connect().close()
        except Exception as error:  # noqa: BLE001 - any failure means: no PostgreSQL here
            backends.remove("postgresql")
            notes.append(f"PostgreSQL skipped: {type(error).__name__}.")
        else:
            notes.append(f"PostgreSQL runs only up to {PG_MAX_SIZE:,} trials.")
    env = _environment(args.postgres_url if "postgresql" in backends else None)
    results = []
    for size in sizes:
        for backend in backends:
            if backend == "postgresql" and size > PG_MAX_SIZE:
                continue
            for sampler, pruner in itertools.product(
                args.samplers.split(","), args.pruners.split(",")
            ):
                for lib in libs:
                    result = run_one(lib, backend, sampler, size, args.postgres_url, pruner)
                    results.append(result)
                    print(
                        f"{lib:7s} {backend:10s} {sampler:8s} {pruner:9s} {size:>7,}: storage "
                        f"{result['first']['storage']['mean_ms']:.2f} -> "
                        f"{result['last']['storage']['mean_ms']:.2f} ms/trial, sampler "
                        f"{result['first']['sampler']['mean_ms']:.2f} -> "
                        f"{result['last']['sampler']['mean_ms']:.2f} ms/trial",
                        flush=True,
                    )
    stem = args.output or ("long_study.quick" if args.quick else "long_study")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{stem}.json").write_text(
        json.dumps({"environment": env, "results": results, "notes": notes}, indent=2) + "\n"
    )
    (RESULTS_DIR / f"{stem}.md").write_text(_markdown(env, results, notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
