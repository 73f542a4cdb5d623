"""Parameter-importance benchmark: tftune's evaluators against Optuna's on the same trials.

One random-search study per size (a synthetic training run: learning rate, dropout, units,
optimizer, batch size, weight decay, and a momentum only for SGD, i.e. a conditional space;
the loss depends strongly on the learning rate, less on dropout and the optimizer, barely on
the rest). Optuna gets the very same trials through ``create_trial`` + ``add_trials``. Each
evaluator's ``get_param_importances`` is timed ``--repeats`` times (median reported), each in
a forked child (runs under 5 s are timed on their second call there, past the fork's
copy-on-write); a run slower than ``--slow`` seconds is not repeated, and one still running
after ``--limit`` seconds is stopped and reported as such.

Optuna's fANOVA and MDI drop trials that lack one of the parameters, tftune's keep them (see
``tftune.importance``), so they see more trials in tftune; the notes give both counts. Both
PED-ANOVAs use every trial.
Goal: the default evaluator under 1 s at 10,000 trials.

Results: ``benchmarks/results/importance.{md,json}`` (``--quick``: ``importance.quick.*``).

Run:  .venv/bin/python benchmarks/bench_importance.py [--quick] [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import logging
import math
import multiprocessing
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _environment import cpu_model, dist_version, git  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
FULL_SIZES = (1_000, 10_000)
QUICK_SIZES = (300, 1_000)
GOAL_S = 1.0
EVALUATORS = ("ped-anova", "fanova", "mdi")
SEED = 0
WARM_RERUN_S = 5.0  # a run in the child faster than this is timed a second time


def objective(trial: Any) -> float:
    """A made-up validation loss: the learning rate matters most, then dropout and optimizer."""
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    units = trial.suggest_int("units", 16, 512, log=True)
    optimizer = trial.suggest_categorical("optimizer", ["adam", "sgd", "rmsprop"])
    batch = trial.suggest_categorical("batch_size", [32, 64, 128, 256])
    decay = trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
    loss = (math.log10(lr) + 3.0) ** 2 + 4.0 * (dropout - 0.2) ** 2
    loss += {"adam": 0.0, "sgd": 0.6, "rmsprop": 0.2}[optimizer]
    if optimizer == "sgd":
        momentum = trial.suggest_float("momentum", 0.0, 0.99)
        loss -= 0.5 * momentum
    loss += 0.02 * abs(math.log2(units) - 7) + 0.01 * (batch / 256) + 0.01 * math.log10(decay)
    return loss + 0.05 * math.sin(trial.number)  # a little deterministic noise


def tftune_study(size: int) -> Any:
    import tftune

    study = tftune.create_study(sampler=tftune.samplers.RandomSampler(seed=SEED))
    study.optimize(objective, n_trials=size)
    return study


def optuna_study(trials: list[Any]) -> Any:
    """An Optuna study holding the same trials (distributions copied through their JSON)."""
    import optuna

    from tftune.distributions import distribution_to_json

    study = optuna.create_study()
    study.add_trials(
        [
            optuna.trial.create_trial(
                params=t.params,
                distributions={
                    name: optuna.distributions.json_to_distribution(distribution_to_json(d))
                    for name, d in t.distributions.items()
                },
                value=t.value,
            )
            for t in trials
        ]
    )
    return study


def evaluator(lib: str, name: str) -> Any:
    module = __import__(f"{lib}.importance", fromlist=["importance"])
    if name == "ped-anova":
        return module.PedAnovaImportanceEvaluator()
    if name == "fanova":
        return module.FanovaImportanceEvaluator(seed=SEED)
    return module.MeanDecreaseImpurityImportanceEvaluator(seed=SEED)


def _child(call: Callable[[], dict[str, float]], queue: Any) -> None:
    """Time ``call``; a fast one again, as the first run also paid for copying the pages of
    the parent's trials it touched (copy-on-write after the fork)."""
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    if seconds < WARM_RERUN_S:
        start = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - start
    queue.put((seconds, {k: float(v) for k, v in result.items()}))


def timed(
    call: Callable[[], dict[str, float]], limit: float
) -> tuple[float, dict[str, float]] | None:
    """Seconds and result of ``call`` in a forked child; None if it passed ``limit`` seconds."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_child, args=(call, queue))
    # Frozen objects are not scanned by the garbage collector: without this, a collection in
    # the child walks (and so copies, page by page) the parent's whole heap of trials.
    gc.collect()
    gc.freeze()
    process.start()
    gc.unfreeze()
    try:
        return queue.get(timeout=limit)  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - queue.Empty: it ran past the limit
        return None
    finally:
        if process.is_alive():
            process.kill()
        process.join()


def run_one(lib: str, name: str, study: Any, args: argparse.Namespace) -> dict[str, Any]:
    module = __import__(f"{lib}.importance", fromlist=["importance"])

    def call() -> dict[str, float]:
        return dict(module.get_param_importances(study, evaluator=evaluator(lib, name)))

    times: list[float] = []
    result: dict[str, float] = {}
    stopped = False
    for _ in range(args.repeats):
        outcome = timed(call, args.limit)
        if outcome is None:
            stopped = True
            break
        seconds, result = outcome
        times.append(seconds)
        if seconds > args.slow:
            break
    return {
        "library": lib,
        "evaluator": name,
        "runs_s": times,
        "median_s": statistics.median(times) if times else None,
        "stopped_after_s": args.limit if stopped else None,
        "importances": result,
    }


def silence() -> None:
    """The same quiet for every library: their log at WARNING, Python warnings (Optuna's
    experimental-feature ones) off."""
    import tftune

    tftune.logging.set_verbosity(logging.WARNING)
    warnings.simplefilter("ignore")
    try:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
    except ImportError:
        pass


def _environment() -> dict[str, Any]:
    status = git("status", "--porcelain", "src")
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} CPUs, {cpu_model()}",
        "load_average": list(os.getloadavg()),
        "python": f"{platform.python_version()} ({platform.platform()})",
        "tftune_git": (git("rev-parse", "--short", "HEAD") or "?")
        + (", with uncommitted changes in src/" if status else ""),
        "versions": {
            name: dist_version(name) for name in ("optuna", "numpy", "scipy", "scikit-learn")
        },
    }


def _seconds(row: dict[str, Any] | None) -> str:
    if row is None:
        return "-"
    if row["median_s"] is None:
        return f"stopped at {row['stopped_after_s']:.0f} s"
    runs = len(row["runs_s"])
    text = f"{row['median_s']:.3f}" if row["median_s"] < 10 else f"{row['median_s']:.1f}"
    return text + (f" ({runs} run)" if runs == 1 else "")


def _top(row: dict[str, Any] | None) -> str:
    if not row or not row["importances"]:
        return "-"
    items = list(row["importances"].items())[:3]
    return ", ".join(f"{name} {value:.2f}" for name, value in items)


def _markdown(env: dict[str, Any], results: list[dict[str, Any]], notes: list[str]) -> str:
    lines = [
        "# Parameter importance: time per `get_param_importances`",
        "",
        f"- Date: {env['date']}",
        f"- Machine: {env['machine']}; load average at start "
        + ", ".join(f"{x:.2f}" for x in env["load_average"]),
        f"- Python {env['python']}",
        f"- tftune git {env['tftune_git']}; "
        + ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v),
        "",
        "Seconds per call, median of the repeats (one run where marked: slow runs are not "
        "repeated). Same trials for both libraries (random search, 7 parameters, one of them "
        f"conditional). Goal: the default evaluator (PED-ANOVA) under {GOAL_S:g} s at 10,000 "
        "trials. Top 3: the three most important parameters and their normalized importance.",
        "",
        "| Trials | Evaluator | tftune (s) | Optuna (s) | Optuna / tftune | tftune top 3 "
        "| Optuna top 3 |",
        "|---|---|---|---|---|---|---|",
    ]
    by_key = {(r["trials"], r["library"], r["evaluator"]): r for r in results}
    for size in sorted({r["trials"] for r in results}):
        for name in EVALUATORS:
            mine, theirs = by_key.get((size, "tftune", name)), by_key.get((size, "optuna", name))
            ratio = "-"
            if mine and theirs and mine["median_s"] and theirs["median_s"]:
                ratio = f"{theirs['median_s'] / mine['median_s']:.1f}x"
            elif mine and mine["median_s"] and theirs and theirs["stopped_after_s"]:
                ratio = f"> {theirs['stopped_after_s'] / mine['median_s']:.0f}x"
            lines.append(
                f"| {size:,} | {name} | {_seconds(mine)} | {_seconds(theirs)} | {ratio} "
                f"| {_top(mine)} | {_top(theirs)} |"
            )
    if notes:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 and 1,000 trials")
    parser.add_argument("--sizes", help="comma-separated trial counts (overrides the default)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--slow", type=float, default=20.0, help="no repeats above (s)")
    parser.add_argument("--limit", type=float, default=150.0, help="stop a run after (s)")
    parser.add_argument("--no-optuna", action="store_true")
    parser.add_argument(
        "--evaluators",
        default=",".join(EVALUATORS),
        help="comma-separated, of " + ", ".join(EVALUATORS),
    )
    parser.add_argument("--output", help="results file stem (default: importance[.quick])")
    args = parser.parse_args(argv)
    sizes = (
        tuple(int(s) for s in args.sizes.split(","))
        if args.sizes
        else (QUICK_SIZES if args.quick else FULL_SIZES)
    )
    silence()
    notes: list[str] = []
    libs = ["tftune"]
    try:
        import optuna  # noqa: F401

        if not args.no_optuna:
            libs.append("optuna")
    except ImportError:
        notes.append("Optuna is not importable here, so it was skipped.")
    env = _environment()
    results = []
    for size in sizes:
        studies = {"tftune": tftune_study(size)}
        trials = studies["tftune"].trials
        if "optuna" in libs:
            studies["optuna"] = optuna_study(trials)
        names = {name for t in trials for name in t.params}
        full = sum(all(name in t.params for name in names) for t in trials)
        notes.append(
            f"{size:,} trials: {full:,} have every parameter (all that Optuna's fANOVA and MDI "
            f"use); tftune's use all {size:,}."
        )
        for name in args.evaluators.split(","):
            for lib in libs:
                row = run_one(lib, name, studies[lib], args)
                row["trials"] = size
                results.append(row)
                print(f"{size:>7,} {name:9s} {lib:7s} {_seconds(row)}", flush=True)
                if row["stopped_after_s"] is not None:
                    notes.append(
                        f"{lib}'s {name} at {size:,} trials was stopped after "
                        f"{args.limit:.0f} s (--limit)."
                    )
    stem = args.output or ("importance.quick" if args.quick else "importance")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{stem}.json").write_text(
        json.dumps({"environment": env, "results": results, "notes": notes}, indent=2) + "\n"
    )
    (RESULTS_DIR / f"{stem}.md").write_text(_markdown(env, results, notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
